package wire

import (
	"fmt"
	"strconv"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// Encode writes s as one top-level element in the namespace ns
// (stanza.NSClient on a client stream). The encoder's buffer then holds it;
// the error is the encoder's (text XML cannot carry) or a stanza that
// cannot be written.
func Encode(enc *xmlstream.Encoder, ns string, s stanza.Stanza) error {
	w := writer{enc: enc, ns: ns}
	switch s := s.(type) {
	case *stanza.Message:
		w.start("message", &s.Common, string(s.Type))
		w.texts("body", s.Bodies)
		w.texts("subject", s.Subjects)
		if s.Thread.ID != "" {
			var attrs []xmlstream.Attr
			if s.Thread.Parent != "" {
				attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Local: "parent"}, Value: s.Thread.Parent})
			}
			w.leaf("thread", s.Thread.ID, attrs...)
		}
		w.stanzaError(s.Error)
		w.nodes(s.Extensions)
	case *stanza.Presence:
		w.start("presence", &s.Common, string(s.Type))
		if s.Show != "" {
			w.leaf("show", string(s.Show))
		}
		w.texts("status", s.Statuses)
		if s.Priority != 0 {
			w.leaf("priority", strconv.Itoa(int(s.Priority)))
		}
		w.stanzaError(s.Error)
		w.nodes(s.Extensions)
	case *stanza.IQ:
		if s.ID == "" {
			return fmt.Errorf("wire: an IQ needs an id")
		}
		w.start("iq", &s.Common, string(s.Type))
		if s.Payload != nil {
			w.node(s.Payload)
		}
		w.stanzaError(s.Error)
	default:
		return fmt.Errorf("wire: cannot encode %T", s)
	}
	enc.End()
	_, err := enc.Bytes()
	return err
}

type writer struct {
	enc *xmlstream.Encoder
	ns  string
}

func (w *writer) start(local string, c *stanza.Common, typ string) {
	// At most five attributes: a fixed array keeps them off the heap.
	var buf [5]xmlstream.Attr
	attrs := buf[:0]
	for _, a := range [...]struct{ name, value string }{
		{"to", c.To.String()}, {"from", c.From.String()}, {"id", c.ID}, {"type", typ},
	} {
		if a.value != "" {
			attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Local: a.name}, Value: a.value})
		}
	}
	if c.Lang != "" {
		attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Space: xmlstream.NSXML, Local: "lang"}, Value: c.Lang})
	}
	w.enc.StartTrusted(xmlstream.Name{Space: w.ns, Local: local}, attrs...)
}

// leaf writes an element of the stanza's own (body, subject, status...),
// whose name the caller spells: never one from a Node.
func (w *writer) leaf(local, text string, attrs ...xmlstream.Attr) {
	w.enc.StartTrusted(xmlstream.Name{Space: w.ns, Local: local}, attrs...)
	w.enc.Text(text)
	w.enc.End()
}

func (w *writer) texts(local string, texts []stanza.Text) {
	for _, t := range texts {
		if t.Lang != "" {
			w.leaf(local, t.Value, xmlstream.Attr{Name: xmlstream.Name{Space: xmlstream.NSXML, Local: "lang"}, Value: t.Lang})
		} else {
			w.leaf(local, t.Value)
		}
	}
}

func (w *writer) stanzaError(e *stanza.Error) {
	if e == nil {
		return
	}
	var attrs []xmlstream.Attr
	if e.Type != "" {
		attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Local: "type"}, Value: string(e.Type)})
	}
	if !e.By.IsZero() {
		attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Local: "by"}, Value: e.By.String()})
	}
	w.enc.StartTrusted(xmlstream.Name{Space: w.ns, Local: "error"}, attrs...)
	cond := e.Condition
	if cond == "" {
		cond = stanza.UndefinedCondition
	}
	w.condition(stanza.NSStanzas, string(cond), e.Target, e.Text, e.Lang, e.App)
	w.enc.End()
}

// EncodeStreamError writes e as <stream:error/> (RFC 6120 section 4.9.2):
// its condition (undefined-condition when it has none) with OtherHost as
// the condition's text, its text with the text's language, and its
// application condition. enc's Inherited is the stream's content namespace
// (stanza.NSClient), which the stream header declares for <stream:error/>
// too: an application condition in no namespace is then written with an
// empty xmlns. The encoder's buffer then holds it; the error is the
// encoder's (text XML cannot carry).
func EncodeStreamError(enc *xmlstream.Encoder, e *stanza.StreamError) error {
	w := writer{enc: enc}
	enc.StartTrusted(xmlstream.Name{Space: xmlstream.NSStream, Local: "error"})
	cond := e.Condition
	if cond == "" {
		cond = stanza.StreamUndefined
	}
	w.condition(stanza.NSStreams, string(cond), e.OtherHost, e.Text, e.Lang, e.App)
	enc.End()
	_, err := enc.Bytes()
	return err
}

// condition writes the content that stanza and stream errors share: the
// condition element in space with its text, a <text/> in space when there
// is text, and the application condition. The condition is a value of the
// error, whose name Start checks.
func (w *writer) condition(space, cond, condText, text, lang string, app *stanza.Node) {
	w.enc.Start(xmlstream.Name{Space: space, Local: cond})
	w.enc.Text(condText)
	w.enc.End()
	if text != "" {
		var attrs []xmlstream.Attr
		if lang != "" {
			attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Space: xmlstream.NSXML, Local: "lang"}, Value: lang})
		}
		w.enc.StartTrusted(xmlstream.Name{Space: space, Local: "text"}, attrs...)
		w.enc.Text(text)
		w.enc.End()
	}
	if app != nil {
		w.node(app)
	}
}

func (w *writer) nodes(nodes []stanza.Node) {
	for i := range nodes {
		w.node(&nodes[i])
	}
}

// node writes n and its content as they are.
func (w *writer) node(n *stanza.Node) {
	if n.IsText() {
		w.enc.Text(n.Text)
		return
	}
	w.enc.Start(n.Name, n.Attrs...)
	for i := range n.Nodes {
		w.node(&n.Nodes[i])
	}
	w.enc.End()
}
