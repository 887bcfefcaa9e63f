package dialogue

import (
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/tickets"
)

// validCode finds a code the ticket engine accepts by trying check characters.
func validCode(t *testing.T) string {
	t.Helper()
	for _, c := range "0123456789ABCDEFGHJKMNPQRSTVWXYZ" {
		s := "PA7K3M9Q" + string(c)
		if code, err := tickets.ParseCode(s); err == nil {
			return string(code)
		}
	}
	t.Fatal("no valid code")
	return ""
}

func lower(s string) string { return strings.ToLower(s) }

// other returns a check character different from c.
func other(c byte) string {
	if c == 'Z' {
		return "Y"
	}
	return "Z"
}
