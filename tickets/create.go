package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"golang.org/x/text/unicode/norm"
)

// Channels a ticket can come through (docs/events.md).
var Channels = []string{"phone", "zalo", "facebook", "email", "web", "app", "telegram", "open311", "walk_in"}

// Limits of the text fields of a ticket.
const (
	maxDescription = 10000
	maxShortText   = 500
)

// nearestWardKm is how far from a ward's centroid a location may be and still be taken as
// in that ward when the report names none.
const nearestWardKm = 8

// Create records a report as a ticket: it validates and normalises the input, routes it when
// its category and ward are known, computes its deadlines, and emits ticket.created and a
// ticket.citizen_notice of kind created, in the same write. by is nil for tickets that came
// from a citizen or a channel. The answer lists possible duplicates, or says that it could not
// look for them while the index loads at start (DuplicatesUnchecked).
func (m *Module) Create(ctx context.Context, in NewTicket, by *httpapi.Principal) (*Ticket, error) {
	ctx = withCategoryMemo(ctx)
	t, err := m.prepare(ctx, in)
	if err != nil {
		return nil, err
	}
	now := m.now()
	t.CreatedAt, t.UpdatedAt, t.Status, t.Version = now, now, StatusNew, 1
	who := actor(by)
	hist := HistoryEntry{At: now, By: who, Action: "create", To: StatusNew}
	if t.Category != "" && t.Ward != "" {
		rt, ok, err := m.routeTicket(ctx, t.Category, t.Ward, t.Description+" "+t.Address)
		if err != nil {
			return nil, err
		}
		if ok {
			m.assignTo(t, rt, now)
			hist.To, hist.Department, hist.Rule = StatusAssigned, rt.department, rt.rule
		}
	}
	if err := m.setAnswerDeadline(ctx, t, now); err != nil {
		return nil, err
	}
	if t.Status == StatusAssigned {
		if err := m.setAcceptDeadline(ctx, t, now); err != nil {
			return nil, err
		}
	}
	t.History = []HistoryEntry{hist}
	evs := []events.Event{ticketEvent("ticket.created", t, "create", who, "", ""),
		noticeEvent(t.Code, t.Code, t.Reporter, NoticeCreated, "")}
	evs = append(evs, m.schedule(t, now, who)...)
	if err := m.insert(ctx, t, evs); err != nil {
		return nil, err
	}
	dups, err := m.findDuplicates(ctx, t)
	switch {
	case errors.Is(err, errIndexLoading):
		t.DuplicatesUnchecked = true
		m.core.Log.Info("no duplicate search: the ticket index is loading", "ticket", t.Code)
	case err != nil:
		m.core.Log.Warn("duplicate search failed", "ticket", t.Code, "err", err)
	}
	if dups == nil {
		dups = []Duplicate{}
	}
	t.Duplicates = dups
	return t, nil
}

// insert stores a new ticket under a fresh code, drawing again on the rare collision.
func (m *Module) insert(ctx context.Context, t *Ticket, evs []events.Event) error {
	for attempt := 0; ; attempt++ {
		t.Code = newCode(m.cfg.CodePrefix)
		t.Search = searchText(t)
		evs = recode(evs, t.Code)
		_, err := m.coll.InsertOne(ctx, storedTicket{Ticket: *t, Outbox: events.NewOutbox(evs...)})
		if err == nil {
			m.index.put(t)
			m.core.Events.Kick(events.Ref{Coll: Collection, ID: string(t.Code)})
			return nil
		}
		if !isDuplicate(err) || attempt == 4 {
			return fmt.Errorf("insert ticket: %w", err)
		}
	}
}

// recode rewrites the code inside the events of a ticket whose code was just drawn.
func recode(evs []events.Event, code Code) []events.Event {
	out := make([]events.Event, len(evs))
	for i, ev := range evs {
		out[i] = ev
		if ev.Type == EventCitizenNotice {
			var d NoticeData
			if ev.Decode(&d) == nil {
				d.Code, d.MasterCode = code, code
				out[i] = events.MustNew(ev.Type, string(code), d)
				out[i].ID, out[i].At = ev.ID, ev.At
			}
			continue
		}
		var d EventData
		if ev.Decode(&d) == nil {
			d.Code = code
			out[i] = events.MustNew(ev.Type, string(code), d)
			out[i].ID, out[i].At = ev.ID, ev.At
		}
	}
	return out
}

