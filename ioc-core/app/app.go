// Package app assembles one ioc1022 node: configuration, logger, store, events, accounts,
// reference data and the HTTP server of the core, plus the domain modules handed to it by
// the binary. The core imports no domain package: modules plug in through Module.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
)

// Version is the build's version, set with -ldflags "-X .../app.Version=...".
var Version = "dev"

// Runner is anything long-running: it works until ctx ends, then returns.
type Runner interface {
	Run(ctx context.Context) error
}

// RunFunc adapts a function to Runner.
type RunFunc func(ctx context.Context) error

// Run calls f.
func (f RunFunc) Run(ctx context.Context) error { return f(ctx) }

// Module is a domain package plugged into the core (tickets, omnichannel, chatbot, pbx, ...).
// Init registers its routes, event sources and consumers, and its runners; it is called in
// the order the modules are given, after the core is up and before anything is served. The
// node listens only once every Init has returned: a module that fills memory from the store
// registers that with Core.Load instead of doing it in Init.
type Module interface {
	Name() string
	Init(ctx context.Context, c *Core) error
}

// Core is what the core gives to modules. Its fields are set before any Init.
type Core struct {
	Config   config.Config
	Log      *slog.Logger
	Store    *store.Store
	Events   *events.Bus
	Auth     *auth.Service
	Ref      *refdata.Service
	API      *httpapi.API
	Metrics  *prometheus.Registry
	Services sync.Map // name → value, for modules that offer a service to later modules
	// Readiness names the start-up loads still under way (GET /readyz).
	Readiness *Readiness

	runners []namedRunner
	listens []string
	loads   []startLoad
}

type namedRunner struct {
	name string
	r    Runner
}

// Go registers a long-running part, started with the server and stopped with it.
func (c *Core) Go(name string, r Runner) { c.runners = append(c.runners, namedRunner{name, r}) }

// Listening records an address a module listens on, printed at start.
func (c *Core) Listening(what string) { c.listens = append(c.listens, what) }

// Loading records that a start-up load named name is under way; the node is not ready
// (GET /readyz answers 503 naming it) until done is called. For a load the module runs
// itself, such as a consumer's first pass over the event log; Load suits most loads.
func (c *Core) Loading(name string) (done func()) { return c.Readiness.Loading(name) }

// Load registers a start-up load, such as filling an in-memory index from the store. The
// node is not ready from this call until fn returns nil. fn runs in the background once the
// node listens (App.Run), so Init must not wait for it: until fn is done, the module answers
// what needs the loaded data with httpapi.Loading or from the store, and its writes must
// reach the data loaded whatever the order of the two. fn runs again after an error, with a
// growing pause, until it succeeds or the node stops; it must therefore be safe to repeat.
func (c *Core) Load(name string, fn func(ctx context.Context) error) {
	c.loads = append(c.loads, startLoad{name: name, fn: fn, done: c.Loading(name)})
}

// App is a started node.
type App struct {
	Core *Core

	httpLn    net.Listener
	srv       *http.Server
	adminPass string
	modules   []Module
}

// New opens the store and initialises the core and the modules; it serves nothing yet.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, modules ...Module) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoDB.URI, Database: cfg.MongoDB.Database, DataDir: cfg.Data.Dir}, log)
	if err != nil {
		return nil, err
	}
	if !cfg.DemoExplicit {
		cfg.Demo = st.Embedded
	}
	a := &App{modules: modules}
	if err := a.init(ctx, cfg, log, st); err != nil {
		_ = st.Close(context.Background())
		return nil, err
	}
	return a, nil
}

