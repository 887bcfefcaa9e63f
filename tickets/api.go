// Package tickets is the ticket engine: every report (phản ánh, kiến nghị) from any channel
// becomes a ticket (phiếu) with a code, routed to the responsible department, tracked against
// its legal deadline in working time, escalated when late, answered, and rated by the citizen.
//
// The package knows no channel and no phone line: it records who reported a ticket (Reporter)
// and emits events (docs/events.md) that the channels consume to answer the citizen.
package tickets

import (
	"time"
)

// Code is a ticket's code, short enough to read over the phone.
type Code string

// Status is a ticket's state in its lifecycle.
type Status string

// The statuses of a ticket.
const (
	StatusNew        Status = "new"
	StatusAssigned   Status = "assigned"
	StatusInProgress Status = "in_progress"
	StatusAnswered   Status = "answered"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
	StatusMerged     Status = "merged"
	StatusRejected   Status = "rejected"
)

// Contact is how to reach the citizen who reported.
type Contact struct {
	Name  string `bson:"name,omitempty" json:"name,omitempty"`
	Phone string `bson:"phone,omitempty" json:"phone,omitempty"` // normalised, 0xxxxxxxxx
	Email string `bson:"email,omitempty" json:"email,omitempty"`
}

// Location is a WGS 84 point.
type Location struct {
	Lat float64 `bson:"lat" json:"lat"`
	Lng float64 `bson:"lng" json:"lng"`
}

// Reporter is who reported a ticket and through what, so the answer can go back the same way.
// The ids are the omnichannel's; they are opaque here.
type Reporter struct {
	Channel        string `bson:"channel" json:"channel"`
	ContactID      string `bson:"contact_id,omitempty" json:"contact_id,omitempty"`
	ConversationID string `bson:"conversation_id,omitempty" json:"conversation_id,omitempty"`
	Name           string `bson:"name,omitempty" json:"name,omitempty"`
	Phone          string `bson:"phone,omitempty" json:"phone,omitempty"`
	Email          string `bson:"email,omitempty" json:"email,omitempty"`
}

// NewTicket is a report to record. Only Description is required.
type NewTicket struct {
	Category    string    `json:"category,omitempty"`
	Ward        string    `json:"ward,omitempty"`
	Address     string    `json:"address,omitempty"`
	Description string    `json:"description"`
	Channel     string    `json:"channel,omitempty"`
	Contact     Contact   `json:"contact"`
	Location    *Location `json:"location,omitempty"`
	// OccurredAt is when the reported thing happened, when the citizen said.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
	// ConversationID and ContactID link the ticket to the omnichannel conversation it came from.
	ConversationID string `json:"conversation_id,omitempty"`
	ContactID      string `json:"contact_id,omitempty"`
	// CallID links the ticket to the call it came from.
	CallID string `json:"call_id,omitempty"`
	// MediaURL is a link to a photo the citizen gave (Open311 media_url).
	MediaURL string `json:"media_url,omitempty"`
}

