package store

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
)

// The embedded FerretDB v1.24 (SQLite) runs a conditional update as a read and then a write
// that other writes can slip between: eight concurrent findOneAndUpdate calls on the same
// version can all "win" (TestConditionalUpdatesAreAtomic). The embedded store only ever has
// this one process as its client, so the client serialises write commands itself: a dialer
// whose connections hold one process-wide lock from sending a write command until its reply
// has been read. Reads stay concurrent. SQLite takes one writer at a time anyway, so little
// throughput is lost; a real MongoDB needs none of this and gets a plain dialer.

// serialDialer dials connections that serialise write commands on mu.
type serialDialer struct {
	d  net.Dialer
	mu *sync.Mutex
}

// DialContext implements the driver's ContextDialer.
func (s serialDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := s.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &serialConn{Conn: c, mu: s.mu}, nil
}

// serialConn is used by one operation at a time, as the driver does with its connections,
// but the driver may Close it from another goroutine when an operation's context ends.
type serialConn struct {
	net.Conn
	mu *sync.Mutex // the process-wide write lock

	state   sync.Mutex // guards the fields below
	held    bool
	closed  bool
	header  [4]byte
	have    int // bytes of the reply read so far
	replyTo int // the reply's length once known
}

// writeCommands change data; they run one at a time.
var writeCommands = map[string]bool{"insert": true, "update": true, "delete": true, "findAndModify": true,
	"createIndexes": true, "dropIndexes": true, "drop": true, "dropDatabase": true, "create": true}

// commandName returns the command of an OP_MSG wire message written in one piece.
func commandName(msg []byte) string {
	const opMsg = 2013
	// header (16) + flagBits (4) + section kind (1) + document length (4) + element type (1)
	if len(msg) < 27 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg || msg[20] != 0 {
		return ""
	}
	key := msg[26:]
	for i, b := range key {
		if b == 0 {
			return string(key[:i])
		}
	}
	return ""
}

func (c *serialConn) Write(b []byte) (int, error) {
	if writeCommands[commandName(b)] {
		if err := c.acquire(); err != nil {
			return 0, err
		}
	}
	n, err := c.Conn.Write(b)
	if err != nil {
		c.release()
	}
	return n, err
}

// acquire takes the write lock for the command being sent, unless this connection has it.
func (c *serialConn) acquire() error {
	c.state.Lock()
	held, closed := c.held, c.closed
	c.state.Unlock()
	if held {
		return nil
	}
	if closed {
		return net.ErrClosed
	}
	c.mu.Lock()
	c.state.Lock()
	defer c.state.Unlock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.held, c.have, c.replyTo = true, 0, 0
	return nil
}

func (c *serialConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.state.Lock()
	done := false
	if c.held {
		for i := 0; i < n && c.have+i < 4; i++ {
			c.header[c.have+i] = p[i]
		}
		c.have += n
		if c.replyTo == 0 && c.have >= 4 {
			c.replyTo = int(binary.LittleEndian.Uint32(c.header[:]))
		}
		done = c.replyTo > 0 && c.have >= c.replyTo
	}
	c.state.Unlock()
	if done || err != nil {
		c.release()
	}
	return n, err
}

func (c *serialConn) Close() error {
	c.state.Lock()
	c.closed = true
	c.state.Unlock()
	c.release()
	return c.Conn.Close()
}

func (c *serialConn) release() {
	c.state.Lock()
	defer c.state.Unlock()
	if c.held {
		c.held = false
		c.mu.Unlock()
	}
}
