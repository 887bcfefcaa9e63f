package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
)

// FeatureCollection is a GeoJSON FeatureCollection (RFC 7946) with foreign members saying
// what was counted: the time range, the grouping, how many items the range holds and how
// many of them could not be placed (no ward, or no coordinates with by=point).
type FeatureCollection struct {
	Type     string    `json:"type"` // always "FeatureCollection"
	Features []Feature `json:"features"`
	Layer    string    `json:"layer"` // tickets, social, dossiers or sensors
	By       string    `json:"by"`    // ward or point
	From     string    `json:"from"`  // RFC 3339, Asia/Ho_Chi_Minh
	To       string    `json:"to"`
	Total    int       `json:"total"`
	Unplaced int       `json:"unplaced"`
	// Boundaries is "geojson" when ward features carry the administrator's boundaries
	// (falling back to the centroid for a unit the file lacks), "centroids" otherwise.
	Boundaries string `json:"boundaries,omitempty"`
}

// Feature is a GeoJSON Feature: a geometry (null for a unit with neither boundary nor
// centroid) and the counts in its properties.
type Feature struct {
	Type       string          `json:"type"` // always "Feature"
	ID         string          `json:"id,omitempty"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties any             `json:"properties"` // TicketProps, SocialProps, DossierProps or SensorProps
}

// point is a GeoJSON Point: coordinates are [longitude, latitude].
func point(lat, lng float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{lng, lat}})
	return b
}

var null = json.RawMessage("null")

// Boundaries maps a unit code to its boundary geometry (Polygon or MultiPolygon).
type Boundaries map[string]json.RawMessage

// LoadBoundaries reads a GeoJSON FeatureCollection of ward and commune boundaries; each
// feature's codeProperty holds the unit code. Every problem is an error naming the feature.
func LoadBoundaries(path, codeProperty string) (Boundaries, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ward boundaries: %w", err)
	}
	out, err := ParseBoundaries(b, codeProperty)
	if err != nil {
		return nil, fmt.Errorf("ward boundaries %s: %w", path, err)
	}
	return out, nil
}

// ParseBoundaries reads the boundaries of LoadBoundaries from the file's bytes.
func ParseBoundaries(b []byte, codeProperty string) (Boundaries, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string          `json:"type"`
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("not GeoJSON: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("type %q, want FeatureCollection", fc.Type)
	}
	out := Boundaries{}
	for i, f := range fc.Features {
		code := ""
		switch v := f.Properties[codeProperty].(type) {
		case string:
			code = v
		case float64:
			code = strconv.FormatFloat(v, 'f', -1, 64)
		}
		if f.Type != "Feature" || code == "" {
			return nil, fmt.Errorf("feature %d: not a Feature with a %q property", i, codeProperty)
		}
		if _, dup := out[code]; dup {
			return nil, fmt.Errorf("feature %d: unit %s appears twice", i, code)
		}
		if err := checkArea(f.Geometry); err != nil {
			return nil, fmt.Errorf("feature %d (unit %s): %w", i, code, err)
		}
		out[code] = f.Geometry
	}
	return out, nil
}

// checkArea accepts a Polygon or MultiPolygon whose positions are [longitude, latitude].
func checkArea(raw json.RawMessage) error {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return fmt.Errorf("geometry: %w", err)
	}
	depth := map[string]int{"Polygon": 3, "MultiPolygon": 4}[g.Type]
	if depth == 0 {
		return fmt.Errorf("geometry type %q, want Polygon or MultiPolygon", g.Type)
	}
	var c any
	if err := json.Unmarshal(g.Coordinates, &c); err != nil {
		return fmt.Errorf("coordinates: %w", err)
	}
	n, err := positions(c, depth)
	if err == nil && n == 0 {
		err = errors.New("no positions")
	}
	return err
}

// positions checks nested arrays of depth levels down to [lng, lat] pairs and counts them.
func positions(c any, depth int) (int, error) {
	arr, ok := c.([]any)
	if !ok {
		return 0, errors.New("coordinates are not nested arrays")
	}
	if depth == 1 {
		if len(arr) < 2 {
			return 0, errors.New("a position has fewer than 2 numbers")
		}
		lng, ok1 := arr[0].(float64)
		lat, ok2 := arr[1].(float64)
		if !ok1 || !ok2 || math.Abs(lng) > 180 || math.Abs(lat) > 90 {
			return 0, fmt.Errorf("position %v is not [longitude, latitude]", arr)
		}
		return 1, nil
	}
	total := 0
	for _, x := range arr {
		n, err := positions(x, depth-1)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}