func (a *App) init(ctx context.Context, cfg config.Config, log *slog.Logger, st *store.Store) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api := httpapi.New(log, cfg.HTTP.MaxBodyBytes, "ioc1022 API", Version)
	reg.MustRegister(api.Collectors()...)
	c := &Core{Config: cfg, Log: log, Store: st, Events: events.NewBus(st, log), Auth: auth.New(st, cfg.Auth, log),
		Ref: refdata.New(st), API: api, Metrics: reg, Readiness: newReadiness()}
	api.Auth = c.Auth
	c.Auth.DepartmentExists = func(ctx context.Context, code string) (bool, error) {
		_, err := c.Ref.Department(ctx, code)
		if errors.Is(err, refdata.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	a.Core = c
	if err := a.seed(ctx); err != nil {
		return err
	}
	c.Auth.Register(api)
	c.Ref.Register(api)
	for _, m := range a.modules {
		if err := m.Init(ctx, c); err != nil {
			return fmt.Errorf("init %s: %w", m.Name(), err)
		}
	}
	if err := c.Events.Init(ctx); err != nil {
		return err
	}
	a.registerOps()
	return nil
}

func (a *App) seed(ctx context.Context) error {
	c := a.Core
	for _, initer := range []func(context.Context) error{c.Auth.Init, c.Ref.Init} {
		if err := initer(ctx); err != nil {
			return err
		}
	}
	if c.Config.Demo {
		if err := c.Ref.SeedDemo(ctx); err != nil {
			return fmt.Errorf("seed demo reference data: %w", err)
		}
	} else if err := c.Ref.SeedCategories(ctx, false); err != nil {
		return fmt.Errorf("seed categories: %w", err)
	}
	pass, err := c.Auth.Bootstrap(ctx, c.Config.Admin.Password)
	if err != nil {
		return err
	}
	a.adminPass = pass
	if c.Config.Demo {
		if err := c.Auth.SeedDemo(ctx); err != nil {
			return fmt.Errorf("seed demo users: %w", err)
		}
	}
	return nil
}

// GeneratedAdminPassword is the admin password made on this start, or "" when the admin
// existed or its password came from the configuration. Print it once; it is never logged.
func (a *App) GeneratedAdminPassword() string { return a.adminPass }

// Listen binds the HTTP address. After it, HTTPAddr is known.
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Core.Config.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen http on %s: %w", a.Core.Config.HTTP.Listen, err)
	}
	a.httpLn = ln
	return nil
}

// HTTPAddr is the bound HTTP address (useful with port 0).
func (a *App) HTTPAddr() string { return a.httpLn.Addr().String() }

// Listens lists what the modules listen on.
func (a *App) Listens() []string { return append([]string(nil), a.Core.listens...) }

// Run serves until ctx ends, then stops accepting, drains requests and runners, and closes
// the store. Listen must have been called.
func (a *App) Run(ctx context.Context) error {
	c := a.Core
	a.srv = &http.Server{Handler: c.API.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(c.Log.Handler(), slog.LevelWarn)}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := a.srv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), c.Config.HTTP.ShutdownTimeout)
		defer cancel()
		return a.srv.Shutdown(sctx)
	})
	// Runners stop after HTTP has drained, so an accepted request's events still flow.
	rctx, stopRunners := context.WithCancel(context.WithoutCancel(ctx))
	rg, _ := errgroup.WithContext(rctx)
	all := append([]namedRunner{{"events", c.Events}}, c.runners...)
	for _, nr := range all {
		rg.Go(func() error {
			if err := nr.r.Run(rctx); err != nil {
				c.Log.Error("runner stopped", "runner", nr.name, "err", err)
				return fmt.Errorf("%s: %w", nr.name, err)
			}
			return nil
		})
	}
	for _, l := range c.loads {
		rg.Go(func() error {
			l.run(rctx, c)
			return nil
		})
	}
	runErr := make(chan error, 1)
	go func() { runErr <- rg.Wait() }()
	var err error
	select {
	case err = <-runErr:
		_ = a.srv.Close()
		_ = g.Wait()
	case <-gctx.Done():
		err = g.Wait()
		stopRunners()
		if rerr := <-runErr; err == nil {
			err = rerr
		}
	}
	stopRunners()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cerr := c.Store.Close(cctx); err == nil {
		err = cerr
	}
	return err
}
