// Package pbx is the 1022 hotline's SIP gateway, inside the ioc1022 binary: trunks and agents'
// phones register and call over SIP (sipgo), media (RTP, prompts, DTMF, bridges, recordings)
// runs on diago. Calls go through IVR menus that are data, wait in queues for agents, and
// leave a call record with events for the IOC's hotline KPIs.
//
// The PBX refuses anything that is not from a trunk or an authenticated agent (403), and no
// unauthenticated call ever goes out through a trunk. Live state (agents' states, calls
// waiting) sits behind Live so that several nodes could share it.
package pbx

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// Calendar says whether a moment is working time (the ticket engine's business hours and
// holidays); it chooses a DID's daytime or after-hours menu.
type Calendar interface {
	IsWorkingTime(t time.Time) bool
}

// TicketDesk is what the IVR and voicemail need of the ticket engine.
type TicketDesk interface {
	// TicketStatus returns a ticket's status (tickets' status names) and answer due date;
	// an error wrapping ErrTicketNotFound when there is no such ticket.
	TicketStatus(ctx context.Context, code string) (status string, due time.Time, err error)
	// VoicemailTicket creates a `new` ticket for a voicemail left by phone on call callID,
	// with the recording's API path; it returns the ticket's code.
	VoicemailTicket(ctx context.Context, phone, callID, recording string) (string, error)
}

// Module is the PBX plugged into the core. Set Calendar and Tickets before Init to connect
// the ticket engine; without a calendar every moment is working time.
type Module struct {
	Calendar Calendar
	Tickets  TicketDesk
	// Live is the live state; an in-process Memory when nil.
	Live Live
	// NormalizePhone puts a caller's number in the form tickets and contacts use; a simple
	// Vietnamese normalisation when nil.
	NormalizePhone func(string) (string, error)
	// Inbox, Contacts and Recent make the screen pop: when an agent's phone rings, the
	// agent's inbox socket gets the caller's contact, conversations and recent tickets
	// (ScreenPop). No pop when Inbox is nil; each lookup is skipped when nil.
	Inbox    Inbox
	Contacts ContactFinder
	Recent   RecentTickets
	// Clock tells the time the calendar is asked about; time.Now when nil (tests set it).
	Clock func() time.Time

	// playHook, when set (tests), is told the prompts the ticket lookup plays.
	playHook func(CallID, []string)
	// inviteHook, when set (tests), runs before a new INVITE is served: a slow node.
	inviteHook atomic.Pointer[func(*sip.Request)]

	cfg     config.PBX
	demo    bool
	dataDir string
	log     *slog.Logger
	st      *store.Store
	bus     *events.Bus
	users   *auth.Service

	dialplan atomic.Pointer[Dialplan]
	dir      *directory
	locs     *locations
	digest   *digester
	guard    *guard
	invites  pendingInvites // INVITEs being served, for ACKs and CANCELs on another branch
	prompts  *prompts

	ua     *sipgo.UserAgent
	dg     *diago.Diago
	server *sipgo.Server
	udp    net.PacketConn
	tcp    net.Listener
	tls    net.Listener                   // nil unless pbx.tls_listen
	addr   atomic.Pointer[netip.AddrPort] // the bound SIP address (UDP and TCP)

	active    atomic.Int64 // calls in progress
	calls     sync.Map     // SIP Call-ID → *call, for INFO and the API
	agentLegs sync.Map     // SIP Call-ID of an agent leg → *call, for REFER
	consults  sync.Map     // SIP Call-ID of an agent's own call → *consult, for attended transfer
	queues    *queues
	rw        *recordWriter // the call records' writer
}

// New returns the PBX module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "pbx" }

// SIPAddr is the bound SIP address (UDP and TCP share the port); valid once Run listens.
func (m *Module) SIPAddr() netip.AddrPort {
	if a := m.addr.Load(); a != nil {
		return *a
	}
	return netip.AddrPort{}
}

// TLSAddr is the bound SIP-over-TLS address; invalid when pbx.tls_listen is not set.
func (m *Module) TLSAddr() netip.AddrPort {
	if m.tls == nil {
		return netip.AddrPort{}
	}
	return m.tls.Addr().(*net.TCPAddr).AddrPort()
}

