package muc

import (
	"context"
	"time"

	"github.com/gosmack/gosmack/xmpp"
)

// RejoinTimeout bounds each automatic rejoin.
const RejoinTimeout = 30 * time.Second

// rejoin is what a room needs to be entered again after its session was
// lost: the nickname and password it was in with, and the time of the
// last message seen, so that the history the room sends on entering
// starts after it.
type rejoin struct {
	nick, password string
	since          time.Time
}

// SetAutoRejoin says whether rooms the user was in when the session was
// lost are entered again when a new session starts (Smack's
// setAutoJoinOnReconnect); it is on by default. It also enters again a
// room that SelfPing found the user dropped from. A stream that is resumed
// (xmpp.StateResumed) keeps the rooms without rejoining; a Close by the
// user forgets them. It takes effect at the next new session or drop
// found by SelfPing; rejoins already sent are not called back.
func (m *Client) SetAutoRejoin(on bool) {
	m.mu.Lock()
	m.noRejoin = !on
	m.mu.Unlock()
}

// Rejoin is the outcome of an automatic rejoin (Smack's
// AutoJoinFailedCallback, which hears only failures).
type Rejoin struct {
	// Room is the room entered again.
	Room *Room
	// Err is nil when the room reflected the user's presence again, and
	// the room's refusal (ErrNickInUse, ErrBanned...) or the connection's
	// error otherwise.
	Err error
}

// OnRejoin registers f to hear the outcome of each automatic rejoin. The
// returned func removes f; it is safe to call more than once. A nil f
// panics.
func (m *Client) OnRejoin(f func(Rejoin)) (remove func()) {
	mustListen("OnRejoin", f == nil)
	return m.onRejoin.Add(f)
}

// rejoinAll enters again the rooms the lost session was in.
func (m *Client) rejoinAll() {
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	for _, r := range rooms {
		m.rejoin(r)
	}
}

// rejoin enters r again if it waits for it and rejoining is on, on its
// own goroutine: the dispatcher that delivers the room's answer must not
// wait.
func (m *Client) rejoin(r *Room) {
	m.mu.Lock()
	on := !m.noRejoin && !m.closed
	m.mu.Unlock()
	r.mu.Lock()
	rj := r.rejoin
	r.rejoin = nil
	r.mu.Unlock()
	if rj == nil || !on {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), RejoinTimeout)
		defer cancel()
		err := r.Join(ctx, rj.nick, JoinConfig{Password: rj.password, History: History{Since: rj.since}})
		for f := range m.onRejoin.All() {
			f(Rejoin{Room: r, Err: err})
		}
	}()
}

// stateForRejoin follows the connection for rejoining: rooms are noted
// when a session is lost, forgotten when the user closed it, and entered
// again when a new session starts.
func (m *Client) stateForRejoin(sc xmpp.StateChange) {
	if sc.State == xmpp.StateAuthenticated {
		m.rejoinAll()
	}
}
