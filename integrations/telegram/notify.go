package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
	"github.com/ioc1022/ioc1022/ioc-core/alerts"
	"github.com/ioc1022/ioc1022/ioc-core/events"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"github.com/ioc1022/ioc1022/tickets"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// zone is where times are shown.
var zone = time.FixedZone("ICT", 7*3600)

var statusNames = map[tickets.Status]string{
	tickets.StatusNew: "mới", tickets.StatusAssigned: "đã giao, chờ tiếp nhận", tickets.StatusInProgress: "đang xử lý",
	tickets.StatusAnswered: "đã trả lời, chờ duyệt", tickets.StatusResolved: "đã giải quyết", tickets.StatusClosed: "đã kết thúc",
	tickets.StatusMerged: "đã gộp", tickets.StatusRejected: "đã từ chối",
}

// onTicketEvent tells the linked officers of a ticket's department about a ticket newly
// assigned to it, or about a deadline coming or passed. At least once: a notification
// already sent for this event and chat is not sent again.
func (m *Module) onTicketEvent(ctx context.Context, ev events.Event) error {
	var d tickets.EventData
	if err := ev.Decode(&d); err != nil {
		m.log.Warn("telegram: unreadable ticket event", "event", ev.ID, "err", err)
		return nil
	}
	if d.Department == "" {
		return nil
	}
	var head string
	switch ev.Type {
	case "ticket.due_soon":
		head = "⏰ Sắp đến hạn " + deadlineName(d.Deadline)
	case "ticket.overdue":
		head = "❗ Quá hạn " + deadlineName(d.Deadline)
	default: // created, assigned, triaged, transferred: new for the department when assigned
		if d.Status != tickets.StatusAssigned {
			return nil
		}
		head = "📥 Phản ánh mới giao cho đơn vị"
	}
	t, err := m.desk.Get(ctx, d.Code)
	if err != nil {
		if userMessage(err) != "" {
			return nil // the ticket is gone
		}
		return err
	}
	if t.Department != d.Department {
		return nil // moved on since: the other department's event will tell it
	}
	links, err := m.officerLinks(ctx, d.Department)
	if err != nil {
		return err
	}
	markup := buttons(button("👁 Xem", cbView, string(t.Code)))
	if t.Status == tickets.StatusAssigned {
		markup = buttons(button("✅ Tiếp nhận", cbAccept, string(t.Code)), button("👁 Xem", cbView, string(t.Code)))
	}
	text := m.ticketText(ctx, head, t)
	var errs []error
	for _, l := range links {
		errs = append(errs, m.sendOnce(ctx, ev.ID, l.ChatID, text, markup))
	}
	return errors.Join(errs...)
}

func deadlineName(d string) string {
	if d == "accept" {
		return "tiếp nhận"
	}
	return "trả lời"
}

// officerLinks are the links of the enabled officers of a department.
func (m *Module) officerLinks(ctx context.Context, dept string) ([]Link, error) {
	officers, err := m.users.Users(ctx, string(httpapi.RoleOfficer))
	if err != nil {
		return nil, fmt.Errorf("officers of %s: %w", dept, err)
	}
	var names []string
	for _, u := range officers {
		if !u.Disabled && slices.Contains(u.Departments, dept) {
			names = append(names, u.Username)
		}
	}
	return m.linksOf(ctx, names)
}

// sentDoc marks a notification of an event delivered to a chat.
type sentDoc struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// sendOnce sends text to chat unless this event's notification was already sent there.
// A crash between the send and its record sends it once more (at least once).
func (m *Module) sendOnce(ctx context.Context, eventID string, chat any, text string, markup models.ReplyMarkup) error {
	key := fmt.Sprintf("%s:%v", eventID, chat)
	err := m.st.C(sentCollection).FindOne(ctx, bson.M{"_id": key}).Err()
	if err == nil {
		return nil
	}
	if !store.IsNotFound(err) {
		return fmt.Errorf("telegram sent %s: %w", key, err)
	}
	if err := m.send(ctx, chat, text, markup); err != nil {
		return fmt.Errorf("telegram send to %v: %w", chat, err)
	}
	if _, err := m.st.C(sentCollection).InsertOne(ctx, sentDoc{ID: key, At: m.Now().UTC()}); err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("telegram sent %s: %w", key, err)
	}
	return nil
}

