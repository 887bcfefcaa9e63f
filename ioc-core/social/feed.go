package social

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/htmlindex"
)

// ErrNotFeed is returned by ParseFeed for a document that is neither RSS nor Atom.
var ErrNotFeed = errors.New("social: not an RSS or Atom feed")

type rssDoc struct {
	XMLName xml.Name `xml:"rss"`
	Items   []struct {
		Title       string `xml:"title"`
		Link        string `xml:"link"`
		GUID        string `xml:"guid"`
		Description string `xml:"description"`
		Content     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		PubDate     string `xml:"pubDate"`
		DCDate      string `xml:"http://purl.org/dc/elements/1.1/ date"`
		Author      string `xml:"author"`
		Creator     string `xml:"http://purl.org/dc/elements/1.1/ creator"`
	} `xml:"channel>item"`
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Entries []struct {
		Title string `xml:"title"`
		ID    string `xml:"id"`
		Links []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Summary   string `xml:"summary"`
		Content   string `xml:"content"`
		Published string `xml:"published"`
		Updated   string `xml:"updated"`
		Author    struct {
			Name string `xml:"name"`
		} `xml:"author"`
	} `xml:"entry"`
}

// maxFeedItems bounds the items taken from one feed document.
const maxFeedItems = 1000

// ParseFeed reads an RSS 2.0 or Atom 1.0 document (in any charset its XML declaration
// names) into incoming items. Entries without a date get fallback; entries without text,
// title or link are skipped.
func ParseFeed(body []byte, fallback time.Time) ([]Incoming, error) {
	root, err := rootName(body)
	if err != nil {
		return nil, err
	}
	switch root {
	case "rss":
		var d rssDoc
		if err := decodeXML(body, &d); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotFeed, err)
		}
		var out []Incoming
		for _, it := range d.Items {
			in := Incoming{ID: strings.TrimSpace(it.GUID), URL: strings.TrimSpace(it.Link), Title: stripHTML(it.Title),
				Text: stripHTML(firstOf(it.Content, it.Description)), Author: strings.TrimSpace(firstOf(it.Creator, it.Author)),
				PublishedAt: parseFeedTime(firstOf(it.PubDate, it.DCDate), fallback)}
			out = appendFeedItem(out, in)
		}
		return out, nil
	case "feed":
		var d atomDoc
		if err := decodeXML(body, &d); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotFeed, err)
		}
		var out []Incoming
		for _, e := range d.Entries {
			link := ""
			for _, l := range e.Links {
				if l.Rel == "" || l.Rel == "alternate" {
					link = strings.TrimSpace(l.Href)
					break
				}
			}
			in := Incoming{ID: strings.TrimSpace(e.ID), URL: link, Title: stripHTML(e.Title), Text: stripHTML(firstOf(e.Content, e.Summary)),
				Author: strings.TrimSpace(e.Author.Name), PublishedAt: parseFeedTime(firstOf(e.Published, e.Updated), fallback)}
			out = appendFeedItem(out, in)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: root element <%s>", ErrNotFeed, root)
}

func appendFeedItem(out []Incoming, in Incoming) []Incoming {
	if len(out) >= maxFeedItems || (in.Text == "" && in.Title == "") || (in.ID == "" && in.URL == "") {
		return out
	}
	if in.Text == "" {
		in.Text = in.Title
	}
	return append(out, in)
}

func decodeXML(body []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetReader
	d.Strict = false
	d.Entity = xml.HTMLEntity
	return d.Decode(v)
}

// rootName returns the local name of the document's root element.
func rootName(body []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetReader
	d.Strict = false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", fmt.Errorf("%w: empty document", ErrNotFeed)
		}
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNotFeed, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, nil
		}
	}
}

// charsetReader decodes the charsets an XML declaration may name (windows-1258, ...).
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return enc.NewDecoder().Reader(r), nil
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

var feedTimeLayouts = []string{time.RFC1123Z, time.RFC1123, time.RFC3339, time.RFC3339Nano, "Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "Mon, 02 Jan 2006 15:04:05 +07"}

// parseFeedTime reads the dates feeds write; an unreadable date gives fallback.
func parseFeedTime(s string, fallback time.Time) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range feedTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return fallback
}

// stripHTML returns the text of an HTML fragment: tags dropped, entities decoded.
func stripHTML(s string) string {
	var b strings.Builder
	depth := false
	for _, r := range s {
		switch {
		case r == '<':
			depth = true
		case r == '>' && depth:
			depth = false
			b.WriteByte(' ')
		case !depth:
			b.WriteRune(r)
		}
	}
	return NormalizeText(html.UnescapeString(b.String()))
}
