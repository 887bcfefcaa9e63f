package tickets

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// memIndex keeps a summary of every ticket in memory, for a store this process alone writes
// (see ticketIndex). Lists and a phone's tickets filter the summaries and then read the
// page's list items from the summaries, which hold them encoded (index_items.go), reading
// by _id only those it does not hold; the duplicate search answers from the summaries alone;
// the sweeper's crossing deadlines come from a min-heap on the next deadline, so a sweep
// costs in proportion to the tickets that cross. Memory: about 500 bytes a ticket (folded
// search text included), its list item (450 to 650 bytes, maxItemBytes in all), and the
// items of itemCache.
//
// It is filled in the background after the node listens (load), while writes go on: until
// then it keeps byCode alone, where the load and the writes meet under mu and the higher
// version wins, and it answers every query with errIndexLoading: the store would answer
// them by a scan as long as the load itself (5.6 minutes for one duplicate search beside
// the load of 200,000 tickets, docs/benchmarks.md).
type memIndex struct {
	coll *mongo.Collection

	mu      sync.RWMutex
	loading bool          // until load has filled the index: only byCode is kept
	loaded  chan struct{} // closed when loading ends
	byCode  map[Code]*summary
	order   []*summary            // by (created, code) ascending
	phones  map[string][]*summary // by created ascending
	// sets holds, in the order of order, the tickets of each department ("d:" + code) and
	// of each status ("s:" + status): a list walks the shortest that applies.
	sets map[string][]*summary
	due  deadlineHeap

	itemBytes  int           // the size of the summaries' items (keepItemLocked)
	itemBudget int           // the most itemBytes may be: maxItemBytes, less in tests
	dropFrom   int           // where in order dropOldestLocked goes on
	attached   map[Code]bool // while loading: tickets touched before load had read them
	items      *itemCache    // list items read lately that no summary holds, by code and generation
	hook       func()        // tests: runs after load has read the store, before its last batch
}

// summary is what the index knows of one ticket. Times are truncated to the millisecond, as
// the store keeps them, so that comparisons with a cursor read back from a document agree.
type summary struct {
	code       Code
	version    int64
	status     Status
	department string
	category   string
	ward       string
	channel    string
	phone      string
	created    time.Time
	overdue    bool
	location   *Location
	search     string    // searchText: the folded code, description, address and reporter's name
	descEnd    int       // search[len(code)+1:descEnd] is the folded description
	next       time.Time // zero when the ticket has no next deadline
	heapAt     int       // position in due, -1 when not there
	gen        uint64    // moves on after every write of the ticket (itemCache)
	// item is the ticket's list item encoded, as of generation gen, or nil (index_items.go).
	item []byte
	// attachedTo says that the ticket has or may have attachments: a write's ticket may
	// then miss some (attaching does not move the version), so only a read of the store
	// gives its item.
	attachedTo bool
}

// newMemIndex returns an empty index that answers nothing until load has filled it.
func newMemIndex(coll *mongo.Collection) *memIndex {
	return &memIndex{coll: coll, loading: true, loaded: make(chan struct{}), byCode: map[Code]*summary{},
		phones: map[string][]*summary{}, sets: map[string][]*summary{}, attached: map[Code]bool{},
		itemBudget: maxItemBytes, items: newItemCache(maxItems)}
}

// loadBatch is how many tickets load decodes between two takes of the lock.
const loadBatch = 500

