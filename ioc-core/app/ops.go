package app

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyzLoading is the answer of GET /readyz while start-up loads are under way.
type readyzLoading struct {
	Status  string   `json:"status"`  // "loading"
	Loading []string `json:"loading"` // the loads under way (Core.Load, Core.Loading)
}

// registerOps adds the health, readiness, metrics and OpenAPI endpoints.
func (a *App) registerOps() {
	c := a.Core
	c.API.Raw("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}), nil)
	c.API.Raw("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := c.Store.Ping(ctx); err != nil {
			httpapi.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]string{
				"code": "not_ready", "message": "the store does not answer"}})
			return
		}
		if loading := c.Readiness.Pending(); len(loading) > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(httpapi.LoadingRetry.Seconds())))
			httpapi.WriteJSON(w, http.StatusServiceUnavailable, readyzLoading{Status: "loading", Loading: loading})
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}), nil)
	c.API.Raw("/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.API.Fail(w, r, httpapi.NotFound("no API route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path))
	}), nil)
	c.API.Raw("GET /metrics", promhttp.HandlerFor(c.Metrics, promhttp.HandlerOpts{}), nil)
	c.API.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/openapi.json", Tag: "meta", Summary: "This document",
		Access: httpapi.Public, Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, c.API.OpenAPI())
			return nil
		}})
	c.API.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/version", Tag: "meta", Summary: "The server's version",
		Access: httpapi.Public, Response: map[string]string{}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			httpapi.WriteJSON(w, http.StatusOK, map[string]string{"version": Version})
			return nil
		}})
}
