package social

import (
	"context"
	"fmt"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// UnitLister is what the gazetteer needs of the reference data.
type UnitLister interface {
	Units(ctx context.Context, level, parent string) ([]refdata.Unit, error)
}

// Gazetteer finds administrative units in text by their names and old names (aliases),
// with and without their "phường"/"xã" prefix, diacritic-insensitively. Read-only once built.
type Gazetteer struct {
	matcher *Matcher
	units   []refdata.Unit
	refs    []gazRef
}

type gazRef struct {
	unit int
	name string
}

var unitPrefixes = []string{"phường ", "xã ", "thị trấn ", "đặc khu ", "phuong ", "xa "}

// NewGazetteer builds the gazetteer of the current wards and communes.
func NewGazetteer(ctx context.Context, ul UnitLister) (*Gazetteer, error) {
	var units []refdata.Unit
	for _, level := range []string{string(refdata.LevelWard), string(refdata.LevelCommune)} {
		us, err := ul.Units(ctx, level, "")
		if err != nil {
			return nil, fmt.Errorf("load units for the gazetteer: %w", err)
		}
		units = append(units, us...)
	}
	return BuildGazetteer(units), nil
}

// BuildGazetteer builds a gazetteer of units.
func BuildGazetteer(units []refdata.Unit) *Gazetteer {
	g := &Gazetteer{units: units}
	var terms []string
	for i, u := range units {
		for _, n := range append([]string{u.Name}, u.Aliases...) {
			names := []string{n}
			low := strings.ToLower(n)
			for _, p := range unitPrefixes {
				if strings.HasPrefix(low, p) {
					bare := strings.TrimSpace(n[len(p):])
					// A bare name of one short word ("Hòa") names too much to be trusted.
					if len(strings.Fields(bare)) >= 2 {
						names = append(names, bare)
					}
				}
			}
			for _, name := range names {
				g.refs = append(g.refs, gazRef{unit: i, name: name})
				terms = append(terms, name)
			}
		}
	}
	g.matcher = NewMatcher(terms)
	return g
}

// Find returns the units folded text names, once each, and their codes. Where names
// overlap ("Hòa Hiệp" inside "Hòa Hiệp Bắc") only the longest counts.
func (g *Gazetteer) Find(folded string) ([]Place, []string) {
	if g == nil {
		return nil, nil
	}
	var places []Place
	var codes []string
	seen := map[string]bool{}
	for _, sp := range Longest(g.matcher.Spans(folded)) {
		ref := g.refs[sp.Term]
		u := g.units[ref.unit]
		if seen[u.Code] {
			continue
		}
		seen[u.Code] = true
		places = append(places, Place{Unit: u.Code, Name: u.Name, Matched: ref.name})
		codes = append(codes, u.Code)
	}
	return places, codes
}
