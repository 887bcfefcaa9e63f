package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/app"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/refdata"
	"github.com/ioc1022/ioc1022/ioc-core/store"
)

// The formats a report is exported in.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ContentTypes maps a format to its media type.
var ContentTypes = map[string]string{
	FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	FormatCSV:  "text/csv; charset=utf-8",
	FormatJSON: "application/json; charset=utf-8",
}

// kpiSource is what reports need of the KPI module: its projection and its due-soon window.
type kpiSource interface {
	Projection() *kpi.Projection
	DueSoon() time.Duration
}

// Module serves reports on demand and sends the scheduled ones. It must come after the
// KPI module in the module list.
type Module struct {
	// Now is the clock of the schedule and of the "now" figures; tests replace it.
	Now func() time.Time

	cfg config.Config
	log *slog.Logger
	st  *store.Store
	ref *refdata.Service
	kpi kpiSource
}

// New returns the reports module.
func New() *Module { return &Module{Now: time.Now} }

// Name implements app.Module.
func (m *Module) Name() string { return "reports" }

// Init finds the KPI module, registers GET /api/v1/reports/{period} and, when a schedule
// is configured, the sender.
func (m *Module) Init(ctx context.Context, c *app.Core) error {
	v, ok := c.Services.Load(kpi.ServiceName)
	if !ok {
		return errors.New("reports need the kpi module, listed before them")
	}
	m.cfg, m.log, m.st, m.ref, m.kpi = c.Config, c.Log, c.Store, c.Ref, v.(kpiSource)
	m.register(c.API)
	rc := c.Config.IOC.Reports
	if rc.Daily || rc.Weekly || rc.Monthly {
		if len(rc.Recipients) == 0 || m.relay().Addr == "" {
			c.Log.Warn("reports: a schedule is on but recipients or the SMTP relay are not configured; nothing will be sent")
		}
		c.Go("reports", app.RunFunc(m.Run))
	}
	return nil
}

// Generate builds the report of period p containing day.
func (m *Module) Generate(ctx context.Context, p Period, day time.Time) (*Report, error) {
	names, err := m.names(ctx)
	if err != nil {
		return nil, err
	}
	from, to := p.Bounds(day)
	return Build(m.kpi.Projection(), p, from, to, m.Now(), m.kpi.DueSoon(), names), nil
}

func (m *Module) names(ctx context.Context) (Names, error) {
	n := Names{Departments: map[string]string{}, Categories: map[string]string{}}
	depts, err := m.ref.Departments(ctx)
	if err != nil {
		return n, fmt.Errorf("reports: departments: %w", err)
	}
	for _, d := range depts {
		n.Departments[d.Code] = d.Name
	}
	cats, err := m.ref.Categories(ctx)
	if err != nil {
		return n, fmt.Errorf("reports: categories: %w", err)
	}
	for _, c := range cats {
		n.Categories[c.Code] = c.Name
	}
	return n, nil
}

// Render exports r in format, with the file name to give it.
func Render(r *Report, format string) ([]byte, string, error) {
	name := FileName(r, format)
	switch format {
	case FormatXLSX:
		b, err := r.XLSX()
		return b, name, err
	case FormatCSV:
		var buf bytes.Buffer
		err := r.WriteCSV(&buf)
		return buf.Bytes(), name, err
	}
	return nil, "", fmt.Errorf("reports: unknown format %q", format)
}

// FileName is the file name of a report: bao-cao-1022-<ngay|tuan|thang>-<first day>.<format>.
func FileName(r *Report, format string) string {
	kind := map[Period]string{Daily: "ngay", Weekly: "tuan", Monthly: "thang"}[r.Period]
	return fmt.Sprintf("bao-cao-1022-%s-%s.%s", kind, r.From.In(kpi.Zone).Format(time.DateOnly), format)
}

func (m *Module) register(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/reports/{period}", Tag: "reports",
		Access:  httpapi.Users(httpapi.RoleSupervisor, httpapi.RoleLeader),
		Summary: "A daily, weekly (Monday to Sunday) or monthly report of the 1022 hotline, as XLSX, CSV or JSON (docs/reports.md)",
		Params: []httpapi.Param{
			{Name: "period", In: "path", Required: true, Description: "daily, weekly or monthly"},
			{Name: "date", In: "query", Description: "YYYY-MM-DD, a day of the period (Asia/Ho_Chi_Minh); default today"},
			{Name: "format", In: "query", Description: "xlsx, csv or json; default ioc.reports.format"},
		},
		Response: Report{}, Handle: m.handleGet})
}

func (m *Module) handleGet(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return httpapi.Invalid(map[string]string{"period": "must be daily, weekly or monthly"})
	}
	q := r.URL.Query()
	day := m.Now().In(kpi.Zone)
	if s := q.Get("date"); s != "" {
		if day, err = time.ParseInLocation(time.DateOnly, s, kpi.Zone); err != nil {
			return httpapi.Invalid(map[string]string{"date": "must be a date such as 2026-03-01"})
		}
	}
	format := q.Get("format")
	if format == "" {
		format = m.cfg.IOC.Reports.Format
	}
	if _, ok := ContentTypes[format]; !ok {
		return httpapi.Invalid(map[string]string{"format": "must be xlsx, csv or json"})
	}
	rep, err := m.Generate(r.Context(), p, day)
	if err != nil {
		return err
	}
	if format == FormatJSON {
		httpapi.WriteJSON(w, http.StatusOK, rep)
		return nil
	}
	data, name, err := Render(rep, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentTypes[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}
