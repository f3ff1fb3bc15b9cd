package xmpp

import (
	"context"

	"github.com/gosmack/gosmack/stanza"
)

// This file holds the holds on the presence of new sessions: a manager
// that must do something before the user's contacts and the server see
// the user available (package mam's catch-up, before the server sends
// its offline messages) keeps each new session's presence back until it
// is done.

// A PresenceHold keeps the presence a new session announces — the
// initial presence, or after a lost session the user's last broadcast
// — from being sent until it lets the session's presence go (Release).
// Conn.HoldPresence makes one. Its methods are safe for concurrent use.
type PresenceHold struct {
	c  *Conn
	hs *holds
}

// holds is the state of a Conn's presence holds, attached to it
// (Attach) when the first hold is made, so that a Conn without holds
// pays nothing for them. Its fields are guarded by Conn.mu: the holds
// registered, and the presence the current session keeps back with
// the holds that have not let it go.
type holds struct {
	set     map[*PresenceHold]struct{}
	held    *stanza.Presence
	sess    *session // the session held is for
	waiting map[*PresenceHold]struct{}
}

// HoldPresence registers a hold on the presence of new sessions. From
// the next new session on (not a resumed one, which announces nothing),
// the presence the session would announce at its start is kept back
// until every hold registered when it started has let it go with
// Release, or been removed; then it is sent (Send), after whatever the
// session sent meanwhile. The session's presence is also no longer owed
// once the user broadcasts a presence (Send with no to): the user's own
// broadcast announces the session. A session that ends while its
// presence is kept back never sends it: the next one announces what
// the last broadcast sent says, as without a hold.
//
// Why: a server sends its offline messages (XEP-0160) when the session
// becomes available, and routes the messages sent to the account's bare
// JID to it only from then on. A manager that first fetches what was
// missed (package mam's catch-up) holds the presence so that what the
// server has kept arrives after what it fetched.
//
// A hold that is never released keeps every new session unavailable:
// whoever registers one must Release it at each new session, or Remove
// it.
func (c *Conn) HoldPresence() *PresenceHold {
	hs := Attach(c, func(*Conn) *holds { return &holds{set: make(map[*PresenceHold]struct{})} })
	h := &PresenceHold{c: c, hs: hs}
	c.mu.Lock()
	hs.set[h] = struct{}{}
	c.mu.Unlock()
	return h
}

// Release lets the current session's presence go, as far as h is
// concerned: when no other hold keeps it back, it is sent now, and
// Release reports true with Send's error. With nothing kept back by h
// (no new session since h was registered, h released already, or the
// user broadcast a presence meanwhile), or when another hold still
// keeps it, Release sends nothing and reports false. ctx bounds the
// Send, as it does Send's.
func (h *PresenceHold) Release(ctx context.Context) (sent bool, err error) { return h.let(ctx, false) }

// Remove unregisters h, letting the current session's presence go as
// Release does (ctx and the error as Release's). It is safe to call
// more than once.
func (h *PresenceHold) Remove(ctx context.Context) error {
	_, err := h.let(ctx, true)
	return err
}

func (h *PresenceHold) let(ctx context.Context, remove bool) (sent bool, err error) {
	c, hs := h.c, h.hs
	c.mu.Lock()
	if remove {
		delete(hs.set, h)
	}
	_, waits := hs.waiting[h]
	if hs.held == nil || !waits {
		c.mu.Unlock()
		return false, nil
	}
	delete(hs.waiting, h)
	if len(hs.waiting) > 0 {
		c.mu.Unlock()
		return false, nil
	}
	p, current := hs.held, c.sess == hs.sess
	hs.held, hs.sess, hs.waiting = nil, nil, nil
	c.mu.Unlock()
	if !current {
		return false, nil // the session ended: the next announces itself
	}
	return true, c.Send(ctx, p)
}

// hold keeps p, the presence the new session c.sess would announce,
// back when hs (nil: no hold was ever made) has holds registered: it
// returns nil then. The caller holds c.mu.
func (hs *holds) hold(c *Conn, p *stanza.Presence) *stanza.Presence {
	if hs == nil {
		return p
	}
	hs.held, hs.sess, hs.waiting = nil, nil, nil
	if p == nil || len(hs.set) == 0 {
		return p
	}
	hs.held, hs.sess = p, c.sess
	hs.waiting = make(map[*PresenceHold]struct{}, len(hs.set))
	for h := range hs.set {
		hs.waiting[h] = struct{}{}
	}
	return nil
}

// unhold forgets the presence kept back (hs may be nil): the user
// broadcast one. The caller holds c.mu.
func (hs *holds) unhold() {
	if hs != nil {
		hs.held, hs.sess, hs.waiting = nil, nil, nil
	}
}
