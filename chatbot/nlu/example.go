package nlu

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Example is one labelled message. Category is CategoryNone for intents
// that carry no category and a real category for reports and questions.
type Example struct {
	Intent   Intent
	Category Category
	Text     string
	// Group names the template or hand-written line the example comes from.
	// Variants of one source share a group; splits for calibration and
	// cross-validation never put one group on both sides. Empty means the
	// example is its own group.
	Group string
	// Unclear marks a message that carries no evidence for any label (a
	// bare particle, a reply that only makes sense in a context the model
	// does not see: "ừ thì", "mai nha"). Training pushes its scores towards
	// uniform, so such messages get low confidence and the dialogue asks a
	// clarifying question; evaluation does not score it. Its Intent is
	// out_of_scope, the label tools that need one print.
	Unclear bool
}

// Validate reports whether the labels are known and consistent: reports and
// questions carry a real category, every other intent carries "-".
func (e Example) Validate() error {
	switch {
	case !e.Intent.Valid():
		return fmt.Errorf("unknown intent %q", e.Intent)
	case !e.Category.Valid():
		return fmt.Errorf("unknown category %q", e.Category)
	case e.Intent.HasCategory() && e.Category == CategoryNone:
		return fmt.Errorf("intent %s needs a category", e.Intent)
	case !e.Intent.HasCategory() && e.Category != CategoryNone:
		return fmt.Errorf("intent %s takes category \"-\", not %q", e.Intent, e.Category)
	case strings.TrimSpace(e.Text) == "":
		return fmt.Errorf("empty text")
	}
	return nil
}

// ReadTSV reads examples written one per line as
// `intent<TAB>category<TAB>text`. Blank lines and lines starting with '#'
// are skipped. A bad line stops reading with an error that names its line
// number and wraps ErrBadExample.
func ReadTSV(r io.Reader) ([]Example, error) { return readTSV(r, Example.Validate) }

// ReadEvalTSV reads a file to score in the format of ReadTSV, more leniently:
// any known intent goes with any known category or "-" (a question without a
// category is scored on its intent only), and a byte-order mark and a header
// line (`intent<TAB>category<TAB>text`) are skipped. Unknown labels and
// malformed lines are still errors naming the line.
func ReadEvalTSV(r io.Reader) ([]Example, error) {
	return readTSV(r, func(e Example) error {
		switch {
		case !e.Intent.Valid():
			return fmt.Errorf("unknown intent %q", e.Intent)
		case !e.Category.Valid():
			return fmt.Errorf("unknown category %q", e.Category)
		case strings.TrimSpace(e.Text) == "":
			return fmt.Errorf("empty text")
		}
		return nil
	})
}

func readTSV(r io.Reader, validate func(Example) error) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
			if f := strings.SplitN(s, "\t", 3); len(f) == 3 && strings.EqualFold(strings.TrimSpace(f[0]), "intent") &&
				strings.EqualFold(strings.TrimSpace(f[1]), "category") {
				continue
			}
		}
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		ex, err := parseExample(s, validate)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w: %v", line, ErrBadExample, err)
		}
		ex.Group = fmt.Sprintf("line%d", line)
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	return out, nil
}

func parseExample(s string, validate func(Example) error) (Example, error) {
	f := strings.SplitN(s, "\t", 3)
	if len(f) != 3 {
		return Example{}, fmt.Errorf("want 3 tab-separated fields, got %d", len(f))
	}
	ex := Example{
		Intent:   Intent(strings.TrimSpace(f[0])),
		Category: Category(strings.TrimSpace(f[1])),
		Text:     strings.TrimSpace(f[2]),
	}
	return ex, validate(ex)
}

// WriteTSV writes examples in the format ReadTSV reads.
func WriteTSV(w io.Writer, data []Example) error {
	bw := bufio.NewWriter(w)
	for _, ex := range data {
		text := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(ex.Text)
		if _, err := fmt.Fprintf(bw, "%s\t%s\t%s\n", ex.Intent, ex.Category, text); err != nil {
			return fmt.Errorf("write examples: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write examples: %w", err)
	}
	return nil
}