// load reads every ticket once, as a list item (without history), and then builds the
// ordered lists and the heap. Writes may run meanwhile: put records them in byCode, and
// load keeps a summary put recorded unless it read a higher version, so neither overwrites
// a newer state. It may run again after an error. It must not run after it succeeded.
func (x *memIndex) load(ctx context.Context) error {
	cur, err := x.coll.Find(ctx, bson.M{}, options.Find().SetProjection(listProjection).SetBatchSize(2000))
	if err != nil {
		return fmt.Errorf("load ticket index: %w", err)
	}
	defer func() { _ = cur.Close(ctx) }()
	batch := make([]Ticket, 0, loadBatch)
	for cur.Next(ctx) {
		batch = append(batch, Ticket{})
		if err := cur.Decode(&batch[len(batch)-1]); err != nil {
			return fmt.Errorf("load ticket index: %w", err)
		}
		if len(batch) == loadBatch {
			x.merge(batch)
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("load ticket index: %w", err)
	}
	if x.hook != nil {
		x.hook()
	}
	x.merge(batch)
	x.finish()
	return nil
}

// merge records tickets read by load, unless put recorded the same or a newer version.
func (x *memIndex) merge(batch []Ticket) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range batch {
		t := &batch[i]
		s := x.byCode[t.Code]
		switch {
		case s == nil:
			s = &summary{code: t.Code, created: ms(t.CreatedAt), phone: t.Reporter.Phone, heapAt: -1,
				attachedTo: x.attached[t.Code]}
			x.byCode[t.Code] = s
		case t.Version <= s.version:
			continue
		}
		x.setLocked(s, t)
		// Read from the store: its attachments are right, unless one was added after the
		// read (touch marked the ticket then).
		item := encodeItem(t)
		if s.attachedTo {
			item = nil
		}
		s.attachedTo = s.attachedTo || len(t.Attachments) > 0
		x.keepItemLocked(s, item)
	}
}

// finish builds the ordered lists, the sets and the heap from byCode, and ends loading.
func (x *memIndex) finish() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.order = make([]*summary, 0, len(x.byCode))
	for _, s := range x.byCode {
		x.order = append(x.order, s)
	}
	// The store returns documents in its own order: sort once, not per insert.
	slices.SortFunc(x.order, byCreation)
	for _, s := range x.order {
		if s.phone != "" {
			x.phones[s.phone] = append(x.phones[s.phone], s)
		}
		for _, k := range setKeys(s) {
			x.sets[k] = append(x.sets[k], s)
		}
		if !s.next.IsZero() {
			s.heapAt = len(x.due)
			x.due = append(x.due, s)
		}
	}
	heap.Init(&x.due)
	x.attached = nil
	x.loading = false
	close(x.loaded)
}

func (x *memIndex) ready() <-chan struct{} { return x.loaded }

func (x *memIndex) isLoading() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.loading
}

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func (x *memIndex) put(t *Ticket) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.byCode[t.Code]
	if x.loading {
		x.putLoadingLocked(s, t)
		return
	}
	switch {
	case s == nil:
		s = &summary{code: t.Code, created: ms(t.CreatedAt), phone: t.Reporter.Phone, heapAt: -1}
		x.byCode[t.Code] = s
		x.setLocked(s, t)
		x.insertLocked(s)
	case t.Version <= s.version:
		return
	default:
		was := setKeys(s)
		x.setLocked(s, t)
		for i, k := range setKeys(s) {
			if k != was[i] {
				x.sets[was[i]] = removeSorted(x.sets[was[i]], s)
				x.sets[k] = insertSorted(x.sets[k], s)
			}
		}
	}
	s.gen++
	x.putItemLocked(s, t)
	switch {
	case t.NextDeadline == nil && s.heapAt >= 0:
		heap.Remove(&x.due, s.heapAt)
	case t.NextDeadline == nil:
	case s.heapAt >= 0:
		heap.Fix(&x.due, s.heapAt)
	default:
		heap.Push(&x.due, s)
	}
}

// putLoadingLocked records a write while load runs: in byCode alone, which finish orders.
func (x *memIndex) putLoadingLocked(s *summary, t *Ticket) {
	switch {
	case s == nil:
		s = &summary{code: t.Code, created: ms(t.CreatedAt), phone: t.Reporter.Phone, heapAt: -1}
		x.byCode[t.Code] = s
	case t.Version <= s.version:
		return
	}
	x.setLocked(s, t)
	s.gen++
	x.putItemLocked(s, t)
}

