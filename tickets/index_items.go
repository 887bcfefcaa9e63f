package tickets

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"
)

// The in-memory index answers a page of the list from memory: every summary holds its
// ticket's list item (the ticket without history, search text or outbox) encoded in BSON,
// 450 to 650 bytes for a ticket of a few lines. Reading the page's 50 items from FerretDB,
// even by _id, costs tens of milliseconds (docs/benchmarks.md), and FerretDB 1.24 pushes no
// other filter down: {_id: {$in: [...]}} would scan the collection.
//
// An item is exact: load takes it from the store; a write of this module records the ticket
// it wrote (put), which is what the store then holds, except for attachments, which are
// added without a new version: a ticket that has or may have attachments (attachedTo) gets
// its item only from a read of the store, made after the page was chosen and kept only if
// no write came since (its summary's generation did not move). Items are bounded: one larger
// than maxItemSize (a ticket with many comments) is not kept, and beyond maxItemBytes in all
// the oldest tickets' items are dropped. A page reads by _id, fetchConcurrency at a time, the
// items the summaries do not hold, and keeps them (in the summary while there is room, else
// in itemCache).

const (
	// maxItemSize is the largest encoded list item a summary holds.
	maxItemSize = 4 << 10
	// maxItemBytes bounds the items all summaries hold: about 450,000 tickets' worth.
	maxItemBytes = 256 << 20
	// fetchConcurrency bounds the reads by _id of one page.
	fetchConcurrency = 8
)

// encodeItem returns t's list item encoded, or nil when it is larger than maxItemSize.
func encodeItem(t *Ticket) []byte {
	it := *t
	it.History, it.Search = nil, ""
	raw, err := bson.Marshal(it)
	if err != nil || len(raw) > maxItemSize {
		return nil
	}
	return raw
}

// putItemLocked records the item of a ticket a write of this module left as t, unless the
// ticket may have attachments t does not show.
func (x *memIndex) putItemLocked(s *summary, t *Ticket) {
	s.attachedTo = s.attachedTo || len(t.Attachments) > 0
	if s.attachedTo {
		x.keepItemLocked(s, nil)
		return
	}
	x.keepItemLocked(s, encodeItem(t))
}

// keepItemLocked makes raw (nil: none) s's item, within the budget (maxItemBytes).
func (x *memIndex) keepItemLocked(s *summary, raw []byte) {
	x.itemBytes -= len(s.item)
	s.item = nil
	if raw == nil || (x.itemBytes+len(raw) > x.itemBudget && !x.dropOldestLocked(len(raw))) {
		return
	}
	s.item = raw
	x.itemBytes += len(raw)
}

// dropOldestLocked drops the items of the oldest tickets until need more bytes fit in
// the budget, and reports whether they do. While loading it drops nothing: the ordered
// list is not built yet.
func (x *memIndex) dropOldestLocked(need int) bool {
	for range 2 { // from where the last drop stopped, then once more from the oldest
		for ; x.dropFrom < len(x.order); x.dropFrom++ {
			if x.itemBytes+need <= x.itemBudget {
				return true
			}
			s := x.order[x.dropFrom]
			x.itemBytes -= len(s.item)
			s.item = nil
		}
		x.dropFrom = 0
	}
	return x.itemBytes+need <= x.itemBudget
}

// itemRef names a ticket of a page, the generation its summary had when the page was
// chosen, and the item the summary held then (nil: none).
type itemRef struct {
	code Code
	gen  uint64
	item []byte
}

// fetch returns tickets in the order given, without history: decoded from the items the
// refs hold, else from the item cache when it holds them at their generation, else read by
// _id (and then kept). A ticket missing from the store is left out.
func (x *memIndex) fetch(ctx context.Context, refs []itemRef) ([]Ticket, error) {
	got := make([]*Ticket, len(refs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i, ref := range refs {
		if ref.item != nil {
			var t Ticket
			if err := bson.Unmarshal(ref.item, &t); err != nil {
				return nil, fmt.Errorf("decode list item of %s: %w", ref.code, err)
			}
			got[i] = &t
			continue
		}
		if t, ok := x.items.get(ref.code, ref.gen); ok {
			got[i] = &t
			continue
		}
		g.Go(func() error {
			var t Ticket
			err := x.coll.FindOne(ctx, bson.M{"_id": string(ref.code)}, options.FindOne().SetProjection(listProjection)).Decode(&t)
			if err == mongo.ErrNoDocuments {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read ticket %s: %w", ref.code, err)
			}
			got[i] = &t
			x.keepRead(&t, ref.gen)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]Ticket, 0, len(refs))
	for _, t := range got {
		if t != nil {
			out = append(out, *t)
		}
	}
	return out, nil
}

// keepRead keeps the item of a ticket read from the store after a page chose it at
// generation gen: in its summary if no write came since and there is room, else in the item
// cache. Read after the page was chosen, it is at least as new as generation gen, and a
// write since has moved the generation on, so the item is never used stale.
func (x *memIndex) keepRead(t *Ticket, gen uint64) {
	x.mu.Lock()
	s := x.byCode[t.Code]
	if s != nil && s.gen == gen && s.item == nil {
		x.keepItemLocked(s, encodeItem(t))
	}
	kept := s != nil && s.item != nil
	x.mu.Unlock()
	if !kept {
		x.items.add(*t, gen)
	}
}

// itemCache keeps the list items of tickets the in-memory index read lately and does not
// hold in their summaries (larger than maxItemSize, or beyond maxItemBytes), so that a page
// shown again is answered without reading the store. An item is good only while its
// ticket's summary has the generation the item was read at: every write of this module and
// every attachment moves the generation on (memIndex.put, memIndex.touch), after the write
// is in the store. Memory: about 1 to 2 KiB an item, maxItems items at most.
type itemCache struct {
	mu    sync.Mutex
	max   int
	items map[Code]*list.Element // of *cachedItem
	lru   list.List              // most recently used first
}

// maxItems bounds the cache: 200 pages of 50.
const maxItems = 10000

type cachedItem struct {
	gen uint64
	t   Ticket
}

func newItemCache(max int) *itemCache {
	return &itemCache{max: max, items: map[Code]*list.Element{}}
}

// get returns the cached item of code if it was read at generation gen.
func (c *itemCache) get(code Code, gen uint64) (Ticket, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[code]
	if !ok {
		return Ticket{}, false
	}
	it := e.Value.(*cachedItem)
	if it.gen != gen {
		c.lru.Remove(e)
		delete(c.items, code)
		return Ticket{}, false
	}
	c.lru.MoveToFront(e)
	return shareless(it.t), true
}

// add records t as read at generation gen, evicting the least recently used item when full.
func (c *itemCache) add(t Ticket, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[t.Code]; ok {
		e.Value = &cachedItem{gen: gen, t: shareless(t)}
		c.lru.MoveToFront(e)
		return
	}
	c.items[t.Code] = c.lru.PushFront(&cachedItem{gen: gen, t: shareless(t)})
	for c.lru.Len() > c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.items, last.Value.(*cachedItem).t.Code)
	}
}

// shareless returns t with slices of its own, so that the cache and its callers never share
// a backing array.
func shareless(t Ticket) Ticket {
	t.Merged = slices.Clone(t.Merged)
	t.Comments = slices.Clone(t.Comments)
	t.Attachments = slices.Clone(t.Attachments)
	t.History, t.Duplicates, t.Search = nil, nil, ""
	return t
}
