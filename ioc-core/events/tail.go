package events

import (
	"strings"
	"sync"
)

// tailCap bounds the events a tail keeps; when full, its older half is dropped.
const tailCap = 20000

// tail keeps the newest events this node appended to the log, so that consumers that keep
// up read them from memory. On FerretDB a read by sequence number scans and sorts the whole
// log (only {_id} filters reach its tables), and every consumer reads at every wake-up and
// poll. The tail is used only there, where this node is the store's one writer; readers
// further behind than the tail go to the store.
type tail struct {
	mu   sync.RWMutex
	on   bool
	from int64   // the tail holds every event from this sequence number on
	evs  []Event // consecutive sequence numbers from `from`
}

// reset empties the tail: it holds everything from next on.
func (t *tail) reset(next int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on, t.from, t.evs = true, next, nil
}

// add records events just appended with consecutive sequence numbers following the tail's.
// Events that do not follow (another writer took numbers) empty it from after them.
func (t *tail) add(evs []Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on || len(evs) == 0 {
		return
	}
	for _, ev := range evs {
		if ev.Seq != t.from+int64(len(t.evs)) {
			t.from, t.evs = evs[len(evs)-1].Seq+1, nil
			return
		}
		t.evs = append(t.evs, ev)
	}
	if len(t.evs) > tailCap {
		drop := len(t.evs) - tailCap/2
		t.evs = append([]Event(nil), t.evs[drop:]...)
		t.from += int64(drop)
	}
}

// read returns up to limit events after seq whose type starts with prefix, and whether the
// tail could answer.
func (t *tail) read(after int64, limit int, prefix string) ([]Event, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.on || after+1 < t.from {
		return nil, false
	}
	var out []Event
	for i := int(after + 1 - t.from); i < len(t.evs) && len(out) < limit; i++ {
		if prefix == "" || strings.HasPrefix(t.evs[i].Type, prefix) {
			out = append(out, t.evs[i])
		}
	}
	return out, true
}
