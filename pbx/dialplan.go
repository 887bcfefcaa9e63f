package pbx

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Dialplan is the PBX's data: the carriers' trunks and the numbers they deliver, the IVR
// menus and the queues. It is read from the file named by pbx.dialplan, or kept in the store
// and replaced through the API; --demo starts with DemoDialplan.
type Dialplan struct {
	Trunks []Trunk `json:"trunks" yaml:"trunks"`
	Menus  []Menu  `json:"menus" yaml:"menus"`
	Queues []Queue `json:"queues" yaml:"queues"`
}

// Trunk is a carrier's connection. A call is from the trunk when its source address is in
// Addresses, or, when the trunk has a Username, when it answers the digest challenge.
type Trunk struct {
	Name      string   `json:"name" yaml:"name"`
	Addresses []string `json:"addresses,omitempty" yaml:"addresses"` // IPs or CIDR prefixes
	Username  string   `json:"username,omitempty" yaml:"username"`
	Secret    string   `json:"secret,omitempty" yaml:"secret"`
	// DIDs maps the numbers the trunk delivers to their entry menus.
	DIDs []DID `json:"dids" yaml:"dids"`
	// Outbound is host:port where calls out through this trunk go (callbacks, transfers to
	// outside numbers); empty means the trunk takes no outbound calls.
	Outbound string `json:"outbound,omitempty" yaml:"outbound"`
	// CallerID is the number presented on outbound calls.
	CallerID string `json:"caller_id,omitempty" yaml:"caller_id"`

	prefixes []netip.Prefix
}

// DID is a number a trunk delivers and where its calls start: Menu during working time,
// AfterHours (when set) outside it, by the ticket engine's calendar.
type DID struct {
	Number     string `json:"number" yaml:"number"`
	Menu       string `json:"menu" yaml:"menu"`
	AfterHours string `json:"after_hours,omitempty" yaml:"after_hours"`
}

// Menu is an IVR menu: a prompt, the keys it accepts and what each does.
type Menu struct {
	Name    string `json:"name" yaml:"name"`
	Prompt  string `json:"prompt" yaml:"prompt"`
	Timeout int    `json:"timeout_s,omitempty" yaml:"timeout_s"` // seconds to wait for a key, 5 when 0
	Retries int    `json:"retries,omitempty" yaml:"retries"`     // prompts repeated after a timeout or wrong key
	// Options maps a key (0-9 * #) to an action.
	Options map[string]Action `json:"options" yaml:"options"`
	// NoInput is done when the retries are spent; hang up when empty.
	NoInput *Action `json:"no_input,omitempty" yaml:"no_input"`
}

// Action kinds.
const (
	ActMenu     = "menu"      // go to menu Target
	ActQueue    = "queue"     // enter queue Target
	ActPlay     = "play"      // play prompt Target, then return to the menu
	ActVoice    = "voicemail" // record a message (it becomes a ticket)
	ActCallback = "callback"  // keep the number for a callback from queue Target
	ActLookup   = "ticket"    // the caller keys a ticket code, the status is read back
	ActTransfer = "transfer"  // send the call to number Target through a trunk
	ActHangup   = "hangup"    // play prompt Target ("goodbye" when empty) and hang up
)

// Action is what a key or a queue overflow does.
type Action struct {
	Kind   string `json:"kind" yaml:"kind"`
	Target string `json:"target,omitempty" yaml:"target"`
}

// Queue strategies.
const (
	RingAll     = "ringall"
	LeastRecent = "leastrecent"
	FewestCalls = "fewestcalls"
	RRMemory    = "rrmemory"
	Linear      = "linear"
)

