package muc

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/stanza"
)

// ErrDropped is wrapped by SelfPing's error when the room says the user is
// no longer in it (XEP-0410): the Room has counted the user out and the
// exit listeners have heard ExitDropped. Join again to return.
var ErrDropped = errors.New("muc: no longer in the room")

var pingName = xml.Name{Space: "urn:xmpp:ping", Local: "ping"}

// SelfPing checks that the user is still in the room (XEP-0410, MUC
// self-ping): it sends a ping to the user's own occupant JID (room/nick)
// and reads the answer as the XEP says.
//
//   - A result, or the errors service-unavailable and
//     feature-not-implemented (a client of the occupant that does not
//     speak XEP-0199), mean the user is still in: SelfPing returns nil.
//   - item-not-found means, for the XEP, that the nickname just changed
//     (another client of a multi-session occupant changed it): SelfPing
//     returns nil when the Room saw the nickname change while the ping was
//     under way. Otherwise it counts as not joined, as below: Prosody and
//     ejabberd answer item-not-found when the room no longer exists (it
//     was destroyed, or a temporary room vanished with a restart).
//   - remote-server-not-found and remote-server-timeout decide nothing,
//     like a timeout: SelfPing returns the error (the *stanza.Error), and
//     the Room stays as it was. So it does for a ctx that ends and a
//     stream that ends.
//   - Any other error (not-acceptable, which the XEP recommends, or
//     not-allowed, bad-request...) means the user is no longer in the
//     room: the Room counts the user out, the exit listeners hear
//     ExitDropped, and SelfPing returns an error matching ErrDropped and
//     the *stanza.Error.
//
// Calling SelfPing when the room is not joined is ErrNotJoined. There is
// no automatic self-ping: call SelfPing when the room has been quiet for a
// while (the XEP suggests after some minutes of silence) and rejoin on
// ErrDropped. Do not call it while ChangeNick is under way.
func (r *Room) SelfPing(ctx context.Context) error {
	r.mu.Lock()
	if !r.joined {
		r.mu.Unlock()
		return fmt.Errorf("muc: self-ping %s: %w", r.jid, ErrNotJoined)
	}
	nick := r.nick
	r.mu.Unlock()
	to, err := r.jid.WithResource(nick)
	if err != nil {
		return fmt.Errorf("muc: self-ping %s: %w", r.jid, err)
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
	iq.To = to
	_, err = r.c.SendIQ(ctx, iq)
	if err == nil {
		return nil
	}
	var se *stanza.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("muc: self-ping %s: %w", to, err)
	}
	switch se.Condition {
	case stanza.ServiceUnavailable, stanza.FeatureNotImplemented:
		return nil
	case stanza.RemoteServerNotFound, stanza.RemoteServerTimeout:
		return fmt.Errorf("muc: self-ping %s: %w", to, err)
	}
	// A room that no longer exists (item-not-found, as both servers
	// answer for a destroyed room) is not entered again: that would
	// create it anew.
	if !r.dropped(nick, se.Condition != stanza.ItemNotFound) && se.Condition == stanza.ItemNotFound && r.Joined() {
		return nil // the nickname changed under the ping
	}
	return fmt.Errorf("muc: self-ping %s: %w: %w", to, ErrDropped, se)
}

// dropped counts the user out after a self-ping said so, unless the Room
// has moved on since the ping (left, or changed nickname), and reports
// whether it did; with again, the room is entered again (XEP-0410).
func (r *Room) dropped(nick string, again bool) bool {
	r.mu.Lock()
	if !r.joined || r.nick != nick {
		r.mu.Unlock()
		return false
	}
	if again {
		r.rejoin = &rejoin{nick: r.nick, password: r.password, since: r.lastMessage}
	}
	r.reset()
	if w := r.wait; w != nil {
		r.finish(w, result{err: fmt.Errorf("muc: %s %s: %w (%s)", w.kind, r.jid, ErrExited, ExitDropped)})
	}
	r.unfollow()
	reports := r.takeReports()
	r.mu.Unlock()
	r.c.Dispatch(r.exitEvent(Exit{Reason: ExitDropped})) // not on the dispatcher here
	r.dispatch(reports)
	if r.m != nil {
		r.m.rejoin(r) // XEP-0410: a dropped client joins again
	}
	return true
}
