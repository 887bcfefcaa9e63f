package pbx

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSIPpTrunkDigestAuth: a carrier trunk with digest credentials and no address delivers a
// call from 127.0.0.2 (not the demo trunk's address): challenged with 407, it answers with
// its credentials and the call is taken on that trunk's DID (its record is made). With a wrong secret it is
// refused and leaves no call record.
func TestSIPpTrunkDigestAuth(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	admin := n.srv.Admin(t)
	var dp Dialplan
	n.srv.Do(t, "GET", "/api/v1/pbx/dialplan", admin, nil).Decode(t, &dp)
	dp.Trunks = append(dp.Trunks, Trunk{Name: "carrier", Username: "carrier1", Secret: "carrier-secret",
		DIDs: []DID{{Number: "19001022", Menu: "main"}}})
	r0 := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", admin, dp)
	if r0.Status != http.StatusOK {
		t.Fatalf("put dialplan: %d %s", r0.Status, r0.Body)
	}
	// The secret never comes back: not in PUT's answer, not in GET's; the GET's dialplan sent
	// back as read (secret masked) keeps the stored secret, which the SIPp call below proves.
	get := n.srv.Do(t, "GET", "/api/v1/pbx/dialplan", admin, nil)
	for _, body := range []string{string(r0.Body), string(get.Body)} {
		if strings.Contains(body, "carrier-secret") || !strings.Contains(body, `"secret":"********"`) {
			t.Fatalf("dialplan answer does not mask the trunk secret: %s", body)
		}
	}
	var read Dialplan
	get.Decode(t, &read)
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", admin, read); r.Status != http.StatusOK {
		t.Fatalf("put the dialplan back as read: %d %s", r.Status, r.Body)
	}
	// A mask for a trunk that has no stored secret is refused and changes nothing.
	bad := read
	bad.Trunks = append(slices.Clone(read.Trunks), Trunk{Name: "new", Username: "u", Secret: SecretMask,
		DIDs: []DID{{Number: "19001023", Menu: "main"}}})
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", admin, bad); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("masked secret of a new trunk: %d %s", r.Status, r.Body)
	}
	if got := n.pbx.dialplan.Load(); len(got.Trunks) != 2 || got.Trunks[1].Secret != "carrier-secret" {
		t.Fatalf("running dialplan after the refused PUT: %+v", got.Trunks)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := n.sipp(ctx, t, "trunk_auth.xml", "-s", "19001022", "-i", "127.0.0.2", "-au", "carrier1", "-ap", "wrong"); err == nil {
		t.Fatal("a call with the wrong trunk secret was answered")
	}
	var list struct{ Items []CallRecord }
	n.srv.Do(t, "GET", "/api/v1/calls", admin, nil).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("refused call left records: %+v", list.Items)
	}

	if err := n.sipp(ctx, t, "trunk_auth.xml", "-s", "19001022", "-i", "127.0.0.2", "-au", "carrier1", "-ap", "carrier-secret"); err != nil {
		t.Fatal(err)
	}
	// The call is taken on the carrier trunk and the caller's BYE ends it.
	r := n.lastCall(t)
	n.srv.Do(t, "GET", "/api/v1/calls", admin, nil).Decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d records after the authenticated call, want 1", len(list.Items))
	}
	if r.Trunk != "carrier" || r.DID != "19001022" || r.Caller != "0912345678" || r.HangupBy != "caller" ||
		r.Outcome != OutcomeSelfService {
		t.Fatalf("record %+v", r)
	}
}
