package social

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// SignatureHeader carries the ingest signature when ioc.social.ingest_secret is set:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>".
const SignatureHeader = "X-Ioc1022-Signature"

// signatureTolerance is how far the signed time may be from the server's clock.
const signatureTolerance = 5 * time.Minute

// maxIngestItems bounds the items of one ingest request.
const maxIngestItems = 500

// IngestRequest is the body of POST /api/v1/social/ingest.
type IngestRequest struct {
	Source string     `json:"source,omitempty"` // the crawler's name for where the items come from
	Items  []Incoming `json:"items"`
}

// IngestResponse answers an ingest: one result per item, in order.
type IngestResponse struct {
	Results []Result `json:"results"`
	Stored  int      `json:"stored"`
}

// Sign returns the signature header value of body at t with secret (for crawlers and tests).
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks header against body and secret at now.
func VerifySignature(secret, header string, body []byte, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return httpapi.Unauthorized("%s must be t=<unix seconds>,v1=<hex HMAC-SHA256>", SignatureHeader)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > signatureTolerance || d < -signatureTolerance {
		return httpapi.Unauthorized("the signed time is more than 5 minutes from the server's clock")
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+strings.ToLower(sig))) {
		return httpapi.Unauthorized("bad signature")
	}
	return nil
}

var sourceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)

// ParseIngest reads and checks an ingest body (structure only; items are judged one by
// one when stored).
func ParseIngest(body []byte) (*IngestRequest, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	var req IngestRequest
	if err := d.Decode(&req); err != nil {
		return nil, httpapi.BadRequest("the body is not an ingest request: %v", err)
	}
	if d.More() {
		return nil, httpapi.BadRequest("the body has data after the JSON object")
	}
	switch {
	case len(req.Items) == 0:
		return nil, httpapi.Invalid(map[string]string{"items": "at least one item"})
	case len(req.Items) > maxIngestItems:
		return nil, httpapi.Invalid(map[string]string{"items": fmt.Sprintf("at most %d items per request", maxIngestItems)})
	case req.Source != "" && !sourceName.MatchString(req.Source):
		return nil, httpapi.Invalid(map[string]string{"source": "1 to 64 letters, digits, dots, dashes or underscores"})
	}
	return &req, nil
}

func (m *Module) handleIngest(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return httpapi.BadRequest("read body: %v", err)
	}
	if m.cfg.IngestSecret != "" {
		if err := VerifySignature(m.cfg.IngestSecret, r.Header.Get(SignatureHeader), body, time.Now()); err != nil {
			return err
		}
	}
	req, err := ParseIngest(body)
	if err != nil {
		return err
	}
	source := "ingest:" + httpapi.PrincipalFrom(r.Context()).APIKey
	if req.Source != "" {
		source += "/" + req.Source
	}
	res, err := m.Ingest(r.Context(), source, KindIngest, req.Items)
	if err != nil {
		return err
	}
	out := IngestResponse{Results: res}
	for _, x := range res {
		if x.Status == StatusStored {
			out.Stored++
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}
