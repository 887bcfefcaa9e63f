package pbx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"gopkg.in/yaml.v3"
)

// configCollection keeps the dialplan edited through the API (one document).
const configCollection = "pbx_config"

type dialplanDoc struct {
	ID        string    `bson:"_id"`
	Dialplan  string    `bson:"dialplan"` // JSON
	UpdatedAt time.Time `bson:"updated_at"`
	UpdatedBy string    `bson:"updated_by"`
}

// loadDialplan reads the dialplan: the file of pbx.dialplan, else the stored one, else the
// demo's with --demo, else an empty one (no trunk: every call is refused).
func (m *Module) loadDialplan(ctx context.Context) error {
	var dp Dialplan
	switch {
	case m.cfg.Dialplan != "":
		raw, err := os.ReadFile(m.cfg.Dialplan)
		if err != nil {
			return fmt.Errorf("pbx.dialplan: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&dp); err != nil {
			return fmt.Errorf("pbx.dialplan %s: %w", m.cfg.Dialplan, err)
		}
	default:
		var doc dialplanDoc
		err := m.st.C(configCollection).FindOne(ctx, bson.M{"_id": "dialplan"}).Decode(&doc)
		switch {
		case err == nil:
			if err := jsonUnmarshal([]byte(doc.Dialplan), &dp); err != nil {
				return fmt.Errorf("stored dialplan: %w", err)
			}
		case store.IsNotFound(err):
			if m.demo {
				dp = DemoDialplan()
			}
		default:
			return fmt.Errorf("load dialplan: %w", err)
		}
	}
	if err := dp.Validate(); err != nil {
		return err
	}
	m.dialplan.Store(&dp)
	return nil
}

// SetDialplan validates and stores a new dialplan, which applies to calls that start after.
func (m *Module) SetDialplan(ctx context.Context, dp Dialplan, by string) error {
	if m.cfg.Dialplan != "" {
		return fmt.Errorf("%w: the dialplan comes from the file %s", ErrDialplan, m.cfg.Dialplan)
	}
	if err := dp.keepSecrets(m.dialplan.Load()); err != nil {
		return err
	}
	if err := dp.Validate(); err != nil {
		return err
	}
	raw, err := jsonMarshal(dp)
	if err != nil {
		return err
	}
	doc := dialplanDoc{ID: "dialplan", Dialplan: string(raw), UpdatedAt: time.Now().UTC(), UpdatedBy: by}
	if _, err := m.st.C(configCollection).ReplaceOne(ctx, bson.M{"_id": "dialplan"}, doc, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store dialplan: %w", err)
	}
	m.dialplan.Store(&dp)
	return nil
}

// LiveView is the live state the supervisors' wallboard reads.
type LiveView struct {
	Queues  []QueueLive        `json:"queues"`
	Agents  []AgentStatus      `json:"agents"`
	Calls   []LiveCall         `json:"calls"`
	ByState map[AgentState]int `json:"agents_by_state"`
}

// QueueLive is one queue's waiting calls.
type QueueLive struct {
	Name         string  `json:"name"`
	Waiting      int     `json:"waiting"`
	LongestWaitS float64 `json:"longest_wait_s"`
}

// Live returns the live view.
func (m *Module) LiveView() LiveView {
	v := LiveView{Agents: m.Live.Agents(), Calls: m.Live.Calls(), ByState: map[AgentState]int{}}
	for _, s := range []AgentState{LoggedOut, Available, Ringing, OnCall, WrapUp, Paused} {
		v.ByState[s] = 0
	}
	for _, a := range v.Agents {
		v.ByState[a.State]++
	}
	now := time.Now()
	for _, q := range m.dialplan.Load().Queues {
		ql := QueueLive{Name: q.Name}
		for _, c := range v.Calls {
			if c.Queue == q.Name && (c.State == "queued" || c.State == "ringing") {
				ql.Waiting++
				ql.LongestWaitS = max(ql.LongestWaitS, seconds(now.Sub(c.QueuedAt)))
			}
		}
		v.Queues = append(v.Queues, ql)
	}
	return v
}

var (
	staff = httpapi.Users(httpapi.RoleAdmin, httpapi.RoleSupervisor, httpapi.RoleAgent, httpapi.RoleLeader)
)

func (m *Module) registerAPI(c *app.Core) {
	api := c.API
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/calls", Summary: "List call records", Tag: "calls", Access: staff,
		Params: append([]httpapi.Param{{Name: "from", In: "query", Description: "arrived at or after (RFC 3339)"},
			{Name: "to", In: "query", Description: "arrived before (RFC 3339)"}, {Name: "queue", In: "query"},
			{Name: "agent", In: "query"}, {Name: "outcome", In: "query"}, {Name: "caller", In: "query", Description: "phone number"}},
			httpapi.PageParams...),
		Response: httpapi.List[CallRecord]{}, Handle: m.handleCalls})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/calls/{id}", Summary: "Get a call record", Tag: "calls", Access: staff,
		Response: CallRecord{}, Handle: m.handleCall})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/calls/{id}/recording", Summary: "Download a call's recording (audio/wav)",
		Tag: "calls", Access: staff, Handle: m.handleRecording})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/calls/{id}/ticket",
		Summary: "Create a ticket from a call, or add the call to a ticket (code and version), linked to the call and its recording",
		Tag:     "calls", Access: staff, Body: CallTicketRequest{}, Response: CallTicket{}, Status: http.StatusCreated, Handle: m.handleCallTicket})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/pbx/live", Summary: "Live state: queues, agents, calls", Tag: "pbx",
		Access: staff, Response: LiveView{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, m.LiveView())
			return nil
		}})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/pbx/dialplan", Summary: "The trunks, menus and queues (trunk secrets masked as ********)", Tag: "pbx",
		Access: httpapi.Users(httpapi.RoleAdmin), Response: Dialplan{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, m.dialplan.Load().masked())
			return nil
		}})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/pbx/dialplan",
		Summary: "Replace the trunks, menus and queues (a trunk secret sent as ******** keeps the stored one)", Tag: "pbx",
		Access: httpapi.Users(httpapi.RoleAdmin), Body: Dialplan{}, Response: Dialplan{}, Handle: m.handleSetDialplan})
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/pbx/agents/{username}/state", Summary: "Change an agent's state",
		Tag: "pbx", Access: httpapi.Users(httpapi.RoleAdmin, httpapi.RoleSupervisor, httpapi.RoleAgent), Body: stateBody{},
		Response: AgentStatus{}, Handle: m.handleState})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/pbx/agents/{username}/sip-secret", Summary: "Set an agent's SIP secret",
		Tag: "pbx", Access: httpapi.Users(httpapi.RoleAdmin), Body: secretBody{}, Status: http.StatusNoContent, Handle: m.handleSecret})
	api.Handle(httpapi.Route{Method: "PUT", Path: "/api/v1/pbx/prompts/{name}", Summary: "Replace a prompt (WAV, 8 kHz 16-bit mono)",
		Tag: "pbx", Access: httpapi.Users(httpapi.RoleAdmin), Status: http.StatusNoContent, Handle: m.handlePrompt})
}

