package correct

import (
	"encoding/xml"
	"errors"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/internal/msgext"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of Last Message Correction (XEP-0308), also the
// feature a client that understands corrections announces.
const NS = "urn:xmpp:message-correct:0"

var replaceName = xml.Name{Space: NS, Local: "replace"}

// Errors of History.Check.
var (
	// ErrUnknown: the message corrects one the History does not hold (too
	// old, or never seen).
	ErrUnknown = errors.New("correct: the corrected message is not known")
	// ErrOtherSender: the correction does not come from the sender of the
	// message it corrects; it must be refused.
	ErrOtherSender = errors.New("correct: the correction comes from another sender than the original")
)

// Replace marks m as the correction of the message whose id is id (its
// new text is m's body), replacing any mark m carries. It never changes
// the array behind the caller's m.Extensions. To correct a correction,
// name the first message's id again (XEP-0308 section 4).
func Replace(m *stanza.Message, id string) {
	msgext.Put(m, msgext.Is(replaceName), msgext.WithID(replaceName, id))
}

// Of returns the id of the message m corrects. ok is false when m is not
// a correction (or names no id). What it says is the sender's claim: check
// the sender with Allowed or History.Check before replacing anything.
func Of(m *stanza.Message) (id string, ok bool) {
	return msgext.ID(m, replaceName)
}

// Allowed reports whether correction may replace a message sent by
// originalFrom (XEP-0308 section 5: only the original's author may
// correct it). In a room (a groupchat correction) the sender is the
// occupant, so the full JIDs must be the same; elsewhere the bare JIDs,
// since the author may correct from another of its devices. A zero
// sender on either side (a message the user sent) matches only zero.
func Allowed(correction *stanza.Message, originalFrom jid.JID) bool {
	if correction.Type == stanza.Groupchat {
		return correction.From == originalFrom
	}
	return correction.From.Bare() == originalFrom.Bare()
}

const (
	// perConversation is how many messages of one conversation a History
	// keeps: corrections are for the last messages.
	perConversation = 32
	// conversations is how many conversations a History keeps.
	conversations = 256
)

// record is a message a History holds: its id and its sender.
type record struct {
	id   string
	from jid.JID
}

// History remembers the ids and senders of the last messages of each
// conversation (32 per conversation, 256 conversations, the oldest
// dropped first), so that a correction received can be checked against
// the message it names. A conversation is the bare JID of the peer or
// room. Its zero value is empty and ready to use; it is safe for
// concurrent use. It must not be copied after first use.
type History struct {
	mu    sync.Mutex
	convs map[jid.JID][]record
	order []jid.JID // convs' keys, oldest first
}

// conversation returns the conversation of m: its sender's bare JID for
// a message received, its recipient's for one the user sends.
func conversation(m *stanza.Message) jid.JID {
	if !m.From.IsZero() {
		return m.From.Bare()
	}
	return m.To.Bare()
}

// Add records m (a message with a body and an id, received or sent)
// as a message that may be corrected. Corrections are not recorded: a
// correction of a correction names the original. Messages without an id
// or without a body, and error messages, are ignored.
func (h *History) Add(m *stanza.Message) {
	if m.ID == "" || len(m.Bodies) == 0 || m.Type == stanza.MessageError {
		return
	}
	if _, ok := Of(m); ok {
		return
	}
	conv := conversation(m)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.convs == nil {
		h.convs = make(map[jid.JID][]record)
	}
	rs, known := h.convs[conv]
	if !known {
		if len(h.order) >= conversations {
			delete(h.convs, h.order[0])
			h.order = slices.Delete(h.order, 0, 1)
		}
		h.order = append(h.order, conv)
	}
	if len(rs) >= perConversation {
		rs = slices.Delete(rs, 0, 1)
	}
	h.convs[conv] = append(rs, record{id: m.ID, from: m.From})
}

// Check reports which message the correction m replaces: the id it names,
// when that message is in m's conversation in the History and m comes
// from its sender (Allowed). It returns ErrOtherSender for a correction by
// anyone else, which must be refused, ErrUnknown when the History does
// not hold the message, and ok false with a nil error when m is not a
// correction.
func (h *History) Check(m *stanza.Message) (id string, ok bool, err error) {
	id, ok = Of(m)
	if !ok {
		return "", false, nil
	}
	h.mu.Lock()
	rs := h.convs[conversation(m)]
	// The latest with that id: a room reflects the user's own message
	// with the same id and the occupant's JID as sender.
	i := len(rs) - 1
	for i >= 0 && rs[i].id != id {
		i--
	}
	var from jid.JID
	if i >= 0 {
		from = rs[i].from
	}
	h.mu.Unlock()
	switch {
	case i < 0:
		return "", false, ErrUnknown
	case !Allowed(m, from):
		return "", false, ErrOtherSender
	}
	return id, true, nil
}
