package omnichannel

import (
	"errors"
	"io"
	"net/http"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
)

// maxWebhookBody bounds a platform's webhook body; platforms send far less.
const maxWebhookBody = 256 << 10

// readWebhookBody reads a webhook's raw body, refusing one over the limit with 413.
func readWebhookBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, httpapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "the body is larger than %d bytes", maxWebhookBody)
	}
	if err != nil {
		return nil, httpapi.BadRequest("the body could not be read")
	}
	return body, nil
}

// webhookOff answers for a channel whose secrets are unset.
func webhookOff(api *httpapi.API, ch Channel) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.Fail(w, r, httpapi.NotFound("the %s channel is not configured on this node", ch))
	})
}

// ackWebhook answers a stored (or ignored) delivery.
func ackWebhook(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// storeParsed answers a webhook whose body was parsed into items (or failed with err): a bad
// signature is a 401 and anything else unreadable a 400, with nothing stored; otherwise the
// items are stored durably. It reports whether they were, so the caller may acknowledge.
func (m *Module) storeParsed(w http.ResponseWriter, r *http.Request, channel Channel, sigHeader string, items []Inbound, err error) bool {
	switch {
	case err == ErrBadSignature:
		m.log.Warn("webhook with a bad signature", "channel", channel)
		m.api.Fail(w, r, httpapi.Unauthorized("bad %s", sigHeader))
		return false
	case err != nil:
		m.api.Fail(w, r, httpapi.BadRequest("%v", err))
		return false
	}
	if err := m.accept(r.Context(), items...); err != nil {
		m.api.Fail(w, r, err)
		return false
	}
	return true
}
