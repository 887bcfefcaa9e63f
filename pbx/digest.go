package pbx

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// nonceTTL is how long a digest challenge stays valid.
const nonceTTL = 5 * time.Minute

// digester issues and checks SIP digest challenges (RFC 3261 §22, RFC 2617, MD5, qop=auth or
// none). Nonces are stateless: a timestamp and its HMAC under a key of this process, so no
// challenge is stored and any number of phones can be challenged.
type digester struct {
	realm string
	key   [32]byte
}

func newDigester(realm string) *digester {
	d := &digester{realm: realm}
	_, _ = rand.Read(d.key[:])
	return d
}

func (d *digester) nonce(now time.Time) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Unix()))
	m := hmac.New(sha256.New, d.key[:])
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// fresh reports whether nonce was issued here less than nonceTTL ago.
func (d *digester) fresh(nonce string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return false
	}
	m := hmac.New(sha256.New, d.key[:])
	m.Write(b[:8])
	if !hmac.Equal(m.Sum(nil)[:16], b[8:]) {
		return false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	return now.Sub(at) < nonceTTL && !at.After(now.Add(time.Minute))
}

// challenge returns a 401 (or 407 for proxy auth) carrying a fresh challenge.
func (d *digester) challenge(req *sip.Request, code int, stale bool) *sip.Response {
	reason, hdr := "Unauthorized", "WWW-Authenticate"
	if code == 407 {
		reason, hdr = "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	v := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, d.realm, d.nonce(time.Now()))
	if stale {
		v += ", stale=true"
	}
	res.AppendHeader(sip.NewHeader(hdr, v))
	return res
}

// credentials returns the digest credentials of a request (Authorization or
// Proxy-Authorization), or nil when it has none or they do not parse.
func credentials(req *sip.Request) *digest.Credentials {
	h := req.GetHeader("Authorization")
	if h == nil {
		h = req.GetHeader("Proxy-Authorization")
	}
	if h == nil {
		return nil
	}
	c, err := digest.ParseCredentials(h.Value())
	if err != nil {
		return nil
	}
	return c
}

// authResult is the outcome of checking credentials.
type authResult int

const (
	authOK authResult = iota
	authBad
	authStale
)

// check verifies credentials c of req against ha1 = MD5(username:realm:secret).
func (d *digester) check(req *sip.Request, c *digest.Credentials, ha1 string) authResult {
	if c.Realm != d.realm || (c.Algorithm != "" && c.Algorithm != "MD5") {
		return authBad
	}
	if !d.fresh(c.Nonce, time.Now()) {
		return authStale
	}
	ha2 := md5hex(req.Method.String() + ":" + c.URI)
	var want string
	switch c.QOP {
	case "":
		want = md5hex(ha1 + ":" + c.Nonce + ":" + ha2)
	case "auth":
		want = md5hex(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", ha1, c.Nonce, c.Nc, c.Cnonce, ha2))
	default:
		return authBad
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(c.Response)) != 1 {
		return authBad
	}
	return authOK
}

// HA1 is the digest hash a secret is kept as: MD5(username:realm:secret).
func HA1(username, realm, secret string) string { return md5hex(username + ":" + realm + ":" + secret) }

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
