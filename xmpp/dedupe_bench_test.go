package xmpp

import (
	"strconv"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// BenchmarkRecentMessages: the cost the duplicate check adds to every
// message received, with the default window full (the worst case: a new
// message is compared with every remembered one).
func BenchmarkRecentMessages(b *testing.B) {
	r := newRecentMessages(defaultDuplicateWindow)
	msgs := make([]*stanza.Message, 1024)
	for i := range msgs {
		m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "message number " + strconv.Itoa(i)}}}
		m.ID = "id-" + strconv.Itoa(i)
		m.From = jid.MustParse("bob@localhost/phone")
		msgs[i] = m
	}
	for _, m := range msgs[:defaultDuplicateWindow] {
		r.seen(m, jid.JID{})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.seen(msgs[i%len(msgs)], jid.JID{})
	}
}
