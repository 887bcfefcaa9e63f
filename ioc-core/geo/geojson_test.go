package geo_test

import (
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/geo"
)

func TestParseBoundaries(t *testing.T) {
	t.Parallel()
	poly := `{"type":"Polygon","coordinates":[[[108.21,16.06],[108.23,16.06],[108.23,16.08],[108.21,16.06]]]}`
	feature := func(code, geom string) string {
		return `{"type":"Feature","properties":{"code":` + code + `},"geometry":` + geom + `}`
	}
	fcOf := func(fs ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
	}
	for _, tc := range []struct {
		name, body, err string
		codes           int
	}{
		{"polygon and multipolygon", fcOf(feature(`"20194"`, poly), feature(`20200`, `{"type":"MultiPolygon","coordinates":[[[[108.1,16.0],[108.2,16.0],[108.2,16.1],[108.1,16.0]]]]}`)), "", 2},
		{"not json", `{`, "not GeoJSON", 0},
		{"a feature alone", feature(`"20194"`, poly), "want FeatureCollection", 0},
		{"no code", fcOf(`{"type":"Feature","properties":{"name":"x"},"geometry":` + poly + `}`), `"code" property`, 0},
		{"twice", fcOf(feature(`"20194"`, poly), feature(`"20194"`, poly)), "appears twice", 0},
		{"a point", fcOf(feature(`"20194"`, `{"type":"Point","coordinates":[108.2,16.0]}`)), "want Polygon or MultiPolygon", 0},
		{"lat first", fcOf(feature(`"20194"`, `{"type":"Polygon","coordinates":[[[16.06,108.21],[16.06,108.23],[16.08,108.23],[16.06,108.21]]]}`)), "[longitude, latitude]", 0},
		{"flat coordinates", fcOf(feature(`"20194"`, `{"type":"Polygon","coordinates":[108.2,16.0]}`)), "nested arrays", 0},
		{"null geometry", fcOf(feature(`"20194"`, `null`)), "want Polygon", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := geo.ParseBoundaries([]byte(tc.body), "code")
			if tc.err == "" {
				if err != nil || len(b) != tc.codes {
					t.Fatalf("got %d units, %v; want %d", len(b), err, tc.codes)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}
