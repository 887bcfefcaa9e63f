package dialogue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// Thresholds of the report flow.
const (
	categoryMin   = 0.45 // category confidence taken without asking
	maxFreeText   = 500  // characters kept of an address or time given in words
	minWhatTokens = 2    // content words that make a message a description
)

// genericWords say that the citizen wants to report without saying what.
var genericWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`toi minh em anh chi ban muon can phan anh kien nghi gui bao cao bao cho hoi
		xin chao a ah ak co viec su mot ve la de nghi tong dai oi nhe nha voi giup lam sao the nao duoc khong !
		? vu vay thi`) {
		genericWords[w] = true
	}
}

// isGeneric reports whether a message says nothing about what happened.
func isGeneric(n nlu.Normalized) bool {
	content := 0
	for _, w := range n.FoldedTokens() {
		if !genericWords[w] {
			content++
		}
	}
	return content < minWhatTokens
}

// startReport begins a new report from the message that asked for it.
func (e *Engine) startReport(ctx context.Context, t *turn) (Reply, error) {
	st := t.st
	keep := st.Report.What
	st.reset()
	st.Flow, st.LastIntent = FlowReport, string(nlu.IntentReport)
	r := &st.Report
	if t.text != "" && !isGeneric(t.norm) {
		r.What = clip(t.text, 2000)
		r.Category = categoryOf(t.res)
	} else if keep != "" {
		r.What = keep
	}
	if r.What != "" && r.Category == "" {
		r.Category = categoryOf(e.classify(r.What))
	}
	e.fill(ctx, t)
	return e.next(ctx, t, "")
}

// categoryOf returns the category of a description when the classifier is sure enough,
// whatever intent it read.
func categoryOf(res nlu.Result) string {
	best, bestP := nlu.Category(""), 0.0
	for c, p := range res.CategoryScores {
		if p > bestP {
			best, bestP = c, p
		}
	}
	if bestP < categoryMin {
		return ""
	}
	return string(best)
}

// filled says which slots a message changed.
type filled struct {
	ward, address, when, phone, photo, wardChanged bool
}

func (f filled) any() bool { return f.ward || f.address || f.when || f.phone || f.photo }

// fill takes every detail the message gives, in any order; a later value replaces an
// earlier one, which is how a correction works.
func (e *Engine) fill(ctx context.Context, t *turn) filled {
	var f filled
	r := &t.st.Report
	if t.in.Photo != "" {
		r.Photo, f.photo = t.in.Photo, true
	}
	if t.text == "" {
		return f
	}
	units, err := e.Places.Units(ctx)
	if err != nil {
		units = nil // the ward is then asked for again; nothing else depends on it
	}
	ents := nlu.Extract(t.text, e.now(), units)
	if len(ents.Units) > 0 {
		u := ents.Units[0]
		f.wardChanged = r.Ward != "" && r.Ward != u.Code
		r.Ward, r.WardName, f.ward = u.Code, u.Name, true
	}
	if a := ents.Address; a != nil {
		r.Address, f.address = formatAddress(a), true
	}
	if len(ents.Times) > 0 {
		tm := ents.Times[0]
		start := tm.Start.UTC()
		r.When, r.WhenText, f.when = &start, tm.Text, true
	}
	if len(ents.Phones) > 0 {
		r.Phone, f.phone = ents.Phones[0], true
	}
	return f
}

func formatAddress(a *nlu.Address) string {
	var parts []string
	if a.HouseNumber != "" {
		parts = append(parts, "số "+a.HouseNumber)
	}
	if a.Alley != "" {
		parts = append(parts, a.Alley)
	}
	if a.Street != "" {
		parts = append(parts, "đường "+a.Street)
	}
	return strings.Join(parts, ", ")
}

