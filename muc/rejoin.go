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
// user forgets them.
func (m *Manager) SetAutoRejoin(on bool) {
	m.mu.Lock()
	m.noRejoin = !on
	m.mu.Unlock()
}

// OnRejoin registers f to hear the outcome of each automatic rejoin: err
// is nil when the room reflected the user's presence again, and the
// room's refusal (ErrNickInUse, ErrBanned...) or the connection's error
// otherwise. f runs on its own goroutine, one per rejoin. The returned
// func removes it.
func (m *Manager) OnRejoin(f func(r *Room, err error)) (remove func()) {
	return m.onRejoin.Add(f)
}

// rejoinAll enters again the rooms the lost session was in.
func (m *Manager) rejoinAll() {
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
func (m *Manager) rejoin(r *Room) {
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
		opts := []JoinOption{Password(rj.password)}
		if !rj.since.IsZero() {
			opts = append(opts, Since(rj.since))
		}
		err := r.Join(ctx, rj.nick, opts...)
		for f := range m.onRejoin.All() {
			f(r, err)
		}
	}()
}

// stateForRejoin follows the connection for rejoining: rooms are noted
// when a session is lost, forgotten when the user closed it, and entered
// again when a new session starts.
func (m *Manager) stateForRejoin(sc xmpp.StateChange) {
	if sc.State == xmpp.StateAuthenticated {
		m.rejoinAll()
	}
}
