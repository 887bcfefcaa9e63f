package nlu

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Templates are the hand-written source of the training set. The format,
// one file per topic:
//
//	# a comment
//	$SLOT = first choice | second choice | {a|b} with $OTHER_SLOT
//	## intent category [xN]     (or: ## unclear - [xN], see Example.Unclear)
//	a template line with {alternatives|in braces|} and $SLOT references
//
// A section header names the labels of the template lines below it and how
// many distinct variants (N, default 6) to draw from each line. Braces hold
// alternatives, one of which may be empty; they nest, and slots may use
// other slots. A slot defined below a section header belongs to that
// section and shadows a global slot of the same name, so shared sentence
// frames can name a per-section $TOPIC. "%d" draws a random digit (for ticket codes and numbers). Every variant of one template line belongs to one Example
// group, so splits never put a line's variants on both sides.
type templates struct {
	slots    map[string][]string
	sections []templateSection
}

type templateSection struct {
	unclear  bool // lines without evidence for any label (Example.Unclear)
	intent   Intent
	category Category
	variants int
	slots    map[string][]string // slots defined inside the section, shadowing global ones
	lines    []templateLine
}

type templateLine struct {
	text  string
	group string // file:line
}

var (
	slotDef     = regexp.MustCompile(`^\$([A-Z][A-Z0-9_]*)\s*=\s*(.*)$`)
	slotRef     = regexp.MustCompile(`\$[A-Z][A-Z0-9_]*`)
	spaceRun    = regexp.MustCompile(`\s+`)
	spaceBefore = regexp.MustCompile(`\s+([,.?!])`)
)

// readTemplates parses every *.tmpl file of dir in fsys, in name order.
func readTemplates(fsys fs.FS, dir string) (*templates, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	t := &templates{slots: map[string][]string{}}
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open templates: %w", err)
		}
		err = t.parse(f, path.Base(name))
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return t, t.check()
}

func (t *templates) parse(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	var cur *templateSection
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "" || strings.HasPrefix(s, "# ") || s == "#":
		case strings.HasPrefix(s, "## "):
			sec, err := parseSectionHeader(s[3:])
			if err != nil {
				return fmt.Errorf("%s:%d: %w", name, line, err)
			}
			t.sections = append(t.sections, sec)
			cur = &t.sections[len(t.sections)-1]
		case slotDef.MatchString(s):
			m := slotDef.FindStringSubmatch(s)
			slots := t.slots
			if cur != nil {
				slots = cur.slots
			}
			slots[m[1]] = append(slots[m[1]], splitTop(m[2])...)
		case cur == nil:
			return fmt.Errorf("%s:%d: template line before any section header", name, line)
		default:
			cur.lines = append(cur.lines, templateLine{text: s, group: fmt.Sprintf("%s:%d", name, line)})
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// unclearLabel heads a template section of Unclear examples.
const unclearLabel = "unclear"

func parseSectionHeader(s string) (templateSection, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return templateSection{}, fmt.Errorf("section header wants `## intent category [xN]`")
	}
	sec := templateSection{intent: Intent(f[0]), category: Category(f[1]), variants: 6, slots: map[string][]string{}}
	if f[0] == unclearLabel {
		sec.unclear, sec.intent = true, IntentOutOfScope
	}
	if len(f) == 3 {
		n, err := strconv.Atoi(strings.TrimPrefix(f[2], "x"))
		if err != nil || n <= 0 {
			return sec, fmt.Errorf("bad variant count %q", f[2])
		}
		sec.variants = n
	}
	probe := Example{Intent: sec.intent, Category: sec.category, Text: "x"}
	return sec, probe.Validate()
}

// check reports unbalanced braces and slot references that no section can
// resolve.
func (t *templates) check() error {
	known := func(sec *templateSection, name string) bool {
		if sec != nil {
			if _, ok := sec.slots[name]; ok {
				return true
			}
		}
		_, ok := t.slots[name]
		return ok
	}
	checkText := func(where, s string, sec *templateSection) error {
		if strings.Count(s, "{") != strings.Count(s, "}") {
			return fmt.Errorf("%s: unbalanced braces", where)
		}
		for _, ref := range slotRef.FindAllString(s, -1) {
			if sec != nil && !known(sec, ref[1:]) {
				return fmt.Errorf("%s: unknown slot %s", where, ref)
			}
		}
		return nil
	}
	for name, alts := range t.slots {
		for _, a := range alts {
			if err := checkText("slot $"+name, a, nil); err != nil {
				return err
			}
		}
	}
	for i := range t.sections {
		sec := &t.sections[i]
		for _, l := range sec.lines {
			if err := checkText(l.group, l.text, sec); err != nil {
				return err
			}
		}
	}
	return nil
}

// expand draws the examples of every section: up to N distinct variants of
// each template line, each passed through augment.
func (t *templates) expand(seed uint64) []Example {
	rng := mrand.New(mrand.NewPCG(seed, 0x7e3))
	var out []Example
	for _, sec := range t.sections {
		for _, l := range sec.lines {
			seen := map[string]bool{}
			for try := 0; try < 3*sec.variants && len(seen) < sec.variants; try++ {
				text := tidy(t.fill(&sec, l.text, rng, 0))
				if text == "" || seen[text] {
					continue
				}
				seen[text] = true
				out = append(out, Example{
					Intent: sec.intent, Category: sec.category, Unclear: sec.unclear,
					Text: augment(text, rng), Group: l.group,
				})
			}
		}
	}
	return out
}

// fill replaces slots and brace alternatives in s with random choices.
func (t *templates) fill(sec *templateSection, s string, rng *mrand.Rand, depth int) string {
	if depth > 8 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '{':
			end := matchingBrace(s, i)
			alts := splitTop(s[i+1 : end])
			b.WriteString(t.fill(sec, alts[rng.IntN(len(alts))], rng, depth+1))
			i = end + 1
		case s[i] == '%' && i+1 < len(s) && s[i+1] == 'd':
			b.WriteByte(byte('0' + rng.IntN(10)))
			i += 2
		case s[i] == '$' && slotRef.MatchString(s[i:]):
			ref := slotRef.FindString(s[i:])
			alts, ok := sec.slots[ref[1:]]
			if !ok {
				alts = t.slots[ref[1:]]
			}
			if len(alts) == 0 {
				i += len(ref)
				continue
			}
			b.WriteString(t.fill(sec, alts[rng.IntN(len(alts))], rng, depth+1))
			i += len(ref)
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// matchingBrace returns the index of the '}' closing the '{' at open.
func matchingBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s) - 1
}

// splitTop splits s on '|' outside braces and trims each part.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
		case '|':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

// tidy collapses spaces and removes spaces before punctuation.
func tidy(s string) string {
	s = spaceRun.ReplaceAllString(strings.TrimSpace(s), " ")
	s = spaceBefore.ReplaceAllString(s, "$1")
	return strings.TrimLeft(s, ", ")
}
