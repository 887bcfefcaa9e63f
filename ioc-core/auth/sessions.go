package auth

import (
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// sessionTTL is how long a checked token is trusted without reading the store again. A
// revocation, a disabled account or a changed role made on this node takes effect at once;
// one made on another node, within sessionTTL.
const sessionTTL = 5 * time.Second

// sessionCap bounds the cache; when full it is emptied.
const sessionCap = 10000

// sessions remembers the principals of recently checked tokens, so a request costs no store
// reads for its token and account (two round trips on every API call otherwise).
type sessions struct {
	mu sync.Mutex
	m  map[string]session // by token hash
}

type session struct {
	p       httpapi.Principal
	expires time.Time // the token's own expiry
	until   time.Time // trusted until
}

func (c *sessions) get(hash string, now time.Time) (*httpapi.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[hash]
	if !ok || now.After(s.until) || now.After(s.expires) {
		return nil, false
	}
	p := s.p
	return &p, true
}

func (c *sessions) put(hash string, p *httpapi.Principal, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= sessionCap {
		c.m = map[string]session{}
	}
	c.m[hash] = session{p: *p, expires: expires, until: now.Add(sessionTTL)}
}

func (c *sessions) forget(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// forgetUser drops every cached token of username.
func (c *sessions) forgetUser(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, s := range c.m {
		if s.p.Username == username {
			delete(c.m, h)
		}
	}
}