// touch records that a ticket's document changed without a new version (attachments), so
// that no list item read before is used again.
func (x *memIndex) touch(code Code) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.byCode[code]
	if s == nil {
		if x.loading { // load may hold it read before the attachment: merge must not keep that item
			x.attached[code] = true
		}
		return
	}
	s.gen++
	s.attachedTo = true
	x.keepItemLocked(s, nil)
}

// setLocked copies a ticket's indexed fields into its summary, leaving its place in the
// lists and the heap to the caller.
func (x *memIndex) setLocked(s *summary, t *Ticket) {
	s.version, s.status, s.department, s.category = t.Version, t.Status, t.Department, t.Category
	s.ward, s.channel, s.overdue, s.location = t.Ward, t.Channel, t.Overdue, nil
	if t.Location != nil {
		loc := *t.Location
		s.location = &loc
	}
	desc := refdata.Fold(t.Description)
	s.search = refdata.Fold(strings.Join([]string{string(t.Code), t.Description, t.Address, t.Reporter.Name}, " "))
	s.descEnd = min(len(t.Code)+1+len(desc), len(s.search))
	s.next = time.Time{}
	if t.NextDeadline != nil {
		s.next = ms(*t.NextDeadline)
	}
}

// insertLocked adds a new summary to the ordered lists; new tickets mostly go at the end.
func (x *memIndex) insertLocked(s *summary) {
	x.order = insertSorted(x.order, s)
	if s.phone != "" {
		x.phones[s.phone] = insertSorted(x.phones[s.phone], s)
	}
	for _, k := range setKeys(s) {
		x.sets[k] = insertSorted(x.sets[k], s)
	}
}

// setKeys names the sets a summary belongs to: its department's and its status's.
func setKeys(s *summary) [2]string {
	return [2]string{"d:" + s.department, "s:" + string(s.status)}
}

// insertSorted inserts s into a list ordered by creation; new tickets mostly go at the end.
func insertSorted(l []*summary, s *summary) []*summary {
	i := len(l)
	for i > 0 && before(s, l[i-1]) {
		i--
	}
	return slices.Insert(l, i, s)
}

// removeSorted removes s from a list ordered by creation.
func removeSorted(l []*summary, s *summary) []*summary {
	i, found := slices.BinarySearchFunc(l, s, byCreation)
	if !found {
		return l
	}
	return slices.Delete(l, i, i+1)
}

// byCreation compares summaries by creation, then code.
func byCreation(a, b *summary) int {
	if c := a.created.Compare(b.created); c != 0 {
		return c
	}
	return strings.Compare(string(a.code), string(b.code))
}

// before orders summaries by creation, then code.
func before(a, b *summary) bool {
	if c := a.created.Compare(b.created); c != 0 {
		return c < 0
	}
	return a.code < b.code
}

func (x *memIndex) list(ctx context.Context, q listQuery) ([]Ticket, error) {
	x.mu.RLock()
	if x.loading {
		x.mu.RUnlock()
		return nil, errIndexLoading
	}
	walk := x.candidatesLocked(q)
	end := len(walk)
	if c := q.cursor; c != nil {
		at := ms(c.At)
		end, _ = slices.BinarySearchFunc(walk, c, func(s *summary, _ *listCursor) int {
			if s.created.Equal(at) {
				return strings.Compare(string(s.code), string(c.Code))
			}
			return s.created.Compare(at)
		})
	}
	var refs []itemRef
	for i := end - 1; i >= 0 && len(refs) < q.limit; i-- {
		s := walk[i]
		if q.from != nil && s.created.Before(*q.from) {
			break
		}
		if q.matches(s) {
			refs = append(refs, itemRef{s.code, s.gen, s.item})
		}
	}
	x.mu.RUnlock()
	return x.fetch(ctx, refs)
}

