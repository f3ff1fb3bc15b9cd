package muc

import (
	"encoding/xml"
	"slices"
	"strconv"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzUserPresence reads a room's presences (XEP-0045) in turn as the
// connection routes them, to a Client whose Room coven@chat.shakespeare.lit
// is being joined as thirdwitch. For each presence, parseUserX agrees with
// encoding/xml on the first <x xmlns='http://jabber.org/protocol/muc#user'/>
// (its status codes, the first item's nick, role, affiliation, valid jid,
// actor and reason, the last destroy), and with StatusCodes. After each,
// the room is consistent: every occupant is listed under its own nick, a
// valid resourcepart of the room's address in canonical form; a joined
// room knows the user's nick; the listeners hear known kinds of events,
// and only about a room the user is in.
func FuzzUserPresence(f *testing.F) {
	const (
		first  = `<presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>`
		joined = `<presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='hag66@shakespeare.lit/pda' role='participant'/><status code='100'/><status code='110'/><status code='210'/></x></presence>`
	)
	// XEP-0045 examples 21-23, 50-51, 58-59, 90, 116, 134 and 206.
	wiretest.Seed(f,
		first+joined,
		first+joined+`<presence from='coven@chat.shakespeare.lit/firstwitch' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' nick='oldhag' role='moderator'/><status code='303'/></x></presence><presence from='coven@chat.shakespeare.lit/oldhag'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>`,
		first+joined+`<presence from='coven@chat.shakespeare.lit/firstwitch' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'><actor nick='Fluellen'/><reason>Avaunt, you cullion!</reason></item><status code='307'/></x></presence>`,
		first+joined+`<presence from='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='outcast' role='none'><actor nick='The &#x265A;'/><reason>Treason</reason></item><status code='110'/><status code='301'/></x></presence>`,
		first+joined+`<presence from='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/><destroy jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come.</reason></destroy><status code='110'/></x></presence>`,
		first+joined+`<presence from='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='hag66@shakespeare.lit/pda' role='none'/><status code='110'/><status code='303'/></x></presence>`,
		first+`<presence from='coven@chat.shakespeare.lit/thirdwitch' type='error'><x xmlns='http://jabber.org/protocol/muc'/><error by='coven@chat.shakespeare.lit' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`,
		first+joined+`<presence from='coven@chat.shakespeare.lit/firstwitch' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item nick='old&#xA0;hag'/><status code='303'/></x></presence>`,
		joined+`<presence from='coven@chat.shakespeare.lit/secondwitch'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='admin' jid='wiccarocks@shakespeare.lit/laptop' role='moderator'/><item affiliation='none' role='visitor'><actor jid='x@y'/></item></x></presence>`,
	)
	room := jid.MustParse("coven@chat.shakespeare.lit")
	f.Fuzz(func(t *testing.T, data []byte) {
		m := &Client{rooms: map[jid.JID]*Room{}}
		r := m.Room(room)
		r.wait = &waiter{kind: opJoin, nick: "thirdwitch", done: make(chan result, 1)}
		var events []EventKind
		r.OnOccupant(func(e OccupantEvent) { events = append(events, e.Kind) })
		r.OnSelf(func(e OccupantEvent) { events = append(events, e.Kind) })
		r.OnExit(func(e Exit) {
			if e.Reason < ExitKicked || e.Reason > ExitDropped {
				t.Fatalf("exit %v", e.Reason)
			}
		})
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, derr error) bool {
			p, ok := st.(*stanza.Presence)
			if !ok || derr != nil {
				return true // the connection drops malformed stanzas
			}
			checkUserX(t, el.Raw, p)
			wasJoined := r.Joined()
			events = events[:0]
			m.presence(p)
			checkRoom(t, r)
			for _, k := range events {
				if k < Joined || k > Banned || !wasJoined && !r.Joined() {
					t.Fatalf("event %v, the room joined %v then %v", k, wasJoined, r.Joined())
				}
			}
			return true
		})
	})
}

