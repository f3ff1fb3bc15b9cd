package wire

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/gosmack/gosmack/internal/benchdata"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// BenchmarkDecodeStream decodes a realistic server-to-client stream (about
// 10 MB, internal/benchdata) all the way into stanza values, and in the same
// run reads the same bytes with encoding/xml's Decoder.Token loop, the
// baseline BENCHMARKS.md compares with. Compare MB/s; allocs/op divided by the
// stanza count (reported as stanzas/op) gives allocations per stanza.
func BenchmarkDecodeStream(b *testing.B) {
	stream, n := benchdata.Stream(10 << 20)
	b.Run("gosmack", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			decodeAll(b, stream, n, false)
		}
		b.ReportMetric(float64(n), "stanzas/op")
	})
	b.Run("encoding-xml-Token", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			benchdata.TokenLoop(stream)
		}
		b.ReportMetric(float64(n), "stanzas/op")
	})
}

// BenchmarkEncodeMessage encodes one chat message into a reused encoder.
func BenchmarkEncodeMessage(b *testing.B) {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Hello there, how are you doing today? 你好"}},
		Thread: stanza.Thread{ID: "t1"}, Extensions: []stanza.Node{{Name: xml.Name{Space: "urn:xmpp:receipts", Local: "request"}}}}
	m.To, m.ID = jid.MustParse("juliet@example.com/balcony"), "m1"
	enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
	b.ReportAllocs()
	for b.Loop() {
		enc.Reset()
		if err := Encode(&enc, stanza.NSClient, m); err != nil {
			b.Fatal(err)
		}
	}
}

// chatFlood is what bench/compare's receive work sends: n chat messages
// with a body of 100 bytes (three of them escaped), each with its own id,
// in a stream.
func chatFlood(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
	for i := range n {
		fmt.Fprintf(&b, "<message from='peer@localhost/r' to='bench@localhost/compare' type='chat' id='m%07d'><body>%s</body></message>", i,
			"The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 &lt;&amp;&gt;!")
	}
	return b.Bytes()
}

// BenchmarkDecodeChat decodes a flood of small chat messages (the receive
// work of bench/compare, in memory) into stanza values, and in the same
// run reads the same bytes with encoding/xml's Token loop; compare
// ns/stanza.
func BenchmarkDecodeChat(b *testing.B) {
	const n = 20000
	stream := chatFlood(n)
	for _, lend := range []bool{false, true} {
		name := "gosmack"
		if lend {
			name = "gosmack-lent" // as the connection reads: lent, for its own address
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				decodeAll(b, stream, n, lend)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/stanza")
		})
	}
	b.Run("encoding-xml-Token", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			benchdata.TokenLoop(stream)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/stanza")
	})
}

// decodeAll reads the n stanzas of stream and decodes each: with Decode
// from a Reader that does not lend, or as the connection does, with
// DecodeFor its own address (chatFlood's to) from one that lends.
func decodeAll(b *testing.B, stream []byte, n int, lend bool) {
	r := xmlstream.NewReader(bytes.NewReader(stream), xmlstream.Limits{})
	r.Lend(lend)
	var own jid.JID
	if lend {
		own = jid.MustParse("bench@localhost/compare")
	}
	if _, err := r.Header(); err != nil {
		b.Fatal(err)
	}
	for range n {
		el, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeFor(el, own); err != nil {
			b.Fatal(err)
		}
	}
}
