package wire

import (
	"bytes"
	"encoding/xml"
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
			r := xmlstream.NewReader(bytes.NewReader(stream), xmlstream.Limits{})
			if _, err := r.Header(); err != nil {
				b.Fatal(err)
			}
			for range n {
				el, err := r.Next()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Decode(el); err != nil {
					b.Fatal(err)
				}
			}
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
