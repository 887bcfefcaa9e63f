package tickets

import (
	"crypto/rand"
	"fmt"
	"strings"
	"unicode"
)

// A ticket code is a prefix of 1 to 4 letters (tickets.code_prefix, "PA" by default), six
// random characters and one check character, all from Crockford's base32 alphabet, which has
// no I, L, O or U: PA7K3M9QX, read over the phone as "PA 7K3 M9Q X". ParseCode takes what a
// citizen types or says: lower case, spaces, dashes and dots, O for 0 and I or L for 1.
// docs/tickets.md documents the format.

const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	codeBody = 6 // random characters
	codeTail = codeBody + 1
)

// newCode returns a fresh random code with prefix.
func newCode(prefix string) Code {
	var b [codeBody]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the runtime's generator does not fail
	}
	body := make([]byte, codeBody)
	for i, v := range b {
		body[i] = codeAlphabet[int(v)%len(codeAlphabet)]
	}
	return Code(prefix + string(body) + string(checkChar(string(body))))
}

// checkChar is a weighted sum of the body's values modulo 32: it catches any one wrong
// character and any swap of two neighbours.
func checkChar(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += (i + 1) * strings.IndexByte(codeAlphabet, body[i])
	}
	return codeAlphabet[sum%len(codeAlphabet)]
}

// ParseCode reads a ticket code as a citizen types or says it and returns its canonical form.
// It accepts lower case, spaces, dashes and dots, and O/I/L for 0/1/1 after the prefix. The
// error says in plain words what is wrong.
func ParseCode(s string) (Code, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '_' || r == '\t' || r == '/':
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToUpper(r))
		default:
			return "", fmt.Errorf("a ticket code has only letters and digits, such as PA-7K3M9Q-X; %q is not one", r)
		}
	}
	raw := b.String()
	if len(raw) < codeTail+1 || len(raw) > codeTail+4 {
		return "", fmt.Errorf("a ticket code is 1 to 4 letters and 7 characters, such as PA-7K3M9Q-X")
	}
	prefix, tail := raw[:len(raw)-codeTail], []byte(raw[len(raw)-codeTail:])
	for _, r := range prefix {
		if r < 'A' || r > 'Z' {
			return "", fmt.Errorf("a ticket code starts with letters, such as PA")
		}
	}
	for i, c := range tail {
		switch c {
		case 'O':
			tail[i] = '0'
		case 'I', 'L':
			tail[i] = '1'
		case 'U':
			return "", fmt.Errorf("a ticket code never has the letter U; check the code")
		}
	}
	if checkChar(string(tail[:codeBody])) != tail[codeBody] {
		return "", fmt.Errorf("ticket code %s-%s-%s does not check out; a character is probably wrong", prefix, tail[:codeBody], tail[codeBody:])
	}
	return Code(prefix + string(tail)), nil
}

// Spoken returns the code grouped for reading aloud: PA 7K3 M9Q X.
func (c Code) Spoken() string {
	s := string(c)
	if len(s) < codeTail+1 {
		return s
	}
	p, t := s[:len(s)-codeTail], s[len(s)-codeTail:]
	return p + " " + t[:3] + " " + t[3:6] + " " + t[6:]
}
