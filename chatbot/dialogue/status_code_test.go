package dialogue

import "testing"

func TestFindCodeAllLetters(t *testing.T) {
	t.Parallel()
	e := &Engine{CodePrefix: "PA"}
	cases := []struct{ name, text, want string }{
		{"all letters", "cho mình tra cứu phiếu PANMNCSBB", "PANMNCSBB"},
		{"ordinary word", "phananhhh", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _ := e.findCode(c.text)
			if string(code) != c.want {
				t.Fatalf("findCode(%q) = %q, want %q", c.text, code, c.want)
			}
		})
	}
}
