package platformtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Graph is a local Messenger Send API: POST /{page}/messages?access_token=… with a JSON
// body; it answers {"recipient_id","message_id"}, or Graph's error shape.
type Graph struct {
	URL string
	outbox

	PageToken string
	n         atomic.Int64
}

// NewGraph starts the server accepting pageToken.
func NewGraph(t testing.TB, pageToken string) *Graph {
	g := &Graph{PageToken: pageToken}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{page}/messages", g.send)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "Afake"}})
}

func (g *Graph) send(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("access_token") != g.PageToken {
		graphError(w, http.StatusBadRequest, 190, "Invalid OAuth access token.")
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body struct {
		Recipient struct {
			ID string `json:"id"`
		} `json:"recipient"`
		MessagingType string `json:"messaging_type"`
		Tag           string `json:"tag"`
		Message       struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Recipient.ID == "" {
		graphError(w, http.StatusBadRequest, 100, "(#100) The parameter recipient is required")
		return
	}
	switch body.MessagingType {
	case "RESPONSE", "UPDATE":
	case "MESSAGE_TAG":
		if body.Tag == "" {
			graphError(w, http.StatusBadRequest, 100, "(#100) Tag is required for MESSAGE_TAG")
			return
		}
	default:
		graphError(w, http.StatusBadRequest, 100, "(#100) messaging_type is required")
		return
	}
	g.add(Sent{To: body.Recipient.ID, Text: body.Message.Text, Raw: raw,
		Info: map[string]string{"messaging_type": body.MessagingType, "tag": body.Tag, "page": r.PathValue("page")}})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"recipient_id": body.Recipient.ID, "message_id": fmt.Sprintf("m_fake%d", g.n.Add(1))})
}