// Queue is a queue of callers waiting for agents.
type Queue struct {
	Name     string   `json:"name" yaml:"name"`
	Members  []string `json:"members" yaml:"members"` // agents' usernames, in order for linear
	Strategy string   `json:"strategy" yaml:"strategy"`
	// RingTimeout is the seconds an agent's phone rings before the next try (15 when 0).
	RingTimeout int `json:"ring_timeout_s,omitempty" yaml:"ring_timeout_s"`
	// Hold is the music-on-hold prompt ("hold" when empty).
	Hold string `json:"hold,omitempty" yaml:"hold"`
	// AnnounceEvery is the seconds between position and wait announcements; 0 is never.
	AnnounceEvery int `json:"announce_every_s,omitempty" yaml:"announce_every_s"`
	// MaxWait and MaxLen (0 is no limit) send callers to Overflow.
	MaxWait  int     `json:"max_wait_s,omitempty" yaml:"max_wait_s"`
	MaxLen   int     `json:"max_len,omitempty" yaml:"max_len"`
	Overflow *Action `json:"overflow,omitempty" yaml:"overflow"`
	// CallbackAfter offers a callback when the estimated wait is at least these seconds; 0 is never.
	CallbackAfter int `json:"callback_after_s,omitempty" yaml:"callback_after_s"`
	// Record records the calls answered from this queue.
	Record bool `json:"record,omitempty" yaml:"record"`
}

// DemoDialplan is --demo's: a trunk from 127.0.0.1 delivering 1022, a daytime and an
// after-hours menu, and one queue of the demo agents.
func DemoDialplan() Dialplan {
	return Dialplan{
		Trunks: []Trunk{{Name: "demo", Addresses: []string{"127.0.0.1"},
			DIDs: []DID{{Number: "1022", Menu: "main", AfterHours: "after_hours"}}}},
		Menus: []Menu{
			{Name: "main", Prompt: "main_menu", Timeout: 5, Retries: 2, Options: map[string]Action{
				"1": {Kind: ActQueue, Target: "hotline"},
				"2": {Kind: ActLookup},
				"3": {Kind: ActVoice},
				"0": {Kind: ActQueue, Target: "hotline"},
			}, NoInput: &Action{Kind: ActQueue, Target: "hotline"}},
			{Name: "after_hours", Prompt: "after_hours", Timeout: 5, Retries: 1, Options: map[string]Action{
				"1": {Kind: ActVoice},
				"2": {Kind: ActCallback, Target: "hotline"},
			}},
		},
		Queues: []Queue{{Name: "hotline", Members: []string{"agent1", "agent2"}, Strategy: LeastRecent,
			RingTimeout: 15, AnnounceEvery: 30, MaxWait: 600, CallbackAfter: 120, Record: true,
			Overflow: &Action{Kind: ActVoice}}},
	}
}

