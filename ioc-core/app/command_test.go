package app_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func runChild(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	// The commands run as on a machine without MONGODB_URI unless a case sets it (make test
	// sets it for the tests' store).
	base := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "MONGODB_URI=") })
	cmd.Env = append(append(base, "IOCTEST_CHILD=1"), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestCommands(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		env      []string
		args     []string
		code     int
		contains []string
		absent   []string
	}{
		{"checkconfig masks secrets", []string{"IOC1022_CHANNELS_FACEBOOK_APP_SECRET=s3cr3t"}, []string{"checkconfig", "--http", "127.0.0.1:9999"}, 0,
			[]string{"listen: 127.0.0.1:9999", "app_secret: '********'", "configuration is valid"}, []string{"s3cr3t"}},
		{"checkconfig shows demo data on the embedded store", nil, []string{"checkconfig"}, 0, []string{"\ndemo: true\n"}, nil},
		{"checkconfig shows no demo data on MongoDB", []string{"MONGODB_URI=mongodb://127.0.0.1:1/"}, []string{"checkconfig"}, 0, []string{"\ndemo: false\n"}, nil},
		{"checkconfig names an unknown key", []string{"IOC1022_HTTP_LISEN=x"}, []string{"checkconfig"}, 1,
			[]string{"IOC1022_HTTP_LISEN"}, nil},
		{"checkconfig names an invalid value", nil, []string{"checkconfig", "--http", "nowhere"}, 1,
			[]string{"http.listen"}, nil},
		{"version", nil, []string{"version"}, 0, []string{"ioc1022"}, nil},
		{"unknown command", nil, []string{"frobnicate"}, 2, []string{"unknown command"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, code := runChild(t, c.env, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, out)
			}
			for _, s := range c.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(out, s) {
					t.Errorf("output shows %q:\n%s", s, out)
				}
			}
		})
	}
}
