package reports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// runsCollection records each scheduled report (one document per period and first day),
// so that a report is sent once even with several nodes or after a restart.
const runsCollection = "report_runs"

const (
	maxAttempts  = 5
	retryAfter   = 5 * time.Minute  // a failed send is tried again after this
	sendingStale = 15 * time.Minute // a send claimed this long ago by a node that died is taken over
	tick         = time.Minute
)

type run struct {
	ID        string    `bson:"_id"`
	State     string    `bson:"state"` // sending, sent, failed
	Attempts  int       `bson:"attempts"`
	ClaimedAt time.Time `bson:"claimed_at"`
	SentAt    time.Time `bson:"sent_at,omitzero"`
	Error     string    `bson:"error,omitempty"`
	To        []string  `bson:"to"`
}

// Due returns the period of p that a schedule sending at hour (local) should have sent by
// now: the last complete period once its next day's hour has come, else the one before.
func Due(p Period, hour int, now time.Time) (time.Time, time.Time) {
	cur, _ := p.Bounds(now)
	from, to := p.Bounds(cur.Add(-time.Nanosecond))
	if now.Before(to.Add(time.Duration(hour) * time.Hour)) {
		from, to = p.Bounds(from.Add(-time.Nanosecond))
	}
	return from, to
}

// Run sends the scheduled reports until ctx ends, checking every minute.
func (m *Module) Run(ctx context.Context) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := m.SendDue(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("reports: scheduled send", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (m *Module) relay() Relay {
	rc, ec := m.cfg.IOC.Reports, m.cfg.Channels.Email
	if rc.SMTPAddr != "" {
		return Relay{Addr: rc.SMTPAddr, User: rc.SMTPUser, Password: rc.SMTPPassword, From: rc.From}
	}
	return Relay{Addr: ec.SMTPAddr, User: ec.SMTPUser, Password: ec.SMTPPassword, From: ec.From}
}

// SendDue e-mails each enabled periodic report that is due and not yet sent, and returns
// the keys (period:first-day) it sent. A send that fails is retried later, up to 5 times.
func (m *Module) SendDue(ctx context.Context) ([]string, error) {
	rc := m.cfg.IOC.Reports
	relay := m.relay()
	if len(rc.Recipients) == 0 || relay.Addr == "" {
		return nil, ErrNoRelay
	}
	if relay.From == "" {
		relay.From = "ioc1022@localhost"
	}
	now := m.Now()
	var sent []string
	var errs []string
	for _, p := range Periods {
		if !map[Period]bool{Daily: rc.Daily, Weekly: rc.Weekly, Monthly: rc.Monthly}[p] {
			continue
		}
		from, _ := Due(p, rc.Hour, now)
		key := string(p) + ":" + from.Format(time.DateOnly)
		ok, err := m.claim(ctx, key, now)
		if err != nil || !ok {
			if err != nil {
				errs = append(errs, err.Error())
			}
			continue
		}
		err = m.send(ctx, relay, p, from)
		if err := m.finish(ctx, key, err); err != nil {
			errs = append(errs, err.Error())
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", key, err))
			continue
		}
		sent = append(sent, key)
	}
	if len(errs) > 0 {
		return sent, fmt.Errorf("reports: %s", strings.Join(errs, "; "))
	}
	return sent, nil
}

// claim takes the send of key for this node: a new run, a failed one whose retry time
// has come, or a send claimed by a node that has since died.
func (m *Module) claim(ctx context.Context, key string, now time.Time) (bool, error) {
	c := m.st.C(runsCollection)
	_, err := c.InsertOne(ctx, run{ID: key, State: "sending", Attempts: 1, ClaimedAt: now.UTC(), To: m.cfg.IOC.Reports.Recipients})
	if err == nil {
		return true, nil
	}
	if !store.IsDuplicate(err) {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	var prev run
	if err := c.FindOne(ctx, bson.M{"_id": key}).Decode(&prev); err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	retry := (prev.State == "failed" && now.Sub(prev.ClaimedAt) >= retryAfter) ||
		(prev.State == "sending" && now.Sub(prev.ClaimedAt) >= sendingStale)
	if !retry || prev.Attempts >= maxAttempts {
		return false, nil
	}
	res := c.FindOneAndUpdate(ctx, bson.M{"_id": key, "state": prev.State, "attempts": prev.Attempts},
		bson.M{"$set": bson.M{"state": "sending", "claimed_at": now.UTC()}, "$inc": bson.M{"attempts": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After))
	if err := res.Err(); err != nil {
		if store.IsNotFound(err) {
			return false, nil // another node took it
		}
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return true, nil
}

func (m *Module) finish(ctx context.Context, key string, sendErr error) error {
	set := bson.M{"state": "sent", "sent_at": m.Now().UTC()}
	if sendErr != nil {
		set = bson.M{"state": "failed", "error": sendErr.Error()}
	}
	if _, err := m.st.C(runsCollection).UpdateOne(context.WithoutCancel(ctx), bson.M{"_id": key}, bson.M{"$set": set}); err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	return nil
}

// send builds the report of p starting at from and e-mails it to the recipients.
func (m *Module) send(ctx context.Context, relay Relay, p Period, from time.Time) error {
	rep, err := m.Generate(ctx, p, from)
	if err != nil {
		return err
	}
	format := m.cfg.IOC.Reports.Format
	data, name, err := Render(rep, format)
	if err != nil {
		return err
	}
	to := m.cfg.IOC.Reports.Recipients
	msg, err := Message(relay.From, to, "[1022] "+rep.Title, summaryText(rep),
		Attachment{Name: name, ContentType: ContentTypes[format], Data: data}, m.Now())
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return relay.Send(sctx, to, msg)
}

// summaryText is the body of a report e-mail: the headline figures.
func summaryText(r *Report) string {
	pc := func(x kpi.Ratio) string {
		if x.Value == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *x.Value*100)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", r.Title)
	fmt.Fprintf(&b, "Tổng số lượt tiếp nhận: %d\n", r.Contacts.Total)
	fmt.Fprintf(&b, "Cuộc gọi đến: %d, cuộc gọi đi: %d, trả lời: %d (%s)\n", r.Calls.In, r.Calls.Out, r.Calls.Answered, pc(r.Calls.AnswerRate))
	fmt.Fprintf(&b, "Phản ánh tiếp nhận: %d, đã giải quyết: %d, tỷ lệ xử lý: %s\n", r.Tickets.Received, r.Tickets.Resolved, pc(r.Tickets.ProcessingRate))
	fmt.Fprintf(&b, "Tỷ lệ đúng hạn: %s, tỷ lệ hài lòng: %s (%d lượt đánh giá)\n", pc(r.Tickets.OnTimeRate), pc(r.Tickets.Satisfaction), r.Tickets.Satisfaction.Den)
	fmt.Fprintf(&b, "Phản ánh quá hạn lúc lập báo cáo: %d\n\nChi tiết trong tệp đính kèm.\n", r.Overdue.Overdue)
	return b.String()
}