// Validate checks references and values and compiles the trunks' address lists; it reports
// every problem at once, naming the item.
func (dp *Dialplan) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	menus, queues := map[string]bool{}, map[string]bool{}
	for _, m := range dp.Menus {
		if m.Name == "" || menus[m.Name] {
			bad("menu %q: empty or duplicate name", m.Name)
		}
		menus[m.Name] = true
	}
	for _, q := range dp.Queues {
		if q.Name == "" || queues[q.Name] {
			bad("queue %q: empty or duplicate name", q.Name)
		}
		queues[q.Name] = true
	}
	checkAction := func(where string, a Action) {
		switch a.Kind {
		case ActMenu:
			if !menus[a.Target] {
				bad("%s: no menu %q", where, a.Target)
			}
		case ActQueue, ActCallback:
			if !queues[a.Target] {
				bad("%s: no queue %q", where, a.Target)
			}
		case ActPlay:
			if !validPromptName(a.Target) {
				bad("%s: bad prompt name %q", where, a.Target)
			}
		case ActTransfer:
			if !validNumber(a.Target) {
				bad("%s: transfer needs a number, got %q", where, a.Target)
			}
		case ActHangup:
			if a.Target != "" && !validPromptName(a.Target) {
				bad("%s: bad prompt name %q", where, a.Target)
			}
		case ActVoice, ActLookup:
		default:
			bad("%s: unknown action %q", where, a.Kind)
		}
	}
	for _, m := range dp.Menus {
		if !validPromptName(m.Prompt) {
			bad("menu %q: bad prompt name %q", m.Name, m.Prompt)
		}
		if m.Timeout < 0 || m.Timeout > 60 || m.Retries < 0 || m.Retries > 10 {
			bad("menu %q: timeout_s must be 0-60 and retries 0-10", m.Name)
		}
		for k, a := range m.Options {
			if len(k) != 1 || !strings.Contains("0123456789*#", k) {
				bad("menu %q: option key %q is not one of 0-9 * #", m.Name, k)
			}
			checkAction(fmt.Sprintf("menu %q option %s", m.Name, k), a)
		}
		if m.NoInput != nil {
			checkAction(fmt.Sprintf("menu %q no_input", m.Name), *m.NoInput)
		}
	}
	for _, q := range dp.Queues {
		if !slices.Contains([]string{RingAll, LeastRecent, FewestCalls, RRMemory, Linear}, q.Strategy) {
			bad("queue %q: strategy must be one of ringall, leastrecent, fewestcalls, rrmemory, linear", q.Name)
		}
		if q.RingTimeout < 0 || q.MaxWait < 0 || q.MaxLen < 0 || q.AnnounceEvery < 0 || q.CallbackAfter < 0 {
			bad("queue %q: times and lengths must not be negative", q.Name)
		}
		if q.Hold != "" && !validPromptName(q.Hold) {
			bad("queue %q: bad hold prompt %q", q.Name, q.Hold)
		}
		if q.Overflow != nil {
			checkAction(fmt.Sprintf("queue %q overflow", q.Name), *q.Overflow)
		}
	}
	dids := map[string]bool{}
	for i := range dp.Trunks {
		t := &dp.Trunks[i]
		if t.Name == "" {
			bad("trunk %d: empty name", i)
		}
		if len(t.Addresses) == 0 && t.Username == "" {
			bad("trunk %q: needs addresses or a username and secret", t.Name)
		}
		if t.Username != "" && t.Secret == "" {
			bad("trunk %q: username without secret", t.Name)
		}
		t.prefixes = t.prefixes[:0]
		for _, a := range t.Addresses {
			p, err := parsePrefix(a)
			if err != nil {
				bad("trunk %q: address %q: %v", t.Name, a, err)
				continue
			}
			t.prefixes = append(t.prefixes, p)
		}
		for _, d := range t.DIDs {
			if !validNumber(d.Number) || dids[d.Number] {
				bad("trunk %q: DID %q is not a number or is delivered twice", t.Name, d.Number)
			}
			dids[d.Number] = true
			if !menus[d.Menu] || (d.AfterHours != "" && !menus[d.AfterHours]) {
				bad("trunk %q: DID %s: unknown menu", t.Name, d.Number)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrDialplan, strings.Join(errs, "; "))
	}
	return nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// allows reports whether the trunk's address list holds ip.
func (t *Trunk) allows(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (dp *Dialplan) menu(name string) *Menu {
	for i := range dp.Menus {
		if dp.Menus[i].Name == name {
			return &dp.Menus[i]
		}
	}
	return nil
}

func (dp *Dialplan) queue(name string) *Queue {
	for i := range dp.Queues {
		if dp.Queues[i].Name == name {
			return &dp.Queues[i]
		}
	}
	return nil
}

// did finds the trunk's entry for number.
func (t *Trunk) did(number string) *DID {
	for i := range t.DIDs {
		if t.DIDs[i].Number == number {
			return &t.DIDs[i]
		}
	}
	return nil
}

// outboundTrunk is the first trunk that takes outbound calls.
func (dp *Dialplan) outboundTrunk() *Trunk {
	for i := range dp.Trunks {
		if dp.Trunks[i].Outbound != "" {
			return &dp.Trunks[i]
		}
	}
	return nil
}

func validNumber(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i, r := range s {
		if (r < '0' || r > '9') && !(i == 0 && r == '+') {
			return false
		}
	}
	return true
}

func validPromptName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
