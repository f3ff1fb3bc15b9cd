package muc

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NSRegisterForm is the FORM_TYPE of the form for registering with a room
// (XEP-0045 section 7.10).
const NSRegisterForm = "http://jabber.org/protocol/muc#register"

// Fields of the muc#register form that this package names.
const (
	FieldRegisterRoomNick = "muc#register_roomnick"
	FieldRegisterFirst    = "muc#register_first"
	FieldRegisterLast     = "muc#register_last"
)

// NodeReservedNick is the disco#info node of a room that tells the user's
// reserved nickname (XEP-0045 section 7.12).
const NodeReservedNick = "x-roomuser-item"

// ErrRegistered: Register found the user registered with the room already.
var ErrRegistered = errors.New("muc: already registered with the room")

// Registration is what a room answers to a request for its registration
// requirements (XEP-0045 section 7.10): either that the user is registered
// (Registered, with the registered nickname as Nick when the room tells
// it) or the form to fill in (Form) and the room's Instructions.
type Registration struct {
	// Registered is set by <registered/>: the user is registered already.
	Registered bool
	// Nick is the text of <username/>, the registered nickname; "" when
	// the room does not tell it.
	Nick string
	// Instructions is the text of <instructions/>; "" when absent.
	Instructions string
	Form         *dataform.Form // nil when the room sent none
}

var registerName = xml.Name{Space: xmpp.NSRegister, Local: "query"}

// RegistrationForm asks the room what registering with it takes (Smack's
// MultiUserChat.getRegistrationForm). The room's refusal is its
// *stanza.Error: item-not-found (no such room), not-allowed or
// registration-required (the user may not register; Prosody lets only
// users with an affiliation register), service-unavailable (the room does
// not do registration). ctx bounds the request, as in xmpp.Conn.SendIQ.
// The user need not be in the room.
func (r *Room) RegistrationForm(ctx context.Context) (*Registration, error) {
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: registerName}}
	iq.To = r.jid
	reply, err := r.c.SendIQ(ctx, iq)
	if err != nil {
		return nil, fmt.Errorf("muc: registration form of %s: %w", r.jid, err)
	}
	reg := &Registration{}
	if reply.Payload == nil || reply.Payload.Name != registerName {
		return nil, fmt.Errorf("muc: registration form of %s: no query: %w", r.jid, dataform.ErrMalformed)
	}
	q := reply.Payload
	reg.Registered = q.Child(xmpp.NSRegister, "registered") != nil
	if u := q.Child(xmpp.NSRegister, "username"); u != nil {
		reg.Nick = u.InnerText()
	}
	if in := q.Child(xmpp.NSRegister, "instructions"); in != nil {
		reg.Instructions = in.InnerText()
	}
	var f dataform.Form
	ok, err := stanza.FindExtension(q.Nodes, &f)
	if err != nil {
		return nil, fmt.Errorf("muc: registration form of %s: %w", r.jid, err)
	}
	if ok {
		reg.Form = &f
	}
	return reg, nil
}

// Register registers the user with the room (XEP-0045 section 7.10;
// Smack's getRegistrationForm, then sendRegistrationForm), which makes the
// user a member with a reserved nickname, or asks the room's admins to.
// It fetches the form, lets fill answer it (starting from the form's
// defaults; muc#register_roomnick is the nickname to reserve) and submits
// the answer. An error from fill is returned and nothing is sent.
//
// A user registered already gets an error matching ErrRegistered, with
// the nickname. A room that sends no form is dataform.ErrMalformed. The
// room's refusal of the submission is its *stanza.Error; for conflict
// (the nickname is someone else's) the error matches ErrNickInUse too.
// When the user is in the room, the presence that announces the new
// affiliation reaches the OnSelf listeners. ctx bounds the whole exchange.
func (r *Room) Register(ctx context.Context, fill func(*dataform.Answer) error) error {
	reg, err := r.RegistrationForm(ctx)
	if err != nil {
		return err
	}
	if reg.Registered {
		return fmt.Errorf("muc: register with %s: %w as %q", r.jid, ErrRegistered, reg.Nick)
	}
	if reg.Form == nil {
		return fmt.Errorf("muc: register with %s: the room sent no form: %w", r.jid, dataform.ErrMalformed)
	}
	a, err := reg.Form.Answer()
	if err != nil {
		return fmt.Errorf("muc: register with %s: %w", r.jid, err)
	}
	if err := fill(a); err != nil {
		return err
	}
	submit, err := a.Submit()
	if err != nil {
		return fmt.Errorf("muc: register with %s: %w", r.jid, err)
	}
	q := stanza.Node{Name: registerName}
	if q.Nodes, err = stanza.AppendExtension(nil, &submit); err != nil {
		return fmt.Errorf("muc: register with %s: %w", r.jid, err)
	}
	iq := &stanza.IQ{Type: stanza.Set, Payload: &q}
	iq.To = r.jid
	if _, err := r.c.SendIQ(ctx, iq); err != nil {
		var se *stanza.Error
		if errors.As(err, &se) && se.Condition == stanza.Conflict {
			return fmt.Errorf("muc: register with %s: %w: %w", r.jid, ErrNickInUse, se)
		}
		return fmt.Errorf("muc: register with %s: %w", r.jid, err)
	}
	return nil
}

// ReservedNick asks the room for the user's reserved nickname (XEP-0045
// section 7.12; Smack's MultiUserChat.getReservedNickname), which a client
// should do before Join: the nickname of the room's conference identity
// on the node x-roomuser-item, "" when the user has none. A room that
// does not support the node answers feature-not-implemented, which is
// returned as its *stanza.Error. ctx bounds the request, as in
// xmpp.Conn.SendIQ; the user need not be in the room.
func (r *Room) ReservedNick(ctx context.Context) (string, error) {
	q := stanza.Node{Name: xml.Name{Space: disco.NSInfo, Local: "query"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: NodeReservedNick}}}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &q}
	iq.To = r.jid
	reply, err := r.c.SendIQ(ctx, iq)
	if err != nil {
		return "", fmt.Errorf("muc: reserved nickname in %s: %w", r.jid, err)
	}
	if reply.Payload == nil {
		return "", nil // an empty result: no reserved nickname
	}
	var info disco.Info
	if err := info.UnmarshalNode(*reply.Payload); err != nil {
		return "", fmt.Errorf("muc: reserved nickname in %s: %w", r.jid, err)
	}
	for _, id := range info.Identities {
		if id.Name != "" && id.Category == "conference" {
			return id.Name, nil
		}
	}
	for _, id := range info.Identities {
		if id.Name != "" {
			return id.Name, nil
		}
	}
	return "", nil
}
