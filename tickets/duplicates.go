package tickets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// Duplicate search: open tickets of the same category created in the last 30 days, either
// within 250 m when both have a location, or in the same ward with similar text when not.
const (
	duplicateWindow   = 30 * 24 * time.Hour
	duplicateRadiusM  = 250.0
	duplicateMinScore = 0.35
	duplicateMax      = 5
	duplicateScan     = 500
)

// findDuplicates returns the likely duplicates of t, closest first.
func (m *Module) findDuplicates(ctx context.Context, t *Ticket) ([]Duplicate, error) {
	if t.Category == "" {
		return nil, nil
	}
	cands, err := m.index.duplicateCandidates(ctx, t, t.CreatedAt.Add(-duplicateWindow))
	if err != nil {
		return nil, fmt.Errorf("duplicates of %s: %w", t.Code, err)
	}
	words := wordSet(t.Description)
	var out []Duplicate
	for _, c := range cands {
		d := Duplicate{Code: c.Code, Status: c.Status, Category: c.Category, Ward: c.Ward, CreatedAt: c.CreatedAt}
		switch {
		case t.Location != nil && c.Location != nil:
			dist := distanceM(*t.Location, *c.Location)
			if dist > duplicateRadiusM {
				continue
			}
			d.DistanceM = &dist
			d.Score = similarity(words, foldedWords(c.Description))
		case t.Ward == "" || c.Ward != t.Ward:
			continue
		default:
			if d.Score = similarity(words, foldedWords(c.Description)); d.Score < duplicateMinScore {
				continue
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Duplicate) int {
		da, db := 1e9, 1e9
		if a.DistanceM != nil {
			da = *a.DistanceM
		}
		if b.DistanceM != nil {
			db = *b.DistanceM
		}
		if da != db {
			return cmpFloat(da, db)
		}
		return cmpFloat(b.Score, a.Score)
	})
	if len(out) > duplicateMax {
		out = out[:duplicateMax]
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// wordSet is the set of folded words of s with at least two letters.
func wordSet(s string) map[string]bool { return foldedWords(refdata.Fold(s)) }

// foldedWords is wordSet of a text already folded (refdata.Fold), such as the descriptions
// of duplicate candidates: folding is most of wordSet's cost.
func foldedWords(folded string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) >= 2 {
			set[w] = true
		}
	}
	return set
}

// similarity is the Jaccard index of two word sets.
func similarity(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
