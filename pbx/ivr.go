package pbx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ioc1022/ioc1022/pbx/dtmf"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrTicketNotFound is what a TicketDesk wraps when a keyed code matches no ticket.
var ErrTicketNotFound = errors.New("ticket not found")

func parseInfoDigit(ct string, body []byte) (rune, error) { return dtmf.ParseInfo(ct, body) }

// maxMenuHops bounds menu-to-menu jumps, so a dialplan loop cannot hold a call forever.
const maxMenuHops = 50

// runIVR walks the menus from name and returns the action that leaves the IVR (queue,
// voicemail, callback, transfer) or hangup.
func (c *call) runIVR(name string) Action {
	dp := c.m.dialplan.Load()
	for hop := 0; hop < maxMenuHops; hop++ {
		menu := dp.menu(name)
		if menu == nil {
			return Action{Kind: ActHangup}
		}
		act, next := c.runMenu(menu)
		if !next {
			return act
		}
		name = act.Target
	}
	return Action{Kind: ActHangup}
}

// runMenu plays one menu until a key leads somewhere; next is true for a submenu.
func (c *call) runMenu(menu *Menu) (act Action, next bool) {
	step := c.addStep(menu.Name)
	timeout := time.Duration(menu.Timeout) * time.Second
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	c.leg.drainDigits()
	for try := 0; try <= menu.Retries; {
		if err := c.leg.play(c.ctx, c.m.prompts, true, menu.Prompt); err != nil || c.ctx.Err() != nil {
			return Action{Kind: ActHangup}, false
		}
		d, ok := c.readDigit(timeout)
		if c.ctx.Err() != nil {
			return Action{Kind: ActHangup}, false
		}
		if !ok {
			try++
			continue
		}
		c.addDigit(step, d)
		a, found := menu.Options[string(d)]
		if !found {
			try++
			_ = c.leg.play(c.ctx, c.m.prompts, true, "invalid")
			continue
		}
		switch a.Kind {
		case ActMenu:
			return a, true
		case ActPlay:
			_ = c.leg.play(c.ctx, c.m.prompts, true, a.Target)
		case ActLookup:
			c.lookupTicket(step)
		default:
			return a, false
		}
	}
	if menu.NoInput != nil {
		return *menu.NoInput, menu.NoInput.Kind == ActMenu
	}
	return Action{Kind: ActHangup}, false
}

// readDigit waits for one key.
func (c *call) readDigit(timeout time.Duration) (rune, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case d := <-c.leg.digits:
		return d, true
	case <-t.C:
	case <-c.ctx.Done():
	}
	return 0, false
}

// readDigits reads keys until '#', max keys, or a pause of timeout.
func (c *call) readDigits(step int, max int, timeout time.Duration) string {
	var s []rune
	for len(s) < max {
		d, ok := c.readDigit(timeout)
		if !ok {
			break
		}
		c.addDigit(step, d)
		if d == '#' {
			break
		}
		s = append(s, d)
	}
	return string(s)
}

func (c *call) addStep(menu string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Path = append(c.rec.Path, Step{Menu: menu, At: time.Now().UTC()})
	return len(c.rec.Path) - 1
}

func (c *call) addDigit(step int, d rune) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Path[step].Digits += string(d)
}

// lookupTicket asks for a ticket code and reads its status back from recorded fragments.
func (c *call) lookupTicket(menuStep int) {
	_ = menuStep
	step := c.addStep("ticket_lookup")
	c.play(true, "enter_code")
	keys := c.readDigits(step, 32, 8*time.Second)
	if c.ctx.Err() != nil {
		return
	}
	code, err := keypadCode(keys)
	if err != nil || c.m.Tickets == nil {
		c.play(false, "not_found")
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	status, due, err := c.m.Tickets.TicketStatus(ctx, code)
	cancel()
	if err != nil {
		if !errors.Is(err, ErrTicketNotFound) {
			c.m.log.Warn("ticket lookup", "call", c.rec.ID, "err", err)
		}
		c.play(false, "not_found")
		return
	}
	c.play(false, statusPhrase(status, due)...)
}

// play plays prompts to the caller and tells the test hook which.
func (c *call) play(interruptible bool, names ...string) {
	if h := c.m.playHook; h != nil {
		h(c.rec.ID, names)
	}
	_ = c.leg.play(c.ctx, c.m.prompts, interruptible, names...)
}

// statusPhrase is the prompts that read a ticket's status: "Phiếu … <status>. Hạn xử lý,
// ngày D tháng M."
func statusPhrase(status string, due time.Time) []string {
	out := []string{"ticket", "status_" + status}
	if !due.IsZero() {
		loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
		if err != nil {
			loc = time.FixedZone("ICT", 7*3600)
		}
		d := due.In(loc)
		out = append(out, "due")
		out = append(out, numberPrompts(d.Day())...)
		out = append(out, "month")
		out = append(out, numberPrompts(int(d.Month()))...)
	}
	return out
}

// numberPrompts reads a number digit by digit.
func numberPrompts(n int) []string {
	var out []string
	for _, r := range strconv.Itoa(n) {
		out = append(out, fmt.Sprintf("digit_%c", r))
	}
	return out
}

// eventsLocked returns the call's events of the given types, with the record as it is now.
func (c *call) eventsLocked(types ...string) []eventOf {
	out := make([]eventOf, 0, len(types))
	for _, t := range types {
		out = append(out, c.rec.event(t))
	}
	return out
}

// setAndEmit updates fields of the record (applied by set to the in-memory copy) and writes
// them with an event of type typ.
func (c *call) setAndEmit(typ string, apply func(r *CallRecord) bson.M) {
	c.mu.Lock()
	set := apply(&c.rec)
	ev := c.rec.event(typ)
	snap := c.snapLocked()
	c.mu.Unlock()
	c.w.update(snap, set, ev)
}
