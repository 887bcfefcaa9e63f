package events

import (
	"fmt"
	"testing"
)

func seqEvents(from, n int64, typ string) []Event {
	evs := make([]Event, n)
	for i := range evs {
		seq := from + int64(i)
		evs[i] = Event{ID: fmt.Sprint("e", seq), Seq: seq, Type: typ}
	}
	return evs
}

func TestTailAnswersOnlyWhatItHoldsWhole(t *testing.T) {
	var tl tail
	if _, ok := tl.read(0, 10, ""); ok {
		t.Fatal("a tail that was never started answered")
	}
	tl.reset(11) // events 1..10 are in the store only
	tl.add(seqEvents(11, 5, "ticket.created"))
	tl.add(seqEvents(16, 5, "call.ended"))

	if _, ok := tl.read(9, 10, ""); ok {
		t.Error("read after 9 answered from the tail, which starts at 11")
	}
	got, ok := tl.read(10, 3, "")
	if !ok || len(got) != 3 || got[0].Seq != 11 || got[2].Seq != 13 {
		t.Errorf("read after 10, limit 3: %v %v", ok, got)
	}
	got, _ = tl.read(12, 100, "call.")
	if len(got) != 5 || got[0].Seq != 16 {
		t.Errorf("read after 12 with prefix call.: %v", got)
	}
	if got, ok := tl.read(20, 10, ""); !ok || len(got) != 0 {
		t.Errorf("read at the end: %v %v", ok, got)
	}

	// Another writer took 21..22: the tail starts again after the events that did not follow.
	tl.add(seqEvents(23, 2, "ticket.created"))
	if _, ok := tl.read(20, 10, ""); ok {
		t.Error("the tail answered across a gap in the sequence")
	}
	if got, ok := tl.read(24, 10, ""); !ok || len(got) != 0 {
		t.Errorf("after the gap: %v %v", ok, got)
	}
}

func TestTailDropsItsOlderHalfWhenFull(t *testing.T) {
	var tl tail
	tl.reset(1)
	tl.add(seqEvents(1, tailCap+1, "x"))
	if _, ok := tl.read(0, 1, ""); ok {
		t.Error("the oldest event is still answered from the tail")
	}
	got, ok := tl.read(tailCap, 5, "")
	if !ok || len(got) != 1 || got[0].Seq != tailCap+1 {
		t.Errorf("newest event: %v %v", ok, got)
	}
	if n := len(tl.evs); n > tailCap {
		t.Errorf("tail holds %d events", n)
	}
}
