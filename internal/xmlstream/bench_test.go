package xmlstream

import (
	"bytes"
	"io"
	"strings"
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

// BenchmarkWhitespaceKeepalives reads 16 MiB of white space keepalives,
// then one element, through a Reader that releases its buffer when idle
// (as the connection's does). In the read=N cases the source has it all
// ready and serves at most N bytes per Read: 1 (the peer's single-space
// keepalives read as they come), 64 (small chunks) or 64 KiB (a backlog).
// In writes=64B the peer writes 64 bytes at a time and each Read gets one
// write; stanzas,writes=64B is the same with 64-byte stanzas instead of
// white space, what other input costs. reads/op counts the source's Read
// calls.
func BenchmarkWhitespaceKeepalives(b *testing.B) {
	const size = 16 << 20
	const last = "<message/>"
	white := strings.Repeat(" \n", 32)
	stanza := "<m id='" + strings.Repeat("x", 64-len("<m id=''/>")) + "'/>"
	writes := func(w string) []string {
		parts := []string{header}
		for range size / len(w) {
			parts = append(parts, w)
		}
		return append(parts, last)
	}
	backlog := []string{header + strings.Repeat(white, size/len(white)) + last}
	for _, bc := range []struct {
		name    string
		parts   []string
		perRead int
	}{
		{"read=1B", backlog, 1},
		{"read=64B", backlog, 64},
		{"read=64KiB", backlog, 64 << 10},
		{"writes=64B", writes(white), size},
		{"stanzas,writes=64B", writes(stanza), size},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			src := &dribble{parts: bc.parts, max: bc.perRead}
			reads, ops := 0, 0
			for b.Loop() {
				src.reset()
				x := NewReader(src, Limits{})
				x.ReleaseWhenIdle()
				if _, err := x.Header(); err != nil {
					b.Fatal(err)
				}
				for {
					e, err := x.Next()
					if err != nil {
						b.Fatal(err)
					}
					if e.Raw == last {
						break
					}
				}
				reads += src.reads
				ops++
			}
			b.ReportMetric(float64(reads)/float64(ops), "reads/op")
		})
	}
}

// dribble serves parts in order, at most max bytes per Read and never
// more than one part, and counts the Reads.
type dribble struct {
	parts []string
	max   int
	next  int // the part being served
	off   int // how much of it has been
	reads int
}

func (d *dribble) reset() { d.next, d.off, d.reads = 0, 0, 0 }

func (d *dribble) Read(p []byte) (int, error) {
	d.reads++
	if d.next == len(d.parts) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), d.max)], d.parts[d.next][d.off:])
	if d.off += n; d.off == len(d.parts[d.next]) {
		d.next, d.off = d.next+1, 0
	}
	return n, nil
}

// BenchmarkParseChat parses bench/compare's chat message in place, as
// a lending Reader does, again and again: the tokenizer alone.
func BenchmarkParseChat(b *testing.B) {
	const msg = "<message from='peer@localhost/r' to='bench@localhost/compare' type='chat' id='m0000001'><body>The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 &lt;&amp;&gt;!</body></message>"
	x := NewReader(strings.NewReader(header+msg), Limits{})
	x.Lend(true)
	if _, err := x.Header(); err != nil {
		b.Fatal(err)
	}
	start := x.start
	for b.Loop() {
		x.start = start
		if x.Buffered() == nil {
			b.Fatal("not parsed")
		}
	}
}
