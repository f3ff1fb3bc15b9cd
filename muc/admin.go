package muc

import (
	"context"
	"encoding/xml"
	"fmt"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Item is one entry of a room's role or affiliation list (XEP-0045
// sections 8.5, 9.3, 9.5, 9.7, 10.5, 10.8): who (JID, for affiliations;
// Nick, for roles and, where the room tells it, for affiliations too),
// their affiliation and role, and the reason recorded, if any.
type Item struct {
	// JID is the jid attribute: a bare JID in an affiliation list, the
	// occupant's full JID in a role list; zero when absent.
	JID jid.JID
	// Nick is the nick attribute, the nickname in the room; "" when absent.
	Nick string
	// Affiliation is the affiliation attribute; "" when absent.
	Affiliation Affiliation
	// Role is the role attribute; "" when absent.
	Role Role
	// Reason is the text of <reason/>; "" when there is none.
	Reason string
}

// adminItem builds an admin <item/>; at most one of nick and j is set.
func adminItem(nick string, j jid.JID, role Role, aff Affiliation, reason string) stanza.Node {
	it := stanza.Node{Name: xml.Name{Space: NSAdmin, Local: "item"}}
	if aff != "" {
		it.Attrs = append(it.Attrs, xml.Attr{Name: xml.Name{Local: "affiliation"}, Value: string(aff)})
	}
	if !j.IsZero() {
		it.Attrs = append(it.Attrs, xml.Attr{Name: xml.Name{Local: "jid"}, Value: j.String()})
	}
	if nick != "" {
		it.Attrs = append(it.Attrs, xml.Attr{Name: xml.Name{Local: "nick"}, Value: nick})
	}
	if role != "" {
		it.Attrs = append(it.Attrs, xml.Attr{Name: xml.Name{Local: "role"}, Value: string(role)})
	}
	if reason != "" {
		it.Nodes = []stanza.Node{{Name: xml.Name{Space: NSAdmin, Local: "reason"}, Nodes: []stanza.Node{{Text: reason}}}}
	}
	return it
}

// admin sends an admin query with one item as an IQ of type typ and
// returns the reply's query.
func (r *Room) admin(ctx context.Context, op string, typ stanza.IQType, it stanza.Node) (*stanza.Node, error) {
	q := stanza.Node{Name: xml.Name{Space: NSAdmin, Local: "query"}, Nodes: []stanza.Node{it}}
	iq := &stanza.IQ{Type: typ, Payload: &q}
	iq.To = r.jid
	reply, err := r.c.SendIQ(ctx, iq)
	if err != nil {
		return nil, fmt.Errorf("muc: %s in %s: %w", op, r.jid, err)
	}
	return reply.Payload, nil
}

// SetRole changes the role of the occupant nick (XEP-0045 section 8; the
// muc#admin namespace), with an optional reason. Kick, GrantVoice,
// RevokeVoice, GrantModerator and RevokeModerator are this with a fixed
// role. The room's refusal (not-allowed, forbidden, item-not-found,
// conflict) is its *stanza.Error.
func (r *Room) SetRole(ctx context.Context, nick string, role Role, reason string) error {
	_, err := r.admin(ctx, "set role "+string(role)+" of "+nick, stanza.Set, adminItem(nick, jid.JID{}, role, "", reason))
	return err
}

// SetAffiliation changes the affiliation of the user j (a bare JID;
// XEP-0045 sections 9 and 10, all in the muc#admin namespace as the
// current XEP has it), with an optional reason. Ban, GrantMembership,
// RevokeMembership, GrantAdmin, RevokeAdmin, GrantOwner and RevokeOwner are
// this with a fixed affiliation. The room's refusal is its *stanza.Error.
func (r *Room) SetAffiliation(ctx context.Context, j jid.JID, aff Affiliation, reason string) error {
	_, err := r.admin(ctx, "set affiliation "+string(aff)+" of "+j.String(), stanza.Set, adminItem("", j.Bare(), "", aff, reason))
	return err
}

// Kick removes the occupant nick from the room (role none; section 8.2).
func (r *Room) Kick(ctx context.Context, nick, reason string) error {
	return r.SetRole(ctx, nick, RoleNone, reason)
}

// GrantVoice makes the visitor nick a participant (section 8.3).
func (r *Room) GrantVoice(ctx context.Context, nick, reason string) error {
	return r.SetRole(ctx, nick, RoleParticipant, reason)
}

// RevokeVoice makes the participant nick a visitor (section 8.4).
func (r *Room) RevokeVoice(ctx context.Context, nick, reason string) error {
	return r.SetRole(ctx, nick, RoleVisitor, reason)
}

// GrantModerator makes the occupant nick a moderator (section 9.6).
func (r *Room) GrantModerator(ctx context.Context, nick, reason string) error {
	return r.SetRole(ctx, nick, RoleModerator, reason)
}

// RevokeModerator makes the moderator nick a participant (section 9.7).
func (r *Room) RevokeModerator(ctx context.Context, nick, reason string) error {
	return r.SetRole(ctx, nick, RoleParticipant, reason)
}

// Ban makes the user j an outcast (section 9.1), which removes them from
// the room and keeps them out.
func (r *Room) Ban(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationOutcast, reason)
}

