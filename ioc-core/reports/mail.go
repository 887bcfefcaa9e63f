package reports

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Relay is an SMTP server reports are sent through. Port 465 is implicit TLS; on other
// ports STARTTLS is used when the server offers it, and the credentials (when set) are
// sent only over TLS or to a loopback server.
type Relay struct {
	Addr     string
	User     string
	Password string
	From     string
	// TLS configures the TLS of the connection; nil means the system's defaults.
	TLS *tls.Config
}

// Attachment is a file attached to a report e-mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message composes a MIME message with a text body and an attachment.
func Message(from string, to []string, subject, body string, att Attachment, now time.Time) ([]byte, error) {
	var h mail.Header
	h.SetDate(now)
	h.SetSubject(subject)
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: from %q: %v", ErrMail, from, err)
	}
	h.SetAddressList("From", []*mail.Address{fromAddr})
	var rcpts []*mail.Address
	for _, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("%w: recipient %q: %v", ErrMail, t, err)
		}
		rcpts = append(rcpts, a)
	}
	h.SetAddressList("To", rcpts)
	if err := h.GenerateMessageID(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	tw, err := w.CreateSingleInline(th)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var ah mail.AttachmentHeader
	ah.SetContentType(att.ContentType, nil)
	ah.SetFilename(att.Name)
	aw, err := w.CreateAttachment(ah)
	if err != nil {
		return nil, err
	}
	if _, err := aw.Write(att.Data); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Send delivers msg to the recipients through the relay.
func (r Relay) Send(ctx context.Context, to []string, msg []byte) error {
	host, port, err := net.SplitHostPort(r.Addr)
	if err != nil {
		return fmt.Errorf("%w: smtp address %q: %v", ErrMail, r.Addr, err)
	}
	tlsCfg := r.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: host}
	}
	c, secure, err := dial(r.Addr, port == "465", tlsCfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.CommandTimeout, c.SubmissionTimeout = time.Until(dl), time.Until(dl)
	}
	if r.User != "" {
		if !secure && !loopback(host) {
			return fmt.Errorf("%w: %s offers no TLS; refusing to send the password in clear", ErrMail, r.Addr)
		}
		if err := c.Auth(sasl.NewPlainClient("", r.User, r.Password)); err != nil {
			return fmt.Errorf("%w: smtp auth: %v", ErrMail, err)
		}
	}
	from, err := mail.ParseAddress(r.From)
	if err != nil {
		return fmt.Errorf("%w: from %q: %v", ErrMail, r.From, err)
	}
	var addrs []string
	for _, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return fmt.Errorf("%w: recipient %q: %v", ErrMail, t, err)
		}
		addrs = append(addrs, a.Address)
	}
	if err := c.SendMail(from.Address, addrs, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("%w: send via %s: %v", ErrMail, r.Addr, err)
	}
	return c.Quit()
}

// dial connects with implicit TLS, or plainly then upgraded with STARTTLS when the server
// offers it (the client cannot upgrade a connection it has greeted, so it dials again).
func dial(addr string, implicit bool, tlsCfg *tls.Config) (*smtp.Client, bool, error) {
	if implicit {
		c, err := smtp.DialTLS(addr, tlsCfg)
		if err != nil {
			return nil, false, fmt.Errorf("%w: dial %s: %v", ErrMail, addr, err)
		}
		return c, true, nil
	}
	c, err := smtp.Dial(addr)
	if err != nil {
		return nil, false, fmt.Errorf("%w: dial %s: %v", ErrMail, addr, err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, false, nil
	}
	_ = c.Close()
	if c, err = smtp.DialStartTLS(addr, tlsCfg); err != nil {
		return nil, false, fmt.Errorf("%w: starttls %s: %v", ErrMail, addr, err)
	}
	return c, true, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