// checkUserX compares parseUserX and StatusCodes with encoding/xml's
// reading of the presence.
func checkUserX(t *testing.T, raw string, p *stanza.Presence) {
	t.Helper()
	ref, err := wiretest.Reference(raw)
	if err != nil {
		return
	}
	got := parseUserX(p.Extensions)
	var want userX
	for i := range ref.Nodes {
		if x := &ref.Nodes[i]; x.XMLName.Space == NSUser && x.XMLName.Local == "x" {
			want = referenceUserX(x)
			break
		}
	}
	codes := StatusCodes(p)
	keys := make([]int, 0, len(got.codes))
	for c := range got.codes {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, codes) || got.present != want.present || !equalCodes(got.codes, want.codes) ||
		got.nick != want.nick || got.jid != want.jid || got.role != want.role || got.affiliation != want.affiliation ||
		got.actor != want.actor || got.reason != want.reason || (got.destroy == nil) != (want.destroy == nil) ||
		got.destroy != nil && *got.destroy != *want.destroy {
		t.Fatalf("%s\nparseUserX: %+v (StatusCodes %v)\nreference:  %+v", raw, got, codes, want)
	}
}

func equalCodes(a, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for c := range a {
		if !b[c] {
			return false
		}
	}
	return true
}

// referenceUserX reads <x/> from encoding/xml's tree.
func referenceUserX(x *wiretest.XMLNode) userX {
	u := userX{present: true, codes: map[int]bool{}}
	item := false
	for i := range x.Nodes {
		n := &x.Nodes[i]
		if n.XMLName.Space != NSUser {
			continue
		}
		switch n.XMLName.Local {
		case "status":
			if c, err := strconv.Atoi(n.Attr("code")); err == nil {
				u.codes[c] = true
			}
		case "item":
			if item {
				continue
			}
			item = true
			u.nick, u.role, u.affiliation = n.Attr("nick"), Role(n.Attr("role")), Affiliation(n.Attr("affiliation"))
			u.jid, _ = jid.Parse(n.Attr("jid"))
			if a := child(n, "actor"); a != nil {
				u.actor = a.Attr("nick")
				if u.actor == "" {
					u.actor = a.Attr("jid")
				}
			}
			if r := child(n, "reason"); r != nil {
				u.reason = r.Text
			}
		case "destroy":
			u.destroy = &Destroyed{}
			u.destroy.Alternate, _ = jid.Parse(n.Attr("jid"))
			if r := child(n, "reason"); r != nil {
				u.destroy.Reason = r.Text
			}
		}
	}
	return u
}

func child(n *wiretest.XMLNode, local string) *wiretest.XMLNode {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Space == NSUser && n.Nodes[i].XMLName.Local == local {
			return &n.Nodes[i]
		}
	}
	return nil
}

// checkRoom checks what the room's state must hold.
func checkRoom(t *testing.T, r *Room) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for nick, o := range r.occupants {
		full, err := r.jid.WithResource(nick)
		if o.Nick != nick || err != nil || full.Resourcepart() != nick {
			t.Fatalf("occupant %+v listed under %q (%v)", o, nick, err)
		}
	}
	for nick := range r.renamed {
		if _, ok := r.occupants[nick]; !ok {
			t.Fatalf("%q renamed, but no occupant", nick)
		}
	}
	if r.joined && r.nick == "" {
		t.Fatal("joined without a nick")
	}
}

