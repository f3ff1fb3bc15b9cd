package muc

import (
	"context"
	"fmt"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NSRequest is the FORM_TYPE of voice requests and of their approval
// (XEP-0045 sections 7.13 and 8.6).
const NSRequest = "http://jabber.org/protocol/muc#request"

// Fields of the muc#request form.
const (
	FieldRole         = "muc#role"
	FieldJID          = "muc#jid"
	FieldRoomNick     = "muc#roomnick"
	FieldRequestAllow = "muc#request_allow"
)

// RequestVoice asks the room's moderators for voice (XEP-0045 section
// 7.13; Smack's MultiUserChat.requestVoice): a visitor of a moderated room
// sends a muc#request form asking for the participant role. It returns
// once the message is written; a moderator who approves makes the user a
// participant, which the OnSelf listeners hear (Changed, role visitor to
// participant). Nothing comes back when no one approves. A room that
// refuses the request answers with an error message, which is not
// reported. It needs the user in the room (ErrNotJoined); ctx bounds the
// write.
func (r *Room) RequestVoice(ctx context.Context) error {
	if !r.Joined() {
		return fmt.Errorf("muc: request voice in %s: %w", r.jid, ErrNotJoined)
	}
	f := dataform.New(dataform.TypeSubmit, NSRequest,
		dataform.Field{Var: FieldRole, Type: dataform.ListSingle, Label: "Requested role", Values: []string{string(RoleParticipant)}})
	m := &stanza.Message{}
	m.To = r.jid
	var err error
	if m.Extensions, err = stanza.AppendExtension(nil, &f); err != nil {
		return fmt.Errorf("muc: request voice in %s: %w", r.jid, err)
	}
	if err := r.c.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: request voice in %s: %w", r.jid, err)
	}
	return nil
}

// VoiceRequest is a visitor's request for voice as the room passes it to
// its moderators (XEP-0045 section 8.6): the room, the visitor's nickname
// and real JID (zero when the room does not give it), and the role asked
// for. Form is the approval form the room sent and Message the message
// that carried it. Answer it with Room.AnswerVoiceRequest.
type VoiceRequest struct {
	// Room is the bare JID of the room that passed the request on.
	Room jid.JID
	// Nick is the visitor's nickname, the form's muc#roomnick.
	Nick string
	// JID is the visitor's real JID, the form's muc#jid; zero when absent.
	JID jid.JID
	// Role is the role asked for, the form's muc#role; RoleParticipant
	// when the form leaves it out.
	Role Role
	// Form is the approval form the room sent.
	Form dataform.Form
	// Message is the message that carried the form.
	Message *stanza.Message
}

// OnVoiceRequest registers f for the voice requests that the rooms the
// user moderates pass on (XEP-0045 section 8.6): a message from a room
// the Client knows (see Client.Room) carrying a muc#request form to fill
// in. f runs on the connection's dispatcher, in the order the stanzas
// arrived, and may call AnswerVoiceRequest, which does not wait for the
// room. The returned func removes f; it is safe to call more than once.
// A nil f panics.
func (m *Client) OnVoiceRequest(f func(VoiceRequest)) (remove func()) {
	mustListen("OnVoiceRequest", f == nil)
	return m.onVoice.Add(f)
}

func (m *Client) isVoiceRequest(s stanza.Stanza) bool {
	msg, ok := s.(*stanza.Message)
	if !ok || m.lookup(msg.From) == nil {
		return false
	}
	_, ok = parseVoiceRequest(msg)
	return ok
}

// voiceRequest handles a voice request, on the dispatcher.
func (m *Client) voiceRequest(msg *stanza.Message) {
	req, ok := parseVoiceRequest(msg)
	if !ok {
		return
	}
	for f := range m.onVoice.All() {
		f(req)
	}
}

// parseVoiceRequest reads the approval form of a voice request from msg.
func parseVoiceRequest(msg *stanza.Message) (VoiceRequest, bool) {
	if msg.Type == stanza.MessageError || msg.Type == stanza.Groupchat {
		return VoiceRequest{}, false
	}
	var f dataform.Form
	if ok, err := stanza.FindExtension(msg.Extensions, &f); !ok || err != nil ||
		f.Type != dataform.TypeForm || f.FormType() != NSRequest {
		return VoiceRequest{}, false
	}
	req := VoiceRequest{Room: msg.From.Bare(), Nick: f.Value(FieldRoomNick), Role: Role(f.Value(FieldRole)),
		Form: f, Message: msg}
	if req.Role == "" {
		req.Role = RoleParticipant
	}
	req.JID, _ = f.JID(FieldJID)
	return req, true
}

// AnswerVoiceRequest answers a voice request that OnVoiceRequest reported
// (XEP-0045 section 8.6), as a moderator: it submits the room's form with
// muc#request_allow set to allow. It returns once the message is written.
// An approval makes the visitor a participant; the occupant listeners
// hear the change. A refusal changes nothing, and rooms tell no one
// (Prosody and ejabberd send nothing back either way). req must come
// from this room; ctx bounds the write.
func (r *Room) AnswerVoiceRequest(ctx context.Context, req VoiceRequest, allow bool) error {
	if req.Room != r.jid {
		return fmt.Errorf("muc: answer voice request in %s: the request is from %s", r.jid, req.Room)
	}
	a, err := req.Form.Answer()
	if err != nil {
		return fmt.Errorf("muc: answer voice request in %s: %w", r.jid, err)
	}
	if err := a.SetBool(FieldRequestAllow, allow); err != nil {
		return fmt.Errorf("muc: answer voice request in %s: %w", r.jid, err)
	}
	submit, err := a.Submit()
	if err != nil {
		return fmt.Errorf("muc: answer voice request in %s: %w", r.jid, err)
	}
	m := &stanza.Message{}
	m.To = r.jid
	if req.Message != nil {
		m.ID = req.Message.ID
	}
	if m.Extensions, err = stanza.AppendExtension(nil, &submit); err != nil {
		return fmt.Errorf("muc: answer voice request in %s: %w", r.jid, err)
	}
	if err := r.c.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: answer voice request in %s: %w", r.jid, err)
	}
	return nil
}
