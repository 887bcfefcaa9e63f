package dialogue

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// maxLookupTries is how many wrong code and digit pairs a conversation may try in a row.
const maxLookupTries = 3

// findCode returns the first ticket code in text, as the ticket engine reads codes
// (spaces and dashes inside allowed: "PA 7K3 M9Q X"), with the words it spans; the code
// must start with the hotline's prefix. A span that looks like a code but does not check
// out is returned as bad, for a precise answer.
func (e *Engine) findCode(text string) (tickets.Code, string) {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:!?()\"'“”", r)
	})
	for i := range words {
		words[i] = strings.Trim(words[i], ".")
	}
	prefix := strings.ToUpper(e.CodePrefix)
	bad := ""
	for size := 1; size <= 4; size++ {
		for i := 0; i+size <= len(words); i++ {
			span := strings.Join(words[i:i+size], "")
			up := strings.ToUpper(strings.NewReplacer("-", "", ".", "", "_", "", "/", "").Replace(span))
			// Codes may be all letters (PANMNCSBB): a word counts when it has a digit or is
			// typed in capitals, so ordinary words that happen to start with the prefix do not.
			looksLikeCode := strings.ContainsAny(up, "0123456789") || span == strings.ToUpper(span)
			if !strings.HasPrefix(up, prefix) || !looksLikeCode || len(up) != len(prefix)+7 {
				continue
			}
			code, err := tickets.ParseCode(span)
			if err == nil && strings.HasPrefix(string(code), prefix) {
				return code, ""
			}
			if bad == "" {
				bad = strings.Join(words[i:i+size], " ")
			}
		}
	}
	return "", bad
}

// last4Of finds the last four digits of a phone in text: four digits alone, or a whole
// phone number. ok is false when the citizen typed digits that are neither.
func last4Of(text string) (string, bool) {
	if ph := nlu.Extract(text, time.Time{}, nil).Phones; len(ph) > 0 {
		return ph[0][len(ph[0])-4:], true
	}
	if m := last4Pattern.FindStringSubmatch(text); m != nil {
		return m[1], true
	}
	return "", !strings.ContainsAny(text, "0123456789")
}

// startStatus begins a status check.
func (e *Engine) startStatus(ctx context.Context, t *turn) (Reply, error) {
	st := t.st
	st.reset()
	st.Flow, st.LastIntent = FlowStatus, string(nlu.IntentCheckStatus)
	return e.status(ctx, t)
}

// status asks for the code and the last four digits of the phone, then answers from the
// ticket engine. A wrong pair gets the same answer whatever was wrong, so nothing leaks.
func (e *Engine) status(ctx context.Context, t *turn) (Reply, error) {
	st := t.st
	rest := t.text
	code, bad := e.findCode(t.text)
	if code != "" {
		st.Code = string(code)
		rest = strings.Replace(strings.ToUpper(rest), string(code), " ", 1)
		rest = removeSpaced(rest, code)
	}
	if st.Code == "" {
		st.Awaiting = SlotCode
		if bad != "" {
			return e.miss(t, msgCodeInvalid)
		}
		return say(msgAskCode), nil
	}
	last4, ok := last4Of(rest)
	if last4 == "" {
		st.Awaiting = SlotLast4
		if !ok {
			return e.miss(t, msgLast4Invalid)
		}
		return say(msgAskLast4), nil
	}
	v, err := e.Tickets.PublicLookup(ctx, tickets.Code(st.Code), last4)
	var apiErr *httpapi.Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		st.Tries++
		if st.Tries >= maxLookupTries {
			st.reset()
			return say(msgLookupGiveUp), nil
		}
		st.Awaiting = SlotLast4
		return say(msgLookupNoMatch), nil
	}
	if err != nil {
		return Reply{}, err
	}
	st.reset()
	return say(statusText(v)), nil
}

// removeSpaced removes a code written with separators ("PA-7K3M9Q-X") from upper-cased
// text, so that its digits are not read as phone digits.
func removeSpaced(upper string, code tickets.Code) string {
	words := strings.Fields(upper)
	var out []string
	for _, w := range words {
		clean := strings.NewReplacer("-", "", ".", "").Replace(strings.Trim(w, ",;:!?()"))
		if clean != "" && strings.Contains(string(code), clean) && strings.ContainsAny(clean, "0123456789") {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}
