package tickets

import (
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/events"
)

// EventData is the payload of every ticket.<action> event, ticket.due_soon and
// ticket.overdue (docs/events.md). Fields that do not apply are omitted.
type EventData struct {
	Code       Code   `bson:"code" json:"code"`
	Action     string `bson:"action" json:"action"`
	By         string `bson:"by,omitempty" json:"by,omitempty"`
	Status     Status `bson:"status" json:"status"`
	PrevStatus Status `bson:"prev_status,omitempty" json:"prev_status,omitempty"`
	Category   string `bson:"category,omitempty" json:"category,omitempty"`
	Ward       string `bson:"ward,omitempty" json:"ward,omitempty"`
	Department string `bson:"department,omitempty" json:"department,omitempty"`
	// Location is the ticket's point (WGS 84), omitted while it is unknown.
	Location    *Location  `bson:"location,omitempty" json:"location,omitempty"`
	Channel     string     `bson:"channel,omitempty" json:"channel,omitempty"`
	Reporter    *Reporter  `bson:"reporter,omitempty" json:"reporter,omitempty"`
	CreatedAt   time.Time  `bson:"created_at" json:"created_at"`
	DueAt       *time.Time `bson:"due_at,omitempty" json:"due_at,omitempty"`
	AcceptDueAt *time.Time `bson:"accept_due_at,omitempty" json:"accept_due_at,omitempty"`
	ResolvedAt  *time.Time `bson:"resolved_at,omitempty" json:"resolved_at,omitempty"`
	ClosedAt    *time.Time `bson:"closed_at,omitempty" json:"closed_at,omitempty"`
	Rating      int        `bson:"rating,omitempty" json:"rating,omitempty"`
	Reason      string     `bson:"reason,omitempty" json:"reason,omitempty"`
	Rule        string     `bson:"rule,omitempty" json:"rule,omitempty"`
	MergedInto  Code       `bson:"merged_into,omitempty" json:"merged_into,omitempty"`
	// Deadline names the deadline of a ticket.due_soon or ticket.overdue: accept or answer.
	Deadline string `bson:"deadline,omitempty" json:"deadline,omitempty"`
}

// NoticeData is the payload of ticket.citizen_notice: one reporter to tell.
type NoticeData struct {
	Code       Code     `bson:"code" json:"code"`
	MasterCode Code     `bson:"master_code" json:"master_code"`
	Reporter   Reporter `bson:"reporter" json:"reporter"`
	Kind       string   `bson:"kind" json:"kind"` // created or resolved
	Answer     string   `bson:"answer,omitempty" json:"answer,omitempty"`
}

// Kinds of citizen notice.
const (
	NoticeCreated  = "created"
	NoticeResolved = "resolved"
)

// Event types of the ticket engine beyond ticket.<action>.
const (
	EventDueSoon       = "ticket.due_soon"
	EventOverdue       = "ticket.overdue"
	EventCitizenNotice = "ticket.citizen_notice"
)

func ticketEvent(typ string, t *Ticket, action, by string, prev Status, reason string) events.Event {
	d := EventData{Code: t.Code, Action: action, By: by, Status: t.Status, Category: t.Category, Ward: t.Ward,
		Department: t.Department, Channel: t.Channel, CreatedAt: t.CreatedAt, DueAt: t.DueAt,
		AcceptDueAt: t.AcceptDueAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt, Rule: t.Rule, MergedInto: t.MergedInto}
	if prev != t.Status {
		d.PrevStatus = prev
	}
	if t.Location != nil {
		loc := *t.Location
		d.Location = &loc
	}
	r := t.Reporter
	d.Reporter = &r
	if t.Rating != nil {
		d.Rating = t.Rating.Stars
	}
	d.Reason = reason
	return events.MustNew(typ, string(t.Code), d)
}

func noticeEvent(code, master Code, r Reporter, kind, answer string) events.Event {
	return events.MustNew(EventCitizenNotice, string(code), NoticeData{Code: code, MasterCode: master, Reporter: r, Kind: kind, Answer: answer})
}

// resolvedNotices are the notices of an approved answer: the ticket's reporter and every
// reporter of every ticket merged into it.
func resolvedNotices(t *Ticket) []events.Event {
	answer := ""
	if t.Answer != nil {
		answer = t.Answer.Text
	}
	evs := []events.Event{noticeEvent(t.Code, t.Code, t.Reporter, NoticeResolved, answer)}
	for _, mt := range t.Merged {
		for _, r := range mt.Reporters {
			evs = append(evs, noticeEvent(mt.Code, t.Code, r, NoticeResolved, answer))
		}
	}
	return evs
}
