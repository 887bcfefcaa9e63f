package dialogue

import (
	"testing"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
)

// The classifier's emergency needs 0.5 when idle and 0.6 within a flow; explicit cues need
// nothing.
func TestIsEmergencyThresholds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		text   string
		intent nlu.Intent
		conf   float64
		inFlow bool
		want   bool
	}{
		{"idle, sure", "mai nha", nlu.IntentEmergency, 0.83, false, true},
		{"idle, barely ahead", "mai nha", nlu.IntentEmergency, 0.32, false, false},
		{"idle, at the threshold", "mai nha", nlu.IntentEmergency, 0.5, false, true},
		{"in a flow, below", "mai nha", nlu.IntentEmergency, 0.55, true, false},
		{"in a flow, above", "mai nha", nlu.IntentEmergency, 0.6, true, true},
		{"another intent", "mai nha", nlu.IntentReport, 0.99, false, false},
		{"explicit cue, unsure classifier", "nhà hàng xóm đang cháy", nlu.IntentReport, 0.2, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := nlu.Normalize(tc.text)
			tr := &turn{text: tc.text, norm: n, cue: cueTextOf(n), res: nlu.Result{Intent: tc.intent, IntentConfidence: tc.conf}}
			if got := (&Engine{}).isEmergency(tr, tc.inFlow); got != tc.want {
				t.Fatalf("isEmergency = %v, want %v", got, tc.want)
			}
		})
	}
}
