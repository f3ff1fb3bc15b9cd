package muc

import (
	"context"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// This file holds how a Room follows what the room sends. Every presence
// and message from the room reaches the Room by two paths: the
// dispatcher (handle), in wire order with every other listener's
// stanzas, and, from the moment Join starts until the user is out of the
// room, a Collector of the Room's own (r.col), which the connection's
// reader feeds directly. An operation that waits for the room (Join,
// ChangeNick, Leave, SetSubject) takes the room's stanzas from the
// Collector and applies them itself (collected), so that its wait ends
// even when it runs on the dispatcher, in a listener; the rest of the
// time the dispatcher empties the Collector as it goes. Both paths see
// every stanza of the room in the order it was read, so each stanza is
// applied once, in that order, by whichever path has it first: one
// numbered (Common.Seq) at most r.seq was applied already. The events of
// a stanza that a waiting operation applied wait in r.deferred until the
// dispatcher reaches that stanza, so that listeners hear them in wire
// order, on the dispatcher.

// collectSize is how many of the room's stanzas its Collector holds that
// neither path has taken: the occupants' presences on entering come in
// one burst, which the waiting Join takes as they come, and a listener
// that holds the dispatcher lets the room's stanzas pile up there. Beyond
// it the oldest are lost to a waiting operation in that listener.
const collectSize = 512

// polled is an ended context: Next with it takes a collected stanza
// without waiting.
var polled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

type opKind uint8

const (
	opJoin opKind = iota + 1
	opNick
	opLeave
	opSubject
)

func (k opKind) String() string {
	switch k {
	case opJoin:
		return "join"
	case opNick:
		return "change nickname in"
	case opSubject:
		return "set subject of"
	}
	return "leave"
}

// waiter is the operation that waits for the room, at most one per Room
// (r.sem).
type waiter struct {
	kind    opKind
	nick    string      // the nickname asked for (join, nick change)
	oldNick string      // nick change: the nickname before
	id      string      // subject: the message's id
	from    jid.JID     // subject: the user's occupant JID
	done    chan result // the outcome, once ended
	ended   bool
	wake    func()      // ends the wait on the Collector; nil when none
	rejoin  *rejoin     // an automatic rejoin: nobody waits on done
	timer   *time.Timer // ends an automatic rejoin that gets no answer
}

type result struct {
	codes map[int]bool
	err   error
}

// deferred is what the listeners are to hear when the dispatcher
// delivers the stanza seq, which a waiting operation applied first.
type deferred struct {
	seq  uint64
	fire []func()
}

func newWaiter(kind opKind) *waiter {
	return &waiter{kind: kind, done: make(chan result, 1)}
}

// finish ends w with res, unless it ended already. r.mu is held.
func (r *Room) finish(w *waiter, res result) {
	if r.wait == w {
		r.wait = nil
	}
	if w.ended {
		return
	}
	w.ended = true
	w.done <- res
	if w.wake != nil {
		w.wake()
	}
	if w.rejoin != nil {
		r.rejoined(w, res.err)
	}
}

// fromRoom reports whether st is a presence or message from the room or
// one of its occupants.
func (r *Room) fromRoom(st stanza.Stanza) bool {
	switch st.(type) {
	case *stanza.Presence, *stanza.Message:
		return st.Head().From.Bare() == r.jid
	}
	return false
}

// follow starts collecting the room's stanzas, if not yet. r.mu is held.
func (r *Room) follow() {
	if r.col == nil {
		r.col = r.c.Collect(r.fromRoom, collectSize)
	}
}

// unfollow stops collecting once the user is out of the room and no
// operation waits. r.mu is held.
func (r *Room) unfollow() {
	if r.col != nil && !r.joined && r.wait == nil && !r.pulling {
		r.col.Close()
		r.col = nil
	}
}

// await sends st for the operation w and waits for its outcome, applying
// the room's stanzas as the connection's reader collects them. r.sem is
// held. When ctx ends first, await returns its error and the room's late
// answer is applied as any other stanza (a join's is ignored: the Room
// does not count the user in).
func (r *Room) await(ctx context.Context, w *waiter, st stanza.Stanza) (result, error) {
	wctx, wake := context.WithCancel(ctx)
	defer wake()
	r.mu.Lock()
	r.follow()
	col, epoch := r.col, r.epoch
	r.pulling = true // the dispatcher leaves the Collector to this wait
	w.wake = wake
	r.wait = w
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.pulling = false
		if r.wait == w {
			r.wait = nil
		}
		r.unfollow()
		r.mu.Unlock()
	}()
	if err := r.c.Send(ctx, st); err != nil {
		return result{}, fmt.Errorf("muc: %s %s: %w", w.kind, r.jid, err)
	}
	for {
		select {
		case res := <-w.done:
			return res, res.err
		default:
		}
		st, err := col.Next(wctx)
		if err == nil {
			r.mu.Lock()
			r.collected(st, epoch)
			r.mu.Unlock()
			continue
		}
		select {
		case res := <-w.done:
			return res, res.err
		default:
		}
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		return result{}, fmt.Errorf("muc: %s %s: %w", w.kind, r.jid, err)
	}
}

