package omnichannel

import (
	"strings"
	"testing"
	"time"

	"github.com/ioc1022/ioc1022/omnichannel/platformtest"
)

// The webhook parsers face the internet: whatever the body, they return an error or items
// with ids, never panic, and accept nothing without the right signature.

func FuzzParseZalo(f *testing.F) {
	body, _ := signedZalo("u1", "m1", "xin chào")
	f.Add(body, "mac=00")
	f.Add([]byte(`{"app_id":"1234567890","event_name":"follow","timestamp":"1","follower":{"id":"9"}}`), "")
	f.Add([]byte(`{"app_id":"1234567890","event_name":"user_send_location","timestamp":"1","sender":{"id":"9"},"message":{"msg_id":"x","attachments":[{"type":"location","payload":{"coordinates":{"latitude":"16.05","longitude":"108.2"}}}]}}`), "")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		if _, err := parseZalo(body, "mac="+strings.Repeat("0", 64), zaloApp, zaloOASecret); err == nil {
			if items, _ := parseZalo(body, "mac="+strings.Repeat("0", 64), zaloApp, zaloOASecret); len(items) > 0 {
				t.Fatal("an event with a wrong signature passed")
			}
		}
		items, err := parseZalo(body, sig, zaloApp, zaloOASecret)
		if err == nil {
			for _, in := range items {
				if in.ID == "" || in.Thread == "" {
					t.Fatalf("item without id or thread: %+v", in)
				}
			}
		}
	})
}

func FuzzParseMessenger(f *testing.F) {
	body, _ := signedMessenger("p1", "mid.1", "hello")
	f.Add(body)
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"delivery":{"watermark":5}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"postback":{"title":"A","payload":"B"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, _, err := parseMessenger(body, "sha256=00", fbSecret); err != ErrBadSignature {
			t.Fatalf("a wrong signature passed: %v", err)
		}
		ins, _, err := parseMessenger(body, platformtest.MessengerSignature(fbSecret, body), fbSecret)
		if err == nil {
			for _, in := range ins {
				if in.ID == "facebook:" || in.Thread == "" {
					t.Fatalf("item without id or thread: %+v", in)
				}
			}
		}
	})
}

func FuzzParseTelegram(f *testing.F) {
	f.Add(telegramUpdate(1, 2, "xin chào"))
	f.Add([]byte(`{"update_id":3,"message":{"message_id":1,"chat":{"id":5},"date":1,"location":{"latitude":1,"longitude":2}}}`))
	f.Add([]byte(`{"update_id":4,"message":{"message_id":1,"chat":{"id":5},"date":1,"contact":{"phone_number":"0905123456","first_name":"A"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ins, err := parseTelegram(body)
		if err == nil {
			for _, in := range ins {
				if in.ID == "" || in.Thread == "" || in.Thread == "0" {
					t.Fatalf("item without id or thread: %+v", in)
				}
			}
		}
	})
}

func FuzzParseEmail(f *testing.F) {
	f.Add([]byte("From: a@b.c\r\nMessage-ID: <x@y>\r\nContent-Type: text/plain; charset=windows-1258\r\n\r\nTi\xf2n\r\n> quoted\r\n"))
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n--zz\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nfile\r\n--zz--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := parseEmail(raw, "fallback@imap", 1<<20)
		if err == nil && (p.in.ID == "email:" || p.in.Address == "") {
			t.Fatalf("e-mail without id or sender: %+v", p.in)
		}
	})
}

func FuzzChatToken(f *testing.F) {
	secret := []byte("s")
	f.Add(SignChatToken(secret, ChatClaims{Kind: ChannelWeb, Subject: "v1", Expires: 1 << 40}))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := verifyChatToken(secret, tok, time.Unix(1e9, 0))
		if err == nil && SignChatToken(secret, c) == "" {
			t.Fatal("unreachable")
		}
	})
}
