package wire

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// sameAsNode checks, for FuzzDecode, that the stanza of el decodes as a
// Node (forwarded inside another) exactly as it did from the stream,
// malformed ones included: the same stanza, the same error; and that a
// stanza written as a Node by EncodeNode decodes back to itself.
func sameAsNode(t *testing.T, s string, el *xmlstream.Element, want stanza.Stanza, werr error) {
	t.Helper()
	d := decoder{el: el}
	var n stanza.Node
	d.fill(&n, 0)
	got, gerr := DecodeNode(&n)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(normalize(want), normalize(got)) {
		t.Fatalf("%q: read %#v, %v; as a Node %#v, %v", s, want, werr, got, gerr)
	}
	if werr != nil {
		return
	}
	n2, err := EncodeNode(want)
	if err != nil {
		t.Fatalf("%q: EncodeNode: %v", s, err)
	}
	back, err := DecodeNode(&n2)
	if err != nil || !reflect.DeepEqual(normalize(want), normalize(back)) {
		t.Fatalf("%q: written as a Node and read back %#v, %v; want %#v", s, back, err, want)
	}
}

func TestDecodeNodeRefusesText(t *testing.T) {
	if _, err := DecodeNode(&stanza.Node{Text: "x"}); err == nil {
		t.Error("a text node decoded")
	}
	if _, err := DecodeNode(nil); err == nil {
		t.Error("nil decoded")
	}
}
