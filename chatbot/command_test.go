package chatbot

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestClassifyMatchesDemoWards: `ioc1022 chatbot classify` without --units finds the demo
// province's wards, by an old name typed without diacritics too.
func TestClassifyMatchesDemoWards(t *testing.T) {
	var out, errs bytes.Buffer
	cmd := New(nil).Commands()[0]
	if err := cmd.Run(context.Background(), []string{"classify", "đường ở hoa khanh bac bị ngập sâu"}, &out, &errs); err != nil {
		t.Fatalf("%v: %s", err, errs.String())
	}
	var got struct {
		Entities struct {
			Units []struct{ Code, Text string } `json:"units"`
		} `json:"entities"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Entities.Units) != 1 || got.Entities.Units[0].Code != "20182" {
		t.Fatalf("units %+v in %s", got.Entities.Units, out.String())
	}
}
