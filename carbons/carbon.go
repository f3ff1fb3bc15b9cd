package carbons

import (
	"encoding/xml"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/forward"
	"github.com/gosmack/gosmack/hints"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of message carbons (XEP-0280, version 2).
const NS = "urn:xmpp:carbons:2"

var (
	sentName     = xml.Name{Space: NS, Local: "sent"}
	receivedName = xml.Name{Space: NS, Local: "received"}
	privateName  = xml.Name{Space: NS, Local: "private"}
)

// Direction says which way the copied message went. The zero Direction
// is no carbon: a message received directly.
type Direction uint8

const (
	// Received is a copy of a message another of the account's clients
	// received (XEP-0280's <received/>): its From is the sender, its To
	// the account (often that other client's full JID).
	Received Direction = iota + 1
	// Sent is a copy of a message another of the account's clients sent
	// (XEP-0280's <sent/>): its From is that client's full JID, its To
	// the addressee.
	Sent
)

// String returns the direction's name, as used in logs.
func (d Direction) String() string {
	switch d {
	case 0:
		return "none"
	case Received:
		return "received"
	case Sent:
		return "sent"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Carbon is a carbon copy (XEP-0280) the account accepted: a message one
// of its other clients sent or received, forwarded by the account's
// server. Only a copy whose carrier came from the account's own bare JID
// is ever a Carbon (see the package documentation). The zero Carbon
// carries nothing and is never reported.
type Carbon struct {
	// Direction says whether the account sent or received Message.
	Direction Direction
	// Message is the forwarded message, as the other client sent or
	// received it. Every listener shares it: read it, do not change it.
	Message *stanza.Message
	// Outer is the message that carried the copy: from the account's
	// bare JID (or without a from), to this client, with no body.
	// Shared like Message.
	Outer *stanza.Message
}

// Device returns the resource of the account's client that sent (for
// Sent) or was sent (for Received) the copied message: the resourcepart
// of Message.From or Message.To. It is "" when that address is the
// account's bare JID, or for a Received copy addressed to another
// account (which Of refuses).
func (cb Carbon) Device() string {
	if cb.Message == nil {
		return ""
	}
	if cb.Direction == Sent {
		return cb.Message.From.Resourcepart()
	}
	return cb.Message.To.Resourcepart()
}

// Errors a carbon is refused with; the manager logs them and drops the
// carbon.
var (
	// errNotCarbon: the message carries no carbon.
	errNotCarbon = errors.New("carbons: not a carbon")
	// errSpoofed: the carrier came from someone other than the account.
	errSpoofed = errors.New("carbons: not from the account's bare JID")
	// errMalformed: the carbon is not one copy of one message of the
	// account.
	errMalformed = errors.New("carbons: malformed carbon")
)

// isCarbon is the filter for the messages that carry a carbon element,
// accepted or not.
func isCarbon(st stanza.Stanza) bool {
	m, ok := st.(*stanza.Message)
	if !ok {
		return false
	}
	for i := range m.Extensions {
		if n := m.Extensions[i].Name; n == sentName || n == receivedName {
			return true
		}
	}
	return false
}

// parse reads the carbon m carries for the account self (a bare JID),
// checking everything XEP-0280 section 11 asks:
//   - m comes from self, or has no from: RFC 6120 section 8.1.2.1 says a
//     stanza the server sends on the account's behalf has either, and
//     the server stamps the from of everything it routes from others;
//     a full JID (another resource of the account's, or this one) is a
//     client writing, not the server, and is refused;
//   - m is not an error and carries exactly one <sent/> or <received/>
//     holding exactly one forwarded message;
//   - a sent copy was sent by the account (its from is self or one of
//     its resources), a received copy was addressed to it.
func parse(self jid.JID, m *stanza.Message) (Carbon, error) {
	var el *stanza.Node
	var dir Direction
	for i := range m.Extensions {
		n := &m.Extensions[i]
		var d Direction
		switch n.Name {
		case sentName:
			d = Sent
		case receivedName:
			d = Received
		default:
			continue
		}
		if el != nil {
			return Carbon{}, fmt.Errorf("%w: more than one copy", errMalformed)
		}
		el, dir = n, d
	}
	if el == nil {
		return Carbon{}, errNotCarbon
	}
	if !m.From.IsZero() && m.From != self {
		return Carbon{}, fmt.Errorf("%w: from %s", errSpoofed, m.From)
	}
	if m.Type == stanza.MessageError || m.Error != nil {
		return Carbon{}, fmt.Errorf("%w: an error message", errMalformed)
	}
	var fw *stanza.Node
	for i := range el.Nodes {
		n := &el.Nodes[i]
		if n.IsText() {
			continue
		}
		if fw != nil || n.Name != (xml.Name{Space: forward.NS, Local: "forwarded"}) {
			return Carbon{}, fmt.Errorf("%w: <%s/> holds more than one <forwarded/>", errMalformed, el.Name.Local)
		}
		fw = n
	}
	if fw == nil {
		return Carbon{}, fmt.Errorf("%w: <%s/> holds no <forwarded/>", errMalformed, el.Name.Local)
	}
	var f forward.Forwarded
	if err := f.UnmarshalNode(*fw); err != nil {
		return Carbon{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	inner := f.Message()
	if inner == nil {
		return Carbon{}, fmt.Errorf("%w: forwards no message", errMalformed)
	}
	own := inner.To
	if dir == Sent {
		own = inner.From
	}
	if !own.IsZero() && own.Bare() != self {
		return Carbon{}, fmt.Errorf("%w: a %s copy of a message of %s", errMalformed, dir, own)
	}
	return Carbon{Direction: dir, Message: inner, Outer: m}, nil
}

// Of returns the carbon m carries, when it is one the account of c
// accepts: a copy of a message the account's other clients sent or
// received, carried by a message from the account's own bare JID (or
// with no from: the server on the account's behalf). A message that
// carries none, or one that is refused (spoofed or malformed), gives ok
// false. The Carbons attached to c (if any) and package chat read
// carbons through Of; it decodes the copy once per message however often
// it is asked, when a Carbons is attached.
//
// Of is safe for concurrent use. m must not be changed while it runs.
func Of(c *xmpp.Conn, m *stanza.Message) (cb Carbon, ok bool) {
	cb, err := of(c, m)
	return cb, err == nil
}

// of is Of with the reason a message is refused.
func of(c *xmpp.Conn, m *stanza.Message) (Carbon, error) {
	if mgr := xmpp.Attached[Carbons](c); mgr != nil {
		return mgr.parse(m)
	}
	return parse(account(c), m)
}

// account returns the bare JID of c's account.
func account(c *xmpp.Conn) jid.JID {
	if j := c.JID(); !j.IsZero() {
		return j.Bare()
	}
	return c.Config().JID.Bare()
}

// Private marks m as private (XEP-0280 section 6): the account's server
// does not copy it to the account's other clients, nor the addressee's
// server to the addressee's. It adds <private/> and the <no-copy/> hint
// (XEP-0334), which servers that do not read <private/> honour; each
// once. It does not change the slice m.Extensions held before.
func Private(m *stanza.Message) {
	if !IsPrivate(m) {
		m.Extensions = append(slices.Clip(m.Extensions), stanza.Node{Name: privateName})
	}
	hints.Add(m, hints.NoCopy)
}

// IsPrivate reports whether m carries XEP-0280's <private/> element.
func IsPrivate(m *stanza.Message) bool {
	return slices.ContainsFunc(m.Extensions, func(n stanza.Node) bool { return n.Name == privateName })
}
