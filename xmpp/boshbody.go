package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"

	"github.com/gosmack/gosmack/internal/xmlstream"
)

// boshBody is an answer of a BOSH connection manager: the attributes of
// its <body/> the client uses, and what the body holds, as bytes for
// the stream reader, which checks them.
type boshBody struct {
	sid, typ, condition string
	authid, from        string
	version             string // xmpp:version
	attrs               []xml.Attr
	inner               []byte
}

// int returns the attribute name as a number, or def when it is absent
// or not a non-negative number.
func (bb *boshBody) int(name string, def int) int {
	for _, a := range bb.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			if n, err := strconv.Atoi(a.Value); err == nil && n >= 0 {
				return n
			}
		}
	}
	return def
}

// errBody is what a body that is not one is.
func errBody(msg string) error {
	return &xmlstream.Error{Condition: xmlstream.NotWellFormed, Msg: "a BOSH answer that is not a <body/> of " + nsHTTPBind + ": " + msg}
}

// parseBody parses an answer's HTTP body: an optional XML declaration,
// then <body xmlns='http://jabber.org/protocol/httpbind'> with what it
// holds, or empty. The start tag is checked here; what it holds goes to
// the stream reader as it is.
func parseBody(b []byte) (boshBody, error) {
	var bb boshBody
	i := skipXMLSpace(b, 0)
	if bytes.HasPrefix(b[i:], []byte("<?xml")) {
		j := bytes.Index(b[i:], []byte("?>"))
		if j < 0 {
			return bb, errBody("an unfinished XML declaration")
		}
		i = skipXMLSpace(b, i+j+2)
	}
	if i >= len(b) || b[i] != '<' {
		return bb, errBody("no element")
	}
	end := tagEnd(b[i:])
	if end < 0 {
		return bb, errBody("an unfinished start tag")
	}
	tag := b[i : i+end+1]
	tok, err := xml.NewDecoder(bytes.NewReader(tag)).Token()
	if err != nil {
		return bb, errBody(err.Error())
	}
	start, ok := tok.(xml.StartElement)
	if !ok || start.Name != (xml.Name{Space: nsHTTPBind, Local: "body"}) {
		return bb, errBody("another element")
	}
	rest := bytes.TrimRight(b[i+end+1:], " \t\r\n")
	if tag[len(tag)-2] != '/' {
		inner, ok := bytes.CutSuffix(rest, []byte("</body>"))
		if !ok {
			return bb, errBody("no </body> at the end")
		}
		bb.inner = inner
	} else if len(rest) > 0 {
		return bb, errBody("something after the body")
	}
	for _, a := range start.Attr {
		switch a.Name {
		case xml.Name{Local: "sid"}:
			bb.sid = a.Value
		case xml.Name{Local: "type"}:
			bb.typ = a.Value
		case xml.Name{Local: "condition"}:
			bb.condition = a.Value
		case xml.Name{Local: "authid"}:
			bb.authid = a.Value
		case xml.Name{Local: "from"}:
			bb.from = a.Value
		case xml.Name{Space: nsXBOSH, Local: "version"}:
			bb.version = a.Value
		}
	}
	bb.attrs = start.Attr
	if bb.typ != "" && bb.typ != "terminate" && bb.typ != "error" {
		return bb, errors.New("xmpp: bosh: a body of type " + strconv.Quote(bb.typ))
	}
	return bb, nil
}
