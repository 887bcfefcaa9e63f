package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ioc1022.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadOrder(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "http:\n  listen: 127.0.0.1:9000\npbx:\n  listen: 127.0.0.1:5070\nauth:\n  token_ttl: 2h\n")
	cases := []struct {
		name    string
		flags   Flags
		env     []string
		http    string
		sip     string
		ttl     time.Duration
		dataDir string
	}{
		{"defaults", Flags{}, nil, "127.0.0.1:8080", "127.0.0.1:5060", 12 * time.Hour, "./data"},
		{"file", Flags{ConfigFile: file}, nil, "127.0.0.1:9000", "127.0.0.1:5070", 2 * time.Hour, "./data"},
		{"env over file", Flags{ConfigFile: file}, []string{"IOC1022_PBX_LISTEN=127.0.0.1:5080", "IOC1022_DATA_DIR=/var/lib/ioc"}, "127.0.0.1:9000", "127.0.0.1:5080", 2 * time.Hour, "/var/lib/ioc"},
		{"flags over env", Flags{ConfigFile: file, HTTP: "127.0.0.1:9100", SIP: "127.0.0.1:5090", Data: "/d"}, []string{"IOC1022_PBX_LISTEN=127.0.0.1:5080"}, "127.0.0.1:9100", "127.0.0.1:5090", 2 * time.Hour, "/d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(c.flags, c.env)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.HTTP.Listen != c.http || cfg.PBX.Listen != c.sip || cfg.Auth.TokenTTL != c.ttl || cfg.Data.Dir != c.dataDir {
				t.Fatalf("got http=%s sip=%s ttl=%s data=%s", cfg.HTTP.Listen, cfg.PBX.Listen, cfg.Auth.TokenTTL, cfg.Data.Dir)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUnknownKeysAreErrorsNamingTheKey(t *testing.T) {
	t.Parallel()
	_, err := Load(Flags{ConfigFile: writeFile(t, "http:\n  lisen: 127.0.0.1:1\n")}, nil)
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("file with unknown key: %v", err)
	}
	_, err = Load(Flags{ConfigFile: writeFile(t, "channels:\n  zalo:\n    oa_secret: x\npbx:\n  listen: 127.0.0.1:5060\nbogus: 1\n")}, nil)
	if err == nil || !strings.Contains(err.Error(), "bogus, channels.zalo.oa_secret") {
		t.Fatalf("file with unknown keys: %v", err)
	}
	_, err = Load(Flags{}, []string{"IOC1022_HTTP_LISEN=x"})
	if err == nil || !strings.Contains(err.Error(), "IOC1022_HTTP_LISEN") {
		t.Fatalf("unknown env var: %v", err)
	}
	_, err = Load(Flags{}, []string{"IOC1022_AUTH_TOKEN_TTL=soon"})
	if err == nil || !strings.Contains(err.Error(), "auth.token_ttl") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestEnvNames(t *testing.T) {
	t.Parallel()
	for path, env := range map[string]string{
		"pbx.listen":                     "IOC1022_PBX_LISTEN",
		"channels.facebook.app_secret":   "IOC1022_CHANNELS_FACEBOOK_APP_SECRET",
		"channels.zalo.oa_secret_key":    "IOC1022_CHANNELS_ZALO_OA_SECRET_KEY",
		"channels.telegram.secret_token": "IOC1022_CHANNELS_TELEGRAM_SECRET_TOKEN",
		"admin.password":                 "IOC1022_ADMIN_PASSWORD",
	} {
		if got := EnvName(path); got != env {
			t.Errorf("EnvName(%s) = %s, want %s", path, got, env)
		}
		cfg, err := Load(Flags{}, []string{env + "=value-x"})
		if err != nil {
			t.Errorf("%s: %v", env, err)
			continue
		}
		if !strings.Contains(cfg.Masked(), "********") && !strings.Contains(cfg.Masked(), "value-x") {
			t.Errorf("%s did not set %s", env, path)
		}
	}
}

func TestMaskedHidesSecrets(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Flags{}, []string{"IOC1022_CHANNELS_FACEBOOK_APP_SECRET=topsecret", "MONGODB_URI=mongodb://u:pw@db:27017/",
		"IOC1022_ADMIN_PASSWORD=hunter22", "IOC1022_CHANNELS_ZALO_APP_ID=12345"})
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Masked()
	for _, secret := range []string{"topsecret", "pw@db", "hunter22"} {
		if strings.Contains(out, secret) {
			t.Errorf("Masked shows secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "12345") {
		t.Errorf("Masked hides a non-secret")
	}
	if cfg.Channels.Facebook.AppSecret != "topsecret" {
		t.Errorf("Masked changed the config itself")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	cfg := Default()
	cfg.HTTP.Listen = "nowhere"
	cfg.Log.Level = "loud"
	cfg.Auth.BcryptCost = 99
	err := cfg.Validate()
	for _, key := range []string{"http.listen", "log.level", "auth.bcrypt_cost"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate did not name %s: %v", key, err)
		}
	}
}

func TestDemoIsExplicitOnlyWhenSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		flags          Flags
		env            []string
		file           string
		demo, explicit bool
	}{
		{"unset", Flags{}, nil, "", false, false},
		{"env false", Flags{}, []string{"IOC1022_DEMO=false"}, "", false, true},
		{"file true", Flags{}, nil, "demo: true\n", true, true},
		{"flag false over file", Flags{Demo: false, DemoSet: true}, nil, "demo: true\n", false, true},
		{"flag true", Flags{Demo: true, DemoSet: true}, nil, "", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.flags
			if c.file != "" {
				f.ConfigFile = writeFile(t, c.file)
			}
			cfg, err := Load(f, c.env)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Demo != c.demo || cfg.DemoExplicit != c.explicit {
				t.Fatalf("demo=%v explicit=%v, want %v %v", cfg.Demo, cfg.DemoExplicit, c.demo, c.explicit)
			}
		})
	}
}

// TestEveryKeyFromTheEnvironment: each key of the configuration, whatever its type, can be
// set through its IOC1022_* variable.
func TestEveryKeyFromTheEnvironment(t *testing.T) {
	t.Parallel()
	cfg := Default()
	var fields []field
	leaves(reflect.ValueOf(&cfg).Elem(), "", &fields)
	for _, f := range fields {
		var val string
		switch f.value.Interface().(type) {
		case time.Duration:
			val = "90s"
		case []string:
			val = "a, b"
		case []int64:
			val = "1,-2"
		default:
			switch f.value.Kind() {
			case reflect.String:
				val = "x"
			case reflect.Bool:
				val = "true"
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				val = "7"
			case reflect.Float32, reflect.Float64:
				val = "0.5"
			default:
				t.Errorf("%s: a %s has no sample here", f.path, f.value.Type())
				continue
			}
		}
		env := EnvName(f.path) + "=" + val
		var got Config = Default()
		if err := applyEnv(&got, []string{env}); err != nil {
			t.Errorf("%s: %v", env, err)
		}
	}
	got := Default()
	if err := applyEnv(&got, []string{"IOC1022_IOC_TELEGRAM_LEADER_CHATS=1,-2", "IOC1022_IOC_SOCIAL_TOPIC_SIMILARITY=0.25"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.IOC.Telegram.LeaderChats, []int64{1, -2}) || got.IOC.Social.TopicSimilarity != 0.25 {
		t.Fatalf("leader chats %v, topic similarity %v", got.IOC.Telegram.LeaderChats, got.IOC.Social.TopicSimilarity)
	}
}
