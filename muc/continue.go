package muc

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// HistoryMessage is one message of a one-to-one chat to replay in a room
// with Continue: who sent it, its text, and when.
type HistoryMessage struct {
	// From is the message's sender, the from of its delay element; the
	// zero JID leaves from out.
	From jid.JID
	// Body is the message's text.
	Body string
	// Stamp is when the message was sent, the stamp of its delay element.
	Stamp time.Time
}

// Continue turns a one-to-one chat into this room (XEP-0045 section 7.9):
// with the user in the room (usually one just made with Create, which
// should be non-anonymous), it sends the chat's history as groupchat
// messages carrying the chat's thread and a delay element that names
// each message's sender and time, then a mediated invitation to each
// invitee (the chat partner by full JID, and the others), with the reason
// and a <continue/> naming the thread. Prosody drops the <continue/> on
// the way, so the invitee sees an ordinary invitation there; ejabberd
// passes it on. thread may be "" when the
// chat had none; history may be empty (the XEP leaves it to the user,
// who should be warned that it is shared). Invitees see an Invitation
// with Continue set and Thread. It returns once everything is written;
// the room reflects the history to the OnMessage listeners (delay.Of
// reads each message's sender and time). A zero Stamp is an error: the
// history must say when. It needs the user in the room (ErrNotJoined);
// ctx bounds the writes.
func (r *Room) Continue(ctx context.Context, thread string, history []HistoryMessage, reason string, invitees ...jid.JID) error {
	if !r.Joined() {
		return fmt.Errorf("muc: continue a chat in %s: %w", r.jid, ErrNotJoined)
	}
	if len(invitees) == 0 {
		return fmt.Errorf("muc: continue a chat in %s: %w", r.jid, errors.New("nobody to invite"))
	}
	for _, h := range history {
		m := &stanza.Message{Type: stanza.Groupchat, Bodies: []stanza.Text{{Value: h.Body}}, Thread: stanza.Thread{ID: thread}}
		if err := delay.Add(m, delay.Delay{Stamp: h.Stamp, From: h.From}); err != nil {
			return fmt.Errorf("muc: continue a chat in %s: %w", r.jid, err)
		}
		if err := r.SendMessage(ctx, m); err != nil {
			return fmt.Errorf("muc: continue a chat in %s: %w", r.jid, err)
		}
	}
	// One message per invitee: the XEP's example puts all the invitations
	// in one, but Prosody passes on only the first of a message.
	for _, to := range invitees {
		inv := stanza.Node{Name: xml.Name{Space: NSUser, Local: "invite"},
			Attrs: []xml.Attr{{Name: xml.Name{Local: "to"}, Value: to.String()}}}
		if reason != "" {
			inv.Nodes = append(inv.Nodes, userText("reason", reason))
		}
		c := stanza.Node{Name: xml.Name{Space: NSUser, Local: "continue"}}
		if thread != "" {
			c.Attrs = []xml.Attr{{Name: xml.Name{Local: "thread"}, Value: thread}}
		}
		inv.Nodes = append(inv.Nodes, c)
		m := &stanza.Message{Extensions: []stanza.Node{{Name: xml.Name{Space: NSUser, Local: "x"}, Nodes: []stanza.Node{inv}}}}
		m.To = r.jid
		if err := r.c.Send(ctx, m); err != nil {
			return fmt.Errorf("muc: continue a chat in %s: invite %s: %w", r.jid, to, err)
		}
	}
	return nil
}
