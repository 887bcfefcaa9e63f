package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/tickets"
)

// Callback data of the inline buttons: <verb>:<argument>, at most 64 bytes.
const (
	cbAccept = "acc"  // acc:<ticket code>
	cbView   = "view" // view:<ticket code>
	cbAck    = "ack"  // ack:<alert id>
)

// Replies of the bot, in Vietnamese.
const (
	msgNotLinked  = "Tài khoản Telegram này chưa được liên kết. Hãy lấy mã liên kết trong hệ thống 1022 rồi gửi /start MÃ."
	msgBadCode    = "Mã liên kết không đúng, đã dùng hoặc đã hết hạn. Hãy lấy mã mới trong hệ thống 1022."
	msgPrivate    = "Hãy gửi mã liên kết trong cuộc trò chuyện riêng với bot."
	msgTooMany    = "Bạn đã thử quá nhiều lần. Vui lòng thử lại sau."
	msgHelp       = "Bot 1022 dành cho cán bộ và lãnh đạo.\n/start MÃ hoặc /link MÃ: liên kết tài khoản\n/ticket MÃ_PHẢN_ÁNH: xem phản ánh\n/unlink: hủy liên kết"
	msgNoLeader   = "Chỉ lãnh đạo hoặc giám sát viên mới xác nhận được cảnh báo."
	msgFailed     = "Có lỗi, vui lòng thử lại sau."
	msgTicketArgs = "Cú pháp: /ticket MÃ_PHẢN_ÁNH"
)

// onUpdate handles every update: commands in messages, and button presses.
func (m *Module) onUpdate(ctx context.Context, _ *bot.Bot, u *models.Update) {
	var err error
	switch {
	case u.CallbackQuery != nil:
		err = m.onCallback(ctx, u.CallbackQuery)
	case u.Message != nil && u.Message.From != nil:
		err = m.onMessage(ctx, u.Message)
	}
	if err != nil {
		m.log.Error("telegram update", "update", u.ID, "err", err)
	}
}

func (m *Module) onMessage(ctx context.Context, msg *models.Message) error {
	cmd, arg := command(msg.Text)
	chat := msg.Chat.ID
	switch cmd {
	case "/start", "/link":
		if arg == "" {
			return m.send(ctx, chat, msgHelp, nil)
		}
		return m.link(ctx, msg, arg)
	case "/ticket":
		return m.showTicket(ctx, chat, msg.From.ID, arg)
	case "/unlink":
		u, err := m.linkedUser(ctx, msg.From.ID)
		if err != nil || u == nil {
			return errors.Join(err, m.send(ctx, chat, msgNotLinked, nil))
		}
		if err := m.unlink(ctx, u.Username); err != nil {
			return err
		}
		return m.send(ctx, chat, "Đã hủy liên kết tài khoản "+u.Username+".", nil)
	case "/help":
		return m.send(ctx, chat, msgHelp, nil)
	}
	return nil // other messages and group chatter are ignored
}

// command splits "/cmd@botname arg" into "/cmd" and "arg".
func command(text string) (string, string) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", ""
	}
	cmd, arg, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(cmd, "@")
	return strings.ToLower(cmd), strings.TrimSpace(arg)
}

func (m *Module) link(ctx context.Context, msg *models.Message, code string) error {
	chat := msg.Chat.ID
	if msg.Chat.Type != models.ChatTypePrivate {
		return m.send(ctx, chat, msgPrivate, nil)
	}
	if ok, _ := m.tries.Allow(strconv.FormatInt(msg.From.ID, 10), 10); !ok {
		return m.send(ctx, chat, msgTooMany, nil)
	}
	u, err := m.redeem(ctx, code, msg.From.ID, chat, msg.From.Username)
	if err != nil {
		return errors.Join(err, m.send(ctx, chat, msgFailed, nil))
	}
	if u == nil {
		return m.send(ctx, chat, msgBadCode, nil)
	}
	m.log.Info("telegram account linked", "user", u.Username)
	return m.send(ctx, chat, fmt.Sprintf("Đã liên kết với tài khoản %s (%s). Bạn sẽ nhận phản ánh mới và nhắc hạn của đơn vị tại đây.", u.Username, u.Name), nil)
}

// principal is the user acting from Telegram account tgUser, or nil with a reason to tell.
func (m *Module) principal(ctx context.Context, tgUser int64) (*httpapi.Principal, string, error) {
	u, err := m.linkedUser(ctx, tgUser)
	if err != nil {
		return nil, msgFailed, err
	}
	if u == nil {
		return nil, msgNotLinked, nil
	}
	return u.Principal(), "", nil
}

// canSee says whether p may see the ticket: officers only their departments' tickets, the
// hotline, leaders and administrators every ticket.
func canSee(p *httpapi.Principal, t *tickets.Ticket) bool {
	if p.Role != httpapi.RoleOfficer {
		return true
	}
	return t.Department != "" && p.InDepartment(t.Department)
}

func (m *Module) showTicket(ctx context.Context, chat, tgUser int64, arg string) error {
	text, markup, err := m.ticketView(ctx, tgUser, arg)
	if sendErr := m.send(ctx, chat, text, markup); sendErr != nil {
		return errors.Join(err, sendErr)
	}
	return err
}

