package pbx

import (
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"golang.org/x/time/rate"
)

// scannerAgents are User-Agent fragments of the SIP scanners that probe every public PBX;
// their requests are dropped without an answer, so they learn nothing.
var scannerAgents = []string{"friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sipscan", "sundayddr",
	"iwar", "vaxsipuseragent", "pplsip", "smap", "sipsak", "siparmyknife", "cafebabe"}

func isScanner(ua string) bool {
	ua = strings.ToLower(ua)
	for _, s := range scannerAgents {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}

// guard screens every SIP request before a handler sees it: scanners are dropped, and
// sources that are not a trunk are rate limited (a carrier sends every call from a few
// addresses, so trunks are exempt).
type guard struct {
	log       *slog.Logger
	perSecond int
	isTrunk   func(netip.Addr) bool
	dropped   atomic.Int64

	mu      sync.Mutex
	buckets map[netip.Addr]*sourceBucket
	sweeps  int
}

type sourceBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newGuard(log *slog.Logger, perSecond int, isTrunk func(netip.Addr) bool) *guard {
	return &guard{log: log, perSecond: perSecond, isTrunk: isTrunk, buckets: map[netip.Addr]*sourceBucket{}}
}

// sourceIP returns the address a request came from.
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// allow takes one request of ip's budget.
func (g *guard) allow(ip netip.Addr) bool {
	if g.isTrunk(ip) {
		return true
	}
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.buckets[ip]
	if b == nil {
		g.sweepLocked(now)
		b = &sourceBucket{lim: rate.NewLimiter(rate.Limit(g.perSecond), 2*g.perSecond)}
		g.buckets[ip] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// sweepLocked forgets idle sources every 1024 new ones.
func (g *guard) sweepLocked(now time.Time) {
	g.sweeps++
	if g.sweeps%1024 != 0 {
		return
	}
	for k, b := range g.buckets {
		if now.Sub(b.seen) > time.Minute {
			delete(g.buckets, k)
		}
	}
}

// wrap returns next behind the guard.
func (g *guard) wrap(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			// A panic in a handler or in the SIP library ends this request, not the node.
			if r := recover(); r != nil {
				g.dropped.Add(1)
				g.log.Error("sip handler panic", "method", req.Method.String(), "panic", r)
			}
		}()
		if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil || req.Via() == nil {
			g.dropped.Add(1) // RFC 3261 §8.1.1 mandatory headers; diago dereferences them
			if tx != nil && req.Via() != nil && req.CallID() != nil && req.CSeq() != nil {
				_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Missing Mandatory Header", nil))
			}
			return
		}
		if h := req.GetHeader("User-Agent"); h != nil && isScanner(h.Value()) {
			g.dropped.Add(1)
			return
		}
		if !g.allow(sourceIP(req)) {
			g.dropped.Add(1)
			if req.Method == sip.INVITE || req.Method == sip.REGISTER {
				res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Too Many Requests", nil)
				res.AppendHeader(sip.NewHeader("Retry-After", "5"))
				_ = tx.Respond(res)
			}
			return
		}
		next(req, tx)
	}
}
