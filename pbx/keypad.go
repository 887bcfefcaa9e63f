package pbx

import (
	"errors"
	"strings"
)

// Ticket codes have letters (Crockford's base32: digits and A-Z without I, L, O, U) that a
// phone keypad cannot key directly. Callers key a code's characters after its prefix:
//
//   - a digit as itself;
//   - a letter as * then the key that bears it then its place on that key (multi-tap, ITU
//     E.161 keypad: 2 ABC, 3 DEF, 4 GHI, 5 JKL, 6 MNO, 7 PQRS, 8 TUV, 9 WXYZ), so K is *52
//     (J K L on 5, second), M is *61, X is *92;
//   - # to finish.
//
// PA-7K3M9Q-X is keyed 7 *52 3 *61 9 *72 *92 #. The code's check character catches a slip.
var keypadLetters = map[byte]string{'2': "ABC", '3': "DEF", '4': "GHI", '5': "JKL", '6': "MNO", '7': "PQRS", '8': "TUV", '9': "WXYZ"}

// errKeypad is a keyed sequence that is not a code.
var errKeypad = errors.New("keyed sequence is not a ticket code")

// keypadCode turns the keys a caller pressed into the code's characters after the prefix.
func keypadCode(keys string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(keys); i++ {
		k := keys[i]
		switch {
		case k >= '0' && k <= '9':
			b.WriteByte(k)
		case k == '*':
			if i+2 >= len(keys) {
				return "", errKeypad
			}
			letters, ok := keypadLetters[keys[i+1]]
			place := int(keys[i+2] - '1')
			if !ok || place < 0 || place >= len(letters) {
				return "", errKeypad
			}
			b.WriteByte(letters[place])
			i += 2
		default:
			return "", errKeypad
		}
	}
	if b.Len() == 0 {
		return "", errKeypad
	}
	return b.String(), nil
}

// KeypadKeys returns how a caller keys code's characters after prefix (the inverse of the
// IVR's reading), for the voice prompts' text and the console's help.
func KeypadKeys(tail string) string {
	var b strings.Builder
	for i := 0; i < len(tail); i++ {
		c := tail[i]
		if c >= '0' && c <= '9' {
			b.WriteByte(c)
			continue
		}
		for key, letters := range keypadLetters {
			if p := strings.IndexByte(letters, c); p >= 0 {
				b.WriteByte('*')
				b.WriteByte(key)
				b.WriteByte(byte('1' + p))
			}
		}
	}
	return b.String()
}
