package sectors_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/sectors"
)

func mqttConfig(b *broker, clientID string) func(*config.Config) {
	return func(c *config.Config) {
		m := &c.IOC.Sensors.MQTT
		m.URL, m.Topics, m.ClientID = "mqtt://"+b.addr, []string{"ioc/sensors/#"}, clientID
		m.Username, m.Password, m.TopicPattern = brokerUser, brokerPassword, "ioc/sensors/{station}/{pollutant}"
	}
}

// waitMQTT polls the subscriber's state until cond holds.
func (n *node) waitMQTT(t testing.TB, what string, cond func(sectors.MQTTStatus) bool) sectors.MQTTStatus {
	t.Helper()
	var st sectors.MQTTStatus
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n.do(t, "GET", "/api/v1/sectors/sensors/mqtt", nil, http.StatusOK, &st)
		if cond(st) {
			return st
		}
	}
	t.Fatalf("MQTT subscriber: %s not reached: %+v", what, st)
	return st
}

// Readings published to Debian's mosquitto (with a password) in every payload form are
// stored like an HTTP push: refused readings and unreadable messages counted, duplicates
// dropped, the latest level per station, the same threshold alert; after the broker
// restarts the subscriber reconnects and subscribes again.
func TestSensorMQTT(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	n := start(t, mqttConfig(b, "ioc-test-"+t.Name()))
	n.do(t, "PUT", "/api/v1/sectors/sensors/stations/hc-01", sectors.Station{Name: "Trạm Hải Châu", Ward: "P-HAICHAU", Lat: 16.06, Lon: 108.22}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/sensors/stations/tk-01", sectors.Station{Name: "Trạm Thanh Khê", Lat: 16.07, Lon: 108.19}, http.StatusOK, nil)
	n.do(t, "PUT", "/api/v1/sectors/sensors/thresholds/pm2_5", sectors.Threshold{Unit: "µg/m³", Warning: 50, Critical: 150, For: "10m"}, http.StatusOK, nil)
	n.waitMQTT(t, "connected", func(s sectors.MQTTStatus) bool { return s.Connected && s.Enabled })
	time.Sleep(200 * time.Millisecond) // the subscription follows the connection
	pub := newPublisher(t, b.addr, "pub-"+t.Name())
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	pub.publish(t, "ioc/sensors/tk-01/pm2_5", "20")                                                                              // bare number, dated on arrival
	pub.publish(t, "ioc/sensors/hc-01/pm2_5", fmt.Sprintf(`{"value":30,"at":%q}`, at(-10*time.Minute)))                          // pollutant from the topic
	pub.publish(t, "ioc/sensors/x", fmt.Sprintf(`{"station":"hc-01","value":{"pm2_5":80,"pm10":41},"at":%q}`, at(-time.Minute))) // several pollutants
	pub.publish(t, "ioc/sensors/x", fmt.Sprintf(`{"readings":[{"station":"zz-99","pollutant":"pm2_5","value":5,"at":%q},{"station":"tk-01","pollutant":"water_level","value":"1.25","at":%q}]}`, at(0), at(-time.Minute)))
	pub.publish(t, "ioc/sensors/x", `not a reading`)
	pub.publish(t, "ioc/sensors/x", fmt.Sprintf(`{"station":"hc-01","value":{"pm2_5":80},"at":%q}`, at(-time.Minute))) // repeat
	st := n.waitMQTT(t, "six messages", func(s sectors.MQTTStatus) bool {
		return s.Messages >= 6 && s.Stored+s.Duplicate+s.Invalid+s.Unreadable >= 7
	})
	if st.Stored != 5 || st.Duplicate != 1 || st.Invalid != 1 || st.Unreadable != 1 {
		t.Fatalf("MQTT status = %+v, want 5 stored, 1 duplicate, 1 invalid, 1 unreadable", st)
	}
	var latest []sectors.Latest
	n.do(t, "GET", "/api/v1/sectors/sensors/latest", nil, http.StatusOK, &latest)
	got := map[string]sectors.Latest{}
	for _, l := range latest {
		got[l.Station.ID+"/"+l.Pollutant] = l
	}
	if len(latest) != 4 || got["hc-01/pm2_5"].Value != 80 || got["hc-01/pm2_5"].Level != "warning" || got["tk-01/pm2_5"].Level != "ok" ||
		got["tk-01/water_level"].Value != 1.25 || got["hc-01/pm10"].Value != 41 {
		t.Fatalf("latest = %+v", latest)
	}
	n.evaluate(t, now)
	if a := n.alertsOf(t, "sensor-pm2_5-warning"); len(a) != 0 {
		t.Fatalf("alert before its 10 minutes: %+v", a)
	}
	n.evaluate(t, now.Add(11*time.Minute))
	n.evaluate(t, now.Add(12*time.Minute))
	if a := n.alertsOf(t, "sensor-pm2_5-warning"); len(a) != 1 || a[0].Group != "hc-01" || !a[0].Active() {
		t.Fatalf("sensor alerts = %+v, want one for hc-01", a)
	}

	// The broker goes away and comes back on the same port.
	b.stop()
	n.waitMQTT(t, "connection lost", func(s sectors.MQTTStatus) bool { return !s.Connected })
	b.start(t)
	n.waitMQTT(t, "reconnected", func(s sectors.MQTTStatus) bool { return s.Connected && s.Connects >= 2 })
	pub = newPublisher(t, b.addr, "pub2-"+t.Name())
	for i := 0; ; i++ {
		pub.publish(t, "ioc/sensors/hc-01/pm2_5", fmt.Sprintf(`{"value":20,"at":%q}`, at(0)))
		var s sectors.MQTTStatus
		n.do(t, "GET", "/api/v1/sectors/sensors/mqtt", nil, http.StatusOK, &s)
		if s.Stored == 6 {
			break
		}
		if i == 100 {
			t.Fatalf("no reading stored after the broker restarted: %+v", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	n.evaluate(t, now.Add(13*time.Minute))
	if a := n.alertsOf(t, "sensor-pm2_5-warning"); len(a) != 1 || a[0].Active() {
		t.Fatalf("alert after the level fell = %+v, want resolved", a)
	}
}

// A wrong password is refused by the broker and named in the subscriber's state.
func TestSensorMQTTBadCredentials(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	n := start(t, mqttConfig(b, "ioc-bad-"+t.Name()), func(c *config.Config) { c.IOC.Sensors.MQTT.Password = "wrong" })
	st := n.waitMQTT(t, "a refused connection", func(s sectors.MQTTStatus) bool { return s.LastError != "" })
	if st.Connected {
		t.Fatalf("connected with a wrong password: %+v", st)
	}
}

func TestMQTTConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mod  func(m *config.SensorsMQTT)
		err  string
	}{
		{"off by default", func(m *config.SensorsMQTT) {}, ""},
		{"mqtt", func(m *config.SensorsMQTT) { m.URL = "mqtt://10.0.0.5:1883" }, ""},
		{"tls", func(m *config.SensorsMQTT) { m.URL = "mqtts://broker.example.vn:8883" }, ""},
		{"http", func(m *config.SensorsMQTT) { m.URL = "http://10.0.0.5:1883" }, "ioc.sensors.mqtt.url"},
		{"no topics", func(m *config.SensorsMQTT) { m.URL, m.Topics = "mqtt://h:1883", nil }, "topics"},
		{"qos 3", func(m *config.SensorsMQTT) { m.URL, m.QoS = "mqtt://h:1883", 3 }, "qos"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			tc.mod(&c.IOC.Sensors.MQTT)
			err := c.Validate()
			if (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Validate() = %v, want %q", err, tc.err)
			}
		})
	}
}
