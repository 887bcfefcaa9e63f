// Package dialogue is the chatbot's conversation logic: it reads each citizen message with
// the NLU model, answers questions from the knowledge base, checks the status of a ticket,
// takes a new report slot by slot and creates its ticket, gives the emergency numbers, and
// hands the conversation to an agent when asked, when it does not understand twice in a
// row, or when the citizen is angry. Its State lives in the store, one document per
// conversation.
package dialogue

import (
	"context"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/chatbot/faq"
	"github.com/ioc1022/ioc1022/chatbot/nlu"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// Classifier reads a message's intent and category; *nlu.Model implements it.
type Classifier interface {
	Classify(text string) nlu.Result
}

// Knowledge answers questions from the FAQ; *faq.KB implements it.
type Knowledge interface {
	Answer(ctx context.Context, question string, min float64) (*faq.Match, error)
}

// TicketDesk is what the dialogue needs of the ticket engine; *tickets.Module implements it.
type TicketDesk interface {
	Create(ctx context.Context, n tickets.NewTicket, by *httpapi.Principal) (*tickets.Ticket, error)
	PublicLookup(ctx context.Context, code tickets.Code, phoneLast4 string) (*tickets.PublicView, error)
}

// Places gives the gazetteer (wards and communes with their old names) and the names of
// categories for messages.
type Places interface {
	Units(ctx context.Context) ([]nlu.Unit, error)
	CategoryName(ctx context.Context, code string) string
}

// Engine runs dialogues. Its fields are set once; Step is safe for concurrent use on
// different states.
type Engine struct {
	Classifier Classifier
	Knowledge  Knowledge
	Tickets    TicketDesk
	Places     Places
	// CodePrefix is the prefix of ticket codes (tickets.code_prefix).
	CodePrefix string
	// FAQThreshold is the confidence below which the knowledge base is not used.
	FAQThreshold float64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Input is one citizen message with what the channel knows of its author.
type Input struct {
	MessageID      string
	ConversationID string
	ContactID      string
	Channel        string // ticket channel: web, app, zalo, facebook, email, telegram
	ContactName    string
	ContactPhone   string // the phone the channel gives, if any
	Text           string
	Photo          string // URL of an image sent with the message
}

// Reply is what the bot does with a message.
type Reply struct {
	Texts []string `bson:"texts,omitempty"`
	// Handoff sends the conversation to the agents' queue with Summary.
	Handoff bool   `bson:"handoff,omitempty"`
	Summary string `bson:"summary,omitempty"`
	// Resolve ends the conversation (the citizen said goodbye).
	Resolve bool `bson:"resolve,omitempty"`
	// Emergency, when set, must be raised to a supervisor (event chatbot.emergency).
	Emergency *Emergency `bson:"emergency,omitempty"`
	// Ticket is the code of a ticket this message created.
	Ticket string `bson:"ticket,omitempty"`
}

// Emergency is an emergency the bot recognised.
type Emergency struct {
	Numbers []string `bson:"numbers"` // 114, 115, 113
	Ward    string   `bson:"ward,omitempty"`
}

// turn is one message being handled.
type turn struct {
	in   Input
	st   *State
	text string
	norm nlu.Normalized
	cue  cueText
	res  nlu.Result
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Step handles one message: it advances st (the caller saves it) and returns the reply.
// Side effects (a ticket created) have happened when it returns without error.
func (e *Engine) Step(ctx context.Context, st *State, in Input) (Reply, error) {
	st.Turns++
	t := &turn{in: in, st: st, text: strings.TrimSpace(in.Text)}
	t.norm = nlu.Normalize(t.text)
	t.cue = cueTextOf(t.norm)
	if t.text != "" {
		t.res = e.Classifier.Classify(t.text)
	}
	if t.text == "" && in.Photo == "" {
		return say(msgOnlyText), nil
	}
	if r, ok := e.global(ctx, t); ok {
		return r, nil
	}
	switch st.Flow {
	case FlowReport:
		return e.report(ctx, t)
	case FlowStatus:
		return e.status(ctx, t)
	}
	return e.idle(ctx, t)
}

// global handles what may interrupt any step: cancel, emergency, a request for a person,
// anger.
func (e *Engine) global(ctx context.Context, t *turn) (Reply, bool) {
	st, res := t.st, t.res
	inFlow := st.Flow != FlowIdle
	switch {
	case t.text != "" && isCancel(t.text, t.cue):
		was := st.Flow
		st.reset()
		if was == FlowIdle {
			return say(msgNothingToCancel), true
		}
		return say(msgCancelled), true
	case t.text != "" && e.isEmergency(t, inFlow):
		nums := emergencyNumbers(t.text, t.cue)
		e.fill(ctx, t)
		st.LastIntent = string(nlu.IntentEmergency)
		r := e.handoff(t, "khẩn cấp", emergencyText(nums))
		r.Emergency = &Emergency{Numbers: nums, Ward: st.Report.Ward}
		st.reset()
		return r, true
	case t.text != "" && (t.cue.has(agentCues) || res.Intent == nlu.IntentTalkToAgent && (res.Confident && !inFlow || res.IntentConfidence >= 0.85)):
		st.LastIntent = string(nlu.IntentTalkToAgent)
		r := e.handoff(t, "người dân yêu cầu gặp tổng đài viên", msgHandoff)
		st.reset()
		return r, true
	case t.text != "" && (t.cue.has(angerCues) || strings.Count(t.text, "!") >= 3):
		r := e.handoff(t, "người dân bức xúc", msgAngry)
		st.reset()
		return r, true
	}
	return Reply{}, false
}

func (e *Engine) isEmergency(t *turn, inFlow bool) bool {
	if t.cue.isEmergencyCue(t.text) {
		return true
	}
	if t.res.Intent != nlu.IntentEmergency {
		return false
	}
	// The classifier alone needs some conviction: an emergency barely ahead of seven other
	// intents (a content-free "mai nha" reads like "mái nhà", a roof) gets the clarifying
	// question, not the emergency numbers. Explicit cues above act whatever it says.
	if inFlow {
		return t.res.IntentConfidence >= emergencyInFlow
	}
	return t.res.IntentConfidence >= emergencyIdle
}

// Confidence the classifier's emergency needs, when nothing is under way and within a
// report or status flow (where a message is more often an answer to the bot's question).
const (
	emergencyIdle   = 0.5
	emergencyInFlow = 0.6
)

// idle handles a message when nothing is under way.
func (e *Engine) idle(ctx context.Context, t *turn) (Reply, error) {
	st, res := t.st, t.res
	if st.Awaiting == slotChoice {
		if r, ok, err := e.choice(ctx, t); ok || err != nil {
			return r, err
		}
	}
	if code, _ := e.findCode(t.text); code != "" {
		return e.startStatus(ctx, t)
	}
	if t.text == "" || wantsReport(t.cue) { // a photo alone starts a report
		return e.startReport(ctx, t)
	}
	if res.Confident {
		st.Misses, st.Awaiting = 0, SlotNone
		st.LastIntent, st.LastCategory = string(res.Intent), string(res.Category)
		switch res.Intent {
		case nlu.IntentGreeting:
			return say(msgGreeting), nil
		case nlu.IntentThanksBye:
			return Reply{Texts: []string{msgBye}, Resolve: true}, nil
		case nlu.IntentReport:
			return e.startReport(ctx, t)
		case nlu.IntentCheckStatus:
			return e.startStatus(ctx, t)
		case nlu.IntentAskInfo:
			return e.answer(ctx, t)
		case nlu.IntentOutOfScope:
			// The bot cannot help: twice in a row, a person takes over.
			if r, ok, err := e.faqAnswer(ctx, t); ok || err != nil {
				return r, err
			}
			return e.miss(t, msgOutOfScope)
		}
	}
	// Not sure enough of both intent and category: a clear report or question still gets
	// its flow (the category is asked or the FAQ decides), anything else a clarification.
	switch {
	case res.Intent == nlu.IntentReport && res.IntentConfidence >= 0.9 && !isGeneric(t.norm):
		return e.startReport(ctx, t)
	case res.Intent == nlu.IntentAskInfo && res.IntentConfidence >= 0.9:
		return e.answer(ctx, t)
	}
	if r, ok, err := e.faqAnswer(ctx, t); ok || err != nil {
		return r, err
	}
	return e.miss(t, msgClarify)
}

// slotChoice is awaited after the clarifying question: the citizen picks 1 to 4.
const slotChoice Slot = "choice"

// choice reads the answer to the clarifying question.
func (e *Engine) choice(ctx context.Context, t *turn) (Reply, bool, error) {
	st := t.st
	pending := st.Report.What
	st.Awaiting, st.Report.What = SlotNone, ""
	switch {
	case t.cue.is([]string{"1", "phan anh", "gui phan anh", "kien nghi"}):
		st.Report.What = pending
		st.LastIntent = string(nlu.IntentReport)
		r, err := e.startReport(ctx, &turn{in: t.in, st: st, text: pending, norm: nlu.Normalize(pending), cue: cueTextOf(nlu.Normalize(pending)), res: e.classify(pending)})
		return r, true, err
	case t.cue.is([]string{"2", "hoi thu tuc", "thu tuc", "hoi"}):
		st.Misses = 0
		return say(msgAskWhichProcedure), true, nil
	case t.cue.is([]string{"3", "tra cuu", "tra cuu phan anh"}):
		st.LastIntent = string(nlu.IntentCheckStatus)
		r, err := e.startStatus(ctx, t)
		return r, true, err
	case t.cue.is([]string{"4", "tong dai vien", "nhan vien"}):
		st.LastIntent = string(nlu.IntentTalkToAgent)
		r := e.handoff(t, "người dân chọn gặp tổng đài viên", msgHandoff)
		st.reset()
		return r, true, nil
	}
	return Reply{}, false, nil
}

func (e *Engine) classify(text string) nlu.Result {
	if text == "" {
		return nlu.Result{Category: nlu.CategoryNone}
	}
	return e.Classifier.Classify(text)
}

// answer answers a question from the knowledge base, or says it cannot.
func (e *Engine) answer(ctx context.Context, t *turn) (Reply, error) {
	if r, ok, err := e.faqAnswer(ctx, t); ok || err != nil {
		return r, err
	}
	return e.miss(t, msgNoAnswer)
}

// faqAnswer answers from the knowledge base when an entry is confident enough; the
// answer cites the entry.
func (e *Engine) faqAnswer(ctx context.Context, t *turn) (Reply, bool, error) {
	if e.Knowledge == nil || t.text == "" {
		return Reply{}, false, nil
	}
	m, err := e.Knowledge.Answer(ctx, t.text, e.FAQThreshold)
	if err != nil || m == nil {
		return Reply{}, false, err
	}
	t.st.Misses, t.st.Awaiting = 0, SlotNone
	t.st.LastIntent = string(nlu.IntentAskInfo)
	return say(faqText(m.Entry)), true, nil
}

// miss counts a message the bot did not understand: the first time it asks again with
// ask, the second time it hands off.
func (e *Engine) miss(t *turn, ask string) (Reply, error) {
	t.st.Misses++
	if t.st.Misses >= 2 {
		r := e.handoff(t, "chatbot chưa hiểu yêu cầu sau hai lần hỏi lại", msgHandoffNotUnderstood)
		t.st.reset()
		return r, nil
	}
	if t.st.Flow == FlowIdle {
		t.st.Awaiting = slotChoice
		t.st.Report.What = t.text // kept in case the citizen then says it is a report
	}
	return say(ask), nil
}

// handoff sends the conversation to the agents with a summary of what the bot knows.
func (e *Engine) handoff(t *turn, reason, text string) Reply {
	return Reply{Texts: []string{text}, Handoff: true, Summary: summary(t.st, reason)}
}

func say(texts ...string) Reply { return Reply{Texts: texts} }