// report handles a message while a report is being filled.
func (e *Engine) report(ctx context.Context, t *turn) (Reply, error) {
	st := t.st
	r := &st.Report
	awaiting := st.Awaiting
	if awaiting == SlotConfirm && t.cue.is(yesCues) {
		return e.create(ctx, t)
	}
	f := e.fill(ctx, t)
	correction := t.cue.has(correctionCues)
	free := !f.any() && !correction && t.text != ""
	note := ""
	if f.wardChanged {
		note = fmt.Sprintf("Dạ, em đã sửa địa bàn thành %s. ", r.WardName)
	}
	switch awaiting {
	case SlotWhat:
		if !correction && t.text != "" && !isGeneric(t.norm) {
			r.What = clip(t.text, 2000)
			if r.Category == "" {
				r.Category = categoryOf(t.res)
			}
		}
	case SlotCategory:
		if c := categoryOf(t.res); c != "" {
			r.Category = c
		} else if free {
			return e.missInFlow(t, msgAskCategory)
		}
	case SlotWard:
		if !f.ward {
			return e.missInFlow(t, msgWardUnknown)
		}
	case SlotAddress:
		if free {
			r.Address = clip(t.text, maxFreeText)
		}
	case SlotWhen:
		if free {
			r.WhenText = clip(t.text, maxFreeText)
			if t.cue.has(unknownCues) {
				r.WhenText = "không rõ"
			}
		}
	case SlotPhone:
		if !f.phone {
			return e.missInFlow(t, msgPhoneInvalid)
		}
	case SlotConfirm:
		if correction && !f.any() {
			if c := categoryOf(t.res); c != "" && c != r.Category && t.res.CategoryConfidence >= 0.6 {
				r.Category = c
			} else {
				return say(msgWhatToFix), nil
			}
		} else if !f.any() && t.cue.is(noCues) {
			return say(msgWhatToFix), nil
		} else if free {
			return say(msgConfirmHow), nil
		}
	}
	st.Misses = 0
	return e.next(ctx, t, note)
}

// missInFlow asks for a slot again, handing off at the second miss in a row.
func (e *Engine) missInFlow(t *turn, ask string) (Reply, error) {
	return e.miss(t, ask)
}

// next asks for the first missing slot, or confirms everything in one message.
func (e *Engine) next(ctx context.Context, t *turn, note string) (Reply, error) {
	st := t.st
	r := &st.Report
	ask := func(s Slot, text string) (Reply, error) {
		st.Awaiting = s
		return say(note + text), nil
	}
	switch {
	case r.What == "":
		return ask(SlotWhat, msgAskWhat)
	case r.Category == "":
		return ask(SlotCategory, msgAskCategory)
	case r.Ward == "":
		return ask(SlotWard, msgAskWard)
	case r.Address == "":
		return ask(SlotAddress, msgAskAddress)
	case r.When == nil && r.WhenText == "":
		return ask(SlotWhen, msgAskWhen)
	case r.Phone == "" && t.in.ContactPhone == "":
		return ask(SlotPhone, msgAskPhone)
	}
	st.Awaiting = SlotConfirm
	return say(note + confirmText(r, e.Places.CategoryName(ctx, r.Category), t.in.ContactPhone)), nil
}

// create makes the ticket of a confirmed report; the conversation's ids make the ticket
// engine's answers come back to this conversation.
func (e *Engine) create(ctx context.Context, t *turn) (Reply, error) {
	st := t.st
	r := st.Report
	phone := r.Phone
	if phone == "" {
		phone = t.in.ContactPhone
	}
	desc := r.What
	if r.WhenText != "" {
		desc += "\nThời gian xảy ra (người dân cho biết): " + r.WhenText
	}
	tk, err := e.Tickets.Create(ctx, tickets.NewTicket{Category: r.Category, Ward: r.Ward, Address: r.Address,
		Description: desc, Channel: t.in.Channel, OccurredAt: r.When, MediaURL: r.Photo,
		Contact:        tickets.Contact{Name: t.in.ContactName, Phone: phone},
		ConversationID: t.in.ConversationID, ContactID: t.in.ContactID}, nil)
	var apiErr *httpapi.Error
	if errors.As(err, &apiErr) && apiErr.Status < 500 {
		// The engine refused what the bot gathered: a person takes over rather than the
		// citizen being asked to fix what the bot cannot explain.
		rep := e.handoff(t, "hệ thống không nhận phiếu: "+apiErr.Message+fmt.Sprint(apiErr.Fields), msgCreateFailed)
		st.reset()
		return rep, nil
	}
	if err != nil {
		return Reply{}, fmt.Errorf("create ticket from conversation %s: %w", t.in.ConversationID, err)
	}
	st.Tickets = append(st.Tickets, string(tk.Code))
	st.reset()
	return Reply{Texts: []string{createdText(tk)}, Ticket: string(tk.Code)}, nil
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
