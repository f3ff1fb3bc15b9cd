package reply

import (
	"encoding/xml"
	"slices"

	"github.com/gosmack/gosmack/internal/msgext"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of message replies.
const NS = "urn:xmpp:reply:0"

var replyName = xml.Name{Space: NS, Local: "reply"}

// Ref is the message a reply answers. Its zero value names nothing.
type Ref struct {
	// To is the author of the message answered (a full JID, or the
	// occupant's JID in a room); zero when the reply does not say.
	To jid.JID
	// ID is the message's id.
	ID string
}

// Set marks m as a reply to the message ref names, replacing any such
// mark m carries. It never changes the array behind the caller's
// m.Extensions.
func Set(m *stanza.Message, ref Ref) {
	n := stanza.Node{Name: replyName}
	if !ref.To.IsZero() {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "to"}, Value: ref.To.String()})
	}
	n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "id"}, Value: ref.ID})
	msgext.Put(m, msgext.Is(replyName), n)
}

// Of returns the message m answers. ok is false when m is not a reply or
// names no id; a to that is not a JID is left zero.
func Of(m *stanza.Message) (ref Ref, ok bool) {
	i := slices.IndexFunc(m.Extensions, func(n stanza.Node) bool { return n.Name == replyName })
	if i < 0 {
		return Ref{}, false
	}
	n := &m.Extensions[i]
	to, _ := jid.Parse(n.Attr("to"))
	ref = Ref{To: to, ID: n.Attr("id")}
	return ref, ref.ID != ""
}