// collected applies st, which was taken from the Collector ahead of the
// dispatcher in the session epoch, unless the dispatcher applied it
// already or that session is over; its events wait for the dispatcher.
// r.mu is held.
func (r *Room) collected(st stanza.Stanza, epoch uint64) {
	seq := st.Head().Seq
	if seq <= r.seq || epoch != r.epoch {
		return
	}
	r.seq = seq
	if fire := append(r.apply(st), r.takeReports()...); len(fire) > 0 {
		r.deferred = append(r.deferred, deferred{seq: seq, fire: fire})
	}
}

// handle applies st on the dispatcher, unless a waiting operation did
// already, and tells the listeners.
func (r *Room) handle(st stanza.Stanza) {
	r.mu.Lock()
	seq := st.Head().Seq

	// Empty the Collector up to st, unless an operation takes from it.
	var ahead stanza.Stanza
	if r.col != nil && !r.pulling && seq != 0 {
		for {
			x, err := r.col.Next(polled)
			if err != nil {
				break
			}
			if x.Head().Seq >= seq {
				if x.Head().Seq > seq {
					ahead = x // st itself was lost to the Collector
				}
				break
			}
		}
	}
	var fire []func()
	n := 0
	for n < len(r.deferred) && (seq == 0 || r.deferred[n].seq <= seq) {
		fire = append(fire, r.deferred[n].fire...)
		n++
	}
	if n > 0 {
		r.deferred = append(r.deferred[:0], r.deferred[n:]...)
	}
	if seq == 0 || seq > r.seq { // 0: not numbered (not from a reader)
		r.seq = max(r.seq, seq)
		fire = append(fire, r.apply(st)...)
	}
	fire = append(fire, r.takeReports()...)
	if ahead != nil {
		r.collected(ahead, r.epoch)
	}
	r.unfollow()
	r.mu.Unlock()
	for _, f := range fire {
		f()
	}
}

// apply changes the Room as st says and returns what to tell the
// listeners. r.mu is held.
func (r *Room) apply(st stanza.Stanza) []func() {
	switch st := st.(type) {
	case *stanza.Presence:
		return r.applyPresence(st)
	case *stanza.Message:
		return r.applyMessage(st)
	}
	return nil
}

// reset forgets the user's presence in the room. r.mu is held.
func (r *Room) reset() {
	r.joined = false
	clear(r.occupants)
	clear(r.renamed)
}

// applyPresence applies a presence from the room or one of its
// occupants. r.mu is held.
func (r *Room) applyPresence(p *stanza.Presence) []func() {
	nick := p.From.Resourcepart()
	u := parseUserX(p.Extensions)
	w := r.wait
	if w != nil && w.kind == opSubject {
		w = nil // waits for a message
	}

	if p.Type == stanza.PresenceError {
		// A refused nick change comes from the new nickname or, as in
		// XEP-0045's examples 46 and 48, from the current one.
		if w != nil && w.kind != opLeave && (nick == "" || nick == w.nick || (w.kind == opNick && nick == w.oldNick)) {
			r.finish(w, result{err: roomError(w.kind.String(), r.jid, p.Error)})
		}
		return nil
	}
	if nick == "" || (p.Type != stanza.Available && p.Type != stanza.Unavailable) {
		return nil
	}
	self := u.codes[StatusSelf] ||
		(r.joined && nick == r.nick) ||
		(w != nil && (w.kind == opJoin || w.kind == opNick) && nick == w.nick)
	if !r.joined && (w == nil || w.kind != opJoin) {
		return nil // a room the user is not in
	}
	occ := Occupant{Nick: nick, JID: u.jid, Role: u.role, Affiliation: u.affiliation, Presence: p}

	if p.Type == stanza.Available {
		old, had := r.occupants[nick]
		r.occupants[nick] = occ
		wasRenamed := r.renamed[nick]
		delete(r.renamed, nick)
		if self {
			switch {
			case w != nil && w.kind == opJoin:
				r.joined, r.nick = true, nick
				r.finish(w, result{codes: u.codes})
				return nil
			case w != nil && w.kind == opNick && (nick == w.nick || nick != w.oldNick):
				r.nick = nick
				r.finish(w, result{codes: u.codes})
				return nil
			}
			r.nick = nick
		}
		if !r.joined || wasRenamed {
			return nil
		}
		e := OccupantEvent{Kind: Joined, Occupant: occ}
		if had {
			e.Kind, e.Old = Changed, old
		}
		fire := []func(){r.occupantEvent(e)}
		if self && had && (old.Role != occ.Role || old.Affiliation != occ.Affiliation) {
			fire = append(fire, func() {
				for f := range r.onSelf.All() {
					f(e)
				}
			})
		}
		return fire
	}

	// Unavailable.
	old, had := r.occupants[nick]
	if !had {
		old = occ
	}
	delete(r.occupants, nick)
	delete(r.renamed, nick)
	if nick := newNick(r.jid, u); nick != "" {
		renamed := old
		renamed.Nick = nick
		r.occupants[nick] = renamed
		r.renamed[nick] = true
		if self {
			r.nick = nick
		}
		if r.joined {
			return []func(){r.occupantEvent(OccupantEvent{Kind: NickChanged, Occupant: renamed, Old: old})}
		}
		return nil
	}
	if self {
		if w != nil && w.kind == opLeave {
			r.reset()
			r.finish(w, result{codes: u.codes})
			return nil
		}
		wasJoined := r.joined
		r.reset()
		exit := Exit{Reason: ExitRemoved, Actor: u.actor, Text: u.reason, Destroyed: u.destroy}
		switch {
		case u.destroy != nil:
			exit.Reason = ExitDestroyed
		case u.codes[StatusBanned]:
			exit.Reason = ExitBanned
		case u.codes[StatusKicked]:
			exit.Reason = ExitKicked
		case u.codes[StatusAffiliation]:
			exit.Reason = ExitAffiliation
		case u.codes[StatusMembersOnly]:
			exit.Reason = ExitMembersOnly
		case u.codes[StatusShutdown]:
			exit.Reason = ExitShutdown
		}
		if w != nil {
			r.finish(w, result{err: fmt.Errorf("muc: %s %s: %w (%s)", w.kind, r.jid, ErrExited, exit.Reason)})
		}
		if wasJoined {
			return []func(){r.exitEvent(exit)}
		}
		return nil
	}
	if !r.joined {
		return nil
	}
	e := OccupantEvent{Kind: Left, Occupant: old, Actor: u.actor, Reason: u.reason}
	e.Occupant.Presence = p
	switch {
	case u.codes[StatusBanned]:
		e.Kind = Banned
	case u.codes[StatusKicked]:
		e.Kind = Kicked
	}
	return []func(){r.occupantEvent(e)}
}

