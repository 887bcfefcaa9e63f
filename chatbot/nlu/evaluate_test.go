package nlu

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestScoreAndLastLineJSON(t *testing.T) {
	t.Parallel()
	data := []Example{
		{Intent: IntentReport, Category: CategoryHealth, Text: "có ổ dịch"},
		{Intent: IntentAskInfo, Category: CategoryCivilStatus, Text: "lam cccd o dau"},
		{Intent: IntentGreeting, Category: CategoryNone, Text: "alo"},
		{Intent: IntentReport, Category: CategoryRoadsTraffic, Text: "đường hư"},
	}
	preds := []Result{
		{Intent: IntentReport, Category: CategoryHealth, Confident: true},
		{Intent: IntentAskInfo, Category: CategoryBusiness, Confident: true},
		{Intent: IntentGreeting, Category: CategoryNone, Confident: false},
		{Intent: IntentGreeting, Category: CategoryNone, Confident: true},
	}
	rep := score(data, preds)
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("last line %q is not JSON: %v", lines[len(lines)-1], err)
	}
	want := map[string]float64{"n": 4, "intent_accuracy": 0.75, "category_accuracy": 1.0 / 3, "handoff_rate": 0.25}
	for k, v := range want {
		got, ok := last[k].(float64)
		if !ok || got < v-1e-9 || got > v+1e-9 {
			t.Errorf("%s = %v, want %v", k, last[k], v)
		}
	}
	if !strings.Contains(buf.String(), "roads_traffic") || !strings.Contains(buf.String(), "precision") {
		t.Errorf("table lacks labels:\n%s", buf.String())
	}
	if r := rep.Intents[indexOf(Intents, IntentGreeting)]; r.Precision != 0.5 || r.Recall != 1 {
		t.Errorf("greeting stats = %+v, want precision 0.5 recall 1", r)
	}
}
