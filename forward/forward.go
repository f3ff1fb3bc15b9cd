package forward

import (
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of forwarded stanzas (XEP-0297).
const NS = "urn:xmpp:forward:0"

// ErrMalformed is returned for a <forwarded/> element that does not carry
// exactly one stanza, or carries one that does not decode.
var ErrMalformed = errors.New("forward: malformed forwarded element")

// Forwarded is a stanza carried inside another, with its delay. The zero
// Forwarded carries nothing and is not valid to send.
type Forwarded struct {
	// Delay says when the stanza was first sent; its Stamp is zero when
	// the forwarder did not say.
	Delay delay.Delay
	// Stanza is the forwarded stanza: a *stanza.Message, *stanza.Presence
	// or *stanza.IQ, as its forwarder wrote it.
	Stanza stanza.Stanza
}

// Compile-time check: a Forwarded is a stanza extension.
var _ stanza.Extension = (*Forwarded)(nil)

var forwardedName = xml.Name{Space: NS, Local: "forwarded"}

// ExtensionName returns the name of XEP-0297's element.
func (f *Forwarded) ExtensionName() xml.Name { return forwardedName }

// MarshalNode returns the <forwarded/> element: the delay, when it has a
// stamp, then the stanza in the jabber:client namespace.
func (f *Forwarded) MarshalNode() (stanza.Node, error) {
	if f.Stanza == nil {
		return stanza.Node{}, fmt.Errorf("%w: no stanza", ErrMalformed)
	}
	inner, err := wire.EncodeNode(f.Stanza)
	if err != nil {
		return stanza.Node{}, fmt.Errorf("forward: %w", err)
	}
	n := stanza.Node{Name: forwardedName}
	if !f.Delay.Stamp.IsZero() {
		d, err := f.Delay.MarshalNode()
		if err != nil {
			return stanza.Node{}, err
		}
		n.Nodes = append(n.Nodes, d)
	}
	n.Nodes = append(n.Nodes, inner)
	return n, nil
}

// UnmarshalNode reads a <forwarded/> element: an optional delay (one
// whose stamp does not parse is ignored) and exactly one stanza, decoded
// as the connection decodes what it reads. A stanza that decodes with an
// error (a malformed address, a bad type) is ErrMalformed, wrapping that
// error.
func (f *Forwarded) UnmarshalNode(n stanza.Node) error {
	if n.Name != forwardedName {
		return fmt.Errorf("%w: <%s xmlns='%s'/>", ErrMalformed, n.Name.Local, n.Name.Space)
	}
	*f = Forwarded{}
	var inner *stanza.Node
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch {
		case c.IsText():
		case c.Name == xml.Name{Space: delay.NS, Local: "delay"}:
			var d delay.Delay
			if d.UnmarshalNode(*c) == nil {
				f.Delay = d
			}
		case isStanza(c.Name):
			if inner != nil {
				return fmt.Errorf("%w: more than one stanza", ErrMalformed)
			}
			inner = c
		}
	}
	if inner == nil {
		return fmt.Errorf("%w: no stanza", ErrMalformed)
	}
	st, err := wire.DecodeNode(inner)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	f.Stanza = st
	return nil
}

// isStanza reports whether name is a stanza's in a namespace a forwarder
// may use (XEP-0297 puts it in jabber:client; servers forward in
// jabber:server too).
func isStanza(name xml.Name) bool {
	switch name.Space {
	case stanza.NSClient, stanza.NSServer:
	default:
		return false
	}
	switch name.Local {
	case "message", "presence", "iq":
		return true
	}
	return false
}

// Message returns the forwarded message, or nil when f carries another
// kind of stanza.
func (f *Forwarded) Message() *stanza.Message {
	m, _ := f.Stanza.(*stanza.Message)
	return m
}
