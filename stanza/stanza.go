package stanza

import (
	"encoding/xml"

	"github.com/gosmack/gosmack/jid"
)

// Namespaces of the stanza layer.
const (
	NSClient  = "jabber:client"
	NSServer  = "jabber:server"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	NSStreams = "urn:ietf:params:xml:ns:xmpp-streams"
	NSStream  = "http://etherx.jabber.org/streams"
	NSXML     = "http://www.w3.org/XML/1998/namespace"
)

// Stanza is implemented by *Message, *Presence and *IQ.
type Stanza interface {
	// Head returns the attributes every stanza has.
	Head() *Common
}

// Common holds what every stanza carries. Its zero value has no
// addresses, no id and no language.
type Common struct {
	// To and From are the to and from attributes; zero when absent.
	To, From jid.JID
	// ID is the id attribute, which a reply repeats; "" when absent.
	ID   string
	Lang string // xml:lang, "" when absent
	// Error is set on stanzas of type error.
	Error *Error
	// Seq is where a received stanza stood in the order the connection
	// read the session's stanzas from the server: 1 for the first, and
	// one more for each after it, whatever order listeners and waiting
	// requests are handed them in. It is zero on a stanza built to be
	// sent, and is never written to the wire.
	Seq uint64
}

// Head returns c itself, so that a *Message, *Presence or *IQ is a Stanza
// through its embedded Common.
func (c *Common) Head() *Common { return c }

// Text is a piece of human-readable text with its language: a message body
// or subject, a presence status.
type Text struct {
	Lang string // xml:lang; "" means the stanza's (or the stream's) language
	// Value is the element's character data.
	Value string
}

// pick returns the text in lang, else the one without a language, else
// the first, else "".
func pick(texts []Text, lang string) string {
	for _, t := range texts {
		if t.Lang == lang {
			return t.Value
		}
	}
	for _, t := range texts {
		if t.Lang == "" {
			return t.Value
		}
	}
	if len(texts) > 0 {
		return texts[0].Value
	}
	return ""
}

// MessageType is the type of a message (RFC 6121 section 5.2.2). The
// empty type, as received, means Normal.
type MessageType string

// Message types.
const (
	Normal    MessageType = "normal"
	Chat      MessageType = "chat"
	Groupchat MessageType = "groupchat"
	Headline  MessageType = "headline"
	// MessageError marks a message that reports an error.
	MessageError MessageType = "error"
)

// Thread identifies a conversation thread (RFC 6121 section 5.2.5).
type Thread struct {
	// ID is the text of <thread/>; "" when the message has none. A
	// <thread/> without text is no thread: it is read as none, and a
	// Thread without an ID is not written, whatever its Parent.
	ID     string
	Parent string // the parent thread's ID, "" if none
}

// Message is a <message/> stanza (Smack's Message). Its zero value is a
// normal message with no body.
type Message struct {
	Common
	// Type is the type attribute; "" as received means Normal.
	Type MessageType
	// Bodies are the <body/> elements, in order.
	Bodies []Text
	// Subjects are the <subject/> elements, in order.
	Subjects []Text
	// Thread is the <thread/> element; zero when there is none.
	Thread Thread
	// Extensions are the children this package does not model, in order.
	Extensions []Node
}

// Body returns the body in lang, else the body without a language, else
// the first body, else "".
func (m *Message) Body(lang string) string { return pick(m.Bodies, lang) }

// Subject returns the subject as Body does.
func (m *Message) Subject(lang string) string { return pick(m.Subjects, lang) }

// Reply returns a message to m's sender of the same type and thread with
// the given body.
func (m *Message) Reply(body string) *Message {
	r := &Message{Type: m.Type, Thread: m.Thread}
	r.To = m.From
	if body != "" {
		r.Bodies = []Text{{Value: body}}
	}
	return r
}

// PresenceType is the type of a presence (RFC 6121 section 4.7.1). The
// empty type means available.
type PresenceType string

// Presence types.
const (
	Available    PresenceType = ""
	Unavailable  PresenceType = "unavailable"
	Subscribe    PresenceType = "subscribe"
	Subscribed   PresenceType = "subscribed"
	Unsubscribe  PresenceType = "unsubscribe"
	Unsubscribed PresenceType = "unsubscribed"
	Probe        PresenceType = "probe"
	// PresenceError marks a presence that reports an error.
	PresenceError PresenceType = "error"
)

// Show is an available entity's availability (RFC 6121 section 4.7.2.1;
// Smack's Presence.Mode). The empty Show means plainly available.
type Show string

// Show values.
const (
	ShowChat Show = "chat"
	ShowAway Show = "away"
	ShowXA   Show = "xa"
	ShowDND  Show = "dnd"
)

// Presence is a <presence/> stanza (Smack's Presence). Its zero value is
// available presence with priority 0.
type Presence struct {
	Common
	// Type is the type attribute; "" is Available.
	Type PresenceType
	// Show is the text of <show/>; "" when absent.
	Show Show
	// Statuses are the <status/> elements, in order.
	Statuses []Text
	Priority int8 // -128..127 (RFC 6121 section 4.7.2.3)
	// Extensions are the children this package does not model, in order.
	Extensions []Node
}

// Status returns the status text as Message.Body does.
func (p *Presence) Status(lang string) string { return pick(p.Statuses, lang) }

// IQType is the type of an IQ (RFC 6120 section 8.2.3).
type IQType string

// IQ types.
const (
	Get    IQType = "get"
	Set    IQType = "set"
	Result IQType = "result"
	// IQError marks an IQ that reports an error.
	IQError IQType = "error"
)

// IQ is an <iq/> stanza (Smack's IQ). A get or set carries exactly one
// payload; a result carries one or none; an error may carry the request's
// payload and carries Error.
type IQ struct {
	Common
	// Type is the type attribute.
	Type IQType
	// Payload is the IQ's child element other than <error/>; nil when it
	// has none.
	Payload *Node
}

// PayloadName returns the payload's name, or the zero Name when there is
// no payload. IQ handlers are keyed by it.
func (iq *IQ) PayloadName() xml.Name {
	if iq.Payload == nil {
		return xml.Name{}
	}
	return iq.Payload.Name
}

// ResultIQ returns the result for the request iq: addressed back to its
// sender, with its id, carrying payload (nil for an empty result).
func (iq *IQ) ResultIQ(payload *Node) *IQ {
	r := &IQ{Type: Result, Payload: payload}
	r.To, r.From, r.ID = iq.From, iq.To, iq.ID
	return r
}

// ErrorIQ returns the error reply to the request iq: addressed back to its
// sender, with its id, carrying err (RFC 6120 section 8.3.1).
func (iq *IQ) ErrorIQ(err *Error) *IQ {
	r := &IQ{Type: IQError}
	r.To, r.From, r.ID, r.Error = iq.From, iq.To, iq.ID, err
	return r
}
