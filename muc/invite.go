package muc

import (
	"context"
	"encoding/xml"
	"fmt"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NSConference is the namespace of direct invitations (XEP-0249).
const NSConference = "jabber:x:conference"

// Invitation is an invitation to a room received (Smack's
// InvitationListener): mediated by the room (XEP-0045 section 7.8.2;
// Direct false) or sent by the inviter straight to the user (XEP-0249;
// Direct true). From is the inviter as the invitation names it (zero when
// it does not), Password the room's password if the invitation carries
// one. Message is the message that carried it. Join the room with
// Client.Room(inv.Room).Join, or decline a mediated one with
// Client.Decline. Continue is set when the room continues a one-to-one
// chat (XEP-0045 section 7.9; Room.Continue), Thread then being that
// chat's thread ("" when it had none).
type Invitation struct {
	// Room is the room's bare JID: the sender of a mediated invitation,
	// the jid attribute of a direct one.
	Room jid.JID
	// From is the inviter: the from attribute of a mediated invitation's
	// <invite/>, the sender of a direct one.
	From jid.JID
	// Reason is the inviter's reason; "" when there is none.
	Reason string
	// Password is the room's password; "" when the invitation has none.
	Password string
	// Direct is true for a direct invitation, false for a mediated one.
	Direct bool
	// Continue is set by a <continue/> in a mediated invitation.
	Continue bool
	// Thread is the thread attribute of <continue/>; "" when absent.
	Thread string
	// Message is the message that carried the invitation.
	Message *stanza.Message
}

// OnInvitation registers f for the invitations the user receives, both
// kinds (Smack's InvitationListener). f runs on the connection's
// dispatcher, in the order the stanzas arrived, and may join the room
// there: Join waits on what the connection's reader collects for it, not
// on the dispatcher (the stanzas after the invitation wait meanwhile).
// The returned func removes f; it is safe to call more than once. A nil f
// panics.
func (m *Client) OnInvitation(f func(Invitation)) (remove func()) {
	mustListen("OnInvitation", f == nil)
	return m.onInvite.Add(f)
}

// Decline is a mediated invitation that the user sent and the invitee
// declined, as the room passes it back (XEP-0045 section 7.8.2; Smack's
// InvitationRejectionListener).
type Decline struct {
	// Room is the room's bare JID, the sender of the message.
	Room jid.JID
	// From is who declined, as the room names them; zero when it does
	// not.
	From jid.JID
	// Reason is the invitee's reason; "" when there is none.
	Reason string
	// Message is the message that carried the decline.
	Message *stanza.Message
}

// OnDecline registers f for every declined invitation the user had sent,
// whatever the room (Smack's addInvitationRejectionListener); Room.OnDecline
// hears those of one room. f runs on the connection's dispatcher, in the
// order the stanzas arrived. The returned func removes f; it is safe to
// call more than once. A nil f panics.
func (m *Client) OnDecline(f func(Decline)) (remove func()) {
	mustListen("OnDecline", f == nil)
	return m.onDecline.Add(f)
}

// Invite invites the user to into the room by way of the room (a mediated
// invitation, XEP-0045 section 7.8.2), with an optional reason. It returns
// once the message is written; a room that refuses (members-only room and
// the user no admin, say) answers with an error message, which is not
// reported.
func (r *Room) Invite(ctx context.Context, to jid.JID, reason string) error {
	inv := stanza.Node{Name: xml.Name{Space: NSUser, Local: "invite"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "to"}, Value: to.String()}}}
	if reason != "" {
		inv.Nodes = []stanza.Node{userText("reason", reason)}
	}
	m := &stanza.Message{Extensions: []stanza.Node{{Name: xml.Name{Space: NSUser, Local: "x"}, Nodes: []stanza.Node{inv}}}}
	m.To = r.jid
	if err := r.c.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: invite %s to %s: %w", to, r.jid, err)
	}
	return nil
}

