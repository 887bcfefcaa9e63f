package tickets

import (
	"errors"
	"strings"
)

// NormalizePhone returns a Vietnamese phone number in its national form 0xxxxxxxxx: it takes
// +84, 84, 0084 and 0 prefixes (or none), spaces, dots, dashes and brackets. Mobile numbers
// are 10 digits starting 03, 05, 07, 08 or 09; landlines 11 digits starting 02. The error says
// what is wrong in plain words.
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '\u00a0':
		case r == '+' && i == 0:
			plus = true
		default:
			return "", errors.New("a phone number has only digits, spaces, dots and an optional + in front")
		}
	}
	d := b.String()
	if d == "" {
		return "", errors.New("the phone number is empty")
	}
	switch {
	case plus:
		var ok bool
		if d, ok = strings.CutPrefix(d, "84"); !ok {
			return "", errors.New("only Vietnamese numbers (+84) are accepted")
		}
	case strings.HasPrefix(d, "0084"):
		d = d[4:]
	case strings.HasPrefix(d, "84") && (len(d) == 11 || len(d) == 12):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = d[1:]
	}
	d = strings.TrimPrefix(d, "0") // +84 0912..., written with the trunk zero as well
	switch {
	case len(d) == 9 && strings.ContainsRune("35789", rune(d[0])):
	case len(d) == 10 && d[0] == '2':
	case len(d) < 9:
		return "", errors.New("the phone number is too short: a mobile number has 10 digits, such as 0912 345 678")
	case len(d) > 10:
		return "", errors.New("the phone number is too long: a mobile number has 10 digits, such as 0912 345 678")
	default:
		return "", errors.New("not a Vietnamese number: mobiles start with 03, 05, 07, 08 or 09, landlines with 02")
	}
	return "0" + d, nil
}

// last4 returns the last four digits of a normalised phone number.
func last4(phone string) string {
	if len(phone) < 4 {
		return ""
	}
	return phone[len(phone)-4:]
}