func (m *Module) handleCalls(w http.ResponseWriter, r *http.Request) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := CallFilter{Queue: q.Get("queue"), Agent: q.Get("agent"), Outcome: q.Get("outcome")}
	if v := q.Get("caller"); v != "" {
		f.Caller = m.normalise(v)
	}
	bad := map[string]string{}
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad[key] = "an RFC 3339 time such as 2025-07-01T08:00:00+07:00"
			}
			*dst = t.UTC()
		}
	}
	if len(bad) > 0 {
		return httpapi.Invalid(bad)
	}
	if p := httpapi.PrincipalFrom(r.Context()); p.HasRole(httpapi.RoleAgent) {
		f.Agent = p.Username // agents see their own calls
	}
	var after *cursorKey
	if page.Cursor != "" {
		after = &cursorKey{}
		if err := httpapi.DecodeCursor(page.Cursor, after); err != nil {
			return err
		}
	}
	items, err := m.Calls(r.Context(), f, page.Limit+1, after)
	if err != nil {
		return err
	}
	out := httpapi.List[CallRecord]{Items: items}
	if len(items) > page.Limit {
		out.Items = items[:page.Limit]
		last := out.Items[len(out.Items)-1]
		out.NextCursor = httpapi.EncodeCursor(cursorKey{At: last.ArrivedAt, ID: last.ID})
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

// visibleCall returns a call record the caller of the API may see.
func (m *Module) visibleCall(r *http.Request) (*CallRecord, error) {
	rec, err := m.Call(r.Context(), CallID(r.PathValue("id")))
	if errors.Is(err, ErrCallNotFound) {
		return nil, httpapi.NotFound("no call %s", r.PathValue("id"))
	}
	if err != nil {
		return nil, err
	}
	if p := httpapi.PrincipalFrom(r.Context()); p.HasRole(httpapi.RoleAgent) && rec.Agent != p.Username {
		return nil, httpapi.NotFound("no call %s", r.PathValue("id"))
	}
	return rec, nil
}

func (m *Module) handleCall(w http.ResponseWriter, r *http.Request) error {
	rec, err := m.visibleCall(r)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, rec)
	return nil
}