// assignTo sends the ticket to a department.
func (m *Module) assignTo(t *Ticket, rt route, now time.Time) {
	t.Status, t.Department, t.Rule = StatusAssigned, rt.department, rt.rule
	t.AssignedAt = &now
}

// prepare validates a report and turns it into a ticket without code or times.
func (m *Module) prepare(ctx context.Context, in NewTicket) (*Ticket, error) {
	f := map[string]string{}
	t := &Ticket{
		Description: clean(in.Description),
		Address:     clean(in.Address),
		Channel:     strings.ToLower(strings.TrimSpace(in.Channel)),
		CallID:      strings.TrimSpace(in.CallID),
		MediaURL:    strings.TrimSpace(in.MediaURL),
		OccurredAt:  in.OccurredAt,
	}
	switch n := utf8.RuneCountInString(t.Description); {
	case n == 0:
		f["description"] = "required: what the citizen reports"
	case n > maxDescription:
		f["description"] = fmt.Sprintf("at most %d characters", maxDescription)
	}
	if utf8.RuneCountInString(t.Address) > maxShortText {
		f["address"] = fmt.Sprintf("at most %d characters", maxShortText)
	}
	if t.Channel == "" {
		t.Channel = "web"
	}
	if !slices.Contains(Channels, t.Channel) {
		f["channel"] = "one of " + strings.Join(Channels, ", ")
	}
	t.Reporter = Reporter{Channel: t.Channel, ContactID: in.ContactID, ConversationID: in.ConversationID,
		Name: clean(in.Contact.Name), Email: strings.TrimSpace(in.Contact.Email)}
	if in.Contact.Phone != "" {
		p, err := NormalizePhone(in.Contact.Phone)
		if err != nil {
			f["contact.phone"] = err.Error()
		}
		t.Reporter.Phone = p
	}
	if t.Reporter.Email != "" && (!strings.Contains(t.Reporter.Email, "@") || len(t.Reporter.Email) > 254) {
		f["contact.email"] = "not an email address"
	}
	if in.Location != nil {
		if err := checkLocation(*in.Location); err != "" {
			f["location"] = err
		}
		loc := *in.Location
		t.Location = &loc
	}
	m.prepareRefs(ctx, in.Category, in.Ward, t, f)
	if len(f) > 0 {
		return nil, httpapi.Invalid(f)
	}
	return t, nil
}

// prepareRefs checks the category and resolves the ward (or finds it from the location).
func (m *Module) prepareRefs(ctx context.Context, category, ward string, t *Ticket, f map[string]string) {
	if category = strings.TrimSpace(category); category != "" {
		if err := m.checkCategory(ctx, category); err != "" {
			f["category"] = err
		}
		t.Category = category
	}
	if ward = strings.TrimSpace(ward); ward != "" {
		code, err := m.units.resolve(ctx, ward)
		if err != nil {
			f["ward"] = err.Error()
		}
		t.Ward = code
	} else if t.Location != nil && f["location"] == "" {
		if code, ok := m.units.nearest(ctx, *t.Location, nearestWardKm); ok {
			t.Ward = code
		}
	}
}

func (m *Module) checkCategory(ctx context.Context, code string) string {
	c, err := m.category(ctx, code)
	if err != nil || !c.Active {
		return fmt.Sprintf("unknown category %q: see GET /api/v1/categories", code)
	}
	return ""
}

func checkLocation(l Location) string {
	if l.Lat < -90 || l.Lat > 90 || l.Lng < -180 || l.Lng > 180 || (l.Lat == 0 && l.Lng == 0) {
		return "lat must be in -90..90 and lng in -180..180"
	}
	return ""
}

// clean trims s and puts it in NFC, the form Vietnamese text is stored in.
func clean(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// searchText is what the list's text filter looks in, folded.
func searchText(t *Ticket) string {
	return refdata.Fold(strings.Join([]string{string(t.Code), t.Description, t.Address, t.Reporter.Name}, " "))
}

// actor names who did something, for history and events.
func actor(p *httpapi.Principal) string {
	if p == nil {
		return "citizen"
	}
	return p.Username
}
