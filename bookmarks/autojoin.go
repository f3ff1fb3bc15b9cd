package bookmarks

import (
	"context"
	"errors"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/xmpp"
)

// AutojoinTimeout bounds each new session's autojoin: the reading of the
// bookmarks and the entering of every room.
const AutojoinTimeout = 2 * time.Minute

// AutojoinResult is the outcome of entering one bookmarked room at login
// (see SetAutojoin; Smack's MucBookmarkAutojoinManager reports only
// failures). The zero AutojoinResult names no room.
type AutojoinResult struct {
	// Bookmark is the bookmark of the room entered; the zero Bookmark
	// when the bookmarks could not be read (Err says why, and no room
	// was entered).
	Bookmark Bookmark
	// Room is the room, as muc.Client.Room gives it; nil with the zero
	// Bookmark.
	Room *muc.Room
	// Err is nil when the room let the user in, else the room's refusal
	// (muc.ErrNickInUse, muc.ErrPassword...) or the connection's error.
	Err error
}

// SetAutojoin says whether the rooms bookmarked with autojoin are
// entered at each login (XEP-0402 section 3.2). Off by default. When on,
// each new session (not a resumed one, whose rooms are kept) reads the
// bookmarks (List) and enters each autojoin room the user is not in yet,
// one after the other, through muc.For(c) with the bookmark's nickname
// (or AutojoinNick) and password; the OnAutojoin listeners hear each
// outcome. A room that muc's own rejoin enters first is left to it. It
// takes effect at the next new session.
func (m *Manager) SetAutojoin(on bool) {
	m.mu.Lock()
	m.autojoin = on
	m.mu.Unlock()
}

// Autojoin reports whether bookmarked rooms are entered at login (see
// SetAutojoin).
func (m *Manager) Autojoin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.autojoin
}

// SetAutojoinNick sets the nickname autojoin enters a room with when its
// bookmark names none; "" (the default) means the account's localpart
// (its domain for an account without one). It takes effect at the next
// autojoin.
func (m *Manager) SetAutojoinNick(nick string) {
	m.mu.Lock()
	m.nick = nick
	m.mu.Unlock()
}

// AutojoinNick returns the nickname set by SetAutojoinNick.
func (m *Manager) AutojoinNick() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nick
}

// OnAutojoin registers f to hear the outcome of each room autojoin tries
// to enter, and of a failure to read the bookmarks. f runs on the
// connection's dispatcher, queued when the room answers. The returned
// func removes exactly this registration and is safe to call more than
// once. A nil f panics.
func (m *Manager) OnAutojoin(f func(AutojoinResult)) (remove func()) {
	if f == nil {
		panic("bookmarks: OnAutojoin with a nil listener")
	}
	return m.onJoin.Add(f)
}

// state forgets the stores when a session ends or its stream is lost
// (the next may be another server's), and starts a new session's
// autojoin when it is on. Not when a session begins: that event can
// reach the listeners after the session's first List has asked for
// the stores, and forgetting them then would ask again.
func (m *Manager) state(sc xmpp.StateChange) {
	switch sc.State {
	case xmpp.StateClosed, xmpp.StateDisconnected:
		m.mu.Lock()
		m.stores = nil
		m.mu.Unlock()
	case xmpp.StateAuthenticated:
		m.mu.Lock()
		on := m.autojoin && !m.closed
		m.mu.Unlock()
		if on {
			go m.enterAll()
		}
	}
}

// enterAll enters the autojoin rooms: on a goroutine of its own, one per
// new session, which ends when every room answered.
func (m *Manager) enterAll() {
	ctx, cancel := context.WithTimeout(context.Background(), AutojoinTimeout)
	defer cancel()
	list, err := m.List(ctx)
	if err != nil {
		m.report(AutojoinResult{Err: err})
		return
	}
	mc := muc.For(m.c)
	for _, b := range list {
		m.mu.Lock()
		closed, nick := m.closed, m.nick
		m.mu.Unlock()
		if closed {
			return
		}
		if !b.Autojoin {
			continue
		}
		room := mc.Room(b.Room)
		if room.Joined() {
			continue
		}
		if b.Nick != "" {
			nick = b.Nick
		}
		if nick == "" {
			nick = defaultNick(m.own())
		}
		err := room.Join(ctx, nick, muc.JoinConfig{Password: b.Password})
		if errors.Is(err, muc.ErrAlreadyJoined) {
			continue // muc's rejoin got there first
		}
		m.report(AutojoinResult{Bookmark: b, Room: room, Err: err})
	}
}

func defaultNick(account jid.JID) string {
	if l := account.Localpart(); l != "" {
		return l
	}
	return account.Domainpart()
}

func (m *Manager) report(r AutojoinResult) {
	m.c.Dispatch(func() {
		for f := range m.onJoin.All() {
			f(r)
		}
	})
}
