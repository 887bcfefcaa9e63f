package pbx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// ticketEngine is what TicketDeskFor needs of the ticket engine.
type ticketEngine interface {
	Get(ctx context.Context, code tickets.Code) (*tickets.Ticket, error)
	Create(ctx context.Context, in tickets.NewTicket, by *httpapi.Principal) (*tickets.Ticket, error)
}

// TicketDeskFor adapts the ticket engine to the IVR and voicemail. Callers key the code
// without its prefix; the module's Init sets the prefix from tickets.code_prefix.
func TicketDeskFor(t ticketEngine) TicketDesk { return &ticketDesk{t: t} }

type ticketDesk struct {
	t      ticketEngine
	prefix string
}

// pbxPrincipal is who the PBX acts as in the ticket engine.
var pbxPrincipal = &httpapi.Principal{Username: "pbx", Role: httpapi.RoleAgent}

// TicketStatus implements TicketDesk. The keyed digits are read with the code prefix in
// front (tickets.ParseCode accepts what a citizen types).
func (d *ticketDesk) TicketStatus(ctx context.Context, keyed string) (string, time.Time, error) {
	code, err := tickets.ParseCode(d.prefix + keyed)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %v", ErrTicketNotFound, err)
	}
	t, err := d.t.Get(ctx, code)
	var he *httpapi.Error
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return "", time.Time{}, fmt.Errorf("%w: %s", ErrTicketNotFound, code)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	var due time.Time
	if t.DueAt != nil {
		due = *t.DueAt
	}
	return string(t.Status), due, nil
}

// VoicemailTicket implements TicketDesk.
func (d *ticketDesk) VoicemailTicket(ctx context.Context, phone, callID, recording string) (string, error) {
	t, err := d.t.Create(ctx, tickets.NewTicket{
		Description: "Lời nhắn thoại để lại trên đường dây nóng 1022 (ghi âm: " + recording + ").",
		Channel:     "phone", Contact: tickets.Contact{Phone: phone}, CallID: callID,
	}, pbxPrincipal)
	if err != nil {
		return "", fmt.Errorf("voicemail ticket: %w", err)
	}
	return string(t.Code), nil
}
