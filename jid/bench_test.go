package jid

import "testing"

var sinkJID JID
var sinkString string

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"ASCII/canonical", "juliet@example.com/balcony"},
		{"ASCII/mixed-case", "Juliet@Example.COM/balcony"},
		{"ASCII/bare", "juliet@example.com"},
		{"NonASCII/localpart", "fußball@example.com/balcony"},
		{"NonASCII/domain", "juliet@münchen.example/balcony"},
		{"NonASCII/all", "Σπύρος@ΕΛΛΆΔΑ.example/κινητό"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				j, err := Parse(bc.in)
				if err != nil {
					b.Fatal(err)
				}
				sinkJID = j
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	j := MustParse("juliet@example.com/balcony")
	b.ReportAllocs()
	for b.Loop() {
		sinkString = j.String()
	}
}

func BenchmarkBare(b *testing.B) {
	j := MustParse("juliet@example.com/balcony")
	b.ReportAllocs()
	for b.Loop() {
		sinkJID = j.Bare()
	}
}

func BenchmarkEscape(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString = Escape("d'artagnan@musketeers.example")
	}
}
