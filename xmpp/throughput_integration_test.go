//go:build integration

package xmpp_test

import (
	"context"
	"encoding/xml"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// BenchmarkIntegrationThroughput sends b.N chat messages of 100 bytes
// from one account to another through each server, both clients over
// the transport the sub-benchmark names (tcp: STARTTLS; websocket:
// wss://; bosh: https://), stream management on, the accounts'
// archiving off (so the server's database is not what is measured).
// ns/op is the wall time per message from the first send to the last
// one handed to the receiver's listener; msgs/s is its inverse;
// cpu-µs/msg is the CPU time of the test process (both clients, user and
// system) per message. Run it with
//
//	go test -tags integration -run XXX -bench Throughput -benchtime 5000x -count 3 ./xmpp/
//
// Both clients live in one process, beside each other and the server on
// a small machine: compare the transports within one run.
func BenchmarkIntegrationThroughput(b *testing.B) {
	for _, name := range []string{"prosody", "ejabberd"} {
		s := testserver.Get(b, name)
		for _, tr := range []struct {
			name string
			addr string
		}{
			{"tcp", s.StartTLSAddr},
			{"websocket", s.WebSocketTLSURL},
			{"bosh", s.BOSHTLSURL},
		} {
			b.Run(name+"/"+tr.name, func(b *testing.B) {
				throughput(b, s, tr.addr)
			})
		}
	}
}

// throughput is one transport's run of BenchmarkIntegrationThroughput.
func throughput(b *testing.B, s *testserver.Server, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	connect := func(prefix string) *xmpp.Conn {
		cfg := s.NewAccount(b, prefix)
		cfg.Addr = addr
		cfg.Logger = nil
		cfg.StreamManagement.MaxUnacked = 0 // the default window
		c := xmpp.New(cfg)
		if err := c.Connect(ctx); err != nil {
			b.Fatalf("%s: %v", addr, err)
		}
		b.Cleanup(func() { c.Close() })
		prefs := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{
			Name:  xml.Name{Space: "urn:xmpp:mam:2", Local: "prefs"},
			Attrs: []xml.Attr{{Name: xml.Name{Local: "default"}, Value: "never"}},
		}}
		if _, err := c.SendIQ(ctx, prefs); err != nil {
			b.Fatalf("archiving off: %v", err)
		}
		return c
	}
	receiver, sender := connect("tpr"), connect("tps")
	got := make(chan struct{}, 1024)
	receiver.HandleMessage(stanza.IsMessage(stanza.Chat), func(*stanza.Message) { got <- struct{}{} })
	body := strings.Repeat("x", 100)
	to := receiver.JID()

	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpu()
	sendErr := make(chan error, 1)
	go func() {
		for i := range b.N {
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			m.To = to
			m.ID = strconv.Itoa(i)
			if err := sender.Send(ctx, m); err != nil {
				sendErr <- err
				return
			}
		}
	}()
	for range b.N {
		select {
		case <-got:
		case err := <-sendErr:
			b.Fatal(err)
		case <-ctx.Done():
			b.Fatal("the messages did not all arrive")
		}
	}
	elapsed, used := time.Since(start), cpu()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/msg")
}
