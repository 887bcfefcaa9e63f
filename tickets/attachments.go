package tickets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"github.com/ioc1022/ioc1022/ioc-core/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Attachments are stored as files under <data dir>/attachments/<code>/<id><ext>, with their
// metadata in the ticket. The type is found by sniffing the content, never by trusting the
// client: JPEG, PNG and PDF only.
var attachmentTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

// maxAttachments bounds the files of one ticket.
const maxAttachments = 20

func (m *Module) attachmentDir(code Code) string {
	return filepath.Join(m.core.Config.Data.Dir, "attachments", string(code))
}

func (m *Module) registerAttachments(api *httpapi.API) {
	post := "/api/v1/tickets/{code}/attachments"
	api.Raw("POST "+post, http.HandlerFunc(m.handleUpload), &httpapi.Route{Method: "POST", Path: post, Tag: tag,
		Summary: fmt.Sprintf("Attach files (multipart/form-data, field file; JPEG, PNG or PDF; at most tickets.max_attachment_bytes each, %d a ticket)", maxAttachments),
		Access:  httpapi.Users(staffRoles...), Response: httpapi.List[Attachment]{}, Status: http.StatusCreated})
	get := "/api/v1/tickets/{code}/attachments/{id}"
	api.Raw("GET "+get, http.HandlerFunc(m.handleDownload), &httpapi.Route{Method: "GET", Path: get, Tag: tag,
		Summary: "Download an attachment", Access: httpapi.Users(staffRoles...)})
}

// staffTicket authenticates a raw request and loads the ticket it names, checking access.
func (m *Module) staffTicket(r *http.Request) (*Ticket, *httpapi.Principal, error) {
	p, err := m.core.Auth.Authenticate(r)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, httpapi.Unauthorized("log in first: send Authorization: Bearer <token>")
	}
	if p.APIKey != "" || !(p.Role == httpapi.RoleAdmin || slices.Contains(staffRoles, p.Role)) {
		return nil, nil, httpapi.Forbidden("this caller may not handle attachments")
	}
	code, err := pathCode(r)
	if err != nil {
		return nil, nil, err
	}
	t, err := m.load(r.Context(), code)
	if err != nil {
		return nil, nil, err
	}
	return t, p, m.canSee(p, t)
}

func (m *Module) handleUpload(w http.ResponseWriter, r *http.Request) {
	saved, err := m.upload(w, r)
	if err != nil {
		m.core.API.Fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, httpapi.List[Attachment]{Items: saved})
}

func (m *Module) upload(w http.ResponseWriter, r *http.Request) ([]Attachment, error) {
	t, p, err := m.staffTicket(r)
	if err != nil {
		return nil, err
	}
	limit := m.cfg.MaxAttachBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit*maxAttachments+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, httpapi.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the files as multipart/form-data")
	}
	var saved []Attachment
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			m.removeFiles(t.Code, saved)
			return nil, tooLargeOr(err, httpapi.BadRequest("malformed multipart body: %v", err))
		}
		if part.FileName() == "" {
			continue
		}
		if len(t.Attachments)+len(saved) >= maxAttachments {
			m.removeFiles(t.Code, saved)
			return nil, httpapi.Conflict("ticket %s has the most attachments allowed (%d)", t.Code, maxAttachments)
		}
		a, err := m.saveFile(t.Code, part, limit, p.Username)
		if err != nil {
			m.removeFiles(t.Code, saved)
			return nil, err
		}
		saved = append(saved, a)
	}
	if len(saved) == 0 {
		return nil, httpapi.Invalid(map[string]string{"file": "no file in the body"})
	}
	if err := m.recordAttachments(r, t.Code, saved, p.Username); err != nil {
		m.removeFiles(t.Code, saved)
		return nil, err
	}
	return saved, nil
}

func tooLargeOr(err error, other error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return httpapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "the body is larger than allowed")
	}
	return other
}

// saveFile writes one part to disk, checking its type by content and its size.
func (m *Module) saveFile(code Code, part *multipart.Part, limit int64, by string) (Attachment, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Attachment{}, tooLargeOr(err, httpapi.BadRequest("reading %s: %v", part.FileName(), err))
	}
	head = head[:n]
	typ, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	ext, ok := attachmentTypes[typ]
	if !ok {
		return Attachment{}, httpapi.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"%s is %s; attachments may be JPEG, PNG or PDF", part.FileName(), typ)
	}
	dir := m.attachmentDir(code)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Attachment{}, fmt.Errorf("attachment dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return Attachment{}, fmt.Errorf("attachment file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(io.MultiReader(strings.NewReader(string(head)), part), limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Attachment{}, tooLargeOr(err, fmt.Errorf("write attachment: %w", err))
	}
	if size > limit {
		return Attachment{}, httpapi.Errorf(http.StatusRequestEntityTooLarge, "too_large",
			"%s is larger than %d bytes", part.FileName(), limit)
	}
	a := Attachment{ID: bson.NewObjectID().Hex(), Name: filepath.Base(clean(part.FileName())), Type: typ, Size: size,
		SHA256: hex.EncodeToString(h.Sum(nil)), By: by, At: m.now()}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, a.ID+ext)); err != nil {
		return Attachment{}, fmt.Errorf("store attachment: %w", err)
	}
	return a, nil
}

// recordAttachments adds the metadata and a history entry to the ticket. Attaching does not
// change the ticket's version, so nobody's pending action goes stale for it.
func (m *Module) recordAttachments(r *http.Request, code Code, as []Attachment, by string) error {
	var u store.Update
	for _, a := range as {
		u.PushEach("attachments", a)
	}
	t, err := m.load(r.Context(), code)
	if err != nil {
		return err
	}
	u.PushEach("history", HistoryEntry{At: m.now(), By: by, Action: "attach", From: t.Status, To: t.Status,
		Note: fmt.Sprintf("%d file(s)", len(as))})
	if _, err := m.coll.UpdateOne(r.Context(), bson.M{"_id": string(code)}, u.Doc()); err != nil {
		return fmt.Errorf("record attachments of %s: %w", code, err)
	}
	m.index.touch(code)
	return nil
}

func (m *Module) removeFiles(code Code, as []Attachment) {
	for _, a := range as {
		_ = os.Remove(filepath.Join(m.attachmentDir(code), a.ID+attachmentTypes[a.Type]))
	}
}

func (m *Module) handleDownload(w http.ResponseWriter, r *http.Request) {
	t, _, err := m.staffTicket(r)
	if err != nil {
		m.core.API.Fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	i := slices.IndexFunc(t.Attachments, func(a Attachment) bool { return a.ID == id })
	if i < 0 {
		m.core.API.Fail(w, r, httpapi.NotFound("ticket %s has no attachment %q", t.Code, id))
		return
	}
	a := t.Attachments[i]
	f, err := os.Open(filepath.Join(m.attachmentDir(t.Code), a.ID+attachmentTypes[a.Type]))
	if err != nil {
		m.core.API.Fail(w, r, fmt.Errorf("open attachment %s: %w", a.ID, err))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", a.Type)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	http.ServeContent(w, r, "", a.At, f)
}