// GrantMembership makes the user j a member (section 9.3); it also lifts
// a ban.
func (r *Room) GrantMembership(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationMember, reason)
}

// RevokeMembership takes the user j's affiliation away (none; section
// 9.4).
func (r *Room) RevokeMembership(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationNone, reason)
}

// GrantAdmin makes the user j an admin (section 10.6).
func (r *Room) GrantAdmin(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationAdmin, reason)
}

// RevokeAdmin makes the admin j a member (section 10.7).
func (r *Room) RevokeAdmin(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationMember, reason)
}

// GrantOwner makes the user j an owner (section 10.3).
func (r *Room) GrantOwner(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationOwner, reason)
}

// RevokeOwner makes the owner j an admin (section 10.4).
func (r *Room) RevokeOwner(ctx context.Context, j jid.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationAdmin, reason)
}

// list fetches the items with the given role or affiliation.
func (r *Room) list(ctx context.Context, role Role, aff Affiliation) ([]Item, error) {
	what := string(role) + string(aff)
	q, err := r.admin(ctx, "list "+what+"s", stanza.Get, adminItem("", jid.JID{}, role, aff, ""))
	if err != nil {
		return nil, err
	}
	var items []Item
	if q == nil {
		return items, nil
	}
	for _, n := range q.Nodes {
		if n.Name.Space != NSAdmin || n.Name.Local != "item" {
			continue
		}
		it := Item{Nick: n.Attr("nick"), Affiliation: Affiliation(n.Attr("affiliation")), Role: Role(n.Attr("role"))}
		if s := n.Attr("jid"); s != "" {
			j, err := jid.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("muc: list %ss in %s: item jid %q: %w", what, r.jid, s, err)
			}
			it.JID = j
		}
		if rn := n.Child(NSAdmin, "reason"); rn != nil {
			it.Reason = rn.InnerText()
		}
		items = append(items, it)
	}
	return items, nil
}

// Members fetches the member list (section 9.5); admins may.
func (r *Room) Members(ctx context.Context) ([]Item, error) {
	return r.list(ctx, "", AffiliationMember)
}

// Outcasts fetches the ban list (section 9.2).
func (r *Room) Outcasts(ctx context.Context) ([]Item, error) {
	return r.list(ctx, "", AffiliationOutcast)
}

// Admins fetches the admin list (section 10.8); owners may.
func (r *Room) Admins(ctx context.Context) ([]Item, error) {
	return r.list(ctx, "", AffiliationAdmin)
}

// Owners fetches the owner list (section 10.5).
func (r *Room) Owners(ctx context.Context) ([]Item, error) {
	return r.list(ctx, "", AffiliationOwner)
}

// Moderators fetches the moderator list (section 9.8).
func (r *Room) Moderators(ctx context.Context) ([]Item, error) {
	return r.list(ctx, RoleModerator, "")
}

// Participants fetches the occupants with voice (section 8.5); moderators
// may.
func (r *Room) Participants(ctx context.Context) ([]Item, error) {
	return r.list(ctx, RoleParticipant, "")
}
