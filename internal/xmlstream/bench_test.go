package xmlstream

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchStream builds a deterministic server-to-client stream of about n
// bytes: 60% chat messages (bodies of 50-300 characters, some CJK, a
// thread, a receipt request), 25% presence (show, status, priority, caps),
// 15% IQ results (rosters of 20 items, pings). It returns the stream and
// the number of top-level elements.
func benchStream(n int) ([]byte, int) {
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

func BenchmarkReader(b *testing.B) {
	stream, n := benchStream(4 << 20)
	b.Run("xmlstream", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			x := NewReader(bytes.NewReader(stream), Limits{})
			if _, err := x.Header(); err != nil {
				b.Fatal(err)
			}
			for range n {
				if _, err := x.Next(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/element")
	})
	b.Run("encoding-xml-Token", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			d := xml.NewDecoder(bytes.NewReader(stream))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil && err != io.ErrUnexpectedEOF {
					if strings.Contains(err.Error(), "unexpected EOF") {
						break
					}
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/element")
	})
}
