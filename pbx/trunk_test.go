package pbx

import (
	"context"
	"net/http"
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
	if r := n.srv.Do(t, "PUT", "/api/v1/pbx/dialplan", admin, dp); r.Status != http.StatusOK && r.Status != http.StatusNoContent {
		t.Fatalf("put dialplan: %d %s", r.Status, r.Body)
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