func (m *Module) handleRecording(w http.ResponseWriter, r *http.Request) error {
	rec, err := m.visibleCall(r)
	if err != nil {
		return err
	}
	if rec.Recording == "" {
		return httpapi.NotFound("call %s has no recording", rec.ID)
	}
	f, err := os.Open(filepath.Join(m.dataDir, filepath.Clean(rec.Recording)))
	if err != nil {
		return httpapi.NotFound("the recording of call %s is gone", rec.ID)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.wav"`, rec.ID))
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

func (m *Module) handleSetDialplan(w http.ResponseWriter, r *http.Request) error {
	var dp Dialplan
	if err := httpapi.Decode(r, &dp); err != nil {
		return err
	}
	if err := m.SetDialplan(r.Context(), dp, httpapi.PrincipalFrom(r.Context()).Username); err != nil {
		if errors.Is(err, ErrDialplan) {
			return httpapi.Errorf(http.StatusUnprocessableEntity, "invalid", "%s", err.Error())
		}
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, m.dialplan.Load().masked())
	return nil
}

type stateBody struct {
	State  AgentState `json:"state"`
	Reason string     `json:"reason,omitempty"`
}

func (m *Module) handleState(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("username")
	if p := httpapi.PrincipalFrom(r.Context()); p.HasRole(httpapi.RoleAgent) && p.Username != name {
		return httpapi.Forbidden("agents change only their own state")
	}
	var b stateBody
	if err := httpapi.Decode(r, &b); err != nil {
		return err
	}
	s, err := m.setState(r.Context(), name, b.State, b.Reason)
	switch {
	case errors.Is(err, ErrNoAgent):
		return httpapi.NotFound("no agent %s with an extension", name)
	case errors.Is(err, ErrBadState):
		return httpapi.Invalid(map[string]string{"state": err.Error()})
	case err != nil:
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, s)
	return nil
}

type secretBody struct {
	Secret string `json:"secret"`
}

func (m *Module) handleSecret(w http.ResponseWriter, r *http.Request) error {
	var b secretBody
	if err := httpapi.Decode(r, &b); err != nil {
		return err
	}
	if len(b.Secret) < 8 {
		return httpapi.Invalid(map[string]string{"secret": "at least 8 characters"})
	}
	if err := m.dir.reload(r.Context()); err != nil {
		return err
	}
	a, ok := m.dir.byUsername(r.PathValue("username"))
	if !ok {
		return httpapi.NotFound("no agent %s with an extension", r.PathValue("username"))
	}
	if isMask(b.Secret) { // sent back as read: keep the stored secret
		if a.HA1 == "" {
			return httpapi.Invalid(map[string]string{"secret": "masked, but this agent has no SIP secret yet: send the secret itself"})
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := m.dir.setSecret(r.Context(), a.Username, a.Extension, b.Secret); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (m *Module) handlePrompt(w http.ResponseWriter, r *http.Request) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return httpapi.BadRequest("read the WAV file: %v", err)
	}
	if err := m.prompts.put(r.PathValue("name"), raw); err != nil {
		if errors.Is(err, ErrBadWAV) {
			return httpapi.Invalid(map[string]string{"body": err.Error()})
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func findOpts(limit int) *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D{{Key: "arrived_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit))
}
