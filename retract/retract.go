package retract

import (
	"encoding/xml"

	"github.com/gosmack/gosmack/hints"
	"github.com/gosmack/gosmack/internal/msgext"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of message retraction, version 1.
const NS = "urn:xmpp:message-retract:1"

// nsFallback is the namespace of the fallback marker (XEP-0428) a
// retraction carries.
const nsFallback = "urn:xmpp:fallback:0"

// FallbackBody is the body New gives a retraction, which clients that do
// not know retractions show.
const FallbackBody = "This person attempted to retract a previous message, but it's unsupported by your client."

var retractName = xml.Name{Space: NS, Local: "retract"}

// Add marks m as the retraction of the message id, replacing any
// retraction m carries. It never changes the array behind the caller's
// m.Extensions.
func Add(m *stanza.Message, id string) {
	msgext.Put(m, msgext.Is(retractName), msgext.WithID(retractName, id))
}

// New returns a chat message to to that retracts the message id, as
// XEP-0424 section 4 writes it: the retraction, a fallback body marked as
// such, and a hint that servers store it (so that the archive takes the
// message back too). For a room, set the returned message's Type to
// stanza.Groupchat and name the room's stanza-id.
func New(to jid.JID, id string) *stanza.Message {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: FallbackBody}}}
	m.To = to
	Add(m, id)
	m.Extensions = append(m.Extensions,
		stanza.Node{Name: xml.Name{Space: nsFallback, Local: "fallback"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "for"}, Value: NS}}})
	hints.Add(m, hints.Store)
	return m
}

// Of returns the id of the message m retracts. ok is false when m is not
// a retraction, or names no id. What it says is the sender's claim: check
// the sender before taking anything back.
func Of(m *stanza.Message) (id string, ok bool) {
	return msgext.ID(m, retractName)
}