// FuzzInvitationMessages reads messages as the Client's listeners get
// them and checks what parseInvitation and parseVoiceRequest make of
// them: the kind of invitation (direct, mediated, decline or none) is
// that of the first <x/> that carries one as encoding/xml reads the
// message (XEP-0249, XEP-0045 sections 7.8.1 and 7.8.2); a direct one
// names a room as a valid bare JID, a mediated one the room it came from;
// group chat and error messages are neither; a voice request comes from a
// room, with a muc#request form and a role.
func FuzzInvitationMessages(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0249 example 1; XEP-0045 examples 57, 58 and 60; 133.
		`<message from='crone1@shakespeare.lit/desktop' to='hecate@shakespeare.lit'><x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit' password='cauldronburn' reason='Hey Hecate, this is the place for all good witches!'/></message>`,
		`<message from='coven@chat.shakespeare.lit' id='nzd143v8' to='hecate@shakespeare.lit'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='crone1@shakespeare.lit/desktop'><reason>Hey Hecate, this is the place for all good witches!</reason><continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></invite><password>cauldronburn</password></x></message>`,
		`<message from='coven@chat.shakespeare.lit' id='jk2vs61v' to='crone1@shakespeare.lit/desktop'><x xmlns='http://jabber.org/protocol/muc#user'><decline from='hecate@shakespeare.lit'><reason>Sorry, I'm too busy right now.</reason></decline></x></message>`,
		`<message from='coven@chat.shakespeare.lit' to='crone1@shakespeare.lit/desktop'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role' type='list-single'><value>participant</value></field><field var='muc#jid' type='jid-single'><value>hag66@shakespeare.lit/pda</value></field><field var='muc#roomnick' type='text-single'><value>thirdwitch</value></field><field var='muc#request_allow' type='boolean'><value>false</value></field></x></message>`,
		`<message from='coven@chat.shakespeare.lit' type='groupchat'><x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit'/></message>`,
		`<message from='x@y'><x xmlns='jabber:x:conference' jid='bad@@'/><x xmlns='http://jabber.org/protocol/muc#user'><status code='100'/></x><x xmlns='jabber:x:conference' jid='room@service/res'/></message>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, derr error) bool {
			msg, ok := st.(*stanza.Message)
			if !ok || derr != nil {
				return true // the connection drops malformed stanzas
			}
			in, ok := parseInvitation(msg)
			if isInvitation(msg) != ok {
				t.Fatalf("isInvitation disagrees with parseInvitation")
			}
			kind := "none"
			switch {
			case ok && in.decline:
				kind = "decline"
				if in.inv != nil {
					t.Fatalf("a decline with an invitation: %+v", in)
				}
			case ok && in.inv.Direct:
				kind = "direct"
				if in.inv.Room.IsZero() || in.inv.Room != in.inv.Room.Bare() {
					t.Fatalf("direct invitation to %q", in.inv.Room)
				}
			case ok:
				kind = "mediated"
				if in.inv.Room != msg.From.Bare() {
					t.Fatalf("mediated invitation to %q from %q", in.inv.Room, msg.From)
				}
			}
			if ok && in.inv != nil && in.inv.Message != msg {
				t.Fatal("the invitation does not keep its message")
			}
			if ref, err := wiretest.Reference(el.Raw); err == nil {
				if want := referenceInvitation(ref, msg.Type); kind != want {
					t.Fatalf("%s\nparseInvitation: %s\nreference:       %s", el.Raw, kind, want)
				}
			}
			if req, ok := parseVoiceRequest(msg); ok {
				if msg.Type == stanza.MessageError || msg.Type == stanza.Groupchat || req.Role == "" ||
					req.Room != msg.From.Bare() || req.Form.FormType() != NSRequest {
					t.Fatalf("voice request %+v from %s", req, el.Raw)
				}
			}
			return true
		})
	})
}

// referenceInvitation says which kind of invitation encoding/xml's
// reading of a message of type typ carries.
func referenceInvitation(msg *wiretest.XMLNode, typ stanza.MessageType) string {
	if typ == stanza.MessageError || typ == stanza.Groupchat {
		return "none"
	}
	for i := range msg.Nodes {
		x := &msg.Nodes[i]
		if x.XMLName.Local != "x" {
			continue
		}
		switch x.XMLName.Space {
		case NSConference:
			if j, err := jid.Parse(x.Attr("jid")); err == nil && !j.IsZero() {
				return "direct"
			}
		case NSUser:
			for _, k := range []string{"invite", "decline"} {
				for c := range x.Nodes {
					if x.Nodes[c].XMLName == (xml.Name{Space: NSUser, Local: k}) {
						if k == "invite" {
							return "mediated"
						}
						return "decline"
					}
				}
			}
		}
	}
	return "none"
}
