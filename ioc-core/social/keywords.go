package social

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// KeywordRule is a keyword rule: data, edited through the API. An item matches when any
// of Keywords occurs in it, at least one of Include does (when Include is not empty), and
// none of Exclude does. Terms match diacritic- and case-insensitively on word boundaries.
type KeywordRule struct {
	ID        string    `bson:"_id" json:"id"`
	Name      string    `bson:"name" json:"name"`
	Keywords  []string  `bson:"keywords" json:"keywords"`
	Include   []string  `bson:"include,omitempty" json:"include,omitempty"`
	Exclude   []string  `bson:"exclude,omitempty" json:"exclude,omitempty"`
	Enabled   bool      `bson:"enabled" json:"enabled"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	UpdatedBy string    `bson:"updated_by,omitempty" json:"updated_by,omitempty"`
	Version   int64     `bson:"version" json:"version"`
}

var ruleIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// validate normalises the rule and returns its invalid fields.
func (r *KeywordRule) validate() map[string]string {
	bad := map[string]string{}
	if !ruleIDPattern.MatchString(r.ID) {
		bad["id"] = "1 to 64 lower-case letters, digits, dots, dashes or underscores"
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 200 {
		bad["name"] = "1 to 200 characters"
	}
	clean := func(field string, terms []string, required bool) []string {
		var out []string
		for i, t := range terms {
			t = NormalizeText(t)
			if FoldText(t) == "" {
				bad[fmt.Sprintf("%s[%d]", field, i)] = "a term needs a letter or a digit"
				continue
			}
			if len(t) > 200 {
				bad[fmt.Sprintf("%s[%d]", field, i)] = "at most 200 bytes"
			}
			out = append(out, t)
		}
		if required && len(terms) == 0 {
			bad[field] = "at least one term"
		}
		if len(terms) > 10000 {
			bad[field] = "at most 10000 terms"
		}
		return out
	}
	r.Keywords = clean("keywords", r.Keywords, true)
	r.Include = clean("include", r.Include, false)
	r.Exclude = clean("exclude", r.Exclude, false)
	return bad
}

// term roles in a compiled rule set.
const (
	roleKeyword = iota
	roleInclude
	roleExclude
)

type termRef struct {
	rule int
	role int
	term string // as the rule wrote it
}

// RuleSet is the compiled form of the enabled keyword rules: one automaton over every
// term of every rule. Read-only once built.
type RuleSet struct {
	rules   []KeywordRule
	refs    []termRef
	matcher *Matcher
}

// RuleMatch is one rule an item matched, with the keywords found.
type RuleMatch struct {
	Rule  string   `bson:"rule" json:"rule"`
	Terms []string `bson:"terms" json:"terms"`
}

// CompileRules builds the rule set of the enabled rules.
func CompileRules(rules []KeywordRule) *RuleSet {
	rs := &RuleSet{}
	var terms []string
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		i := len(rs.rules)
		rs.rules = append(rs.rules, r)
		add := func(role int, ts []string) {
			for _, t := range ts {
				rs.refs = append(rs.refs, termRef{rule: i, role: role, term: t})
				terms = append(terms, t)
			}
		}
		add(roleKeyword, r.Keywords)
		add(roleInclude, r.Include)
		add(roleExclude, r.Exclude)
	}
	rs.matcher = NewMatcher(terms)
	return rs
}

// Terms is the number of terms in the set.
func (rs *RuleSet) Terms() int { return len(rs.refs) }

// Match returns the rules folded (FoldText of the item) matches, in rule order.
func (rs *RuleSet) Match(folded string) []RuleMatch {
	hits := rs.matcher.Find(folded)
	if len(hits) == 0 {
		return nil
	}
	type state struct {
		keywords          []string
		included, exclude bool
	}
	per := map[int]*state{}
	for _, h := range hits {
		ref := rs.refs[h]
		st := per[ref.rule]
		if st == nil {
			st = &state{}
			per[ref.rule] = st
		}
		switch ref.role {
		case roleKeyword:
			st.keywords = append(st.keywords, ref.term)
		case roleInclude:
			st.included = true
		case roleExclude:
			st.exclude = true
		}
	}
	var out []RuleMatch
	for _, i := range slices.Sorted(maps.Keys(per)) { // the rules hit, in rule order
		st, r := per[i], rs.rules[i]
		if len(st.keywords) == 0 || st.exclude || (len(r.Include) > 0 && !st.included) {
			continue
		}
		out = append(out, RuleMatch{Rule: r.ID, Terms: st.keywords})
	}
	return out
}
