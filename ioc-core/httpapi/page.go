package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// Page is a client's request for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// List is the answer shape of every paginated list. NextCursor is empty on the last page.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// PageParams documents the pagination query parameters.
var PageParams = []Param{
	{Name: "limit", In: "query", Description: "items per page, 1 to 500 (default 50)"},
	{Name: "cursor", In: "query", Description: "next_cursor of the previous page"},
}

// ParsePage reads limit and cursor from the query.
func ParsePage(r *http.Request) (Page, error) {
	p := Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return p, &Error{Status: http.StatusBadRequest, Code: "bad_request",
				Message: "limit must be a whole number from 1 to 500", Fields: map[string]string{"limit": "out of range"}}
		}
		p.Limit = n
	}
	return p, nil
}

// EncodeCursor makes an opaque cursor from the sort key of the last item of a page.
func EncodeCursor(key any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into key.
func DecodeCursor(cursor string, key any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "bad_request",
			Message: "cursor is not one this server gave", Fields: map[string]string{"cursor": "invalid"}}
	}
	return nil
}
