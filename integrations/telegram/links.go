package telegram

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/auth"
	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of this package.
const (
	linksCollection   = "tg_links"      // one per linked user: _id is the username
	codesCollection   = "tg_link_codes" // pending one-time codes: _id is the code's SHA-256
	updatesCollection = "tg_updates"    // webhook updates, stored before they are acknowledged
	sentCollection    = "tg_sent"       // notifications sent, by event and chat, for idempotence
)

// codeAlphabet has no 0/O or 1/I, so a code read aloud or retyped is not mistaken.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// codeLen gives 32^8 = 2^40 codes, valid 15 minutes, with tries rate-limited per account.
const codeLen = 8

// Link is a user's linked Telegram account.
type Link struct {
	Username   string    `bson:"_id" json:"username"`
	TelegramID int64     `bson:"tg_user" json:"telegram_user_id"`
	ChatID     int64     `bson:"chat_id" json:"chat_id"` // the private chat with the bot
	TGUsername string    `bson:"tg_username,omitempty" json:"telegram_username,omitempty"`
	LinkedAt   time.Time `bson:"linked_at" json:"linked_at"`
}

type codeDoc struct {
	Hash      string    `bson:"_id"`
	Username  string    `bson:"username"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// LinkCode is the answer of POST /api/v1/telegram/link-code.
type LinkCode struct {
	Code      string    `json:"code"`
	Command   string    `json:"command"` // what to send to the bot
	ExpiresAt time.Time `json:"expires_at"`
}

// LinkStatus is the answer of GET /api/v1/telegram/link.
type LinkStatus struct {
	Linked bool  `json:"linked"`
	Link   *Link `json:"link,omitempty"`
}

func (m *Module) ensureIndexes(ctx context.Context) error {
	if err := m.st.EnsureIndexes(ctx, linksCollection, store.UniqueIndex("tg_user")); err != nil {
		return err
	}
	if err := m.st.EnsureIndexes(ctx, codesCollection, store.Index("username")); err != nil {
		return err
	}
	return m.st.EnsureIndexes(ctx, updatesCollection, store.Index("done"))
}

func (m *Module) registerLinks(api *httpapi.API) {
	api.Handle(httpapi.Route{Method: "POST", Path: "/api/v1/telegram/link-code", Tag: "telegram",
		Summary:  "A one-time code (15 minutes) that links the caller's Telegram account: send /start CODE to the officers' bot",
		Access:   httpapi.Users(httpapi.RoleOfficer, httpapi.RoleLeader, httpapi.RoleSupervisor, httpapi.RoleAgent),
		Response: LinkCode{}, Status: http.StatusCreated, Handle: m.handleLinkCode})
	api.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/telegram/link", Tag: "telegram",
		Summary: "Whether the caller's Telegram account is linked", Access: httpapi.Users(),
		Response: LinkStatus{}, Handle: m.handleLinkStatus})
	api.Handle(httpapi.Route{Method: "DELETE", Path: "/api/v1/telegram/link", Tag: "telegram",
		Summary: "Unlink the caller's Telegram account", Access: httpapi.Users(), Status: http.StatusNoContent,
		Handle: func(w http.ResponseWriter, r *http.Request) error {
			p := httpapi.PrincipalFrom(r.Context())
			if _, err := m.st.C(linksCollection).DeleteOne(r.Context(), bson.M{"_id": p.Username}); err != nil {
				return fmt.Errorf("unlink %s: %w", p.Username, err)
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
}

func (m *Module) handleLinkCode(w http.ResponseWriter, r *http.Request) error {
	p := httpapi.PrincipalFrom(r.Context())
	if p.APIKey != "" {
		return httpapi.Forbidden("API keys cannot link a Telegram account")
	}
	if m.cfg.Token == "" {
		return httpapi.Conflict("the officers' Telegram bot is not configured (ioc.telegram.token)")
	}
	lc, err := m.NewLinkCode(r.Context(), p.Username)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, lc)
	return nil
}

func (m *Module) handleLinkStatus(w http.ResponseWriter, r *http.Request) error {
	p := httpapi.PrincipalFrom(r.Context())
	var l Link
	err := m.st.C(linksCollection).FindOne(r.Context(), bson.M{"_id": p.Username}).Decode(&l)
	if store.IsNotFound(err) {
		httpapi.WriteJSON(w, http.StatusOK, LinkStatus{})
		return nil
	}
	if err != nil {
		return fmt.Errorf("link of %s: %w", p.Username, err)
	}
	httpapi.WriteJSON(w, http.StatusOK, LinkStatus{Linked: true, Link: &l})
	return nil
}

// NewLinkCode issues a one-time code for username, replacing any code issued before.
func (m *Module) NewLinkCode(ctx context.Context, username string) (*LinkCode, error) {
	code := randomCode()
	exp := m.Now().UTC().Add(m.codeTTL())
	c := m.st.C(codesCollection)
	if _, err := c.DeleteMany(ctx, bson.M{"username": username}); err != nil {
		return nil, fmt.Errorf("link code for %s: %w", username, err)
	}
	if _, err := c.InsertOne(ctx, codeDoc{Hash: hashCode(code), Username: username, ExpiresAt: exp}); err != nil {
		return nil, fmt.Errorf("link code for %s: %w", username, err)
	}
	return &LinkCode{Code: code, Command: "/start " + code, ExpiresAt: exp}, nil
}

func (m *Module) codeTTL() time.Duration {
	if m.cfg.CodeTTL > 0 {
		return m.cfg.CodeTTL
	}
	return 15 * time.Minute
}

func randomCode() string {
	b := make([]byte, codeLen)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

func hashCode(code string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(h[:])
}

// redeem consumes a code and links the Telegram user to its owner. It returns the linked
// user, or nil when the code is unknown, used or expired.
func (m *Module) redeem(ctx context.Context, code string, tgUser, chat int64, tgName string) (*auth.User, error) {
	var cd codeDoc
	err := m.st.C(codesCollection).FindOneAndDelete(ctx, bson.M{"_id": hashCode(code)}).Decode(&cd)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redeem link code: %w", err)
	}
	if !m.Now().Before(cd.ExpiresAt) {
		return nil, nil
	}
	u, err := m.users.User(ctx, cd.Username)
	if err != nil || u.Disabled {
		return nil, err
	}
	links := m.st.C(linksCollection)
	// A Telegram account links one user: drop its link to anyone else first.
	if _, err := links.DeleteMany(ctx, bson.M{"tg_user": tgUser, "_id": bson.M{"$ne": u.Username}}); err != nil {
		return nil, fmt.Errorf("link %s: %w", u.Username, err)
	}
	l := Link{Username: u.Username, TelegramID: tgUser, ChatID: chat, TGUsername: tgName, LinkedAt: m.Now().UTC()}
	if _, err := links.ReplaceOne(ctx, bson.M{"_id": u.Username}, l, options.Replace().SetUpsert(true)); err != nil {
		return nil, fmt.Errorf("link %s: %w", u.Username, err)
	}
	return u, nil
}

// linkedUser returns the enabled user linked to a Telegram account, or nil.
func (m *Module) linkedUser(ctx context.Context, tgUser int64) (*auth.User, error) {
	var l Link
	err := m.st.C(linksCollection).FindOne(ctx, bson.M{"tg_user": tgUser}).Decode(&l)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("telegram link of %d: %w", tgUser, err)
	}
	u, err := m.users.User(ctx, l.Username)
	if err != nil {
		return nil, nil // the user was removed: the link is dead
	}
	if u.Disabled {
		return nil, nil
	}
	return u, nil
}

// linksOf returns the links of the given users.
func (m *Module) linksOf(ctx context.Context, usernames []string) ([]Link, error) {
	if len(usernames) == 0 {
		return nil, nil
	}
	cur, err := m.st.C(linksCollection).Find(ctx, bson.M{"_id": bson.M{"$in": usernames}})
	if err != nil {
		return nil, fmt.Errorf("telegram links: %w", err)
	}
	var out []Link
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("telegram links: %w", err)
	}
	return out, nil
}
