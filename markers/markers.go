package markers

import (
	"encoding/xml"
	"errors"
	"slices"

	"github.com/gosmack/gosmack/internal/msgext"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of Chat Markers (XEP-0333), also the feature a
// client that sends and reads them announces.
const NS = "urn:xmpp:chat-markers:0"

// Marker is what a chat marker says of the message it names. The zero
// Marker is no marker.
type Marker string

// The three markers, weakest first: each implies the ones before it.
const (
	// Received: the message reached the recipient's client.
	Received Marker = "received"
	// Displayed: the user has seen it (the "read" mark).
	Displayed Marker = "displayed"
	// Acknowledged: the user has acted on it.
	Acknowledged Marker = "acknowledged"
)

// Valid reports whether mk is one of the three markers.
func (mk Marker) Valid() bool {
	return mk == Received || mk == Displayed || mk == Acknowledged
}

var markableName = xml.Name{Space: NS, Local: "markable"}

// Errors of Add and Reply.
var (
	// ErrUnknown: the Marker is none of the three.
	ErrUnknown = errors.New("markers: not a chat marker")
	// ErrNotMarkable: the message does not ask for markers (XEP-0333
	// section 4: a marker goes only to a markable message), has no id to
	// name, or is an error.
	ErrNotMarkable = errors.New("markers: the message is not markable")
)

// SetMarkable adds <markable/> to m, which asks its recipient for markers,
// unless m has one. It never changes the array behind the caller's
// m.Extensions.
func SetMarkable(m *stanza.Message) {
	if !IsMarkable(m) {
		m.Extensions = append(slices.Clip(m.Extensions), stanza.Node{Name: markableName})
	}
}

// IsMarkable reports whether m carries <markable/>.
func IsMarkable(m *stanza.Message) bool {
	return slices.ContainsFunc(m.Extensions, func(n stanza.Node) bool { return n.Name == markableName })
}

// Of returns the marker m carries and the id of the message it names. ok
// is false when m carries none, or one without an id. A marker says what
// its sender claims: check that it comes from the peer the marked message
// went to before showing it.
func Of(m *stanza.Message) (mk Marker, id string, ok bool) {
	for i := range m.Extensions {
		n := &m.Extensions[i]
		if n.Name.Space != NS {
			continue
		}
		if mk := Marker(n.Name.Local); mk.Valid() {
			id := n.Attr("id")
			return mk, id, id != ""
		}
	}
	return "", "", false
}

// Add puts marker mk naming message id on m. A Marker that is none of
// the three returns ErrUnknown, an empty id ErrNotMarkable; m is then
// left alone. It never changes the array behind the caller's
// m.Extensions.
func Add(m *stanza.Message, mk Marker, id string) error {
	switch {
	case !mk.Valid():
		return ErrUnknown
	case id == "":
		return ErrNotMarkable
	}
	m.Extensions = append(slices.Clip(m.Extensions), msgext.WithID(xml.Name{Space: NS, Local: string(mk)}, id))
	return nil
}

// Reply returns the message that sends marker mk for the received
// message m: to m's sender, of m's type and thread, with no body. In a
// room (a groupchat m) it goes to the room and names the id the room
// stamped on m (its stanza-id by the room, XEP-0333 section 4), else m's
// id. A message that is not markable, has no id, or is an error gets no
// marker (ErrNotMarkable).
func Reply(m *stanza.Message, mk Marker) (*stanza.Message, error) {
	if !mk.Valid() {
		return nil, ErrUnknown
	}
	if !IsMarkable(m) || m.Type == stanza.MessageError || m.From.IsZero() {
		return nil, ErrNotMarkable
	}
	r := &stanza.Message{Type: m.Type, Thread: m.Thread}
	r.To = m.From
	id := m.ID
	if m.Type == stanza.Groupchat {
		r.To = m.From.Bare()
		if sidID, ok := sid.StanzaID(m, r.To); ok {
			id = sidID
		}
	}
	if err := Add(r, mk, id); err != nil {
		return nil, err
	}
	return r, nil
}