// Init implements app.Module: it loads the dialplan, the agents and the prompts, binds the
// SIP port and registers the API.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	m.cfg, m.demo, m.dataDir = c.Config.PBX, c.Config.Demo, filepath.Join(c.Config.Data.Dir, "pbx")
	m.log, m.st, m.bus, m.users = c.Log.With("module", "pbx"), c.Store, c.Events, c.Auth
	if d, ok := m.Tickets.(*ticketDesk); ok && d.prefix == "" {
		d.prefix = c.Config.Tickets.CodePrefix
	}
	if m.Live == nil {
		m.Live = NewMemory()
	}
	for _, d := range []string{"recordings", "prompts"} {
		if err := os.MkdirAll(filepath.Join(m.dataDir, d), 0o750); err != nil {
			return fmt.Errorf("pbx data dir: %w", err)
		}
	}
	m.digest = newDigester(m.cfg.Realm)
	m.locs = newLocations()
	m.dir = newDirectory(m)
	m.queues = newQueues(m)
	m.rw = newRecordWriter(m.log, collSink{m.st.C(callsCollection)},
		func(ids ...CallID) {
			refs := make([]events.Ref, len(ids))
			for i, id := range ids {
				refs[i] = events.Ref{Coll: callsCollection, ID: id}
			}
			m.bus.Kick(refs...)
		}, max(2*m.cfg.MaxCalls, 1000), func() bool { return m.active.Load() > 0 })
	if c.Metrics != nil {
		for _, col := range m.rw.collectors() {
			if err := c.Metrics.Register(col); err != nil {
				return fmt.Errorf("pbx metrics: %w", err)
			}
		}
	}
	if err := m.initStore(ctx); err != nil {
		return err
	}
	if err := m.loadDialplan(ctx); err != nil {
		return err
	}
	if err := m.dir.seedDemo(ctx); err != nil {
		return err
	}
	if err := m.dir.reload(ctx); err != nil {
		return err
	}
	p, err := loadPrompts(filepath.Join(m.dataDir, "prompts"))
	if err != nil {
		return err
	}
	m.prompts = p
	m.guard = newGuard(m.log, m.cfg.RatePerSource, m.isTrunkAddr)
	if err := m.initSIP(); err != nil {
		return err
	}
	m.registerAPI(c)
	c.Events.Source(callsCollection)
	c.Go("pbx-sip", app.RunFunc(m.runSIP))
	c.Go("pbx-records", m.rw)
	c.Go("pbx-callbacks", app.RunFunc(m.runCallbacks))
	c.Go("pbx-janitor", app.RunFunc(m.runJanitor))
	c.Listening(fmt.Sprintf("SIP (udp, tcp) on %s", m.SIPAddr()))
	if m.tls != nil {
		c.Listening(fmt.Sprintf("SIP (tls) on %s", m.TLSAddr()))
	}
	return nil
}

