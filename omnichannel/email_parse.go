package omnichannel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode every IANA charset, windows-1258 included
	"github.com/emersion/go-message/mail"
)

// Limits of one inbound e-mail.
const (
	maxEmailText        = 64 << 10
	maxEmailAttachments = 10
)

// parsedEmail is an e-mail read into the parts omnichannel keeps.
type parsedEmail struct {
	in          Inbound
	attachments []emailAttachment
	autoReply   bool
}

type emailAttachment struct {
	name, mime string
	data       []byte
}

// parseEmail reads a raw RFC 5322 message: threading headers, the sender, the text (decoded
// from its charset, NFC, quoted reply trimmed) and the attachments (at most maxFile bytes
// each). fallbackID names a message without a Message-ID.
func parseEmail(raw []byte, fallbackID string, maxFile int64) (*parsedEmail, error) {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("read e-mail: %w", err)
	}
	h := mr.Header
	from, _ := h.AddressList("From")
	if len(from) == 0 || from[0].Address == "" {
		return nil, errors.New("e-mail without a From address")
	}
	msgID, _ := h.MessageID()
	if msgID == "" {
		msgID = fallbackID
	}
	subject, _ := h.Subject()
	inReplyTo, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	date, err := h.Date()
	if err != nil || date.IsZero() {
		date = time.Now()
	}
	addr := strings.ToLower(from[0].Address)
	p := &parsedEmail{in: Inbound{ID: "email:" + msgID, Channel: ChannelEmail, MsgID: msgID, Thread: msgID, Address: addr,
		Keys: []ContactKey{ContactKey("email:" + addr)}, Name: nfc(from[0].Name), Email: addr, Kind: KindText, SentAt: date.UTC(),
		Meta: map[string]string{"subject": nfc(subject), "in_reply_to": strings.Join(inReplyTo, " "), "references": strings.Join(refs, " "),
			"reply_token": replyToken(h)}}}
	if v := h.Get("Auto-Submitted"); v != "" && !strings.EqualFold(v, "no") {
		p.autoReply = true
	}
	var text, html string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if message.IsUnknownCharset(err) {
				continue
			}
			return nil, fmt.Errorf("read e-mail part: %w", err)
		}
		switch ph := part.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			b, _ := io.ReadAll(io.LimitReader(part.Body, maxEmailText))
			switch {
			case ct == "text/plain" && text == "":
				text = string(b)
			case ct == "text/html" && html == "":
				html = string(b)
			}
		case *mail.AttachmentHeader:
			if len(p.attachments) >= maxEmailAttachments {
				continue
			}
			name, _ := ph.Filename()
			ct, _, _ := ph.ContentType()
			b, _ := io.ReadAll(io.LimitReader(part.Body, maxFile+1))
			if int64(len(b)) > maxFile {
				continue
			}
			p.attachments = append(p.attachments, emailAttachment{name: name, mime: ct, data: b})
		}
	}
	if text == "" && html != "" {
		text = htmlToText(html)
	}
	p.in.Text = nfc(trimQuoted(text))
	if p.in.Text == "" && len(p.attachments) > 0 {
		p.in.Kind = KindFile
	}
	return p, nil
}

// replyToken finds a reply+<token>@ address among the recipients.
func replyToken(h mail.Header) string {
	for _, key := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		list, _ := h.AddressList(key)
		for _, a := range list {
			local, _, _ := strings.Cut(a.Address, "@")
			if tok, ok := strings.CutPrefix(strings.ToLower(local), "reply+"); ok && tok != "" {
				return tok
			}
		}
	}
	return ""
}

// quoteHeader matches the line mail clients put above a quoted reply.
var quoteHeader = regexp.MustCompile(`(?i)^(on .+ wrote:|vào .+ đã viết:|.+ đã viết:|-+ ?original message ?-+|-+ ?forwarded message ?-+|_{10,}|from: .+)$`)

// trimQuoted drops the quoted earlier messages of a reply: quoted lines and everything from
// the client's "On ... wrote:" line, then trailing blank lines.
func trimQuoted(text string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(text, "\r\n", "\n")))
	sc.Buffer(make([]byte, 0, 64<<10), maxEmailText)
	for sc.Scan() {
		line := sc.Text()
		t := strings.TrimSpace(line)
		if quoteHeader.MatchString(t) && len(out) > 0 {
			break
		}
		if strings.HasPrefix(t, ">") {
			continue
		}
		out = append(out, strings.TrimRight(line, " \t"))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

var (
	htmlTags  = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]+>`)
	htmlBreak = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>`)
)

// htmlToText keeps the text of an HTML body, for mail without a plain part.
func htmlToText(h string) string {
	h = htmlBreak.ReplaceAllString(h, "\n")
	h = htmlTags.ReplaceAllString(h, "")
	r := strings.NewReplacer("&nbsp;", " ", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'")
	return r.Replace(h)
}