// Ticket is a report being handled, as stored and as the API answers it.
type Ticket struct {
	Code        Code      `bson:"_id" json:"code"`
	Status      Status    `bson:"status" json:"status"`
	Category    string    `bson:"category,omitempty" json:"category,omitempty"`
	Ward        string    `bson:"ward,omitempty" json:"ward,omitempty"`
	Department  string    `bson:"department,omitempty" json:"department"`
	Rule        string    `bson:"rule,omitempty" json:"rule,omitempty"` // the routing rule that chose the department
	Address     string    `bson:"address,omitempty" json:"address,omitempty"`
	Description string    `bson:"description" json:"description"`
	Location    *Location `bson:"location,omitempty" json:"location,omitempty"`
	Channel     string    `bson:"channel" json:"channel"`
	Reporter    Reporter  `bson:"reporter" json:"reporter"`
	CallID      string    `bson:"call_id,omitempty" json:"call_id,omitempty"`
	MediaURL    string    `bson:"media_url,omitempty" json:"media_url,omitempty"`

	OccurredAt  *time.Time `bson:"occurred_at,omitempty" json:"occurred_at,omitempty"`
	CreatedAt   time.Time  `bson:"created_at" json:"created_at"`
	UpdatedAt   time.Time  `bson:"updated_at" json:"updated_at"`
	AssignedAt  *time.Time `bson:"assigned_at,omitempty" json:"assigned_at,omitempty"`
	AcceptedAt  *time.Time `bson:"accepted_at,omitempty" json:"accepted_at,omitempty"`
	AnsweredAt  *time.Time `bson:"answered_at,omitempty" json:"answered_at,omitempty"`
	ResolvedAt  *time.Time `bson:"resolved_at,omitempty" json:"resolved_at,omitempty"`
	ClosedAt    *time.Time `bson:"closed_at,omitempty" json:"closed_at,omitempty"`
	AcceptDueAt *time.Time `bson:"accept_due_at,omitempty" json:"accept_due_at,omitempty"`
	DueAt       *time.Time `bson:"due_at,omitempty" json:"due_at"`

	// Deadline marks, set once per crossing by the sweeper or by the action that noticed it.
	DueSoon       bool `bson:"due_soon,omitempty" json:"due_soon"`
	Overdue       bool `bson:"overdue,omitempty" json:"overdue"`
	AcceptOverdue bool `bson:"accept_overdue,omitempty" json:"accept_overdue"`
	// NextDeadline is the next instant a mark crosses; the sweeper finds tickets by it.
	NextDeadline *time.Time `bson:"next_deadline,omitempty" json:"next_deadline,omitempty"`

	Reason     string     `bson:"reason,omitempty" json:"reason,omitempty"` // of the last return, transfer, send back, rejection
	Answer     *Answer    `bson:"answer,omitempty" json:"answer,omitempty"`
	Rating     *Rating    `bson:"rating,omitempty" json:"rating,omitempty"`
	Extension  *Extension `bson:"extension,omitempty" json:"extension,omitempty"`
	MergedInto Code       `bson:"merged_into,omitempty" json:"merged_into,omitempty"`
	// Waiting is the question put to the citizen (request_info) until resume.
	Waiting *Waiting `bson:"waiting,omitempty" json:"waiting,omitempty"`
	// PausedSeconds is the working time the deadline clock stood still, in all.
	PausedSeconds int64 `bson:"paused_seconds,omitempty" json:"paused_seconds,omitempty"`
	// Merged are the duplicates merged into this ticket, with the reporters to tell.
	Merged   []MergedTicket `bson:"merged,omitempty" json:"merged,omitempty"`
	Comments []Comment      `bson:"comments,omitempty" json:"comments,omitempty"`

	Attachments []Attachment   `bson:"attachments,omitempty" json:"attachments,omitempty"`
	History     []HistoryEntry `bson:"history,omitempty" json:"history,omitempty"`
	Version     int64          `bson:"version" json:"version"`

	// Duplicates are open tickets that may report the same thing; only in Create's answer.
	Duplicates []Duplicate `bson:"-" json:"duplicates,omitempty"`
	// DuplicatesUnchecked says, in Create's answer only, that no duplicate search ran: the
	// node was still loading its ticket index at start. Duplicates is then empty, not a finding.
	DuplicatesUnchecked bool `bson:"-" json:"duplicates_unchecked,omitempty"`

	// search is the folded text the list's text filter matches.
	Search string `bson:"search,omitempty" json:"-"`
}

// Answer is a department's answer to a ticket.
type Answer struct {
	Text string    `bson:"text" json:"text"`
	By   string    `bson:"by" json:"by"`
	At   time.Time `bson:"at" json:"at"`
}

// Rating is the citizen's rating of the answer.
type Rating struct {
	Stars   int       `bson:"stars" json:"stars"`
	Comment string    `bson:"comment,omitempty" json:"comment,omitempty"`
	At      time.Time `bson:"at" json:"at"`
}

// ExtensionState is where an extension request stands.
type ExtensionState string

// The states of an extension request.
const (
	ExtensionRequested ExtensionState = "requested"
	ExtensionGranted   ExtensionState = "granted"
	ExtensionDenied    ExtensionState = "denied"
)

// Extension is a department's request for more working days to answer.
type Extension struct {
	Days        int            `bson:"days" json:"days"`
	Reason      string         `bson:"reason" json:"reason"`
	State       ExtensionState `bson:"state" json:"state"`
	RequestedBy string         `bson:"requested_by" json:"requested_by"`
	RequestedAt time.Time      `bson:"requested_at" json:"requested_at"`
	DecidedBy   string         `bson:"decided_by,omitempty" json:"decided_by,omitempty"`
	DecidedAt   *time.Time     `bson:"decided_at,omitempty" json:"decided_at,omitempty"`
	Granted     int            `bson:"granted,omitempty" json:"granted,omitempty"` // working days granted so far
}

