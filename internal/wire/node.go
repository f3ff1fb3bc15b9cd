package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// A stanza can travel inside another one (forwarded, XEP-0297: carbons,
// archive results), where decoding the outer stanza left it as a Node.
// DecodeNode and EncodeNode convert between the two through the one
// decoder and the one encoder, so a nested stanza is read exactly as a
// top-level one is: no second mapping of fields to keep in step.

// DecodeNode decodes a stanza that came as a Node. The Node's tree is laid
// out as the tokens the stream reader makes, pointing to the Node's own
// strings (nothing is parsed or copied), and Decode runs over them; its
// results and errors are Decode's. n must be a message, presence or iq in
// a stanza namespace.
func DecodeNode(n *stanza.Node) (stanza.Stanza, error) {
	if n == nil || n.IsText() {
		return nil, errors.New("wire: a text node is not a stanza")
	}
	tokens, attrs := 0, 0
	count(n, &tokens, &attrs)
	el := &xmlstream.Element{
		Tokens: make([]xmlstream.Token, 0, tokens),
		Attrs:  make([]xmlstream.Attr, 0, attrs),
	}
	layOut(el, n)
	return Decode(el)
}

func count(n *stanza.Node, tokens, attrs *int) {
	if n.IsText() {
		*tokens++
		return
	}
	*tokens += 2
	*attrs += len(n.Attrs)
	for i := range n.Nodes {
		count(&n.Nodes[i], tokens, attrs)
	}
}

func layOut(el *xmlstream.Element, n *stanza.Node) {
	if n.IsText() {
		el.Tokens = append(el.Tokens, xmlstream.Token{Kind: xmlstream.Text, Text: n.Text})
		return
	}
	start := int32(len(el.Attrs))
	el.Attrs = append(el.Attrs, n.Attrs...)
	el.Tokens = append(el.Tokens, xmlstream.Token{Kind: xmlstream.StartElement, Name: n.Name, AttrStart: start, AttrEnd: int32(len(el.Attrs))})
	for i := range n.Nodes {
		layOut(el, &n.Nodes[i])
	}
	el.Tokens = append(el.Tokens, xmlstream.Token{Kind: xmlstream.EndElement, Name: n.Name})
}

// nodeHeader opens the stream that EncodeNode reads its element back in.
const nodeHeader = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

// EncodeNode returns st as a Node, to be carried inside another stanza:
// the element Encode writes (in jabber:client), read back as the
// connection would read it.
func EncodeNode(st stanza.Stanza) (stanza.Node, error) {
	var enc xmlstream.Encoder
	if err := Encode(&enc, stanza.NSClient, st); err != nil {
		return stanza.Node{}, err
	}
	b, err := enc.Bytes()
	if err != nil {
		return stanza.Node{}, err
	}
	r := xmlstream.NewReader(io.MultiReader(strings.NewReader(nodeHeader), bytes.NewReader(b)), xmlstream.Limits{MaxElementSize: max(len(b), len(nodeHeader))})
	if _, err := r.Header(); err != nil {
		return stanza.Node{}, err
	}
	el, err := r.Next()
	if err != nil {
		return stanza.Node{}, err
	}
	d := decoder{el: el}
	var n stanza.Node
	d.fill(&n, 0)
	return n, nil
}
