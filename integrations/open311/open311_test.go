package open311_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ioc1022/ioc1022/integrations/open311"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/tickets"
)

type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path string, form url.Values) (int, []byte, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Content-Type")
}

type jsonRequest struct {
	ID                string   `json:"service_request_id"`
	Status            string   `json:"status"`
	ServiceCode       string   `json:"service_code"`
	ServiceName       string   `json:"service_name"`
	AgencyResponsible string   `json:"agency_responsible"`
	Expected          string   `json:"expected_datetime"`
	Requested         string   `json:"requested_datetime"`
	Lat               *float64 `json:"lat"`
	StatusNotes       string   `json:"status_notes"`
	Token             string   `json:"token"`
}

// TestGeoReport acts as an Open311 client: list services, post a request with an API key,
// read it back in JSON and XML, and see it closed once the ticket is resolved.
func TestGeoReport(t *testing.T) {
	cfg := apptest.Config(t)
	tk := tickets.New()
	srv := apptest.Start(t, cfg, tk, open311.New(tk))
	c := client{t, srv.URL + "/open311/v2/"}
	admin := srv.Admin(t)

	st, body, ct := c.do("GET", "services.json", nil)
	var services []struct {
		Code     string `json:"service_code"`
		Name     string `json:"service_name"`
		Metadata bool   `json:"metadata"`
		Type     string `json:"type"`
	}
	if st != 200 || !strings.HasPrefix(ct, "application/json") || json.Unmarshal(body, &services) != nil || len(services) != 15 {
		t.Fatalf("services.json: %d %s %s", st, ct, body)
	}
	st, body, ct = c.do("GET", "services.xml", nil)
	var xs struct {
		Services []struct {
			Code string `xml:"service_code"`
			Type string `xml:"type"`
		} `xml:"service"`
	}
	if st != 200 || !strings.Contains(ct, "xml") || xml.Unmarshal(body, &xs) != nil || len(xs.Services) != 15 || xs.Services[0].Type != "realtime" {
		t.Fatalf("services.xml: %d %s", st, body)
	}
	if st, body, _ = c.do("GET", "services/roads_traffic.json", nil); st != 200 || !strings.Contains(string(body), `"service_code":"roads_traffic"`) {
		t.Fatalf("service definition: %d %s", st, body)
	}

	form := url.Values{"service_code": {"roads_traffic"}, "lat": {"16.0678"}, "long": {"108.2208"},
		"address_string": {"12 Lê Duẩn"}, "description": {"Ổ gà lớn"}, "first_name": {"Văn"}, "last_name": {"An"},
		"phone": {"0912 345 678"}, "email": {"an@example.vn"}}
	st, body, _ = c.do("POST", "requests.json", form)
	var errs []struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	if st != 403 || json.Unmarshal(body, &errs) != nil || len(errs) != 1 || errs[0].Code != 403 {
		t.Fatalf("post without key: %d %s", st, body)
	}
	st, body, _ = c.do("POST", "requests.xml", url.Values{"api_key": {"nope"}, "service_code": {"roads_traffic"}})
	if st != 403 || !strings.Contains(string(body), "<errors><error><code>403</code>") {
		t.Fatalf("post with a bad key, xml: %d %s", st, body)
	}
	r := srv.Do(t, "POST", "/api/v1/apikeys", admin, map[string]any{"name": "fixmystreet", "scopes": []string{"open311"}})
	var key struct{ Key string }
	r.Decode(t, &key)
	ingest := srv.Do(t, "POST", "/api/v1/apikeys", admin, map[string]any{"name": "sensor", "scopes": []string{"ingest"}})
	var ikey struct{ Key string }
	ingest.Decode(t, &ikey)
	form.Set("api_key", ikey.Key)
	if st, body, _ = c.do("POST", "requests.json", form); st != 403 {
		t.Fatalf("post with a key of another scope: %d %s", st, body)
	}
	form.Set("api_key", key.Key)
	bad := url.Values{"api_key": {key.Key}, "service_code": {"roads_traffic"}, "description": {"x"}}
	if st, body, _ = c.do("POST", "requests.json", bad); st != 400 || !strings.Contains(string(body), "location") {
		t.Fatalf("post without location: %d %s", st, body)
	}
	// The key may also come in the query string, as many clients send it.
	if st, body, _ = c.do("POST", "requests.json?api_key="+url.QueryEscape(key.Key), url.Values{"service_code": {"roads_traffic"}, "description": {"x"}}); st != 400 || !strings.Contains(string(body), "location") {
		t.Fatalf("post with the key in the query string: %d %s", st, body)
	}
	bad.Set("lat", "16.07")
	bad.Set("long", "108.22")
	bad.Set("service_code", "unicorns")
	if st, body, _ = c.do("POST", "requests.json", bad); st != 404 {
		t.Fatalf("post to an unknown service: %d %s", st, body)
	}
	st, body, _ = c.do("POST", "requests.json", form)
	var created []jsonRequest
	if st != 200 || json.Unmarshal(body, &created) != nil || len(created) != 1 || created[0].ID == "" {
		t.Fatalf("post: %d %s", st, body)
	}
	id := created[0].ID

	st, body, _ = c.do("GET", "requests/"+id+".json", nil)
	var got []jsonRequest
	if st != 200 || json.Unmarshal(body, &got) != nil || len(got) != 1 {
		t.Fatalf("get: %d %s", st, body)
	}
	g := got[0]
	if g.Status != "open" || g.ServiceCode != "roads_traffic" || g.AgencyResponsible != "Sở Xây dựng" || g.Expected == "" ||
		!strings.HasSuffix(g.Requested, "+07:00") || g.Lat == nil {
		t.Fatalf("request: %+v", g)
	}
	st, body, _ = c.do("GET", "requests/"+id+".xml", nil)
	var xr struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID       string `xml:"service_request_id"`
			Status   string `xml:"status"`
			Expected string `xml:"expected_datetime"`
			Agency   string `xml:"agency_responsible"`
		} `xml:"request"`
	}
	if st != 200 || xml.Unmarshal(body, &xr) != nil || len(xr.Requests) != 1 || xr.Requests[0].ID != id || xr.Requests[0].Expected != g.Expected || xr.Requests[0].Agency != "Sở Xây dựng" {
		t.Fatalf("get xml: %d %s", st, body)
	}
	if st, body, _ = c.do("GET", "tokens/"+id+".json", nil); st != 200 || !strings.Contains(string(body), id) {
		t.Fatalf("token: %d %s", st, body)
	}
	if st, body, _ = c.do("GET", "requests/PA0000000.json", nil); st != 404 || !strings.Contains(string(body), `"code":404`) {
		t.Fatalf("unknown request: %d %s", st, body)
	}
	if st, _, _ = c.do("GET", "requests/"+id+".yaml", nil); st != 400 {
		t.Fatalf("unknown format: %d", st)
	}

	// The ticket goes through its lifecycle; the request closes with the answer as notes.
	officer := srv.Login(t, "officer", "demo-officer")
	agent := srv.Login(t, "agent1", "demo-agent1")
	for _, step := range []struct{ token, action, text string }{{officer, "accept", ""}, {officer, "answer", "Đã vá"}, {agent, "approve", ""}} {
		tkt, err := tk.Get(t.Context(), tickets.Code(id))
		if err != nil {
			t.Fatal(err)
		}
		r := srv.Do(t, "POST", "/api/v1/tickets/"+id+"/actions/"+step.action, step.token, map[string]any{"version": tkt.Version, "text": step.text})
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", step.action, r.Status, r.Body)
		}
	}
	st, body, _ = c.do("GET", "requests.json?status=closed&service_code=roads_traffic", nil)
	if st != 200 || json.Unmarshal(body, &got) != nil || len(got) != 1 || got[0].Status != "closed" || got[0].StatusNotes != "Đã vá" {
		t.Fatalf("closed list: %d %s", st, body)
	}
	if st, body, _ = c.do("GET", "requests.json?status=open", nil); st != 200 || string(body) != "[]\n" {
		t.Fatalf("open list: %d %s", st, body)
	}
	if st, body, _ = c.do("GET", "requests.xml?service_request_id="+id+",PA0000000", nil); st != 200 || strings.Count(string(body), "<request>") != 1 {
		t.Fatalf("by ids: %d %s", st, body)
	}
}
