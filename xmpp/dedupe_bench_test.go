package xmpp

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// BenchmarkRecentMessages: the cost the duplicate check adds to every
// message received, with the default window full and a new message
// (one that replaces the oldest remembered), for a short body and for
// bench/compare's 100-byte one.
func BenchmarkRecentMessages(b *testing.B) {
	for _, body := range []string{"message number ", strings.Repeat("0123456789", 9)} {
		b.Run("body"+strconv.Itoa(len(body)+4), func(b *testing.B) {
			r := newRecentMessages(defaultDuplicateWindow)
			msgs := make([]*stanza.Message, 1024)
			for i := range msgs {
				m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body + strconv.Itoa(1000+i)}}}
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
		})
	}
}
