package muc

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/gosmack/gosmack/stanza"
)

// More status codes of XEP-0045 section 15.6, which the package reports
// (StatusCodes) without acting upon them.
const (
	StatusNonAnonymous     = 100 // entering: the room shows every occupant's real JID
	StatusConfigChanged    = 104 // a configuration change not about privacy (message)
	StatusLogged           = 170 // the room is logged publicly (entering, or now)
	StatusNotLogged        = 171 // the room is no longer logged
	StatusNowNonAnonymous  = 172 // the room is now non-anonymous
	StatusNowSemiAnonymous = 173 // the room is now semi-anonymous
	StatusTechnical        = 333 // removed because of a technical problem (with 307)
)

// StatusCodes returns the status codes of a presence's or message's
// <x xmlns='http://jabber.org/protocol/muc#user'/>, sorted, none when it
// has none: the room's warnings on entering (100 non-anonymous, 170
// logged, 210 nickname assigned, in the user's own presence: see
// Room.Occupant(room.Nick()).Presence), and its notices of configuration
// changes (104, 170-174, in a groupchat message from the room itself, which
// the OnMessage listeners receive).
func StatusCodes(s stanza.Stanza) []int {
	var ext []stanza.Node
	switch s := s.(type) {
	case *stanza.Presence:
		ext = s.Extensions
	case *stanza.Message:
		ext = s.Extensions
	case *stanza.IQ:
		return nil
	}
	var codes []int
	for i := range ext {
		x := &ext[i]
		if x.Name.Space != NSUser || x.Name.Local != "x" {
			continue
		}
		for _, n := range x.Nodes {
			if n.Name.Space == NSUser && n.Name.Local == "status" {
				if c, err := strconv.Atoi(n.Attr("code")); err == nil && !slices.Contains(codes, c) {
					codes = append(codes, c)
				}
			}
		}
		break
	}
	slices.Sort(codes)
	return codes
}

// SetPresence changes the user's availability in the room (XEP-0045
// section 7.7; Smack's MultiUserChat.changeAvailabilityStatus): it sends
// presence with show (stanza.ShowAway, stanza.ShowXA...; "" for plainly
// available) and a status
// text to the user's occupant JID. It returns once the presence is
// written; the room reflects it to everyone, and the occupant listeners
// hear it as a Changed event for the user. It needs the user in the room
// (ErrNotJoined); ctx bounds the write. Do not call it while ChangeNick is
// under way.
func (r *Room) SetPresence(ctx context.Context, show stanza.Show, status string) error {
	r.mu.Lock()
	joined, nick := r.joined, r.nick
	r.mu.Unlock()
	if !joined {
		return fmt.Errorf("muc: set presence in %s: %w", r.jid, ErrNotJoined)
	}
	to, err := r.jid.WithResource(nick)
	if err != nil {
		return fmt.Errorf("muc: set presence in %s: %w", r.jid, err)
	}
	p := &stanza.Presence{Show: show}
	if status != "" {
		p.Statuses = []stanza.Text{{Value: status}}
	}
	p.To = to
	if err := r.c.Send(ctx, p); err != nil {
		return fmt.Errorf("muc: set presence in %s: %w", r.jid, err)
	}
	return nil
}
