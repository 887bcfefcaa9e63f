package nlu

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// TicketCode is a hotline case code in canonical form: upper-case prefix
// and digits, no separators ("PA123456").
type TicketCode string

// Entities are the details Extract found in a message.
type Entities struct {
	TicketCodes []TicketCode  `json:"ticket_codes,omitempty"`
	Phones      []string      `json:"phones,omitempty"` // normalised to 0xxxxxxxxx
	Emails      []string      `json:"emails,omitempty"` // lower case
	Times       []TimeMention `json:"times,omitempty"`
	Address     *Address      `json:"address,omitempty"`
	Units       []UnitMatch   `json:"units,omitempty"`
}

// Extract finds ticket codes, phone numbers, e-mail addresses, dates and
// times, an address and the administrative units of units (a gazetteer
// given by the caller) in text. Relative dates ("hôm qua", "tối qua") are
// resolved against now in Asia/Ho_Chi_Minh. Text typed with or without
// diacritics works alike. Extract never panics and is safe for concurrent
// use as long as TicketCodePattern is not being replaced.
func Extract(text string, now time.Time, units []Unit) Entities {
	text = strings.ToValidUTF8(text, " ")
	toks := scanTokens(text)
	return Entities{
		TicketCodes: extractTicketCodes(text),
		Phones:      extractPhones(text),
		Emails:      extractEmails(text),
		Times:       extractTimes(toks, now),
		Address:     extractAddress(toks),
		Units:       matchUnits(toks, units),
	}
}

// TicketCodePattern is the canonical shape of a ticket code, checked after
// separators are removed and letters upper-cased. The default accepts two
// or three letters ("PA", the hotline's prefix) or the digits 1022,
// followed by six digits. Replace it at program start, before any Extract
// call, to accept another format.
var TicketCodePattern = regexp.MustCompile(`^(?:[A-Z]{2,3}|1022)\d{6}$`)

// ticketCandidate finds code-like spans: a prefix, then six digits written
// whole or in two groups of three separated by a space, dot or hyphen
// ("PA123456", "PA-123456", "PA 123 456", "pa-123.456", "1022-123456").
var ticketCandidate = regexp.MustCompile(`(?i)\b([a-z]{2,3}|1022)([\s.\-]?)(\d{3})[\s.\-]?(\d{3})\b`)

// extractTicketCodes returns the distinct codes in text. A lower-case
// prefix counts only when written against the digits or with a hyphen
// ("pa123456", "pa-123456"), so that words such as "số 123456" are no code.
func extractTicketCodes(text string) []TicketCode {
	var out []TicketCode
	for _, m := range ticketCandidate.FindAllStringSubmatch(text, -1) {
		prefix, sep := m[1], m[2]
		if sep == " " || sep == "." {
			if prefix != strings.ToUpper(prefix) {
				continue
			}
		}
		code := TicketCode(strings.ToUpper(prefix) + m[3] + m[4])
		if TicketCodePattern.MatchString(string(code)) && !containsCode(out, code) {
			out = append(out, code)
		}
	}
	return out
}

func containsCode(list []TicketCode, c TicketCode) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// phoneCandidate finds digit runs that start like a Vietnamese number,
// with spaces, dots or hyphens between the digits.
var phoneCandidate = regexp.MustCompile(`(?:\+\s?84|\b84|\b0)(?:[\s.\-]?\d){9,10}\b`)

// extractPhones returns distinct Vietnamese phone numbers as 0xxxxxxxxx
// (mobile, ten digits, 03/05/07/08/09) or 02xxxxxxxxx (landline, eleven
// digits); +84 and 84 prefixes become 0.
func extractPhones(text string) []string {
	var out []string
	for _, loc := range phoneCandidate.FindAllStringIndex(text, -1) {
		if loc[0] > 0 && isDigitByte(text[loc[0]-1]) {
			continue
		}
		p, ok := normalizePhone(text[loc[0]:loc[1]])
		if ok && !containsString(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func normalizePhone(s string) (string, bool) {
	var digits strings.Builder
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits.WriteRune(r)
		}
	}
	d := digits.String()
	if strings.HasPrefix(d, "84") && !strings.HasPrefix(s, "0") {
		d = "0" + d[2:]
	}
	switch {
	case len(d) == 10 && strings.ContainsRune("35789", rune(d[1])):
		return d, true
	case len(d) == 11 && d[1] == '2':
		return d, true
	}
	return "", false
}

var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

func extractEmails(text string) []string {
	var out []string
	for _, e := range emailPattern.FindAllString(text, -1) {
		e = strings.ToLower(e)
		if !containsString(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

// token is a word or number of the original text with its folded form.
type token struct {
	orig   string // as written
	folded string // lower case, no diacritics
	start  int    // byte offset in the text
	punct  bool   // preceded by punctuation (a clause boundary)
}

// scanTokens splits text into letter/digit runs; '/' ':' '.' stay inside a
// run between digits ("25/11", "8:30", "12/3").
func scanTokens(text string) []token {
	var toks []token
	runes := []rune(text)
	offsets := make([]int, len(runes)+1)
	off := 0
	for i, r := range runes {
		offsets[i] = off
		off += len(string(r))
	}
	offsets[len(runes)] = off
	punct := false
	for i := 0; i < len(runes); {
		if !isWordRune(runes[i]) {
			if strings.ContainsRune(",.;:!?()\n", runes[i]) {
				punct = true
			}
			i++
			continue
		}
		j := i
		for j < len(runes) && (isWordRune(runes[j]) ||
			(strings.ContainsRune("/:.", runes[j]) && j+1 < len(runes) && unicode.IsDigit(runes[j+1]) && j > i && unicode.IsDigit(runes[j-1]))) {
			j++
		}
		orig := string(runes[i:j])
		toks = append(toks, token{orig: orig, folded: strings.ToLower(Fold(orig)), start: offsets[i], punct: punct})
		punct = false
		i = j
	}
	return toks
}
