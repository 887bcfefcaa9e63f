package tickets

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// change is one action being applied: the ticket as loaded, the ticket as it becomes, and
// what to record about it.
type change struct {
	m      *Module
	old    *Ticket
	t      *Ticket
	by     *httpapi.Principal
	who    string
	now    time.Time
	reason string
	note   string
	rule   string
	extra  []events.Event
	after  func(ctx context.Context) // runs after the write (merge: update the master)
}

// actionDef says who may take an action, from which statuses, and what it does.
type actionDef struct {
	event   string         // ticket.<event>
	from    []Status       // the statuses it applies to; nil means any
	roles   []httpapi.Role // staff roles that may take it (admin always may)
	officer bool           // officers of the ticket's department may take it
	citizen bool           // it may come with no principal: the citizen, through a channel
	apply   func(ctx context.Context, c *change, req ActionRequest) error
}

var (
	hotline = []httpapi.Role{httpapi.RoleAgent, httpapi.RoleSupervisor}
	open    = []Status{StatusNew, StatusAssigned, StatusInProgress}
)

// actions are the ticket's lifecycle. Illegal moves get 409, missing or bad fields 422.
var actions map[string]actionDef

func init() {
	actions = map[string]actionDef{
		"triage":            {event: "triaged", from: []Status{StatusNew}, roles: hotline, apply: doTriage},
		"assign":            {event: "assigned", from: []Status{StatusNew}, roles: hotline, apply: doAssign},
		"accept":            {event: "accepted", from: []Status{StatusAssigned}, roles: []httpapi.Role{httpapi.RoleSupervisor}, officer: true, apply: doAccept},
		"return":            {event: "returned", from: []Status{StatusAssigned, StatusInProgress}, roles: []httpapi.Role{httpapi.RoleSupervisor}, officer: true, apply: doReturn},
		"transfer":          {event: "transferred", from: []Status{StatusAssigned, StatusInProgress}, roles: hotline, officer: true, apply: doTransfer},
		"request_extension": {event: "extension_requested", from: []Status{StatusAssigned, StatusInProgress}, roles: []httpapi.Role{httpapi.RoleSupervisor}, officer: true, apply: doRequestExtension},
		"grant_extension":   {event: "extension_granted", from: []Status{StatusAssigned, StatusInProgress}, roles: []httpapi.Role{httpapi.RoleSupervisor, httpapi.RoleLeader}, apply: doGrantExtension},
		"deny_extension":    {event: "extension_denied", from: []Status{StatusAssigned, StatusInProgress}, roles: []httpapi.Role{httpapi.RoleSupervisor, httpapi.RoleLeader}, apply: doDenyExtension},
		"answer":            {event: "answered", from: []Status{StatusInProgress}, roles: []httpapi.Role{httpapi.RoleSupervisor}, officer: true, apply: doAnswer},
		"approve":           {event: "resolved", from: []Status{StatusAnswered}, roles: hotline, apply: doApprove},
		"send_back":         {event: "sent_back", from: []Status{StatusAnswered}, roles: hotline, apply: doSendBack},
		"rate":              {event: "rated", from: []Status{StatusResolved, StatusClosed}, roles: hotline, citizen: true, apply: doRate},
		"reopen":            {event: "reopened", from: []Status{StatusResolved, StatusClosed}, roles: hotline, apply: doReopen},
		"close":             {event: "closed", from: []Status{StatusResolved}, roles: hotline, apply: doClose},
		"merge":             {event: "merged", from: open, roles: hotline, apply: doMerge},
		"reject":            {event: "rejected", from: []Status{StatusNew, StatusAssigned}, roles: hotline, apply: doReject},
		"request_info":      {event: "info_requested", from: open, roles: hotline, officer: true, apply: doRequestInfo},
		"resume":            {event: "resumed", from: open, roles: hotline, officer: true, citizen: true, apply: doResume},
		"comment":           {event: "commented", roles: []httpapi.Role{httpapi.RoleAgent, httpapi.RoleSupervisor, httpapi.RoleLeader}, officer: true, apply: doComment},
	}
}