// ticketView is what /ticket CODE and the view button show to the user of tgUser.
func (m *Module) ticketView(ctx context.Context, tgUser int64, arg string) (string, models.ReplyMarkup, error) {
	p, why, err := m.principal(ctx, tgUser)
	if p == nil {
		return why, nil, err
	}
	code, perr := tickets.ParseCode(arg)
	if arg == "" || perr != nil {
		return msgTicketArgs, nil, nil
	}
	t, err := m.desk.Get(ctx, code)
	if err != nil {
		if userMessage(err) != "" {
			return fmt.Sprintf("Không tìm thấy phản ánh %s.", code), nil, nil
		}
		return msgFailed, nil, err
	}
	if !canSee(p, t) {
		return fmt.Sprintf("Phản ánh %s không thuộc đơn vị của bạn.", t.Code), nil, nil
	}
	var markup models.ReplyMarkup
	if t.Status == tickets.StatusAssigned && p.Role == httpapi.RoleOfficer {
		markup = buttons(button("✅ Tiếp nhận", cbAccept, string(t.Code)))
	}
	return m.ticketText(ctx, "", t), markup, nil
}

// userMessage is the plain message of an error the ticket engine or the alert engine meant
// for the user, or "" for an internal error.
func userMessage(err error) string {
	var he *httpapi.Error
	if errors.As(err, &he) {
		return he.Message
	}
	return ""
}

func (m *Module) onCallback(ctx context.Context, q *models.CallbackQuery) error {
	verb, arg, _ := strings.Cut(q.Data, ":")
	var text, edit string
	var err error
	switch verb {
	case cbAccept:
		text, edit, err = m.accept(ctx, q.From.ID, arg)
	case cbView:
		var markup models.ReplyMarkup
		var view string
		view, markup, err = m.ticketView(ctx, q.From.ID, arg)
		if chat := chatOf(q); chat != 0 && err == nil {
			err = m.send(ctx, chat, view, markup)
		}
		if !strings.HasPrefix(view, "📋") {
			text = view // a refusal: say it on the button too
		}
	case cbAck:
		text, edit, err = m.ackAlert(ctx, q.From.ID, arg)
	default:
		text = msgFailed
	}
	answerErr := m.call(ctx, func(ctx context.Context) error {
		_, err := m.bot.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: text, ShowAlert: edit == "" && text != ""})
		return err
	})
	if edit != "" {
		answerErr = errors.Join(answerErr, m.editDone(ctx, q, edit))
	}
	return errors.Join(err, answerErr)
}

func chatOf(q *models.CallbackQuery) int64 {
	if msg := q.Message.Message; msg != nil {
		return msg.Chat.ID
	}
	if im := q.Message.InaccessibleMessage; im != nil {
		return im.Chat.ID
	}
	return 0
}

// editDone appends a line to the message whose button was pressed and removes its buttons.
func (m *Module) editDone(ctx context.Context, q *models.CallbackQuery, line string) error {
	msg := q.Message.Message
	if msg == nil {
		return nil
	}
	return m.call(ctx, func(ctx context.Context) error {
		_, err := m.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: msg.Chat.ID, MessageID: msg.ID,
			Text: msg.Text + "\n\n" + line, ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}})
		return err
	})
}

// accept accepts a ticket as the user linked to tgUser, with that user's rights. It returns
// the answer to show on the button, and the line to add to the message on success.
func (m *Module) accept(ctx context.Context, tgUser int64, arg string) (string, string, error) {
	p, why, err := m.principal(ctx, tgUser)
	if p == nil {
		return why, "", err
	}
	code, err := tickets.ParseCode(arg)
	if err != nil {
		return msgFailed, "", nil
	}
	t, err := m.desk.Get(ctx, code)
	if err != nil {
		if msg := userMessage(err); msg != "" {
			return msg, "", nil
		}
		return msgFailed, "", err
	}
	if !canSee(p, t) {
		return fmt.Sprintf("Phản ánh %s không thuộc đơn vị của bạn.", t.Code), "", nil
	}
	if _, err := m.desk.Act(ctx, code, "accept", tickets.ActionRequest{Version: t.Version}, p); err != nil {
		if msg := userMessage(err); msg != "" {
			return "Không tiếp nhận được: " + msg, "", nil
		}
		return msgFailed, "", err
	}
	m.log.Info("ticket accepted from telegram", "ticket", code, "user", p.Username)
	return "Đã tiếp nhận phản ánh " + string(code), "✅ Đã tiếp nhận bởi " + p.Username, nil
}

// ackRoles may acknowledge alerts, as in the alerts API.
var ackRoles = []httpapi.Role{httpapi.RoleLeader, httpapi.RoleSupervisor, httpapi.RoleAdmin}

func (m *Module) ackAlert(ctx context.Context, tgUser int64, id string) (string, string, error) {
	p, why, err := m.principal(ctx, tgUser)
	if p == nil {
		return why, "", err
	}
	if !slices.Contains(ackRoles, p.Role) {
		return msgNoLeader, "", nil
	}
	if m.acker == nil {
		return msgFailed, "", errors.New("no alert engine")
	}
	if _, err := m.acker.Ack(ctx, id, p.Username, "Telegram"); err != nil {
		if msg := userMessage(err); msg != "" {
			return "Không xác nhận được: " + msg, "", nil
		}
		return msgFailed, "", err
	}
	return "Đã xác nhận cảnh báo", "✔️ Đã xác nhận bởi " + p.Username, nil
}

func button(text, verb, arg string) models.InlineKeyboardButton {
	return models.InlineKeyboardButton{Text: text, CallbackData: verb + ":" + arg}
}

func buttons(bs ...models.InlineKeyboardButton) models.ReplyMarkup {
	return models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{bs}}
}

// unlink removes username's link.
func (m *Module) unlink(ctx context.Context, username string) error {
	_, err := m.st.C(linksCollection).DeleteOne(ctx, map[string]string{"_id": username})
	return err
}
