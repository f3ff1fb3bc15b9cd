// Package benchdata generates the deterministic XMPP stream that the
// decoding benchmarks read (BENCHMARKS.md): chat messages, presence,
// roster results and ping results, mixed as Stream says.
package benchdata

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Stream builds a deterministic server-to-client stream of about n
// bytes: 60% chat messages (bodies of 50-300 characters, some CJK, a
// thread, a receipt request), 25% presence (show, status, priority, caps),
// 15% IQ results (rosters of 20 items, pings). It returns the stream and
// the number of top-level elements.
func Stream(n int) ([]byte, int) {
	r := rand.New(rand.NewPCG(7, 11))
	var b bytes.Buffer
	b.WriteString(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0' xml:lang='en'>`)
	words := []string{"hello", "world", "meeting", "at", "noon", "tomorrow", "你好", "世界", "會議", "&amp;", "&lt;ok&gt;", "deploy", "the", "build"}
	count := 0
	for b.Len() < n {
		count++
		switch k := r.IntN(100); {
		case k < 60:
			var body strings.Builder
			for body.Len() < 50+r.IntN(250) {
				body.WriteString(words[r.IntN(len(words))])
				body.WriteByte(' ')
			}
			fmt.Fprintf(&b, `<message from='friend%d@example.com/phone' to='me@example.com/laptop' type='chat' id='m%d'><body>%s</body><thread>t%d</thread><request xmlns='urn:xmpp:receipts'/></message>`,
				r.IntN(100), count, body.String(), r.IntN(10))
		case k < 85:
			fmt.Fprintf(&b, `<presence from='friend%d@example.com/phone' to='me@example.com/laptop'><show>away</show><status>In a meeting</status><priority>5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gosmack.example' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`, r.IntN(100))
		case k < 93:
			fmt.Fprintf(&b, `<iq type='result' id='r%d' to='me@example.com/laptop'><query xmlns='jabber:iq:roster' ver='v%d'>`, count, count)
			for i := range 20 {
				fmt.Fprintf(&b, `<item jid='contact%d@example.com' name='Contact %d' subscription='both'><group>Friends</group></item>`, i, i)
			}
			b.WriteString(`</query></iq>`)
		default:
			fmt.Fprintf(&b, `<iq type='result' id='p%d' from='example.com' to='me@example.com/laptop'/>`, count)
		}
	}
	return b.Bytes(), count
}

// TokenLoop reads stream with encoding/xml's Decoder.Token until the end,
// the baseline the decoding benchmarks compare with. The stream has no end
// tag, so the decoder's unexpected EOF is its end.
func TokenLoop(stream []byte) {
	d := xml.NewDecoder(bytes.NewReader(stream))
	for {
		if _, err := d.Token(); err != nil {
			return
		}
	}
}
