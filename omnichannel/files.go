package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const filesColl = "oc_files"

// storedFile is a file a citizen sent, kept under the data directory.
type storedFile struct {
	ID             string    `bson:"_id"`
	ConversationID string    `bson:"conversation_id,omitempty"`
	Name           string    `bson:"name"`
	MIME           string    `bson:"mime"`
	Size           int64     `bson:"size"`
	CreatedAt      time.Time `bson:"created_at"`
}

func (m *Module) filesDir() string { return filepath.Join(m.cfg.Data.Dir, "omnichannel", "files") }

func (m *Module) maxFileBytes() int64 {
	if n := m.cfg.Tickets.MaxAttachBytes; n > 0 {
		return n
	}
	return 10 << 20
}

// saveFile writes r (at most the attachment limit) to disk, then records it. It returns the
// attachment to put in a message.
func (m *Module) saveFile(ctx context.Context, name, mimeType string, r io.Reader) (Attachment, error) {
	if err := os.MkdirAll(m.filesDir(), 0o750); err != nil {
		return Attachment{}, fmt.Errorf("files dir: %w", err)
	}
	id := newID()
	f, err := os.CreateTemp(m.filesDir(), id+".tmp*")
	if err != nil {
		return Attachment{}, fmt.Errorf("save file: %w", err)
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, io.LimitReader(r, m.maxFileBytes()+1))
	if err == nil && n > m.maxFileBytes() {
		err = errTooBig
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(m.filesDir(), id))
	}
	if err != nil {
		return Attachment{}, err
	}
	name = nfc(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if mimeType == "" {
		mimeType = mime.TypeByExtension(filepath.Ext(name))
	}
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	doc := storedFile{ID: id, Name: name, MIME: mimeType, Size: n, CreatedAt: time.Now().UTC()}
	if _, err := m.st.C(filesColl).InsertOne(ctx, doc); err != nil {
		return Attachment{}, fmt.Errorf("record file: %w", err)
	}
	typ := "file"
	if strings.HasPrefix(mimeType, "image/") {
		typ = "image"
	}
	return Attachment{Type: typ, Name: name, MIME: mimeType, Size: n, StoredID: id, URL: "/webchat/files/" + id}, nil
}

var errTooBig = errors.New("file too large")

func (wc *webchat) handleUpload(w http.ResponseWriter, r *http.Request) {
	if err := wc.upload(w, r); err != nil {
		wc.m.api.Fail(w, r, err)
	}
}

func (wc *webchat) upload(w http.ResponseWriter, r *http.Request) error {
	c, err := wc.claims(wc.tokenOf(r))
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, wc.m.maxFileBytes()+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return httpapi.BadRequest("the body must be multipart/form-data with a file part")
	}
	var clientID string
	var att *Attachment
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadErr(err)
		}
		switch part.FormName() {
		case "client_msg_id":
			b, _ := io.ReadAll(io.LimitReader(part, 65))
			clientID = string(b)
		case "file":
			a, err := wc.m.saveFile(r.Context(), part.FileName(), part.Header.Get("Content-Type"), part)
			if err != nil {
				return uploadErr(err)
			}
			att = &a
		}
	}
	if att == nil || clientID == "" || len(clientID) > 64 {
		return httpapi.Invalid(map[string]string{"file": "a file part and a client_msg_id (at most 64 characters) are required"})
	}
	kind := KindFile
	if att.Type == "image" {
		kind = KindImage
	}
	msg, err := wc.receive(r.Context(), c, "", clientID, &Message{Kind: kind, Attachments: []Attachment{*att}})
	if err != nil {
		return err
	}
	_, _ = wc.m.st.C(filesColl).UpdateOne(r.Context(), bson.M{"_id": att.StoredID}, bson.M{"$set": bson.M{"conversation_id": msg.ConversationID}})
	httpapi.WriteJSON(w, http.StatusCreated, msg)
	return nil
}

func uploadErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || errors.Is(err, errTooBig) {
		return httpapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than the limit")
	}
	return httpapi.BadRequest("the upload could not be read: %v", err)
}

// serveFile gives a stored file to staff, or to the chat user of its conversation.
func (wc *webchat) serveFile(w http.ResponseWriter, r *http.Request) {
	var f storedFile
	err := wc.m.st.C(filesColl).FindOne(r.Context(), bson.M{"_id": r.PathValue("id")}).Decode(&f)
	if store.IsNotFound(err) {
		wc.m.api.Fail(w, r, httpapi.NotFound("no such file"))
		return
	}
	if err != nil {
		wc.m.api.Fail(w, r, err)
		return
	}
	if err := wc.mayRead(r, &f); err != nil {
		wc.m.api.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.MIME)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFile(w, r, filepath.Join(wc.m.filesDir(), f.ID))
}

func (wc *webchat) mayRead(r *http.Request, f *storedFile) error {
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if p, err := wc.m.auth.TokenPrincipal(r.Context(), h); err == nil && p.HasRole(httpapi.RoleAgent, httpapi.RoleSupervisor, httpapi.RoleAdmin, httpapi.RoleOfficer) {
			return nil
		}
	}
	c, err := wc.claims(wc.tokenOf(r))
	if err != nil {
		return err
	}
	conv, err := wc.conversation(r.Context(), c, false)
	if err != nil || conv.ID != f.ConversationID {
		return httpapi.Forbidden("this file is not yours")
	}
	return nil
}
