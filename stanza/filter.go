package stanza

import (
	"encoding/xml"
	"slices"

	"github.com/gosmack/gosmack/jid"
)

// Filter decides whether a stanza is wanted (Smack's StanzaFilter). The
// nil Filter wants everything. Filters are plain functions: combine them
// with And, Or and Not, or write one.
//
//	f := stanza.And(stanza.IsMessage(stanza.Chat), stanza.FromBare(alice))
type Filter func(Stanza) bool

// Match reports whether f wants s; a nil f wants every stanza.
func (f Filter) Match(s Stanza) bool { return f == nil || f(s) }

// And wants a stanza that every filter wants.
func And(fs ...Filter) Filter {
	return func(s Stanza) bool {
		for _, f := range fs {
			if !f.Match(s) {
				return false
			}
		}
		return true
	}
}

// Or wants a stanza that at least one filter wants.
func Or(fs ...Filter) Filter {
	return func(s Stanza) bool {
		for _, f := range fs {
			if f.Match(s) {
				return true
			}
		}
		return false
	}
}

// Not wants what f does not.
func Not(f Filter) Filter { return func(s Stanza) bool { return !f.Match(s) } }

// IsMessage wants messages of the given types, or of any type when none is
// given. A message received without a type is Normal.
func IsMessage(types ...MessageType) Filter {
	return func(s Stanza) bool {
		m, ok := s.(*Message)
		if !ok {
			return false
		}
		t := m.Type
		if t == "" {
			t = Normal
		}
		return len(types) == 0 || slices.Contains(types, t)
	}
}

// IsPresence wants presences of the given types, or of any type when none
// is given (Available is the empty type).
func IsPresence(types ...PresenceType) Filter {
	return func(s Stanza) bool {
		p, ok := s.(*Presence)
		return ok && (len(types) == 0 || slices.Contains(types, p.Type))
	}
}

// IsIQ wants IQs of the given types, or of any type when none is given.
func IsIQ(types ...IQType) Filter {
	return func(s Stanza) bool {
		iq, ok := s.(*IQ)
		return ok && (len(types) == 0 || slices.Contains(types, iq.Type))
	}
}

// From wants stanzas whose from address equals j exactly (Smack's
// FromMatchesFilter.createFull). The zero j wants stanzas without a from.
func From(j jid.JID) Filter {
	return func(s Stanza) bool { return s.Head().From == j }
}

// FromBare wants stanzas from any resource of j's bare JID, or from the
// bare JID itself (Smack's FromMatchesFilter.createBare).
func FromBare(j jid.JID) Filter {
	bare := j.Bare()
	return func(s Stanza) bool { return s.Head().From.Bare() == bare }
}

// WithID wants stanzas with the given id (Smack's StanzaIdFilter).
func WithID(id string) Filter {
	return func(s Stanza) bool { return s.Head().ID == id }
}

// HasExtension wants stanzas that carry a child element with the given
// name: an extension of a message or presence, or an IQ's payload
// (Smack's StanzaExtensionFilter).
func HasExtension(name xml.Name) Filter {
	return func(s Stanza) bool {
		var nodes []Node
		switch s := s.(type) {
		case *Message:
			nodes = s.Extensions
		case *Presence:
			nodes = s.Extensions
		case *IQ:
			return s.Payload != nil && s.Payload.Name == name
		}
		return slices.ContainsFunc(nodes, func(n Node) bool { return n.Name == name })
	}
}