// ActionNames lists the actions in alphabetical order.
func ActionNames() []string {
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Act applies an action to a ticket on behalf of by (nil only for a citizen's rating): the
// same logic as POST /api/v1/tickets/{code}/actions/{action}. req.Version must be the
// ticket's current version (409 otherwise). The change, a history entry and its events are
// one write.
func (m *Module) Act(ctx context.Context, code Code, action string, req ActionRequest, by *httpapi.Principal) (*Ticket, error) {
	ctx = withCategoryMemo(ctx)
	def, ok := actions[action]
	if !ok {
		return nil, httpapi.NotFound("unknown action %q; actions are %s", action, strings.Join(ActionNames(), ", "))
	}
	if err := def.allowedRole(action, by); err != nil {
		return nil, err
	}
	var after func(context.Context)
	t, err := m.withTicket(ctx, code, func(old *Ticket) (*Ticket, []HistoryEntry, []events.Event, error) {
		if err := m.canSee(by, old); err != nil {
			return nil, nil, nil, err
		}
		if by != nil && by.Role == httpapi.RoleOfficer && !def.officer {
			return nil, nil, nil, httpapi.Forbidden("officers may not %s a ticket", strings.ReplaceAll(action, "_", " "))
		}
		if req.Version == 0 {
			return nil, nil, nil, httpapi.Invalid(map[string]string{"version": "required: the version of the ticket you saw"})
		}
		if req.Version != old.Version {
			return nil, nil, nil, httpapi.Conflict("ticket %s is at version %d, not %d: someone changed it; reload it and try again", old.Code, old.Version, req.Version)
		}
		if def.from != nil && !slices.Contains(def.from, old.Status) {
			return nil, nil, nil, httpapi.Conflict("cannot %s ticket %s: it is %s; %s applies to a ticket that is %s",
				strings.ReplaceAll(action, "_", " "), old.Code, old.Status, action, joinStatuses(def.from))
		}
		c := &change{m: m, old: old, t: cloneTicket(old), by: by, who: actor(by), now: m.now()}
		if err := def.apply(ctx, c, req); err != nil {
			return nil, nil, nil, err
		}
		after = c.after
		return c.finish(action, def.event)
	})
	if err != nil {
		return nil, err
	}
	if after != nil {
		after(ctx)
	}
	return t, nil
}

func (d actionDef) allowedRole(action string, by *httpapi.Principal) error {
	switch {
	case by == nil && d.citizen:
		return nil
	case by == nil:
		return httpapi.Unauthorized("log in to %s a ticket", action)
	case by.APIKey != "":
		return httpapi.Forbidden("API keys may not act on tickets")
	case by.Role == httpapi.RoleAdmin || slices.Contains(d.roles, by.Role) || (d.officer && by.Role == httpapi.RoleOfficer):
		return nil
	}
	return httpapi.Forbidden("the %s role may not %s a ticket", by.Role, strings.ReplaceAll(action, "_", " "))
}

// withTicket loads a ticket, lets f compute its next state, and writes it on condition that
// nobody changed the ticket meanwhile (a 409 otherwise).
func (m *Module) withTicket(ctx context.Context, code Code,
	f func(old *Ticket) (*Ticket, []HistoryEntry, []events.Event, error)) (*Ticket, error) {
	old, err := m.load(ctx, code)
	if err != nil {
		return nil, err
	}
	nt, hist, evs, err := f(old)
	if err != nil {
		return nil, err
	}
	if err := m.commit(ctx, old, nt, hist, evs); err != nil {
		return nil, err
	}
	return nt, nil
}

// staleRetries is how often the engine's own writes (sweeper, merge) reload and try again
// when an action changed the ticket between their read and their write.
const staleRetries = 8

// withTicketRetry is withTicket for the engine's own writes: f is computed afresh on the
// ticket as it is after a concurrent change.
func (m *Module) withTicketRetry(ctx context.Context, code Code,
	f func(old *Ticket) (*Ticket, []HistoryEntry, []events.Event, error)) (*Ticket, error) {
	for attempt := 0; ; attempt++ {
		t, err := m.withTicket(ctx, code, f)
		if err == nil || attempt == staleRetries || !isStale(err) {
			return t, err
		}
	}
}

// finish records the history entry and the events of the change.
func (c *change) finish(action, event string) (*Ticket, []HistoryEntry, []events.Event, error) {
	t := c.t
	t.UpdatedAt = c.now
	if t.Waiting != nil && t.Status != c.old.Status {
		c.m.endWait(t, c.now) // the ticket moved on: nobody waits for the citizen any more
	}
	h := HistoryEntry{At: c.now, By: c.who, Action: action, From: c.old.Status, To: t.Status, Reason: c.reason,
		Note: c.note, Rule: c.rule}
	if t.Department != c.old.Department || action == "assign" || action == "transfer" {
		h.Department = t.Department
	}
	evs := []events.Event{ticketEvent("ticket."+event, t, action, c.who, c.old.Status, c.reason)}
	evs = append(evs, c.extra...)
	evs = append(evs, c.m.schedule(t, c.now, c.who)...)
	return t, []HistoryEntry{h}, evs, nil
}

func cloneTicket(t *Ticket) *Ticket {
	n := *t
	n.Merged = slices.Clone(t.Merged)
	n.Comments = slices.Clone(t.Comments)
	n.History = nil
	return &n
}

func joinStatuses(ss []Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// required returns a 422 when s is blank, naming the field.
func required(field, s, why string) error {
	if strings.TrimSpace(s) == "" {
		return httpapi.Invalid(map[string]string{field: "required: " + why})
	}
	if utf8.RuneCountInString(s) > maxDescription {
		return httpapi.Invalid(map[string]string{field: fmt.Sprintf("at most %d characters", maxDescription)})
	}
	return nil
}

// checkDepartment returns a 422 unless code names an active department.
func (m *Module) checkDepartment(ctx context.Context, code string) error {
	d, err := m.core.Ref.Department(ctx, code)
	if err != nil || !d.Active {
		return httpapi.Invalid(map[string]string{"department": fmt.Sprintf("unknown or inactive department %q: see GET /api/v1/departments", code)})
	}
	return nil
}

func doRequestInfo(_ context.Context, c *change, req ActionRequest) error {
	if err := required("text", req.Text, "the question to the citizen"); err != nil {
		return err
	}
	if c.t.Waiting != nil {
		return httpapi.Conflict("ticket %s already waits for the citizen's answer to %q; resume it first", c.t.Code, c.t.Waiting.Question)
	}
	c.reason = clean(req.Text)
	paused := slices.Contains(c.m.cfg.PauseOn, "request_info")
	c.t.Waiting = &Waiting{Question: c.reason, By: c.who, Since: c.now, Paused: paused}
	if paused {
		c.note = "deadline clock paused"
	}
	return nil
}

func doResume(_ context.Context, c *change, req ActionRequest) error {
	if c.t.Waiting == nil {
		return httpapi.Conflict("ticket %s is not waiting for the citizen", c.t.Code)
	}
	if utf8.RuneCountInString(req.Text) > maxDescription {
		return httpapi.Invalid(map[string]string{"text": fmt.Sprintf("at most %d characters", maxDescription)})
	}
	c.reason = clean(req.Text)
	before := c.t.PausedSeconds
	c.m.endWait(c.t, c.now)
	if d := c.t.PausedSeconds - before; d > 0 {
		c.note = fmt.Sprintf("deadlines moved by %s of working time", time.Duration(d)*time.Second)
	}
	return nil
}
