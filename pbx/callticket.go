package pbx

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// CallTicketRequest is the body of POST /api/v1/calls/{id}/ticket. Without Code a ticket is
// created from the call (the caller's number as contact, channel phone, linked to the call
// and its recording); with Code the ticket gets an internal comment about the call (Version
// is the ticket's, as for every ticket action).
type CallTicketRequest struct {
	Code        string `json:"code,omitempty"`
	Version     int64  `json:"version,omitempty"`
	Description string `json:"description"`
	Category    string `json:"category,omitempty"`
	Ward        string `json:"ward,omitempty"`
	Address     string `json:"address,omitempty"`
}

// CallTicket is the answer: the ticket as it now is and whether it was created.
type CallTicket struct {
	Call    CallID          `json:"call_id"`
	Created bool            `json:"created"`
	Ticket  *tickets.Ticket `json:"ticket"`
}

// callTicketEngine is what POST /api/v1/calls/{id}/ticket needs of the ticket engine.
type callTicketEngine interface {
	Create(ctx context.Context, in tickets.NewTicket, by *httpapi.Principal) (*tickets.Ticket, error)
	Act(ctx context.Context, code tickets.Code, action string, req tickets.ActionRequest, by *httpapi.Principal) (*tickets.Ticket, error)
}

// recordingNote is how a ticket names the call and its recording.
func recordingNote(rec *CallRecord) string {
	s := "cuộc gọi " + string(rec.ID)
	if rec.Recording != "" {
		s += ", ghi âm: /api/v1/calls/" + string(rec.ID) + "/recording"
	}
	return s
}

func (m *Module) handleCallTicket(w http.ResponseWriter, r *http.Request) error {
	rec, err := m.visibleCall(r)
	if err != nil {
		return err
	}
	var b CallTicketRequest
	if err := httpapi.Decode(r, &b); err != nil {
		return err
	}
	d, ok := m.Tickets.(*ticketDesk)
	if !ok {
		return httpapi.Errorf(http.StatusServiceUnavailable, "unavailable", "no ticket engine is connected to the PBX")
	}
	eng, ok := d.t.(callTicketEngine)
	if !ok {
		return httpapi.Errorf(http.StatusServiceUnavailable, "unavailable", "the ticket engine cannot take tickets from calls")
	}
	if strings.TrimSpace(b.Description) == "" {
		return httpapi.Invalid(map[string]string{"description": "what the caller reported (or what the call added)"})
	}
	by := httpapi.PrincipalFrom(r.Context())
	out := CallTicket{Call: rec.ID}
	if b.Code == "" {
		t, err := eng.Create(r.Context(), tickets.NewTicket{Description: b.Description + " (" + recordingNote(rec) + ")",
			Category: b.Category, Ward: b.Ward, Address: b.Address, Channel: "phone",
			Contact: tickets.Contact{Phone: rec.Caller}, CallID: string(rec.ID)}, by)
		if err != nil {
			return err
		}
		out.Ticket, out.Created = t, true
	} else {
		code, err := tickets.ParseCode(b.Code)
		if err != nil {
			return httpapi.Invalid(map[string]string{"code": err.Error()})
		}
		t, err := eng.Act(r.Context(), code, "comment", tickets.ActionRequest{Version: b.Version,
			Text: b.Description + " (" + recordingNote(rec) + ")"}, by)
		if err != nil {
			return err
		}
		out.Ticket = t
	}
	if err := m.linkTicket(r.Context(), rec.ID, string(out.Ticket.Code)); err != nil {
		return err
	}
	status := http.StatusOK
	if out.Created {
		status = http.StatusCreated
	}
	httpapi.WriteJSON(w, status, out)
	return nil
}

// linkTicket records on the call the ticket made or updated from it, with call.ticket.
func (m *Module) linkTicket(ctx context.Context, id CallID, code string) error {
	rec, err := m.Call(ctx, id)
	if err != nil {
		return err
	}
	rec.Ticket = code
	if _, err := m.st.C(callsCollection).UpdateOne(ctx, bson.M{"_id": id},
		stageDoc(bson.M{"ticket": code}, rec.event("call.ticket"))); err != nil {
		return fmt.Errorf("link ticket to call %s: %w", id, err)
	}
	m.bus.Kick(events.Ref{Coll: callsCollection, ID: id})
	return nil
}