// candidatesLocked returns the shortest list, in creation order, that holds every ticket
// matching q: the one department's, the one status's, or all tickets.
func (x *memIndex) candidatesLocked(q listQuery) []*summary {
	walk := x.order
	if len(q.departments) == 1 {
		if l := x.sets["d:"+q.departments[0]]; len(l) < len(walk) {
			walk = l
		}
	}
	if len(q.statuses) == 1 {
		if l := x.sets["s:"+string(q.statuses[0])]; len(l) < len(walk) {
			walk = l
		}
	}
	return walk
}

// matches reports whether a summary passes every filter of q but the cursor and q.from.
func (q *listQuery) matches(s *summary) bool {
	switch {
	case q.departments != nil && !slices.Contains(q.departments, s.department),
		len(q.statuses) > 0 && !slices.Contains(q.statuses, s.status),
		q.category != "" && s.category != q.category,
		q.ward != "" && s.ward != q.ward,
		q.channel != "" && s.channel != q.channel,
		q.overdue != nil && s.overdue != *q.overdue,
		q.to != nil && !s.created.Before(*q.to),
		q.text != "" && !strings.Contains(s.search, q.text):
		return false
	}
	return true
}

func (x *memIndex) duplicateCandidates(_ context.Context, t *Ticket, since time.Time) ([]Ticket, error) {
	if t.Category == "" {
		return nil, nil // the store has no ticket with an empty category: it omits the field
	}
	since = ms(since)
	if x.isLoading() { // the store would take as long as the load (a scan and a sort)
		return nil, errIndexLoading
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Ticket
	for i := len(x.order) - 1; i >= 0 && len(out) < duplicateScan; i-- {
		s := x.order[i]
		if s.created.Before(since) {
			break
		}
		if s.category != t.Category || s.code == t.Code || !slices.Contains(dupStatuses, s.status) {
			continue
		}
		c := Ticket{Code: s.code, Status: s.status, Category: s.category, Ward: s.ward, CreatedAt: s.created,
			Description: s.search[min(len(s.code)+1, s.descEnd):s.descEnd]}
		if s.location != nil {
			loc := *s.location
			c.Location = &loc
		}
		out = append(out, c)
	}
	return out, nil
}

func (x *memIndex) crossing(_ context.Context, now, after time.Time, afterCode Code, limit int) ([]deadline, error) {
	x.mu.RLock()
	if x.loading {
		x.mu.RUnlock()
		return nil, errIndexLoading
	}
	var out []deadline
	var walk func(i int)
	walk = func(i int) { // the heap's nodes due at now form a subtree at its root
		if i >= len(x.due) || x.due[i].next.After(now) {
			return
		}
		s := x.due[i]
		if afterCode == "" || s.next.After(after) || (s.next.Equal(after) && s.code > afterCode) {
			out = append(out, deadline{code: s.code, at: s.next})
		}
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b deadline) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.code, b.code)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (x *memIndex) byPhone(ctx context.Context, phone string, limit int) ([]Ticket, error) {
	x.mu.RLock()
	if x.loading {
		x.mu.RUnlock()
		return nil, errIndexLoading
	}
	ps := x.phones[phone]
	var refs []itemRef
	for i := len(ps) - 1; i >= 0 && len(refs) < limit; i-- {
		refs = append(refs, itemRef{ps[i].code, ps[i].gen, ps[i].item})
	}
	x.mu.RUnlock()
	return x.fetch(ctx, refs)
}

// deadlineHeap is a min-heap of summaries by next deadline; each knows its position.
type deadlineHeap []*summary

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if c := h[i].next.Compare(h[j].next); c != 0 {
		return c < 0
	}
	return h[i].code < h[j].code
}
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapAt, h[j].heapAt = i, j
}
func (h *deadlineHeap) Push(v any) {
	s := v.(*summary)
	s.heapAt = len(*h)
	*h = append(*h, s)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.heapAt = -1
	return s
}
