package muc_test

import (
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adminSet is an admin IQ set to coven carrying item, answered with a
// result.
func adminSet(id, item string) string {
	return `
C: <iq id='{{` + id + `}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#admin'>` + item + `</query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{` + id + `}}' to='hag66@shakespeare.lit/pda' type='result'/>
`
}

// TestModeration: kick (example 110), grant and revoke voice (examples
// 96, 103), grant and revoke moderator (examples 149, 152), each answered
// with a result (examples 111, 97).
func TestModeration(t *testing.T) {
	_, room := connect(t, "moderation",
		adminSet("kick", `<item nick='pistol' role='none'><reason>Avaunt, you cullion!</reason></item>`)+
			adminSet("voice", `<item nick='thirdwitch' role='participant'><reason>A worthy witch indeed!</reason></item>`)+
			adminSet("devoice", `<item nick='thirdwitch' role='visitor'><reason>Not so worthy after all!</reason></item>`)+
			adminSet("mod", `<item nick='thirdwitch' role='moderator'><reason>A worthy witch indeed!</reason></item>`)+
			adminSet("unmod", `<item nick='thirdwitch' role='participant'/>`))
	ctx := ctxT(t)
	require.NoError(t, room.Kick(ctx, "pistol", "Avaunt, you cullion!"))
	require.NoError(t, room.GrantVoice(ctx, "thirdwitch", "A worthy witch indeed!"))
	require.NoError(t, room.RevokeVoice(ctx, "thirdwitch", "Not so worthy after all!"))
	require.NoError(t, room.GrantModerator(ctx, "thirdwitch", "A worthy witch indeed!"))
	require.NoError(t, room.RevokeModerator(ctx, "thirdwitch", ""))
}

// TestKickRefused: example 113, a moderator may not kick an admin.
func TestKickRefused(t *testing.T) {
	_, room := connect(t, "kick-refused", `
C: <iq id='{{id}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#admin'><item nick='firstwitch' role='none'/></query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{id}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	err := room.Kick(ctxT(t), "firstwitch", "")
	var se *stanza.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, stanza.NotAllowed, se.Condition)
}

// TestAffiliations: ban (example 118), grant membership (example 125),
// revoke membership (example 131), grant and revoke admin (examples 182,
// 186) and owner (examples 171, 175); all in muc#admin.
func TestAffiliations(t *testing.T) {
	_, room := connect(t, "affiliations",
		adminSet("ban", `<item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'><reason>Treason</reason></item>`)+
			adminSet("member", `<item affiliation='member' jid='hag66@shakespeare.lit'><reason>A worthy witch indeed!</reason></item>`)+
			adminSet("unmember", `<item affiliation='none' jid='hag66@shakespeare.lit'><reason>Not so worthy after all!</reason></item>`)+
			adminSet("admin", `<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>`)+
			adminSet("unadmin", `<item affiliation='member' jid='wiccarocks@shakespeare.lit'/>`)+
			adminSet("owner", `<item affiliation='owner' jid='hecate@shakespeare.lit'><reason>A worthy witch indeed!</reason></item>`)+
			adminSet("unowner", `<item affiliation='admin' jid='hecate@shakespeare.lit'/>`))
	ctx := ctxT(t)
	require.NoError(t, room.Ban(ctx, jid.MustParse("earlofcambridge@shakespeare.lit"), "Treason"))
	// A full JID is reduced to the bare one.
	require.NoError(t, room.GrantMembership(ctx, hag, "A worthy witch indeed!"))
	require.NoError(t, room.RevokeMembership(ctx, hag.Bare(), "Not so worthy after all!"))
	wicca := jid.MustParse("wiccarocks@shakespeare.lit")
	require.NoError(t, room.GrantAdmin(ctx, wicca, ""))
	require.NoError(t, room.RevokeAdmin(ctx, wicca, ""))
	hecate := jid.MustParse("hecate@shakespeare.lit")
	require.NoError(t, room.GrantOwner(ctx, hecate, "A worthy witch indeed!"))
	require.NoError(t, room.RevokeOwner(ctx, hecate, ""))
}

// TestLists: the member list (examples 128-129), the moderator list
// (examples 144-145), and a refusal (example 130's forbidden).
func TestLists(t *testing.T) {
	_, room := connect(t, "lists", `
C: <iq id='{{m}}' to='coven@chat.shakespeare.lit' type='get'>
     <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{m}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/muc#admin'>
       <item affiliation='member' jid='hag66@shakespeare.lit' nick='thirdwitch' role='participant'/>
       <item affiliation='member' jid='hecate@shakespeare.lit'><reason>A worthy witch indeed!</reason></item>
     </query>
   </iq>
C: <iq id='{{mod}}' to='coven@chat.shakespeare.lit' type='get'>
     <query xmlns='http://jabber.org/protocol/muc#admin'><item role='moderator'/></query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{mod}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/muc#admin'>
       <item affiliation='admin' jid='wiccarocks@shakespeare.lit/laptop' nick='secondwitch' role='moderator'/>
     </query>
   </iq>
C: <iq id='{{o}}' to='coven@chat.shakespeare.lit' type='get'>
     <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{o}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	ctx := ctxT(t)
	members, err := room.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, []muc.Item{
		{JID: hag.Bare(), Nick: "thirdwitch", Affiliation: muc.AffiliationMember, Role: muc.RoleParticipant},
		{JID: jid.MustParse("hecate@shakespeare.lit"), Affiliation: muc.AffiliationMember, Reason: "A worthy witch indeed!"},
	}, members)
	mods, err := room.Moderators(ctx)
	require.NoError(t, err)
	assert.Equal(t, []muc.Item{{JID: jid.MustParse("wiccarocks@shakespeare.lit/laptop"), Nick: "secondwitch",
		Affiliation: muc.AffiliationAdmin, Role: muc.RoleModerator}}, mods)
	_, err = room.Outcasts(ctx)
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden})
}

// TestSelfChange: the user's voice is revoked (example 104's presence, as
// the user receives it), heard by OnSelf; other changes are not.
func TestSelfChange(t *testing.T) {
	_, room := connect(t, "self", enter+`
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <item affiliation='member' nick='thirdwitch' role='visitor'><reason>Not so worthy after all!</reason></item>
       <status code='110'/>
     </x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda'>
     <show>away</show>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <show>away</show>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='visitor'/><status code='110'/></x>
   </presence>
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='marker'><body>marker</body></message>
`)
	selves := make(chan muc.OccupantEvent, 4)
	room.OnSelf(func(e muc.OccupantEvent) { selves <- e })
	marker := make(chan struct{})
	room.OnMessage(func(m *stanza.Message) {
		if m.ID == "marker" {
			close(marker)
		}
	})
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	<-marker
	require.Len(t, selves, 1, "only the role change, not the others' or the show")
	e := <-selves
	assert.Equal(t, muc.Changed, e.Kind)
	assert.Equal(t, muc.RoleParticipant, e.Old.Role)
	assert.Equal(t, muc.RoleVisitor, e.Occupant.Role)
	assert.Equal(t, "thirdwitch", e.Occupant.Nick)
}