// ticketText describes a ticket for officers: no reporter's personal data.
func (m *Module) ticketText(ctx context.Context, head string, t *tickets.Ticket) string {
	var b strings.Builder
	if head != "" {
		b.WriteString(head + "\n")
	}
	fmt.Fprintf(&b, "📋 Phản ánh %s (%s)\n", t.Code, statusNames[t.Status])
	if t.Category != "" {
		name := t.Category
		if c, err := m.ref.Category(ctx, t.Category); err == nil {
			name = c.Name
		}
		fmt.Fprintf(&b, "Lĩnh vực: %s\n", name)
	}
	if t.Department != "" {
		name := t.Department
		if d, err := m.ref.Department(ctx, t.Department); err == nil {
			name = d.Name
		}
		fmt.Fprintf(&b, "Đơn vị: %s\n", name)
	}
	if t.Address != "" {
		fmt.Fprintf(&b, "Địa chỉ: %s\n", t.Address)
	}
	if t.AcceptDueAt != nil && t.Status == tickets.StatusAssigned {
		fmt.Fprintf(&b, "Hạn tiếp nhận: %s\n", t.AcceptDueAt.In(zone).Format("15:04 02/01/2006"))
	}
	if t.DueAt != nil {
		fmt.Fprintf(&b, "Hạn trả lời: %s\n", t.DueAt.In(zone).Format("15:04 02/01/2006"))
	}
	fmt.Fprintf(&b, "Nội dung: %s", truncate(t.Description, 500))
	return b.String()
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// alertData is the payload of alert.fired (docs/events.md).
type alertData struct {
	ID        string                  `bson:"id"`
	RuleName  string                  `bson:"rule_name"`
	GroupBy   string                  `bson:"group_by"`
	Group     string                  `bson:"group"`
	Severity  string                  `bson:"severity"`
	Value     float64                 `bson:"value"`
	Threshold float64                 `bson:"threshold"`
	Message   string                  `bson:"message"`
	Context   map[string][]alerts.Top `bson:"context"`
}

var severityNames = map[string]string{"info": "ℹ️ Thông tin", "warning": "⚠️ Cảnh báo", "critical": "🚨 Khẩn cấp"}

// onAlertEvent sends a fired alert to the leaders' groups: the configured ones, and the
// group of the department the alert is about.
func (m *Module) onAlertEvent(ctx context.Context, ev events.Event) error {
	var a alertData
	if err := ev.Decode(&a); err != nil {
		m.log.Warn("telegram: unreadable alert event", "event", ev.ID, "err", err)
		return nil
	}
	if a.ID == "" {
		a.ID = ev.Subject
	}
	chats := make([]any, 0, len(m.cfg.LeaderChats)+1)
	for _, c := range m.cfg.LeaderChats {
		chats = append(chats, c)
	}
	if a.GroupBy == "department" && a.Group != "" {
		if d, err := m.ref.Department(ctx, a.Group); err == nil && d.Contacts.TelegramChat != "" {
			chats = append(chats, chatID(d.Contacts.TelegramChat))
		}
	}
	text := alertText(&a)
	markup := buttons(button("✔️ Xác nhận", cbAck, a.ID))
	var errs []error
	for _, c := range slices.CompactFunc(chats, func(x, y any) bool { return fmt.Sprint(x) == fmt.Sprint(y) }) {
		errs = append(errs, m.sendOnce(ctx, ev.ID, c, text, markup))
	}
	return errors.Join(errs...)
}

// chatID reads a configured chat: a numeric id, or an @channel name.
func chatID(s string) any {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return n
	}
	return strings.TrimSpace(s)
}

func alertText(a *alertData) string {
	var b strings.Builder
	sev := severityNames[a.Severity]
	if sev == "" {
		sev = "⚠️ Cảnh báo"
	}
	fmt.Fprintf(&b, "%s: %s\n", sev, a.RuleName)
	if a.Message != "" {
		b.WriteString(a.Message + "\n")
	}
	if a.Group != "" {
		fmt.Fprintf(&b, "Nhóm (%s): %s\n", a.GroupBy, a.Group)
	}
	fmt.Fprintf(&b, "Giá trị: %s (ngưỡng %s)", strconv.FormatFloat(a.Value, 'f', -1, 64), strconv.FormatFloat(a.Threshold, 'f', -1, 64))
	dims := make([]string, 0, len(a.Context))
	for k := range a.Context {
		dims = append(dims, k)
	}
	slices.Sort(dims)
	for _, dim := range dims {
		var parts []string
		for _, t := range a.Context[dim] {
			parts = append(parts, fmt.Sprintf("%s (%s)", t.Value, strconv.FormatFloat(t.Count, 'f', -1, 64)))
		}
		fmt.Fprintf(&b, "\nNhiều nhất theo %s: %s", dim, strings.Join(parts, ", "))
	}
	return b.String()
}
