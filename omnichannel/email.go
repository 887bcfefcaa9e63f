package omnichannel

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/ioc1022/ioc1022/ioc-core/config"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// emailConnector reads the hotline's IMAP mailbox (IDLE when the server has it, polling
// otherwise) and answers through SMTP. A message is stored before the mailbox position
// moves past it, so a crash makes it read again, and its Message-ID stores it once.
type emailConnector struct {
	m      *Module
	cfg    config.Email
	from   *mail.Address
	domain string
}

func newEmail(m *Module, cfg config.Email) (*emailConnector, error) {
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || !strings.Contains(from.Address, "@") {
		return nil, fmt.Errorf("channels.email.from: %q is not an e-mail address", cfg.From)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Minute
	}
	return &emailConnector{m: m, cfg: cfg, from: from, domain: domain}, nil
}

func (e *emailConnector) Channel() Channel { return ChannelEmail }

// imapState is how far the mailbox has been read.
type imapState struct {
	UIDValidity uint32 `bson:"uid_validity"`
	LastUID     uint32 `bson:"last_uid"`
}

const imapStateID = "imap_state"

// Run watches the mailbox until ctx ends, reconnecting after failures.
func (e *emailConnector) Run(ctx context.Context) error {
	backoff := time.Second
	for ctx.Err() == nil {
		err := e.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		e.m.log.Warn("imap session ended", "channel", ChannelEmail, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
	return nil
}

func (e *emailConnector) dial(newMail chan<- struct{}) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case newMail <- struct{}{}:
				default:
				}
			}
		}},
	}
	if _, port, _ := net.SplitHostPort(e.cfg.IMAPAddr); port == "993" {
		return imapclient.DialTLS(e.cfg.IMAPAddr, opts)
	}
	return imapclient.DialInsecure(e.cfg.IMAPAddr, opts)
}

