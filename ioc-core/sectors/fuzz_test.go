package sectors

import (
	"bytes"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
)

func FuzzParseReadings(f *testing.F) {
	f.Add([]byte(`{"readings":[{"station":"a","pollutant":"pm2_5","value":1.5,"at":"2026-03-09T10:00:00+07:00"}]}`))
	f.Add([]byte(`{"readings":[]}`))
	f.Add([]byte(`{"readings":[{"value":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseReadings(b)
		if err == nil && (len(in.Readings) == 0 || len(in.Readings) > MaxReadings) {
			t.Fatalf("accepted %d readings", len(in.Readings))
		}
	})
}

func FuzzParseDossiers(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"1","received":"09/03/2026 10:00","due":"1773025200","steps":[{"due":"2026-03-09","finished":"2026-03-10","action":"returned"}]}]}`), "data")
	f.Add([]byte(`[{"id":1}]`), "")
	f.Fuzz(func(t *testing.T, b []byte, items string) {
		ds, _, err := ParseDossiers(b, DossierMapping{Items: items})
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.ID == "" || d.Received.IsZero() {
				t.Fatalf("accepted a dossier without id or received time: %+v", d)
			}
			_ = findings("x", d, "returned", d.Received)
		}
	})
}

func FuzzParseValuesCSV(f *testing.F) {
	f.Add("indicator,period,value\nbudget,2026,1.5\n")
	f.Add("\ufeffperiod;value\n")
	f.Add("indicator,period,value\n\"a,1\n")
	f.Fuzz(func(t *testing.T, s string) {
		vals, _, err := ParseValuesCSV(bytes.NewReader([]byte(s)))
		if err != nil && len(vals) > 0 {
			t.Fatal("values with an error")
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-Q1", "2026-03", "2026-03-09", "2026", "2026-Q9", "-Q1"} {
		f.Add("quarter", s)
	}
	f.Fuzz(func(t *testing.T, kind, key string) {
		start, end, err := ParsePeriod(kind, key)
		if err == nil && !end.After(start) {
			t.Fatalf("period %s %s: [%v, %v)", kind, key, start, end)
		}
	})
}

func FuzzMQTTPayload(f *testing.F) {
	f.Add("s/hc-01/pm2_5", []byte(`31.5`))
	f.Add("s/x", []byte(`{"station":"hc-01","value":{"pm2_5":80,"pm10":"41"},"at":"2026-03-09 10:00:00"}`))
	f.Add("s/x", []byte(`{"readings":[{"station":"a","pollutant":"b","value":1,"at":1773025200}]}`))
	f.Add("s/x", []byte(`[{"station":"a"}]`))
	mp := NewMQTTMapping(config.SensorsMQTT{TopicPattern: "s/{station}/{pollutant}", StationField: "station", PollutantField: "pollutant", ValueField: "value", TimeField: "at"})
	now := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, topic string, b []byte) {
		rs, err := mp.Parse(topic, b, now)
		if err != nil {
			return
		}
		if len(rs) == 0 {
			t.Fatalf("no error and no reading for %q", b)
		}
		for _, r := range rs {
			if r.Station == "" || r.Pollutant == "" || r.At.IsZero() {
				t.Fatalf("incomplete reading %+v from %q", r, b)
			}
		}
	})
}
