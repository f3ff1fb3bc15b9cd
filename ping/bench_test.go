package ping_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/xmpptest"
)

// BenchmarkAnswer: the server pings, the connection answers (reader,
// dispatcher, handler, write), against an in-memory scripted server. The
// script's own work and one login are counted too.
func BenchmarkAnswer(b *testing.B) {
	var s strings.Builder
	for i := range b.N {
		fmt.Fprintf(&s, "S: <iq from='localhost' id='s%d' type='get'><ping xmlns='urn:xmpp:ping'/></iq>\n", i)
		fmt.Fprintf(&s, "C: <iq id='s%d' to='localhost' type='result'/>\n", i)
	}
	tr, err := xmpptest.ParseTranscript("answer", strings.NewReader(s.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c := xmpptest.NewConn(b, jid.MustParse("alice@localhost/phone"), tr)
	ping.For(c)
	if err := c.Connect(b.Context()); err != nil {
		b.Fatal(err)
	}
	<-c.Done() // the server closes the stream at the end of the script
}

// BenchmarkPing: Ping to the server and its reply, against an in-memory
// scripted server, whose own work is counted too.
func BenchmarkPing(b *testing.B) {
	var s strings.Builder
	for i := range b.N {
		fmt.Fprintf(&s, "C: <iq type='get' id='{{p%d}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>\n", i)
		fmt.Fprintf(&s, "S: <iq type='result' id='{{p%d}}' from='localhost'/>\n", i)
	}
	tr, err := xmpptest.ParseTranscript("ping", strings.NewReader(s.String()))
	if err != nil {
		b.Fatal(err)
	}
	c := xmpptest.NewConn(b, jid.MustParse("alice@localhost/phone"), tr)
	p := ping.For(c)
	ctx := b.Context()
	if err := c.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Ping(ctx, jid.JID{}); err != nil {
			b.Fatal(err)
		}
	}
}