// initSIP binds UDP and TCP on the same port (a free one when pbx.listen's port is 0) and
// builds the sipgo server and diago on it.
func (m *Module) initSIP() error {
	host, port, err := net.SplitHostPort(m.cfg.Listen)
	if err != nil {
		return fmt.Errorf("pbx.listen: %w", err)
	}
	udp, tcp, err := listenPair(host, port)
	if err != nil {
		return err
	}
	ap := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	m.addr.Store(&ap)
	m.ua, err = sipgo.NewUA(sipgo.WithUserAgent("ioc1022"))
	if err != nil {
		return err
	}
	m.server, err = sipgo.NewServer(m.ua, sipgo.WithServerLogger(m.log))
	if err != nil {
		return err
	}
	ext := m.cfg.ExternalIP
	if ext == "" {
		ext = host
	}
	tr := func(network string) diago.Transport {
		return diago.Transport{Transport: network, BindHost: host, BindPort: int(ap.Port()), ExternalHost: ext,
			ExternalPort: int(ap.Port()), MediaExternalIP: net.ParseIP(ext)}
	}
	opts := []diago.DiagoOption{diago.WithServer(m.server), diago.WithLogger(m.log),
		diago.WithTransport(tr("udp")), diago.WithTransport(tr("tcp"))}
	if m.cfg.TLSListen != "" {
		t, err := m.listenTLS(ext)
		if err != nil {
			_ = udp.Close()
			_ = tcp.Close()
			return err
		}
		opts = append(opts, diago.WithTransport(t))
	}
	m.dg = diago.NewDiago(m.ua, append(opts,
		diago.WithServerRequestMiddleware(func(next sipgo.RequestHandler) sipgo.RequestHandler {
			return m.guard.wrap(m.invites.wrap(m.watchHold(next)))
		}))...)
	m.dg.HandleFunc(m.onInvite)
	// diago answers INFO and REFER with 406 and has no registrar: these handlers replace and add.
	m.server.OnInfo(m.guard.wrap(m.onInfo))
	m.server.OnRefer(m.guard.wrap(m.onRefer))
	m.server.OnRegister(m.guard.wrap(m.onRegister))
	m.server.OnNoRoute(m.guard.wrap(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusMethodNotAllowed, "Method Not Allowed", nil))
	}))
	m.udp, m.tcp = udp, tcp
	return nil
}

// listenTLS binds pbx.tls_listen with the configured certificate and returns diago's
// transport for it (Contact and SDP on ext).
func (m *Module) listenTLS(ext string) (diago.Transport, error) {
	cert, err := tls.LoadX509KeyPair(m.cfg.TLSCert, m.cfg.TLSKey)
	if err != nil {
		return diago.Transport{}, fmt.Errorf("pbx.tls_cert/tls_key: %w", err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	l, err := tls.Listen("tcp", m.cfg.TLSListen, conf)
	if err != nil {
		return diago.Transport{}, fmt.Errorf("listen sip tls: %w", err)
	}
	m.tls = l
	host, _, _ := net.SplitHostPort(m.cfg.TLSListen)
	port := int(m.TLSAddr().Port())
	return diago.Transport{Transport: "tls", BindHost: host, BindPort: port, ExternalHost: ext, ExternalPort: port,
		MediaExternalIP: net.ParseIP(ext), TLSConf: conf}, nil
}

// listenPair binds UDP and TCP on one port of host; with port 0 it finds a port free on both.
func listenPair(host, port string) (net.PacketConn, net.Listener, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, nil, fmt.Errorf("pbx.listen port %q: %w", port, err)
	}
	for try := 0; try < 20; try++ {
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			return nil, nil, fmt.Errorf("listen sip udp: %w", err)
		}
		bound := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(bound)))
		if err == nil {
			return udp, tcp, nil
		}
		_ = udp.Close()
		if p != 0 {
			return nil, nil, fmt.Errorf("listen sip tcp: %w", err)
		}
	}
	return nil, nil, fmt.Errorf("listen sip: no port free on both udp and tcp")
}

// runSIP serves SIP until ctx ends, then hangs up the calls in progress.
func (m *Module) runSIP(ctx context.Context) error {
	errc := make(chan error, 3)
	go func() { errc <- m.server.ServeUDP(m.udp) }()
	go func() { errc <- m.server.ServeTCP(m.tcp) }()
	if m.tls != nil {
		go func() { errc <- m.server.ServeTLS(m.tls) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if ctx.Err() == nil {
			return fmt.Errorf("sip server: %w", err)
		}
	}
	m.calls.Range(func(_, v any) bool {
		v.(*call).hangupAll()
		return true
	})
	deadline := time.Now().Add(5 * time.Second)
	for m.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = m.udp.Close()
	_ = m.tcp.Close()
	if m.tls != nil {
		_ = m.tls.Close()
	}
	return m.ua.Close()
}

// isTrunkAddr reports whether ip is in some trunk's address list.
func (m *Module) isTrunkAddr(ip netip.Addr) bool {
	dp := m.dialplan.Load()
	for i := range dp.Trunks {
		if dp.Trunks[i].allows(ip) {
			return true
		}
	}
	return false
}
