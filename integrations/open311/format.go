package open311

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// format is the representation a client asked for with the file extension.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

// splitFormat cuts "requests.json" into "requests" and json.
func splitFormat(file string) (string, format, error) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return file, formatJSON, fail(http.StatusBadRequest, "add the format to the path: .json or .xml")
	}
	switch f := format(strings.ToLower(file[i+1:])); f {
	case formatJSON, formatXML:
		return file[:i], f, nil
	}
	return file[:i], formatJSON, fail(http.StatusBadRequest, "format %q is not json or xml", file[i+1:])
}

// lister is a value whose JSON form is a bare array, as the spec has it.
type lister interface{ items() any }

func (f format) write(w http.ResponseWriter, status int, v any) {
	if f == formatXML {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		if err := xml.NewEncoder(w).Encode(v); err != nil {
			_, _ = fmt.Fprintf(w, "<!-- %s -->", err)
		}
		return
	}
	if l, ok := v.(lister); ok {
		v = l.items()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

type service struct {
	Code        string `json:"service_code" xml:"service_code"`
	Name        string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type serviceList struct {
	XMLName  xml.Name  `json:"-" xml:"services"`
	Services []service `xml:"service"`
}

func (l serviceList) items() any { return l.Services }

type attribute struct {
	Code string `json:"code" xml:"code"`
}

type serviceDefinition struct {
	XMLName    xml.Name    `json:"-" xml:"service_definition"`
	Code       string      `json:"service_code" xml:"service_code"`
	Attributes []attribute `json:"attributes" xml:"attributes>attribute"`
}

type request struct {
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Token             string   `json:"token,omitempty" xml:"token,omitempty"`
	Status            string   `json:"status,omitempty" xml:"status,omitempty"`
	StatusNotes       string   `json:"status_notes,omitempty" xml:"status_notes,omitempty"`
	ServiceName       string   `json:"service_name,omitempty" xml:"service_name,omitempty"`
	ServiceCode       string   `json:"service_code,omitempty" xml:"service_code,omitempty"`
	Description       string   `json:"description,omitempty" xml:"description,omitempty"`
	AgencyResponsible string   `json:"agency_responsible,omitempty" xml:"agency_responsible,omitempty"`
	ServiceNotice     string   `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
	Requested         string   `json:"requested_datetime,omitempty" xml:"requested_datetime,omitempty"`
	Updated           string   `json:"updated_datetime,omitempty" xml:"updated_datetime,omitempty"`
	Expected          string   `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
	Address           string   `json:"address,omitempty" xml:"address,omitempty"`
	MediaURL          string   `json:"media_url,omitempty" xml:"media_url,omitempty"`
	Lat               *float64 `json:"lat,omitempty" xml:"lat,omitempty"`
	Long              *float64 `json:"long,omitempty" xml:"long,omitempty"`
}

type requestList struct {
	XMLName  xml.Name  `json:"-" xml:"service_requests"`
	Requests []request `xml:"request"`
}

func (l requestList) items() any { return l.Requests }

type errorList struct {
	XMLName xml.Name   `json:"-" xml:"errors"`
	Errors  []apiError `xml:"error"`
}

func (l errorList) items() any { return l.Errors }
