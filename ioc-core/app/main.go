package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// Command is a subcommand offered by a module, such as `chatbot` or `kpi`.
type Command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// Commander is implemented by modules that add subcommands.
type Commander interface {
	Commands() []Command
}

// Main runs the command line of the binary and returns the exit code.
func Main(args []string, modules ...Module) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, modules)
	case "checkconfig":
		err = checkConfig(args, os.Stdout)
	case "version":
		fmt.Println("ioc1022", Version)
	case "store":
		err = serveStore(ctx, args)
	case "help", "-h", "--help":
		usage(os.Stdout, modules)
	default:
		c, ok := findCommand(cmd, modules)
		if !ok {
			fmt.Fprintf(os.Stderr, "ioc1022: unknown command %q\n\n", cmd)
			usage(os.Stderr, modules)
			return 2
		}
		err = c.Run(ctx, args, os.Stdout, os.Stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ioc1022 %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func findCommand(name string, modules []Module) (Command, bool) {
	for _, m := range modules {
		if cm, ok := m.(Commander); ok {
			for _, c := range cm.Commands() {
				if c.Name == name {
					return c, true
				}
			}
		}
	}
	return Command{}, false
}

func usage(w io.Writer, modules []Module) {
	lines := []string{"serve        run the node (the default)", "checkconfig  validate and print the effective configuration",
		"version      print the version", "store        serve the embedded store alone (--data DIR --listen ADDR)"}
	for _, m := range modules {
		if cm, ok := m.(Commander); ok {
			for _, c := range cm.Commands() {
				lines = append(lines, fmt.Sprintf("%-12s %s", c.Name, c.Summary))
			}
		}
	}
	sort.Strings(lines[4:])
	fmt.Fprintln(w, "usage: ioc1022 [command] [flags]\n\ncommands:")
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w, "\nflags of serve and checkconfig: --config FILE --http ADDR --data DIR --sip ADDR --demo --log-level LEVEL")
}

// LoadConfig parses the config flags in args and loads the configuration from every source.
func LoadConfig(name string, args []string) (config.Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f config.Flags
	f.Register(fs)
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	if fs.NArg() > 0 {
		return config.Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(fl *flag.Flag) { f.DemoSet = f.DemoSet || fl.Name == "demo" })
	return config.Load(f, os.Environ())
}

func checkConfig(args []string, out io.Writer) error {
	cfg, err := LoadConfig("checkconfig", args)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if !cfg.DemoExplicit { // as serve decides: demo data on the embedded store, none on MongoDB
		cfg.Demo = cfg.MongoDB.URI == ""
	}
	fmt.Fprint(out, cfg.Masked())
	fmt.Fprintln(out, "# configuration is valid")
	return nil
}

// NewLogger returns the process logger the configuration asks for.
func NewLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, modules []Module) error {
	cfg, err := LoadConfig("serve", args)
	if err != nil {
		return err
	}
	log := NewLogger(cfg.Log, os.Stderr)
	a, err := New(ctx, cfg, log, modules...)
	if err != nil {
		return err
	}
	if err := a.Listen(); err != nil {
		_ = a.Core.Store.Close(context.Background())
		return err
	}
	a.printBanner(os.Stdout)
	return a.Run(ctx)
}

func (a *App) printBanner(w io.Writer) {
	c := a.Core
	base := "http://" + a.HTTPAddr()
	fmt.Fprintf(w, "ioc1022 %s is up\n", Version)
	fmt.Fprintf(w, "  console      %s/\n", base)
	fmt.Fprintf(w, "  API          %s/api/v1  (OpenAPI: %s/api/v1/openapi.json)\n", base, base)
	fmt.Fprintf(w, "  health       %s/healthz  %s/readyz  metrics: %s/metrics\n", base, base, base)
	if c.Store.Embedded {
		fmt.Fprintf(w, "  store        embedded FerretDB at %s (data in %s)\n", c.Store.URI, c.Config.Data.Dir)
	} else {
		fmt.Fprintf(w, "  store        MongoDB at %s\n", c.Store.URI)
	}
	for _, l := range a.Listens() {
		fmt.Fprintf(w, "  %s\n", l)
	}
	if p := a.GeneratedAdminPassword(); p != "" {
		fmt.Fprintf(w, "  admin login  user \"admin\", password %q (shown once: change it)\n", p)
	}
	if c.Config.Demo {
		fmt.Fprintln(w, "  demo data    ON: demo province, users and passwords as listed in the README (demo: false for real use)")
	}
}

// serveStore runs the embedded store alone until interrupted.
func serveStore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	dir := fs.String("data", "./data", "data directory of the embedded store")
	addr := fs.String("listen", "127.0.0.1:27017", "address to serve the MongoDB wire protocol on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := NewLogger(config.Log{Level: "warn", Format: "text"}, os.Stderr)
	uri, stop, err := store.Serve(ctx, *dir, *addr, log)
	if err != nil {
		return err
	}
	fmt.Printf("embedded store serving %s (data in %s); one ioc1022 node at a time may use it\n", uri, *dir)
	<-ctx.Done()
	stop()
	return nil
}
