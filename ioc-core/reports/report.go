// Package reports builds the daily, weekly and monthly reports of the 1022 hotline (the
// figures of a province's monthly 1022 report: contacts by channel, calls in and out,
// tickets by category and department, processing and on-time rates, satisfaction,
// overdue by department), exports them as XLSX or CSV with Vietnamese labels, serves them
// at GET /api/v1/reports/{period}, and e-mails them on a schedule. Every figure comes from
// the KPI projection (ioc-core/kpi, definitions in docs/kpi.md), so a report and the KPI
// API agree for the same range; names come from the reference data.
package reports

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/kpi"
)

// Period is the span a report covers.
type Period string

// The periods of a report. Days, weeks (Monday to Sunday) and months are cut in
// Asia/Ho_Chi_Minh.
const (
	Daily   Period = "daily"
	Weekly  Period = "weekly"
	Monthly Period = "monthly"
)

// Periods lists the periods in order.
var Periods = []Period{Daily, Weekly, Monthly}

// ParsePeriod checks a period name.
func ParsePeriod(s string) (Period, error) {
	p := Period(s)
	if slices.Contains(Periods, p) {
		return p, nil
	}
	return "", fmt.Errorf("%w: %q is not daily, weekly or monthly", ErrBadPeriod, s)
}

// Bounds returns the local [from, to) of the period p containing the day of t.
func (p Period) Bounds(t time.Time) (time.Time, time.Time) {
	t = t.In(kpi.Zone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kpi.Zone)
	switch p {
	case Weekly:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		from := day.AddDate(0, 0, -back)
		return from, from.AddDate(0, 0, 7)
	case Monthly:
		from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, kpi.Zone)
		return from, from.AddDate(0, 1, 0)
	}
	return day, day.AddDate(0, 0, 1)
}

// Title is the Vietnamese title of a report of p starting at from.
func (p Period) Title(from time.Time) string {
	switch p {
	case Weekly:
		to := from.AddDate(0, 0, 6)
		return fmt.Sprintf("Báo cáo tuần %s – %s", from.Format("02/01/2006"), to.Format("02/01/2006"))
	case Monthly:
		return fmt.Sprintf("Báo cáo tháng %s", from.Format("01/2006"))
	}
	return fmt.Sprintf("Báo cáo ngày %s", from.Format("02/01/2006"))
}

