package muc

import (
	"context"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/stanza"
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

// AutoRejoin reports whether rooms are entered again after a lost session
// (see SetAutoRejoin).
func (m *Client) AutoRejoin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.noRejoin
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

// OnRejoin registers f to hear the outcome of each automatic rejoin. f
// runs on the connection's dispatcher: after the room's answer, or, when
// the room does not answer within RejoinTimeout or the presence could not
// be sent, when the dispatcher gets to it. The returned func removes f;
// it is safe to call more than once. A nil f panics.
func (m *Client) OnRejoin(f func(Rejoin)) (remove func()) {
	mustListen("OnRejoin", f == nil)
	return m.onRejoin.Add(f)
}

// rejoinAll enters again the rooms the lost session was in, on the
// dispatcher, when the new session starts.
func (m *Client) rejoinAll() {
	for _, r := range m.all() {
		m.rejoin(r)
	}
}

// rejoin enters r again if it waits for it and rejoining is on. It sends
// the presence and returns: the room's answer comes through the
// dispatcher (or the Collector of an operation that waits for r to be
// free), which ends the rejoin and tells the OnRejoin listeners; a timer
// ends it after RejoinTimeout. No goroutine waits for it.
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
	select {
	case r.sem <- struct{}{}:
	default:
		return // an operation of the user's holds the room: it decides
	}
	to, err := r.jid.WithResource(rj.nick)
	if err != nil {
		<-r.sem
		return
	}
	r.mu.Lock()
	if r.joined {
		r.mu.Unlock()
		<-r.sem
		return
	}
	r.follow()
	r.password = rj.password
	clear(r.occupants)
	clear(r.renamed)
	w := newWaiter(opJoin)
	w.nick, w.rejoin = to.Resourcepart(), rj
	r.wait = w
	w.timer = time.AfterFunc(RejoinTimeout, func() {
		r.mu.Lock()
		r.finish(w, result{err: fmt.Errorf("muc: rejoin %s: %w", r.jid, context.DeadlineExceeded)})
		r.unfollow()
		reports := r.takeReports()
		r.mu.Unlock()
		r.dispatch(reports)
	})
	r.mu.Unlock()
	cfg := JoinConfig{Password: rj.password, History: History{Since: rj.since}}
	p := &stanza.Presence{Extensions: []stanza.Node{cfg.node()}}
	p.To = to
	ctx, cancel := context.WithTimeout(context.Background(), RejoinTimeout)
	defer cancel()
	if err := r.c.Send(ctx, p); err != nil {
		r.mu.Lock()
		r.finish(w, result{err: fmt.Errorf("muc: rejoin %s: %w", r.jid, err)})
		r.unfollow()
		reports := r.takeReports()
		r.mu.Unlock()
		r.dispatch(reports)
	}
}

// takeReports returns the OnRejoin reports that finished rejoins left.
// r.mu is held.
func (r *Room) takeReports() []func() {
	reports := r.reports
	r.reports = nil
	return reports
}

// dispatch queues fs on the dispatcher, for a caller that is not on it.
func (r *Room) dispatch(fs []func()) {
	for _, f := range fs {
		r.c.Dispatch(f)
	}
}

// rejoined ends the automatic rejoin w with err: the room is free again,
// and the OnRejoin listeners are to hear it. r.mu is held.
func (r *Room) rejoined(w *waiter, err error) {
	if w.timer != nil {
		w.timer.Stop()
	}
	<-r.sem
	if r.m == nil {
		return
	}
	e := Rejoin{Room: r, Err: err}
	r.reports = append(r.reports, func() {
		for f := range r.m.onRejoin.All() {
			f(e)
		}
	})
}

// stateForRejoin enters the rooms of a lost session again when a new
// session starts.
func (m *Client) stateForRejoin(sc xmpp.StateChange) {
	if sc.State == xmpp.StateAuthenticated {
		m.rejoinAll()
	}
}
