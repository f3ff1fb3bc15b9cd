package muc_test

import (
	"context"
	"testing"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectDisco logs hag in to a server playing script.
func connectDisco(t *testing.T, name, script string) *xmpp.Conn {
	t.Helper()
	c := xmpptest.NewConn(t, hag, transcript(t, name, script+end))
	require.NoError(t, c.Connect(ctxT(t)))
	t.Cleanup(func() {
		end := &stanza.Message{}
		end.To, end.ID = jid.MustParse("shakespeare.lit"), "end"
		assert.NoError(t, c.Send(context.Background(), end))
	})
	return c
}

// TestServices: XEP-0045 examples 1-2 and 3-4 (the chat service), with
// another item, a pubsub service, and one that answers with an error.
func TestServices(t *testing.T) {
	d := connectDisco(t, "services", `
C: <iq id='{{items}}' to='shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq from='shakespeare.lit' id='{{items}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items'>
       <item jid='pubsub.shakespeare.lit'/>
       <item jid='chat.shakespeare.lit'/>
       <item jid='gone.shakespeare.lit'/>
     </query>
   </iq>
C: <iq id='{{i1}}' to='pubsub.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='pubsub.shakespeare.lit' id='{{i1}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info'>
       <identity category='pubsub' type='service'/>
       <feature var='http://jabber.org/protocol/pubsub'/>
     </query>
   </iq>
C: <iq id='{{i2}}' to='chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='chat.shakespeare.lit' id='{{i2}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info'>
       <identity category='conference' name='Shakespearean Chat Service' type='text'/>
       <feature var='http://jabber.org/protocol/muc'/>
     </query>
   </iq>
C: <iq id='{{i3}}' to='gone.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='gone.shakespeare.lit' id='{{i3}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	services, err := muc.Services(ctxT(t), d, jid.MustParse("shakespeare.lit"))
	require.NoError(t, err)
	assert.Equal(t, []jid.JID{jid.MustParse("chat.shakespeare.lit")}, services)
}

// TestRooms: XEP-0045 examples 5-6.
func TestRooms(t *testing.T) {
	d := connectDisco(t, "rooms", `
C: <iq id='{{id}}' to='chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq from='chat.shakespeare.lit' id='{{id}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items'>
       <item jid='heath@chat.shakespeare.lit' name='A Lonely Heath'/>
       <item jid='coven@chat.shakespeare.lit' name='A Dark Cave'/>
     </query>
   </iq>
`)
	rooms, err := muc.Rooms(ctxT(t), d, jid.MustParse("chat.shakespeare.lit"))
	require.NoError(t, err)
	assert.Equal(t, []disco.Item{
		{JID: jid.MustParse("heath@chat.shakespeare.lit"), Name: "A Lonely Heath"},
		{JID: coven, Name: "A Dark Cave"},
	}, rooms)
}

// TestRoomInfo: XEP-0045 examples 9-10, the extended room information,
// then a room that does not exist.
func TestRoomInfo(t *testing.T) {
	d := connectDisco(t, "room-info", `
C: <iq id='{{id}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{id}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info'>
       <identity category='conference' name='A Dark Cave' type='text'/>
       <feature var='http://jabber.org/protocol/muc'/>
       <feature var='muc_passwordprotected'/>
       <feature var='muc_hidden'/>
       <feature var='muc_temporary'/>
       <feature var='muc_open'/>
       <feature var='muc_unmoderated'/>
       <feature var='muc_nonanonymous'/>
       <x xmlns='jabber:x:data' type='result'>
         <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field>
         <field var='muc#roominfo_description' label='Description'><value>The place for all good witches!</value></field>
         <field var='muc#roominfo_contactjid' label='Contact Addresses'><value>crone1@shakespeare.lit</value></field>
         <field var='muc#roominfo_subject' label='Current Discussion Topic'><value>Spells</value></field>
         <field var='muc#roominfo_subjectmod' type='boolean'><value>true</value></field>
         <field var='muc#roominfo_occupants' label='Number of occupants'><value>3</value></field>
         <field var='muc#roominfo_lang' label='Language of discussion'><value>en</value></field>
         <field var='muc#roominfo_logs' label='URL for discussion logs'><value>http://www.shakespeare.lit/chatlogs/coven/</value></field>
         <field var='muc#maxhistoryfetch'><value>50</value></field>
       </x>
     </query>
   </iq>
C: <iq id='{{id2}}' to='heath@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='heath@chat.shakespeare.lit' id='{{id2}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	info, err := muc.GetRoomInfo(ctxT(t), d, coven)
	require.NoError(t, err)
	assert.Equal(t, coven, info.Room)
	assert.Equal(t, "A Dark Cave", info.Name)
	assert.True(t, info.PasswordProtected)
	assert.True(t, info.NonAnonymous)
	assert.False(t, info.MembersOnly)
	assert.False(t, info.Moderated)
	assert.False(t, info.Persistent)
	assert.False(t, info.Public)
	assert.Equal(t, "The place for all good witches!", info.Description)
	assert.Equal(t, "Spells", info.Subject)
	assert.True(t, info.SubjectMod)
	assert.Equal(t, 3, info.Occupants)
	assert.Equal(t, []jid.JID{jid.MustParse("crone1@shakespeare.lit")}, info.ContactJIDs)
	assert.Equal(t, "en", info.Lang)
	assert.Equal(t, "http://www.shakespeare.lit/chatlogs/coven/", info.Logs)
	assert.Equal(t, 50, info.MaxHistoryFetch)
	require.NotNil(t, info.Form)
	assert.True(t, info.Info.HasFeature(muc.NS))

	_, err = muc.GetRoomInfo(ctxT(t), d, jid.MustParse("heath@chat.shakespeare.lit"))
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})
}

// TestRoomInfoBare: a room with features only (no form).
func TestRoomInfoBare(t *testing.T) {
	info := muc.ParseRoomInfo(coven, &disco.Info{
		Identities: []disco.Identity{{Category: "conference", Type: "text"}},
		Features:   []string{muc.NS, muc.FeatureMembersOnly, muc.FeatureModerated, muc.FeaturePersistent, muc.FeaturePublic},
	})
	assert.True(t, info.MembersOnly)
	assert.True(t, info.Moderated)
	assert.True(t, info.Persistent)
	assert.True(t, info.Public)
	assert.Equal(t, -1, info.Occupants)
	assert.Equal(t, -1, info.MaxHistoryFetch)
	assert.Nil(t, info.Form)
}
