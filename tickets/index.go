package tickets

import (
	"context"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// ticketIndex answers the engine's queries other than "the ticket with this code": the list,
// the duplicate search, the sweeper's crossing deadlines and a phone's recent tickets.
//
// Two implementations give the same answers. storeIndex asks the store, whose indexes serve
// these queries on a real MongoDB. memIndex keeps a summary of every ticket in memory: on
// FerretDB (the embedded store, or `ioc1022 store` serving this node alone) every filter but
// {_id: value} scans the whole collection, and this process is the only writer, so the
// summaries, loaded with one scan at start and updated after every write of this module,
// stay exact.
type ticketIndex interface {
	// load fills the index from the store. The app runs it once the node listens
	// (app.Core.Load), while writes already go on; until it is done, queries that need
	// the whole index answer errIndexLoading.
	load(ctx context.Context) error
	// ready is closed once load is done.
	ready() <-chan struct{}
	// put records a ticket as it is in the store after a write that succeeded. Writes of one
	// ticket may report out of order; the highest version wins.
	put(t *Ticket)
	// touch records that a ticket's document changed without a new version (attachments).
	touch(code Code)
	// list returns up to q.limit tickets matching q, newest first (created_at, then code,
	// both descending), without history.
	list(ctx context.Context, q listQuery) ([]Ticket, error)
	// duplicateCandidates returns up to duplicateScan open tickets (new to answered) of t's
	// category created since `since`, other than t, newest first, with at least their status,
	// category, ward, location, description (folded: refdata.Fold) and created_at.
	duplicateCandidates(ctx context.Context, t *Ticket, since time.Time) ([]Ticket, error)
	// crossing returns, in (next_deadline, code) order, up to limit tickets whose next
	// deadline is at or before now and after the position (after, afterCode).
	crossing(ctx context.Context, now, after time.Time, afterCode Code, limit int) ([]deadline, error)
	// byPhone returns the latest limit tickets reported from a normalised phone, newest first.
	byPhone(ctx context.Context, phone string, limit int) ([]Ticket, error)
}

// errIndexLoading answers the queries that need the whole index while it loads at start.
var errIndexLoading = httpapi.Loading("the ticket index")

// listQuery is a list's filter as the index applies it: every set field must match.
type listQuery struct {
	departments []string // nil: any; empty but not nil: none (an officer without departments)
	statuses    []Status
	category    string
	ward        string
	channel     string
	overdue     *bool
	text        string // folded
	from, to    *time.Time
	cursor      *listCursor
	limit       int
}

// deadline is a ticket's next deadline, as the sweeper reads it.
type deadline struct {
	code Code
	at   time.Time
}

// dupStatuses are the statuses of a ticket a new report can duplicate.
var dupStatuses = []Status{StatusNew, StatusAssigned, StatusInProgress, StatusAnswered}

// listProjection leaves out of list items what they do not show.
var listProjection = map[string]int{"history": 0, "search": 0, "_outbox": 0}
