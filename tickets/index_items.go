package tickets

import (
	"container/list"
	"slices"
	"sync"
)

// itemCache keeps the list items (tickets without history) of the tickets the in-memory
// index read most recently, so that a page shown again, or a page of recent tickets, is
// answered without reading the store. An item is good only while its ticket's summary has
// the generation the item was read at: every write of this module and every attachment
// moves the generation on (memIndex.put, memIndex.touch), after the write is in the store.
// Memory: about 1 to 2 KiB an item, maxItems items at most.
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