func (e *emailConnector) session(ctx context.Context) error {
	newMail := make(chan struct{}, 1)
	c, err := e.dial(newMail)
	if err != nil {
		return fmt.Errorf("imap dial: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	if err := c.Login(e.cfg.IMAPUser, e.cfg.IMAPPassword).Wait(); err != nil {
		return fmt.Errorf("imap login: %w", err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		return fmt.Errorf("imap select: %w", err)
	}
	for ctx.Err() == nil {
		if err := e.fetchNew(ctx, c, sel.UIDValidity); err != nil {
			return err
		}
		if err := e.wait(ctx, c, newMail); err != nil {
			return err
		}
	}
	return nil
}

// wait returns when new mail may have arrived: at once on an IDLE notice, or after the
// poll interval.
func (e *emailConnector) wait(ctx context.Context, c *imapclient.Client, newMail <-chan struct{}) error {
	if !c.Caps().Has(imap.CapIdle) {
		select {
		case <-ctx.Done():
		case <-time.After(e.cfg.PollInterval):
		}
		return nil
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("imap idle: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-newMail:
	case <-time.After(e.cfg.PollInterval):
	}
	if err := idle.Close(); err != nil {
		return err
	}
	return idle.Wait()
}

func (e *emailConnector) fetchNew(ctx context.Context, c *imapclient.Client, validity uint32) error {
	var st imapState
	err := e.m.st.C(settingsColl).FindOne(ctx, bson.M{"_id": imapStateID}).Decode(&st)
	if err != nil && !store.IsNotFound(err) {
		return err
	}
	if st.UIDValidity != validity {
		st = imapState{UIDValidity: validity} // the mailbox was rebuilt: read it all, Message-IDs dedupe
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(st.LastUID+1), 0)
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("imap search: %w", err)
	}
	for _, uid := range data.AllUIDs() {
		if uint32(uid) <= st.LastUID {
			continue
		}
		if err := e.fetchOne(ctx, c, validity, uid); err != nil {
			return err
		}
		st.LastUID = uint32(uid)
		_, err := e.m.st.C(settingsColl).UpdateOne(ctx, bson.M{"_id": imapStateID},
			bson.M{"$set": bson.M{"uid_validity": st.UIDValidity, "last_uid": st.LastUID}}, upsert())
		if err != nil {
			return fmt.Errorf("save imap position: %w", err)
		}
	}
	return nil
}

func (e *emailConnector) fetchOne(ctx context.Context, c *imapclient.Client, validity uint32, uid imap.UID) error {
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		return fmt.Errorf("imap fetch %d: %w", uid, err)
	}
	if len(msgs) == 0 || len(msgs[0].BodySection) == 0 {
		return nil
	}
	raw := msgs[0].BodySection[0].Bytes
	p, err := parseEmail(raw, fmt.Sprintf("uid-%d-%d@imap", validity, uid), e.m.maxFileBytes())
	if err != nil {
		e.m.log.Warn("unreadable e-mail skipped", "channel", ChannelEmail, "uid", uid, "err", err)
		return nil
	}
	if p.autoReply || strings.EqualFold(p.in.Address, e.from.Address) {
		return nil // auto-replies and our own mail would loop
	}
	for _, a := range p.attachments {
		att, err := e.m.saveFile(ctx, a.name, a.mime, bytes.NewReader(a.data))
		if err != nil {
			return fmt.Errorf("keep attachment: %w", err)
		}
		p.in.Attachments = append(p.in.Attachments, att)
	}
	return e.m.accept(ctx, p.in)
}

// emailThread finds the conversation an e-mail belongs to: by In-Reply-To, then by
// References (newest first), then by its reply+<token>@ address; otherwise it starts a
// thread named by its own Message-ID.
func (m *Module) emailThread(ctx context.Context, in *Inbound) (string, error) {
	ids := strings.Fields(in.Meta["in_reply_to"])
	refs := strings.Fields(in.Meta["references"])
	for i := len(refs) - 1; i >= 0; i-- {
		ids = append(ids, refs[i])
	}
	keys := make([]string, 0, len(ids)+1)
	for _, id := range ids {
		keys = append(keys, mailKey(id))
	}
	if tok := in.Meta["reply_token"]; tok != "" {
		keys = append(keys, replyKey(tok))
	}
	for _, k := range keys {
		c, err := m.conversationByKey(ctx, k)
		if err == nil {
			return c.Thread, nil
		}
		if !store.IsNotFound(err) {
			return "", err
		}
	}
	return in.Thread, nil
}

func (m *Module) messageBy(ctx context.Context, f bson.M) (*Message, error) {
	var msg Message
	if err := m.st.C(messagesColl).FindOne(ctx, f).Decode(&msg); err != nil {
		return nil, err
	}
	return &msg, nil
}

// Send writes an e-mail in the conversation's thread (In-Reply-To, References) with a
// reply+<token>@ Reply-To, and hands it to the SMTP relay.
func (e *emailConnector) Send(ctx context.Context, to Recipient, msg Outgoing) (string, error) {
	if e.cfg.SMTPAddr == "" {
		return "", fmt.Errorf("email: %w (no SMTP relay)", ErrChannelOff)
	}
	if to.Email == "" {
		return "", &SendError{Channel: ChannelEmail, Message: "the conversation has no address", Permanent: true}
	}
	rcpt, err := mail.ParseAddress(to.Email)
	if err != nil {
		return "", &SendError{Channel: ChannelEmail, Message: "bad address " + to.Email, Permanent: true}
	}
	id := strings.ReplaceAll(msg.MessageID, ":", ".") + "@" + e.domain // a msg-id's left part has no colon
	var h mail.Header
	h.SetDate(time.Now())
	h.SetAddressList("From", []*mail.Address{e.from})
	h.SetAddressList("To", []*mail.Address{rcpt})
	h.SetAddressList("Reply-To", []*mail.Address{{Name: e.from.Name, Address: "reply+" + to.ReplyToken + "@" + e.domain}})
	subject := to.Subject
	if subject == "" {
		subject = "Đường dây nóng 1022"
	}
	if !strings.HasPrefix(strings.ToLower(subject), "re:") && len(to.References) > 0 {
		subject = "Re: " + subject
	}
	h.SetSubject(subject)
	h.SetMessageID(id)
	if n := len(to.References); n > 0 {
		h.SetMsgIDList("In-Reply-To", to.References[n-1:])
		h.SetMsgIDList("References", to.References)
	}
	h.Set("Auto-Submitted", "auto-replied")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return "", err
	}
	text := msg.Text
	for _, a := range msg.Attachments {
		text += "\n" + a.URL
	}
	_, _ = w.Write([]byte(text))
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := e.submit(rcpt.Address, buf.Bytes()); err != nil {
		return "", err
	}
	return id, nil
}

// submit sends one message through the relay, upgrading to TLS when it offers STARTTLS.
func (e *emailConnector) submit(to string, body []byte) error {
	c, err := e.dialSMTP()
	if err != nil {
		return &SendError{Channel: ChannelEmail, Message: "smtp: " + err.Error()}
	}
	defer c.Close()
	if e.cfg.SMTPUser != "" {
		if err := c.Auth(sasl.NewPlainClient("", e.cfg.SMTPUser, e.cfg.SMTPPassword)); err != nil {
			return &SendError{Channel: ChannelEmail, Message: "smtp auth: " + err.Error(), Permanent: true}
		}
	}
	if err := c.SendMail(e.from.Address, []string{to}, bytes.NewReader(body)); err != nil {
		se := &SendError{Channel: ChannelEmail, Message: "smtp: " + err.Error()}
		if serr, ok := err.(*smtp.SMTPError); ok {
			se.Code, se.Permanent = fmt.Sprint(serr.Code), serr.Code >= 500
		}
		return se
	}
	return c.Quit()
}

func (e *emailConnector) dialSMTP() (*smtp.Client, error) {
	host, port, _ := net.SplitHostPort(e.cfg.SMTPAddr)
	if port == "465" {
		return smtp.DialTLS(e.cfg.SMTPAddr, &tls.Config{ServerName: host})
	}
	c, err := smtp.Dial(e.cfg.SMTPAddr)
	if err != nil {
		return nil, err
	}
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		c.Close()
		return smtp.DialStartTLS(e.cfg.SMTPAddr, &tls.Config{ServerName: host})
	}
	return c, nil
}