// Waiting is a question put to the citizen. While Paused (tickets.pause_on names
// request_info) the deadline clock stands still; resume moves the deadlines by the working
// time it stood.
type Waiting struct {
	Question string    `bson:"question" json:"question"`
	By       string    `bson:"by" json:"by"`
	Since    time.Time `bson:"since" json:"since"`
	Paused   bool      `bson:"paused" json:"paused"`
}

// MergedTicket is a duplicate merged into a master ticket.
type MergedTicket struct {
	Code      Code       `bson:"code" json:"code"`
	Reporters []Reporter `bson:"reporters" json:"reporters"`
}

// Comment is a note on a ticket; public ones are shown to the citizen.
type Comment struct {
	Text   string    `bson:"text" json:"text"`
	Public bool      `bson:"public" json:"public"`
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
}

// Attachment is a file attached to a ticket, stored under the data directory.
type Attachment struct {
	ID     string    `bson:"id" json:"id"`
	Name   string    `bson:"name" json:"name"`
	Type   string    `bson:"type" json:"type"`
	Size   int64     `bson:"size" json:"size"`
	SHA256 string    `bson:"sha256" json:"sha256"`
	By     string    `bson:"by,omitempty" json:"by,omitempty"`
	At     time.Time `bson:"at" json:"at"`
}

// HistoryEntry is one change of a ticket: who, when, what, why, and which routing rule.
type HistoryEntry struct {
	At         time.Time `bson:"at" json:"at"`
	By         string    `bson:"by" json:"by"`
	Action     string    `bson:"action" json:"action"`
	From       Status    `bson:"from,omitempty" json:"from,omitempty"`
	To         Status    `bson:"to" json:"to"`
	Department string    `bson:"department,omitempty" json:"department,omitempty"`
	Reason     string    `bson:"reason,omitempty" json:"reason,omitempty"`
	Rule       string    `bson:"rule,omitempty" json:"rule,omitempty"`
	Note       string    `bson:"note,omitempty" json:"note,omitempty"`
}

// Duplicate is an open ticket that may report the same thing as a new one.
type Duplicate struct {
	Code      Code      `json:"code"`
	Status    Status    `json:"status"`
	Category  string    `json:"category"`
	Ward      string    `json:"ward,omitempty"`
	DistanceM *float64  `json:"distance_m,omitempty"`
	Score     float64   `json:"score"` // text similarity, 0 to 1
	CreatedAt time.Time `json:"created_at"`
}

// ActionRequest is the body of POST /api/v1/tickets/{code}/actions/{action}. Version is the
// ticket's version the caller saw; the other fields are those the action uses.
type ActionRequest struct {
	Version    int64     `json:"version"`
	Reason     string    `json:"reason,omitempty"`     // return, transfer, send_back, reject, reopen, extensions
	Department string    `json:"department,omitempty"` // triage, assign, transfer
	Category   string    `json:"category,omitempty"`   // triage
	Ward       string    `json:"ward,omitempty"`       // triage
	Address    string    `json:"address,omitempty"`    // triage
	Location   *Location `json:"location,omitempty"`   // triage
	Text       string    `json:"text,omitempty"`       // answer, comment, request_info (the question), resume (the citizen's reply)
	Public     bool      `json:"public,omitempty"`     // comment: shown to the citizen
	Days       int       `json:"days,omitempty"`       // request_extension, grant_extension (default: as requested)
	Stars      int       `json:"stars,omitempty"`      // rate
	Comment    string    `json:"comment,omitempty"`    // rate
	Master     string    `json:"master,omitempty"`     // merge: the code of the master ticket
}

// PublicView is what a citizen sees of their ticket: no personal data, no internal notes.
type PublicView struct {
	Code           Code       `json:"code"`
	Status         Status     `json:"status"`
	StatusText     string     `json:"status_text"`
	Category       string     `json:"category,omitempty"`
	Department     string     `json:"department,omitempty"`
	DepartmentName string     `json:"department_name,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DueAt          *time.Time `json:"due_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	Answer         string     `json:"answer,omitempty"`
	Comments       []string   `json:"comments,omitempty"`
	MergedInto     Code       `json:"merged_into,omitempty"`
}