// Decline declines a mediated invitation to room from inviter (XEP-0045
// section 7.8.2), with an optional reason; the room passes it on.
func (m *Client) Decline(ctx context.Context, room, inviter jid.JID, reason string) error {
	d := stanza.Node{Name: xml.Name{Space: NSUser, Local: "decline"}}
	if !inviter.IsZero() {
		d.Attrs = []xml.Attr{{Name: xml.Name{Local: "to"}, Value: inviter.String()}}
	}
	if reason != "" {
		d.Nodes = []stanza.Node{userText("reason", reason)}
	}
	msg := &stanza.Message{Extensions: []stanza.Node{{Name: xml.Name{Space: NSUser, Local: "x"}, Nodes: []stanza.Node{d}}}}
	msg.To = room.Bare()
	if err := m.c.Send(ctx, msg); err != nil {
		return fmt.Errorf("muc: decline invitation to %s: %w", room, err)
	}
	return nil
}

// InviteDirect invites to into room with a direct invitation (XEP-0249),
// with an optional reason and the room's password, if it has one.
func (m *Client) InviteDirect(ctx context.Context, to, room jid.JID, reason, password string) error {
	x := stanza.Node{Name: xml.Name{Space: NSConference, Local: "x"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: room.Bare().String()}}}
	if password != "" {
		x.Attrs = append(x.Attrs, xml.Attr{Name: xml.Name{Local: "password"}, Value: password})
	}
	if reason != "" {
		x.Attrs = append(x.Attrs, xml.Attr{Name: xml.Name{Local: "reason"}, Value: reason})
	}
	msg := &stanza.Message{Extensions: []stanza.Node{x}}
	msg.To = to
	if err := m.c.Send(ctx, msg); err != nil {
		return fmt.Errorf("muc: invite %s to %s: %w", to, room, err)
	}
	return nil
}

func userText(local, text string) stanza.Node {
	return stanza.Node{Name: xml.Name{Space: NSUser, Local: local}, Nodes: []stanza.Node{{Text: text}}}
}

// invitation is what an invitation or decline message carries.
type invitation struct {
	inv     *Invitation
	decline bool
	from    jid.JID
	reason  string
}

// parseInvitation reads a mediated invitation, a decline or a direct
// invitation from msg; ok is false when msg has none.
func parseInvitation(msg *stanza.Message) (invitation, bool) {
	if msg.Type == stanza.MessageError || msg.Type == stanza.Groupchat {
		return invitation{}, false
	}
	for i := range msg.Extensions {
		x := &msg.Extensions[i]
		if x.Name.Local != "x" {
			continue
		}
		switch x.Name.Space {
		case NSConference:
			room, err := jid.Parse(x.Attr("jid"))
			if err != nil || room.IsZero() {
				continue
			}
			return invitation{inv: &Invitation{Room: room.Bare(), From: msg.From, Reason: x.Attr("reason"),
				Password: x.Attr("password"), Direct: true, Message: msg}}, true
		case NSUser:
			if n := x.Child(NSUser, "invite"); n != nil {
				inv := &Invitation{Room: msg.From.Bare(), Message: msg}
				inv.From, _ = jid.Parse(n.Attr("from"))
				if r := n.Child(NSUser, "reason"); r != nil {
					inv.Reason = r.InnerText()
				}
				if p := x.Child(NSUser, "password"); p != nil {
					inv.Password = p.InnerText()
				}
				if c := n.Child(NSUser, "continue"); c != nil {
					inv.Continue, inv.Thread = true, c.Attr("thread")
				}
				return invitation{inv: inv}, true
			}
			if n := x.Child(NSUser, "decline"); n != nil {
				d := invitation{decline: true}
				d.from, _ = jid.Parse(n.Attr("from"))
				if r := n.Child(NSUser, "reason"); r != nil {
					d.reason = r.InnerText()
				}
				return d, true
			}
		}
	}
	return invitation{}, false
}

func isInvitation(s stanza.Stanza) bool {
	msg, ok := s.(*stanza.Message)
	if !ok {
		return false
	}
	_, ok = parseInvitation(msg)
	return ok
}

// invitation handles an invitation or decline message, on the dispatcher.
func (m *Client) invitation(msg *stanza.Message) {
	in, ok := parseInvitation(msg)
	if !ok {
		return
	}
	if in.decline {
		d := Decline{Room: msg.From.Bare(), From: in.from, Reason: in.reason, Message: msg}
		for f := range m.onDecline.All() {
			f(d)
		}
		if r := m.lookup(d.Room); r != nil {
			for f := range r.onDecline.All() {
				f(d)
			}
		}
		return
	}
	for f := range m.onInvite.All() {
		f(*in.inv)
	}
}
