package tickets

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizePhone(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"national mobile", "0912345678", "0912345678"},
		{"spaces and dots", "0912 345.678", "0912345678"},
		{"plus 84", "+84 912 345 678", "0912345678"},
		{"plus 84 with trunk zero", "+84 (0) 912 345 678", "0912345678"},
		{"84 without plus", "84912345678", "0912345678"},
		{"0084", "0084912345678", "0912345678"},
		{"no prefix", "912345678", "0912345678"},
		{"landline", "0236.3822.123", "02363822123"},
		{"landline +84", "+84 236 3822 123", "02363822123"},
		{"dashes", "091-234-5678", "0912345678"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizePhone(c.in)
			if err != nil || got != c.want {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	for _, bad := range []string{"", "abc", "12345", "+1 202 555 0100", "0112345678", "09123456789012", "1022", "+84"} {
		if got, err := NormalizePhone(bad); err == nil || err.Error() == "" {
			t.Errorf("NormalizePhone(%q) = %q, want an error", bad, got)
		}
	}
}

func TestParseCode(t *testing.T) {
	c := newCode("PA")
	body := string(c[2:])
	forms := []string{string(c), strings.ToLower(string(c)), "pa " + body[:3] + " " + body[3:6] + " " + body[6:], "PA-" + body[:6] + "-" + body[6:], " " + c.Spoken() + " "}
	for _, f := range forms {
		got, err := ParseCode(f)
		if err != nil || got != c {
			t.Errorf("ParseCode(%q) = %q, %v; want %s", f, got, err, c)
		}
	}
	if got, err := ParseCode("pa-0o0ooo-o"); err != nil || got != "PA0000000" {
		t.Errorf("O for 0: %q %v", got, err)
	}
	wrong := []byte(c)
	if wrong[4] == '2' {
		wrong[4] = '3'
	} else {
		wrong[4] = '2'
	}
	for _, bad := range []string{string(wrong), "PA12", "", "12AB34567", "PAU234567", "PA 7K3 M9Q X!", "TOOLONGPA1234567"} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) accepted", bad)
		}
	}
	swapped := []byte(c)
	if swapped[3] != swapped[4] {
		swapped[3], swapped[4] = swapped[4], swapped[3]
		if _, err := ParseCode(string(swapped)); err == nil {
			t.Errorf("a swap of neighbours passed the check: %s", swapped)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "84912345678", "0236.3822.123", "", "+", "0084", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if (len(got) != 10 && len(got) != 11) || got[0] != '0' || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q", s, got)
		}
		if again, err := NormalizePhone(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"PA7K3M9QX", "pa-7k3-m9q-x", string(newCode("PA")), "", "PA", "P A 0 0 0 0 0 0 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCode(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) || err.Error() == "" {
				t.Fatalf("bad error for %q", s)
			}
			return
		}
		if again, err := ParseCode(string(got)); err != nil || again != got {
			t.Fatalf("canonical form does not parse to itself: %q -> %q -> %q, %v", s, got, again, err)
		}
		if strings.ContainsAny(string(got[len(got)-7:]), "ILOU") {
			t.Fatalf("ambiguous letter in %q", got)
		}
	})
}
