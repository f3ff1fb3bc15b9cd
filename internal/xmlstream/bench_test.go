package xmlstream

import (
	"bytes"
	"testing"

	"github.com/gosmack/gosmack/internal/benchdata"
)

func BenchmarkReader(b *testing.B) {
	stream, n := benchdata.Stream(4 << 20)
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
			benchdata.TokenLoop(stream)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/element")
	})
}
