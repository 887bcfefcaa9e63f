package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable that sets a key.
const EnvPrefix = "IOC1022_"

// Flags are the command-line settings that override every other source.
type Flags struct {
	ConfigFile string
	HTTP       string
	Data       string
	SIP        string
	Demo       bool
	DemoSet    bool // --demo was given, true or false
	LogLevel   string
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.ConfigFile, "config", "", "YAML configuration file")
	fs.StringVar(&f.HTTP, "http", "", "HTTP listen address (key http.listen)")
	fs.StringVar(&f.Data, "data", "", "data directory (key data.dir)")
	fs.StringVar(&f.SIP, "sip", "", "SIP listen address (key pbx.listen)")
	fs.BoolVar(&f.Demo, "demo", false, "seed demo data, users and the demo trunk (key demo; default: on with the embedded store)")
	fs.StringVar(&f.LogLevel, "log-level", "", "debug, info, warn or error (key log.level)")
}

// Load builds the configuration from defaults, the file named by flags, the environment
// (a list of KEY=VALUE as os.Environ returns) and the flags. It does not validate.
func Load(flags Flags, environ []string) (Config, error) {
	cfg := Default()
	if flags.ConfigFile != "" {
		raw, err := os.ReadFile(flags.ConfigFile)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		if err := decodeYAML(raw, &cfg); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", flags.ConfigFile, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	applyFlags(&cfg, flags)
	return cfg, nil
}

func decodeYAML(raw []byte, cfg *Config) error {
	var keys map[string]any
	_ = yaml.Unmarshal(raw, &keys)
	if unknown := unknownKeys(keys, ""); len(unknown) > 0 {
		return fmt.Errorf("unknown configuration keys: %s (see `ioc1022 checkconfig` for every key)", strings.Join(unknown, ", "))
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if _, ok := keys["demo"]; ok {
		cfg.DemoExplicit = true
	}
	return nil
}

func applyFlags(cfg *Config, f Flags) {
	if f.HTTP != "" {
		cfg.HTTP.Listen = f.HTTP
	}
	if f.Data != "" {
		cfg.Data.Dir = f.Data
	}
	if f.SIP != "" {
		cfg.PBX.Listen = f.SIP
	}
	if f.DemoSet {
		cfg.Demo, cfg.DemoExplicit = f.Demo, true
	}
	if f.LogLevel != "" {
		cfg.Log.Level = f.LogLevel
	}
}

// field is one leaf key of the configuration.
type field struct {
	path   string // e.g. pbx.listen
	value  reflect.Value
	secret bool
}

// EnvName returns the environment variable for a key path: pbx.listen is IOC1022_PBX_LISTEN.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// knownPaths holds every key path of the configuration, sections included.
var knownPaths = func() map[string]bool {
	cfg := Default()
	var fields []field
	leaves(reflect.ValueOf(&cfg).Elem(), "", &fields)
	out := map[string]bool{}
	for _, f := range fields {
		for p := f.path; p != ""; {
			out[p] = true
			i := strings.LastIndexByte(p, '.')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return out
}()

// unknownKeys returns, sorted, the key paths of a YAML mapping that the configuration lacks;
// the values of known leaves (lists of trunks, say) are not walked.
func unknownKeys(m map[string]any, prefix string) []string {
	var out []string
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if !knownPaths[path] {
			out = append(out, path)
			continue
		}
		if sub, ok := v.(map[string]any); ok && !isLeaf(path) {
			out = append(out, unknownKeys(sub, path)...)
		}
	}
	sort.Strings(out)
	return out
}

// isLeaf reports whether a known path is a key rather than a section.
func isLeaf(path string) bool {
	for p := range knownPaths {
		if strings.HasPrefix(p, path+".") {
			return false
		}
	}
	return true
}

func leaves(v reflect.Value, prefix string, out *[]field) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
			leaves(fv, path, out)
			continue
		}
		*out = append(*out, field{path: path, value: fv, secret: sf.Tag.Get("secret") == "true"})
	}
}

func applyEnv(cfg *Config, environ []string) error {
	var fields []field
	leaves(reflect.ValueOf(cfg).Elem(), "", &fields)
	byEnv := make(map[string]field, len(fields))
	for _, f := range fields {
		byEnv[EnvName(f.path)] = f
	}
	var errs []error
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if name == "MONGODB_URI" && val != "" {
			cfg.MongoDB.URI = val
			continue
		}
		if !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		f, known := byEnv[name]
		if !known {
			errs = append(errs, fmt.Errorf("unknown environment variable %s: no such key", name))
			continue
		}
		if err := setValue(f.value, val); err != nil {
			errs = append(errs, fmt.Errorf("%s (key %s): %w", name, f.path, err))
		}
		if f.path == "demo" {
			cfg.DemoExplicit = true
		}
	}
	return errors.Join(errs...)
}

func setValue(v reflect.Value, s string) error {
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 5m", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.Slice: // a comma-separated list
		out := reflect.MakeSlice(v.Type(), 0, 4)
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := setValue(e, p); err != nil {
				return err
			}
			out = reflect.Append(out, e)
		}
		v.Set(out)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("unsupported kind %s", v.Kind())
	}
	return nil
}

// Masked returns the effective configuration as YAML with every secret that is set shown as
// "********".
func (c Config) Masked() string {
	cp := c
	cp.Channels.AllowedOrigins = append([]string(nil), c.Channels.AllowedOrigins...)
	var fields []field
	leaves(reflect.ValueOf(&cp).Elem(), "", &fields)
	for _, f := range fields {
		if f.secret && f.value.String() != "" {
			f.value.SetString("********")
		}
	}
	out, err := yaml.Marshal(cp)
	if err != nil {
		return fmt.Sprintf("marshal config: %v", err)
	}
	return string(out)
}

// Keys lists every key path with its environment variable, sorted, for documentation.
func Keys() []string {
	cfg := Default()
	var fields []field
	leaves(reflect.ValueOf(&cfg).Elem(), "", &fields)
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		keys = append(keys, f.path+" "+EnvName(f.path))
	}
	sort.Strings(keys)
	return keys
}
