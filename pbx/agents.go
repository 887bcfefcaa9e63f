package pbx

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// agentsCollection keeps each agent's SIP secret as its digest HA1 (never the secret).
const agentsCollection = "pbx_agents"

// DemoSIPSecret is the SIP secret --demo gives a demo agent's extension: "demo-sip-" and the
// extension (agent1 registers 1001 with demo-sip-1001). Demo data only.
func DemoSIPSecret(ext string) string { return "demo-sip-" + ext }

type agentDoc struct {
	Username  string    `bson:"_id"`
	HA1       string    `bson:"ha1"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// agentInfo is what the PBX knows of an agent: who, which extension, the digest hash.
type agentInfo struct {
	Username, Name, Extension, HA1 string
}

// directory maps agents' extensions to accounts. It is reloaded from the users (role agent,
// with an extension) and the stored secrets on every change made here and every minute.
type directory struct {
	m      *Module
	mu     sync.RWMutex
	byExt  map[string]agentInfo
	byUser map[string]agentInfo
}

func newDirectory(m *Module) *directory {
	return &directory{m: m, byExt: map[string]agentInfo{}, byUser: map[string]agentInfo{}}
}

func (d *directory) reload(ctx context.Context) error {
	users, err := d.m.users.Users(ctx, string(httpapi.RoleAgent))
	if err != nil {
		return fmt.Errorf("load agents: %w", err)
	}
	cur, err := d.m.st.C(agentsCollection).Find(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("load sip secrets: %w", err)
	}
	var docs []agentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return fmt.Errorf("load sip secrets: %w", err)
	}
	ha1 := map[string]string{}
	for _, doc := range docs {
		ha1[doc.Username] = doc.HA1
	}
	byExt, byUser := map[string]agentInfo{}, map[string]agentInfo{}
	for _, u := range users {
		if u.Extension == "" || u.Disabled {
			continue
		}
		a := agentInfo{Username: u.Username, Name: u.Name, Extension: u.Extension, HA1: ha1[u.Username]}
		byExt[u.Extension], byUser[u.Username] = a, a
		d.m.Live.Update(u.Username, nil, func(s *AgentStatus) { s.Extension = u.Extension })
	}
	d.mu.Lock()
	d.byExt, d.byUser = byExt, byUser
	d.mu.Unlock()
	return nil
}

func (d *directory) byExtension(ext string) (agentInfo, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.byExt[ext]
	return a, ok
}

func (d *directory) byUsername(name string) (agentInfo, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.byUser[name]
	return a, ok
}

// setSecret stores an agent's SIP secret as HA1 for its extension.
func (d *directory) setSecret(ctx context.Context, username, ext, secret string) error {
	doc := agentDoc{Username: username, HA1: HA1(ext, d.m.cfg.Realm, secret), UpdatedAt: time.Now().UTC()}
	_, err := d.m.st.C(agentsCollection).ReplaceOne(ctx, bson.M{"_id": username}, doc, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store sip secret of %s: %w", username, err)
	}
	return d.reload(ctx)
}

// seedDemo gives the demo agents their SIP secrets (DemoSIPSecret) when --demo is on.
func (d *directory) seedDemo(ctx context.Context) error {
	if !d.m.demo {
		return nil
	}
	for _, u := range auth.DemoUsers {
		if u.Extension == "" {
			continue
		}
		n, err := d.m.st.C(agentsCollection).CountDocuments(ctx, bson.M{"_id": u.Username})
		if err != nil {
			return err
		}
		if n == 0 {
			if err := d.setSecret(ctx, u.Username, u.Extension, DemoSIPSecret(u.Extension)); err != nil {
				return err
			}
		}
	}
	return nil
}

// setState changes an agent's state on request (API or feature code). Allowed: logged_out,
// available and paused, from any state but ringing and on_call (those end with the call);
// available during wrap_up ends it early.
func (m *Module) setState(ctx context.Context, username string, to AgentState, reason string) (AgentStatus, error) {
	if _, ok := m.dir.byUsername(username); !ok {
		return AgentStatus{}, ErrNoAgent
	}
	switch to {
	case LoggedOut, Available, Paused:
	default:
		return AgentStatus{}, fmt.Errorf("%w: %s is set by calls", ErrBadState, to)
	}
	s, ok := m.Live.Update(username, []AgentState{LoggedOut, Available, Paused, WrapUp}, func(s *AgentStatus) {
		s.State, s.Reason, s.Missed = to, "", 0
		if to == Paused {
			s.Reason = reason
		}
	})
	if !ok {
		return s, fmt.Errorf("%w: agent is %s", ErrBadState, s.State)
	}
	m.publishAgent(ctx, s)
	return s, nil
}

// publishAgent emits agent.state.
func (m *Module) publishAgent(ctx context.Context, s AgentStatus) {
	ev := events.MustNew("agent.state", s.Agent, bson.M{"agent": s.Agent, "state": string(s.State), "reason": s.Reason, "at": s.Since})
	if err := m.bus.Publish(ctx, ev); err != nil {
		m.log.Warn("publish agent.state", "agent", s.Agent, "err", err)
	}
}

// callState moves an agent between the states calls drive, and publishes the change.
func (m *Module) callState(username string, from []AgentState, change func(*AgentStatus)) bool {
	before, _ := m.Live.Agent(username)
	s, ok := m.Live.Update(username, from, change)
	if ok && s.State != before.State {
		m.publishAgent(context.Background(), s)
	}
	return ok
}

// startWrapUp puts an agent in wrap_up after a call and back to available after the
// configured time, unless the agent changed state meanwhile.
func (m *Module) startWrapUp(username string) {
	m.callState(username, []AgentState{OnCall}, func(s *AgentStatus) {
		s.State, s.Call, s.LastCallEnd = WrapUp, "", time.Now().UTC()
	})
	time.AfterFunc(m.cfg.WrapUp, func() {
		m.callState(username, []AgentState{WrapUp}, func(s *AgentStatus) { s.State = Available })
	})
}

// Feature codes an agent's phone dials.
const (
	codeAvailable = "*21" // log in / available
	codePause     = "*22" // pause (reason "phone")
	codeLogout    = "*23" // log out
)

// locations is the registrar's bindings: extension → contact, with expiry. In-process;
// several nodes would share it with the live state.
type locations struct {
	mu sync.Mutex
	b  map[string]binding
}

type binding struct {
	Contact sip.Uri
	Expires time.Time
}

func newLocations() *locations { return &locations{b: map[string]binding{}} }

func (l *locations) bind(ext string, c sip.Uri, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b[ext] = binding{Contact: c, Expires: until}
}

func (l *locations) unbind(ext string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.b, ext)
}

func (l *locations) lookup(ext string) (sip.Uri, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.b[ext]
	if !ok || time.Now().After(b.Expires) {
		delete(l.b, ext)
		return sip.Uri{}, false
	}
	return b.Contact, true
}

// Registration expiry bounds, seconds.
const (
	minExpires     = 60
	maxExpires     = 3600
	defaultExpires = 600
)

// onRegister is the registrar: agents' phones register their extension with digest auth.
func (m *Module) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	if to == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Missing To", nil))
		return
	}
	ext := to.Address.User
	cred := credentials(req)
	if cred == nil {
		_ = tx.Respond(m.digest.challenge(req, 401, false))
		return
	}
	a, ok := m.dir.byExtension(ext)
	if !ok || a.HA1 == "" || cred.Username != ext {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
		return
	}
	switch m.digest.check(req, cred, a.HA1) {
	case authStale:
		_ = tx.Respond(m.digest.challenge(req, 401, true))
		return
	case authBad:
		m.log.Info("register refused: wrong credentials", "ext", ext, "source", req.Source())
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
		return
	}
	expires := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(h.Value()); err == nil {
			expires = v
		}
	}
	contact := req.Contact()
	if contact != nil {
		if v, ok := contact.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				expires = n
			}
		}
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	switch {
	case expires == 0:
		m.locs.unbind(ext)
	case contact == nil:
		// A query: answer with the current binding.
	default:
		expires = min(max(expires, minExpires), maxExpires)
		m.locs.bind(ext, *contact.Address.Clone(), time.Now().Add(time.Duration(expires)*time.Second))
		c := contact.Clone()
		c.Params = sip.NewParams()
		c.Params.Add("expires", strconv.Itoa(expires))
		res.AppendHeader(c)
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	_ = tx.Respond(res)
}