// Report is one report's figures. Rates are kpi.Ratio: value null when nothing was counted.
type Report struct {
	Period      Period    `json:"period"`
	Title       string    `json:"title"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	GeneratedAt time.Time `json:"generated_at"`

	Contacts Contacts `json:"contacts"`
	Calls    Calls    `json:"calls"`
	Tickets  Tickets  `json:"tickets"`
	Overdue  Overdue  `json:"overdue"`
}

// Contacts are the contacts received by channel (a call is a phone contact).
type Contacts struct {
	Total     int64        `json:"total"`
	ByChannel []ChannelRow `json:"by_channel"`
}

// ChannelRow is one channel's contacts.
type ChannelRow struct {
	Channel  string `json:"channel"`
	Name     string `json:"name"`
	Contacts int64  `json:"contacts"`
}

// Calls are the hotline's figures (docs/kpi.md, Hotline).
type Calls struct {
	In             int64     `json:"in"`  // inbound calls arrived
	Out            int64     `json:"out"` // outbound calls (callbacks placed, calls out)
	Offered        int64     `json:"offered"`
	Answered       int64     `json:"answered"`
	Abandoned      int64     `json:"abandoned"`
	ShortAbandoned int64     `json:"short_abandoned"`
	Callbacks      int64     `json:"callbacks"`
	Voicemails     int64     `json:"voicemails"`
	AnswerRate     kpi.Ratio `json:"answer_rate"`
	ServiceLevel   kpi.Ratio `json:"service_level"`
	ThresholdS     int       `json:"threshold_s"`
	ASA            *float64  `json:"asa_s"`
	AHT            *float64  `json:"aht_s"`
}

// Tickets are the ticket figures of the period (docs/kpi.md, Tickets).
type Tickets struct {
	Received        int64     `json:"received"`
	Resolved        int64     `json:"resolved"`
	Closed          int64     `json:"closed"`
	ClosedOnTime    int64     `json:"closed_on_time"`
	Forwarded       int64     `json:"forwarded"`
	Rejected        int64     `json:"rejected"`
	ProcessingRate  kpi.Ratio `json:"processing_rate"`
	OnTimeRate      kpi.Ratio `json:"on_time_rate"`
	Satisfaction    kpi.Ratio `json:"satisfaction"` // den is the number of ratings
	MeanResolutionS *float64  `json:"mean_resolution_s"`
	ByCategory      []Row     `json:"by_category"`
	ByDepartment    []Row     `json:"by_department"`
}

// Row is one category's or department's tickets.
type Row struct {
	Code           string    `json:"code"`
	Name           string    `json:"name"`
	Received       int64     `json:"received"`
	Resolved       int64     `json:"resolved"`
	Closed         int64     `json:"closed"`
	ClosedOnTime   int64     `json:"closed_on_time"`
	ProcessingRate kpi.Ratio `json:"processing_rate"`
	OnTimeRate     kpi.Ratio `json:"on_time_rate"`
	Satisfaction   kpi.Ratio `json:"satisfaction"`
}

// Overdue is the open tickets per department at the time the report was generated (the
// KPI projection knows open tickets now, not at a past instant).
type Overdue struct {
	At           time.Time    `json:"at"`
	Open         int          `json:"open"`
	Overdue      int          `json:"overdue"`
	DueSoon      int          `json:"due_soon"`
	ByDepartment []OverdueRow `json:"by_department"`
}

// OverdueRow is one department's open tickets now.
type OverdueRow struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
	DueSoon int    `json:"due_soon"`
}

// Names gives the Vietnamese names of departments and categories; a code without a name
// is shown as is.
type Names struct {
	Departments map[string]string
	Categories  map[string]string
}

// ChannelNames are the Vietnamese names of the channels.
var ChannelNames = map[string]string{
	"phone": "Điện thoại (1022)", "zalo": "Zalo", "facebook": "Facebook", "email": "Thư điện tử",
	"web": "Cổng thông tin (web)", "app": "Ứng dụng di động", "telegram": "Telegram", "chatbot": "Trợ lý ảo (chatbot)",
	"open311": "Open311", "walk_in": "Trực tiếp",
}

// standardChannels are always listed, with zero when nothing came through them.
var standardChannels = []string{"phone", "zalo", "facebook", "email", "web", "app", "telegram", "chatbot"}

// KPIs is what a report needs of the KPI projection: the three queries of the KPI API.
type KPIs interface {
	Hotline(r kpi.Range, f kpi.Filter, now time.Time) kpi.Hotline
	Channels(r kpi.Range, f kpi.Filter) kpi.Channels
	Tickets(r kpi.Range, f kpi.Filter, now time.Time, dueSoon time.Duration) kpi.Tickets
}

// Build computes the report of period p starting at from (a local period start, as given
// by Bounds), generated at now.
func Build(src KPIs, p Period, from, to, now time.Time, dueSoon time.Duration, names Names) *Report {
	rg := kpi.NewRange(from, to)
	h := src.Hotline(rg, kpi.Filter{}, now)
	c := src.Channels(rg, kpi.Filter{})
	t := src.Tickets(rg, kpi.Filter{}, now, dueSoon)
	r := &Report{Period: p, Title: p.Title(from), From: from, To: to, GeneratedAt: now}
	r.Contacts = contactsOf(&c)
	r.Calls = Calls{In: h.Arrived, Out: h.Outbound, Offered: h.Offered, Answered: h.Answered, Abandoned: h.Abandoned,
		ShortAbandoned: h.ShortAbandoned, Callbacks: h.Callbacks, Voicemails: h.Voicemails,
		AnswerRate: h.AnswerRate, ServiceLevel: h.ServiceLevel, ThresholdS: h.ThresholdS, ASA: h.ASA, AHT: h.AHT}
	r.Tickets = Tickets{Received: t.Received, Resolved: t.Resolved, Closed: t.Closed, ClosedOnTime: t.ClosedOnTime,
		Forwarded: t.Forwarded, Rejected: t.Rejected, ProcessingRate: t.ProcessingRate, OnTimeRate: t.OnTimeRate,
		Satisfaction: t.Satisfaction, MeanResolutionS: t.Resolution.MeanS,
		ByCategory: rowsOf(t.ByCategory, names.Categories, "(chưa phân loại)"), ByDepartment: rowsOf(t.ByDepartment, names.Departments, "(chưa giao đơn vị)")}
	r.Overdue = overdueOf(&t.Now, names.Departments)
	return r
}

func contactsOf(c *kpi.Channels) Contacts {
	out := Contacts{Total: c.Contacts}
	seen := map[string]bool{}
	for _, ch := range standardChannels {
		seen[ch] = true
		out.ByChannel = append(out.ByChannel, ChannelRow{Channel: ch, Name: ChannelNames[ch], Contacts: c.ByChannel[ch].Contacts})
	}
	var extra []ChannelRow
	for ch, s := range c.ByChannel {
		if !seen[ch] {
			extra = append(extra, ChannelRow{Channel: ch, Name: nameOr(ChannelNames, ch, "(không rõ)"), Contacts: s.Contacts})
		}
	}
	slices.SortFunc(extra, func(a, b ChannelRow) int { return cmp.Compare(a.Channel, b.Channel) })
	out.ByChannel = append(out.ByChannel, extra...)
	return out
}

func rowsOf(by map[string]kpi.Breakdown, names map[string]string, empty string) []Row {
	rows := make([]Row, 0, len(by))
	for code, b := range by {
		rows = append(rows, Row{Code: code, Name: nameOr(names, code, empty), Received: b.Received, Resolved: b.Resolved,
			Closed: b.Closed, ClosedOnTime: b.ClosedOnTime, ProcessingRate: ratio(b.Resolved, b.Received),
			OnTimeRate: ratio(b.ClosedOnTime, b.Closed), Satisfaction: ratio(b.RatedGood, b.Rated)})
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Received, a.Received), cmp.Compare(a.Code, b.Code))
	})
	return rows
}

func overdueOf(n *kpi.TicketsNow, names map[string]string) Overdue {
	out := Overdue{At: n.At, Open: n.Open, Overdue: n.Overdue, DueSoon: n.DueSoon}
	for code, o := range n.ByDepartment {
		out.ByDepartment = append(out.ByDepartment, OverdueRow{Code: code, Name: nameOr(names, code, "(chưa giao đơn vị)"),
			Open: o.Open, Overdue: o.Overdue, DueSoon: o.DueSoon})
	}
	slices.SortFunc(out.ByDepartment, func(a, b OverdueRow) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(a.Code, b.Code))
	})
	return out
}

func nameOr(names map[string]string, code, empty string) string {
	if code == "" {
		return empty
	}
	if n := names[code]; n != "" {
		return n
	}
	return code
}

// ratio is kpi's share: value null when den is 0.
func ratio(num, den int64) kpi.Ratio {
	r := kpi.Ratio{Num: num, Den: den}
	if den > 0 {
		v := float64(num) / float64(den)
		r.Value = &v
	}
	return r
}
