package receipts

import (
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// BenchmarkIntercept measures what automatic requests add to each Send:
// the checks and the one append (one allocation: the message had no
// extensions).
func BenchmarkIntercept(b *testing.B) {
	m := For(xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")}))
	m.SetAutoRequest(true)
	defer m.Close()
	msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hello"}}}
	msg.To, msg.ID = jid.MustParse("bob@localhost/b"), "m1"
	b.ReportAllocs()
	for b.Loop() {
		msg.Extensions = nil
		m.intercept(msg)
	}
	if len(msg.Extensions) != 1 {
		b.Fatal("no request added")
	}
}

// BenchmarkInterceptSkip is a message that gets no request (groupchat):
// no allocation.
func BenchmarkInterceptSkip(b *testing.B) {
	m := For(xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")}))
	m.SetAutoRequest(true)
	defer m.Close()
	msg := &stanza.Message{Type: stanza.Groupchat, Bodies: []stanza.Text{{Value: "hello"}}}
	msg.To, msg.ID = jid.MustParse("room@conference.localhost"), "m1"
	b.ReportAllocs()
	for b.Loop() {
		m.intercept(msg)
	}
}

// BenchmarkFindReceived reads a receipt from a decoded message, as the
// Tracker does for each one received.
func BenchmarkFindReceived(b *testing.B) {
	n, _ := Received{ID: "nCRIE-44"}.MarshalNode()
	nodes := []stanza.Node{n}
	b.ReportAllocs()
	for b.Loop() {
		var r Received
		if ok, err := stanza.FindExtension(nodes, &r); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
