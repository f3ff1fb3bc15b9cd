package xmpp

import (
	"slices"

	"github.com/gosmack/gosmack/stanza"
)

// This file holds the connection's memory of the user's presence: the
// last broadcast (a presence without a to), which LastPresence returns
// and a new session that replaces a lost one sends again.

// broadcastState is what the user's last presence broadcast said, under
// Conn.mu. It starts as noBroadcast; every available or unavailable
// broadcast that Send (or the initial presence) prepares moves it to
// broadcastAvailable or broadcastUnavailable, and it never goes back to
// noBroadcast. Directed presence and presence of other types (probes,
// subscriptions) leave it as it is.
type broadcastState uint8

const (
	// noBroadcast: none yet on this Conn. A new session sends the initial
	// presence, unless Config.NoInitialPresence.
	noBroadcast broadcastState = iota
	// broadcastAvailable: the last was available, and Conn.presence
	// holds it; a new session after a lost one sends it again.
	broadcastAvailable
	// broadcastUnavailable: the last was unavailable; a new session
	// after a lost one stays unavailable. Conn.presence still holds the
	// last available one, for LastPresence.
	broadcastUnavailable
)

// notePresence remembers p when it is a broadcast of available or
// unavailable presence.
func (c *Conn) notePresence(p *stanza.Presence) {
	if !p.To.IsZero() || (p.Type != stanza.Available && p.Type != stanza.Unavailable) {
		return
	}
	hs := Attached[holds](c) // before c.mu: the registry's lock is a leaf
	c.mu.Lock()
	hs.unhold()
	if p.Type == stanza.Unavailable {
		c.broadcast = broadcastUnavailable
	} else {
		c.broadcast = broadcastAvailable
		c.presence = keptPresence(p)
	}
	c.mu.Unlock()
}

// initialPresence is what a new session announces: when it replaces a
// lost one (restore), the user's last presence broadcast, or nothing if
// that was unavailable (a new session starts unavailable); else plain
// available presence, unless the configuration says not to. A presence
// hold in hs (nil: none was ever made) keeps it back (HoldPresence):
// then it is nil. The caller holds c.mu, with c.sess the new session.
func (c *Conn) initialPresence(restore bool, hs *holds) *stanza.Presence {
	switch {
	case restore && c.broadcast == broadcastUnavailable:
		return hs.hold(c, nil)
	case restore && c.broadcast == broadcastAvailable:
		return hs.hold(c, clonePresence(c.presence))
	case c.cfg.NoInitialPresence:
		return hs.hold(c, nil)
	}
	return hs.hold(c, &stanza.Presence{})
}

// LastPresence returns a copy of the last available presence the user
// broadcast (sent without a to), as it was before the interceptors saw
// it and without its id, and false when none was sent. It is the one
// record of the user's presence: managers read it here rather than keep
// their own. A new session after a lost one sends it again, restoring
// the user's presence, unless the user's last broadcast was unavailable:
// then the new session stays unavailable. Directed and unavailable
// presence do not change what it returns. The copy is the caller's.
func (c *Conn) LastPresence() (*stanza.Presence, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.presence == nil {
		return nil, false
	}
	return clonePresence(c.presence), true
}

// plainAvailable stands for a presence broadcast that carries nothing
// but its id, as the initial presence does: connections share it instead
// of each keeping a copy (an idle connection's memory, BENCHMARKS.md).
// It is never modified; what reads it clones it.
var plainAvailable = new(stanza.Presence)

// keptPresence is what the connection keeps of the broadcast p for
// LastPresence and for a new session to send again: p without its id.
func keptPresence(p *stanza.Presence) *stanza.Presence {
	if p.Common == (stanza.Common{ID: p.ID}) && p.Type == stanza.Available && p.Show == "" &&
		len(p.Statuses) == 0 && p.Priority == 0 && len(p.Extensions) == 0 {
		return plainAvailable
	}
	kept := clonePresence(p)
	kept.ID = ""
	return kept
}

func clonePresence(p *stanza.Presence) *stanza.Presence {
	cp := *p
	cp.Statuses = slices.Clone(p.Statuses)
	cp.Extensions = slices.Clone(p.Extensions)
	return &cp
}
