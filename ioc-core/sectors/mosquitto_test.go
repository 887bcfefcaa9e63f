package sectors_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// broker is a Debian mosquitto started by a test on 127.0.0.1, with a password file.
type broker struct {
	bin, conf, addr string
	cmd             *exec.Cmd
}

const (
	brokerUser     = "sensor-gw"
	brokerPassword = "s3nsor-pw"
)

// startBroker starts mosquitto on a free port. Without mosquitto the test fails when it
// could have been installed (as root, or under CI), and otherwise skips naming `make deps`.
func startBroker(t testing.TB) *broker {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" || os.Getuid() == 0 {
			t.Fatalf("mosquitto is not installed (Debian package mosquitto, in the Makefile's APT_PKGS): %v", err)
		}
		t.Skip("mosquitto is not installed: `make deps` installs it (APT_PKGS)")
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pw, brokerUser, brokerPassword).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(dir, "mosquitto.conf")
	text := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nmax_queued_messages 100000\nmax_inflight_messages 1000\nlog_dest stderr\nlog_type error\n", port, pw)
	if os.Getuid() == 0 {
		text += "user root\n"
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(pw, 0o600)
	b := &broker{bin: bin, conf: conf, addr: "127.0.0.1:" + strconv.Itoa(port)}
	b.start(t)
	t.Cleanup(b.stop)
	return b
}

func (b *broker) start(t testing.TB) {
	t.Helper()
	b.cmd = exec.Command(b.bin, "-c", b.conf)
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", b.addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s", b.addr)
		}
	}
}

func (b *broker) stop() {
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
		b.cmd = nil
	}
}

// publisher is an MQTT v5 client publishing at QoS 1.
type publisher struct{ c *paho.Client }

func newPublisher(t testing.TB, addr, id string) *publisher {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn, ClientID: id})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := c.Connect(ctx, &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true,
		Username: brokerUser, UsernameFlag: true, Password: []byte(brokerPassword), PasswordFlag: true})
	if err != nil {
		t.Fatalf("connect publisher: %v %+v", err, ack)
	}
	t.Cleanup(func() { _ = c.Disconnect(&paho.Disconnect{}) })
	return &publisher{c: c}
}

func (p *publisher) publish(t testing.TB, topic, payload string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.c.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: []byte(payload)}); err != nil {
		t.Fatalf("publish %s: %v", topic, err)
	}
}
