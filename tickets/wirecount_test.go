package tickets_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// wireCounter is a TCP proxy in front of a store that counts the commands a node sends, by
// command and collection ("insert tickets", "find events"). The create benchmark uses it
// (-bench.wire) to tell how many store round trips one ticket costs.
type wireCounter struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	counts map[string]int
}

// countedStore starts an embedded store for b and a counting proxy in front of it, and
// returns the proxy's URI. Both stop when b ends.
func countedStore(b *testing.B) (*wireCounter, string) {
	uri, stop, err := store.Serve(context.Background(), b.TempDir(), "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	u, err := url.Parse(uri)
	if err != nil {
		b.Fatal(err)
	}
	host := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	w := &wireCounter{ln: ln, target: host, counts: map[string]int{}}
	b.Cleanup(func() { _ = ln.Close() })
	go w.serve()
	return w, "mongodb://" + ln.Addr().String() + "/"
}

func (w *wireCounter) serve() {
	for {
		c, err := w.ln.Accept()
		if err != nil {
			return
		}
		go w.relay(c)
	}
}

func (w *wireCounter) relay(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", w.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(c, s) }()
	var head [16]byte
	for {
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(head[:4]))
		if n < 16 {
			return
		}
		body := make([]byte, n-16)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if binary.LittleEndian.Uint32(head[12:]) == 2013 && len(body) > 5 && body[4] == 0 {
			w.count(bson.Raw(body[5:]))
		}
		if _, err := s.Write(append(head[:], body...)); err != nil {
			return
		}
	}
}

// count records an OP_MSG body document: its first key is the command, whose value is the
// collection for CRUD commands.
func (w *wireCounter) count(doc bson.Raw) {
	elems, err := doc.Elements()
	if err != nil || len(elems) == 0 {
		return
	}
	key := elems[0].Key()
	if coll, ok := elems[0].Value().StringValueOK(); ok {
		key += " " + coll
	}
	w.mu.Lock()
	w.counts[key]++
	w.mu.Unlock()
}

// take returns the counts so far and starts again from zero.
func (w *wireCounter) take() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.counts
	w.counts = map[string]int{}
	return out
}

// reportWire prints counts per operation, most frequent first.
func reportWire(b *testing.B, what string, counts map[string]int, ops int) {
	keys := make([]string, 0, len(counts))
	total := 0
	for k, n := range counts {
		keys = append(keys, k)
		total += n
	}
	slices.SortFunc(keys, func(a, c string) int { return counts[c] - counts[a] })
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %d commands for %d operations, %.2f each:", what, total, ops, float64(total)/float64(ops))
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n  %-40s %7d  %.2f per op", k, counts[k], float64(counts[k])/float64(ops))
	}
	fmt.Println(sb.String())
}
