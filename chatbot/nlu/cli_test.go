package nlu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCLIClassify(t *testing.T) {
	t.Parallel()
	units := filepath.Join(t.TempDir(), "units.tsv")
	if err := os.WriteFile(units, []byte("20194\tXã Hòa Phong\tHòa Phong cũ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := RunCLI(context.Background(), []string{"classify", "--units", units, "cháy nhà ở xã Hòa Phong, gọi 0905 123 456"}, &out, &errOut)
	if err != nil {
		t.Fatalf("classify: %v (%s)", err, errOut.String())
	}
	var got struct {
		Intent           Intent   `json:"intent"`
		IntentConfidence float64  `json:"intent_confidence"`
		Entities         Entities `json:"entities"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if got.Intent != IntentEmergency || got.IntentConfidence <= 0 {
		t.Errorf("intent = %s (%.2f), want emergency", got.Intent, got.IntentConfidence)
	}
	if len(got.Entities.Phones) != 1 || len(got.Entities.Units) != 1 {
		t.Errorf("entities = %+v, want a phone and a unit", got.Entities)
	}
}

// evalLine is the last line `chatbot eval` prints.
type evalLine struct {
	N              int      `json:"n"`
	IntentAccuracy *float64 `json:"intent_accuracy"`
	CategoryAcc    *float64 `json:"category_accuracy"`
	HandoffRate    *float64 `json:"handoff_rate"`
}

// runEval writes tsv to a file, runs `chatbot eval` on it and returns its last line, or the
// command's error.
func runEval(t *testing.T, tsv string) (evalLine, error) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "eval.tsv")
	if err := os.WriteFile(data, []byte(tsv), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var last evalLine
	if err := RunCLI(context.Background(), []string{"eval", "--data", data}, &out, &out); err != nil {
		return last, err
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return last, nil
}

func TestRunCLIEval(t *testing.T) {
	t.Parallel()
	last, err := runEval(t, "greeting\t-\txin chào\nreport\troads_traffic\tđèn đường hư cả tháng nay\nask_info\tcivil_status\tlàm căn cước cần giấy tờ gì\n")
	if err != nil {
		t.Fatal(err)
	}
	if last.N != 3 || last.IntentAccuracy == nil || last.CategoryAcc == nil || last.HandoffRate == nil {
		t.Fatalf("last line %+v", last)
	}
}

// TestRunCLIEvalLenient: a file to score may start with a byte-order mark and a header line,
// and pair any intent with any category or "-"; a line with an unknown label is an error
// naming its line.
func TestRunCLIEvalLenient(t *testing.T) {
	t.Parallel()
	last, err := runEval(t, "\ufeffintent\tcategory\ttext\nask_info\t-\tgiờ làm việc của bộ phận một cửa\ngreeting\troads_traffic\tchào anh\nreport\tflooding_drainage\tđường ngập sâu\n")
	if err != nil {
		t.Fatal(err)
	}
	if last.N != 3 {
		t.Fatalf("last line %+v", last)
	}
	_, err = runEval(t, "greeting\t-\tchào\nrepport\t-\tđường hư\n")
	if !errors.Is(err, ErrBadExample) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "repport") {
		t.Fatalf("unknown intent: %v", err)
	}
}

func TestRunCLIUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"no subcommand", nil},
		{"unknown subcommand", []string{"fly"}},
		{"classify without text", []string{"classify"}},
		{"eval without data", []string{"eval"}},
		{"bad flag", []string{"train", "--seed", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := RunCLI(context.Background(), tt.args, &out, &out); !errors.Is(err, ErrUsage) {
				t.Errorf("RunCLI(%q) error = %v, want ErrUsage", tt.args, err)
			}
		})
	}
}