// newNick returns the new nickname a 303 announces, as the room's
// presences will address the occupant: in canonical form. It is "" when
// there is none, or it cannot be a resourcepart of the room's address.
func newNick(room jid.JID, u userX) string {
	if !u.codes[StatusNickChanged] || u.nick == "" {
		return ""
	}
	to, err := room.WithResource(u.nick)
	if err != nil {
		return ""
	}
	return to.Resourcepart()
}

// occupantEvent returns the func that tells the occupant listeners
// registered when it runs about e.
func (r *Room) occupantEvent(e OccupantEvent) func() {
	return func() {
		for f := range r.onOccupant.All() {
			f(e)
		}
	}
}

func (r *Room) exitEvent(e Exit) func() {
	return func() {
		for f := range r.onExit.All() {
			f(e)
		}
	}
}

// applyMessage applies a message from the room or one of its occupants.
// r.mu is held.
func (r *Room) applyMessage(m *stanza.Message) []func() {
	w := r.wait
	if w != nil && w.kind != opSubject {
		w = nil
	}
	switch m.Type {
	case stanza.Groupchat:
		if _, delayed := delay.Of(m); !delayed {
			r.lastMessage = time.Now()
		}
		if len(m.Subjects) > 0 && len(m.Bodies) == 0 {
			e := SubjectChange{Subject: m.Subject(""), Nick: m.From.Resourcepart(), Message: m}
			r.subject = e.Subject
			if w != nil && m.From == w.from {
				r.finish(w, result{})
			}
			return []func(){func() {
				for f := range r.onSubject.All() {
					f(e)
				}
			}}
		}
	case stanza.Chat:
		if m.From.Resourcepart() == "" {
			return nil
		}
	case stanza.MessageError:
		if w != nil && m.ID == w.id {
			e := m.Error
			if e == nil {
				e = stanza.NewError(stanza.Cancel, stanza.UndefinedCondition)
			}
			r.finish(w, result{err: fmt.Errorf("muc: set subject of %s: %w", r.jid, e)})
		}
		return nil
	default:
		return nil
	}
	return []func(){func() {
		for f := range r.onMessage.All() {
			f(m)
		}
	}}
}

// disconnected counts the user out of the room when the session ends, on
// the dispatcher.
func (r *Room) disconnected(lost bool) {
	r.mu.Lock()

	wasJoined := r.joined
	r.rejoin = nil
	if wasJoined && lost {
		r.rejoin = &rejoin{nick: r.nick, password: r.password, since: r.lastMessage}
	}
	r.reset()
	// The next session numbers its stanzas from 1 again; what this one
	// applied, deferred and collected is over, and what an operation
	// still takes from this session's Collector is ignored.
	r.seq, r.deferred = 0, nil
	r.epoch++
	if r.col != nil {
		r.col.Close()
		r.col = nil
	}
	if w := r.wait; w != nil {
		r.finish(w, result{err: fmt.Errorf("muc: %s %s: %w (%s)", w.kind, r.jid, ErrExited, ExitDisconnected)})
		if w.rejoin != nil && lost {
			r.rejoin = w.rejoin // the next session tries again
		}
	}
	r.unfollow()
	fire := r.takeReports()
	r.mu.Unlock()
	if wasJoined {
		r.exitEvent(Exit{Reason: ExitDisconnected})()
	}
	for _, f := range fire {
		f()
	}
}
