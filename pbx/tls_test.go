package pbx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/tickets"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key under dir and
// returns their paths and a pool trusting it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ioc1022 test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "sip.crt"), filepath.Join(dir, "sip.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSListener: with pbx.tls_listen and a certificate, the node serves SIP over TLS: a
// phone that trusts the certificate gets OPTIONS answered and registers with digest auth, and
// a call from the demo trunk's address over TLS is answered by the IVR and ends with the
// caller's BYE, leaving its record.
func TestTLSListener(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	cfg.PBX.TLSListen, cfg.PBX.TLSCert, cfg.PBX.TLSKey = "127.0.0.1:0", certFile, keyFile
	tk := tickets.New()
	p := New()
	p.Calendar, p.Tickets, p.NormalizePhone = tk.Calendar(), TicketDeskFor(tk), tickets.NormalizePhone
	p.Clock = func() time.Time { return workingTime }
	srv := apptest.Start(t, cfg, tk, p)
	addr := p.TLSAddr()
	if !addr.IsValid() {
		t.Fatalf("tls address %v", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ioc1022-test-tls"),
		sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	target := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: int(addr.Port()),
		UriParams: sip.NewParams()}
	target.UriParams.Add("transport", "tls")

	opt := sip.NewRequest(sip.OPTIONS, target)
	opt.SetTransport("TLS")
	if res, err := cli.Do(ctx, opt); err != nil || res.StatusCode != 200 {
		t.Fatalf("OPTIONS over TLS: %v %v", res, err)
	}

	reg := sip.NewRequest(sip.REGISTER, target)
	reg.SetTransport("TLS")
	contact := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5999, UriParams: sip.NewParams()}
	contact.UriParams.Add("transport", "tls")
	reg.AppendHeader(&sip.ContactHeader{Address: contact})
	reg.AppendHeader(sip.NewHeader("Expires", "60"))
	res, err := cli.Do(ctx, reg)
	if err == nil && res.StatusCode == 401 {
		res, err = cli.DoDigestAuth(ctx, reg, res, sipgo.DigestAuth{Username: "1001", Password: DemoSIPSecret("1001")})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER over TLS: %v %v", res, err)
	}
	if _, ok := p.locs.lookup("1001"); !ok {
		t.Fatal("the registration over TLS was not kept")
	}

	dg := diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "tls", BindHost: "127.0.0.1", BindPort: 0,
		TLSConf: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}))
	to := sip.Uri{Scheme: "sip", User: "1022", Host: "127.0.0.1", Port: int(addr.Port()), UriParams: sip.NewParams()}
	to.UriParams.Add("transport", "tls")
	d, err := dg.Invite(ctx, to, diago.InviteOptions{Transport: "tls"})
	if err != nil {
		t.Fatalf("INVITE over TLS: %v", err)
	}
	time.Sleep(time.Second)
	if err := d.Hangup(ctx); err != nil {
		t.Fatalf("BYE over TLS: %v", err)
	}
	n := &node{srv: srv, pbx: p}
	r := n.lastCall(t)
	if r.DID != "1022" || r.Trunk != "demo" || r.HangupBy != "caller" {
		t.Fatalf("record %+v", r)
	}
}
