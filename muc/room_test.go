package muc_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The exchanges follow XEP-0045's examples, with the room
// coven@chat.shakespeare.lit and the user hag66@shakespeare.lit/pda
// (nickname thirdwitch).
var (
	hag   = jid.MustParse("hag66@shakespeare.lit/pda")
	coven = jid.MustParse("coven@chat.shakespeare.lit")
)

// noHistory asks a room for no discussion history.
var noHistory = muc.JoinConfig{History: muc.History{None: true}}

func transcript(t *testing.T, name, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, name, s)
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

// end is the client's last step: the scripted server closes the stream
// when its transcript ends, which counts the user out of every room, so the
// test's checks run before the client sends it.
const end = "C: <message id='end' to='shakespeare.lit'/>\n"

// connect logs hag in to a server playing script, with a Client, and
// returns the coven Room.
func connect(t *testing.T, name, script string) (*xmpp.Conn, *muc.Room) {
	t.Helper()
	var room *muc.Room
	c := connectWith(t, name, script, func(c *xmpp.Conn) { room = muc.For(c).Room(coven) })
	return c, room
}

// enter is XEP-0045 examples 18, 21-23: the presence to the room, the
// other occupants' presences, then the user's own with status 110, and
// the subject (example 29).
const enter = `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' id='3DCB0401'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/secondwitch' to='hag66@shakespeare.lit/pda' id='C2CC10E1'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='admin' role='moderator' jid='wiccarocks@shakespeare.lit/laptop'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' id='n13mt3l'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x>
   </presence>
S: <message from='coven@chat.shakespeare.lit/secondwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='s1'>
     <subject>Fire Burn and Cauldron Bubble!</subject>
   </message>
`

func TestJoin(t *testing.T) {
	_, room := connect(t, "join", enter)
	subjects := make(chan string, 1)
	room.OnSubject(func(e muc.SubjectChange) { subjects <- e.Nick + ": " + e.Subject })
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	assert.True(t, room.Joined())
	assert.Equal(t, "thirdwitch", room.Nick())
	occ := room.Occupants()
	require.Len(t, occ, 3)
	assert.Equal(t, "firstwitch", occ[0].Nick)
	assert.Equal(t, muc.AffiliationOwner, occ[0].Affiliation)
	assert.Equal(t, muc.RoleModerator, occ[0].Role)
	assert.True(t, occ[0].JID.IsZero(), "not visible")
	assert.Equal(t, jid.MustParse("wiccarocks@shakespeare.lit/laptop"), occ[1].JID)
	assert.Equal(t, muc.RoleParticipant, occ[2].Role)
	assert.Equal(t, "secondwitch: Fire Burn and Cauldron Bubble!", <-subjects)
	assert.Equal(t, "Fire Burn and Cauldron Bubble!", room.Subject())
	assert.ErrorIs(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}), muc.ErrAlreadyJoined)
}

// TestJoinOptions: password (example 27) and history limits (examples
// 37-40) go into the <x/>.
func TestJoinOptions(t *testing.T) {
	_, room := connect(t, "join-options", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'>
     <x xmlns='http://jabber.org/protocol/muc'>
       <history maxchars='65000' maxstanzas='20' seconds='180' since='1970-01-01T00:00:00Z'/>
       <password>cauldronburn</password>
     </x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/><status code='110'/></x>
   </presence>
`)
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{Password: "cauldronburn",
		History: muc.History{MaxChars: 65000, MaxStanzas: 20, Seconds: 180, Since: jsEpoch}}))
}

// TestJoinErrors: each error presence of section 7.2 becomes its sentinel
// and keeps the stanza error.
func TestJoinErrors(t *testing.T) {
	for _, tc := range []struct {
		cond     string
		sentinel error
	}{
		{"conflict", muc.ErrNickInUse},
		{"registration-required", muc.ErrRegistrationRequired},
		{"forbidden", muc.ErrBanned},
		{"not-authorized", muc.ErrPassword},
		{"service-unavailable", muc.ErrRoomFull},
		{"item-not-found", muc.ErrRoomLocked},
		{"not-acceptable", muc.ErrNotAcceptable},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			_, room := connect(t, tc.cond, `
C: <presence id='{{id}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' id='{{id}}' type='error'>
     <x xmlns='http://jabber.org/protocol/muc'/>
     <error by='coven@chat.shakespeare.lit' type='cancel'><`+tc.cond+` xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </presence>
`)
			err := room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{})
			require.ErrorIs(t, err, tc.sentinel)
			var se *stanza.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, stanza.Condition(tc.cond), se.Condition)
			assert.False(t, room.Joined())
		})
	}
}

// TestJoinNickAssigned: the service changes the nickname (status 210,
// example 24).
func TestJoinNickAssigned(t *testing.T) {
	_, room := connect(t, "nick-assigned", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/><status code='210'/></x>
   </presence>
`)
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	assert.Equal(t, "oldhag", room.Nick())
}

// TestJoinContext: a room that does not answer leaves Join to its ctx.
func TestJoinContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, room := connect(t, "join-ctx", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
`)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second) // the room never answers
		defer cancel()
		err := room.Join(ctx, "thirdwitch", muc.JoinConfig{})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, room.Joined())
	})
}

// createdPresence is example 153: the room was created, the user is its
// owner.
const createdPresence = `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/><status code='201'/></x>
   </presence>
`

// TestCreateInstant: examples 153-155, an empty submission.
func TestCreateInstant(t *testing.T) {
	_, room := connect(t, "instant", createdPresence+`
C: <iq id='{{id}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{id}}' to='hag66@shakespeare.lit/pda' type='result'/>
`)
	require.NoError(t, room.Create(ctxT(t), "thirdwitch", nil, muc.JoinConfig{}))
	assert.True(t, room.Joined())
	o, ok := room.Occupant("thirdwitch")
	require.True(t, ok)
	assert.Equal(t, muc.AffiliationOwner, o.Affiliation)
}

// TestCreateExisting: no 201, so the room was there: ErrRoomExists, and
// the user is in it.
func TestCreateExisting(t *testing.T) {
	_, room := connect(t, "existing", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/><status code='110'/></x>
   </presence>
`)
	require.ErrorIs(t, room.Create(ctxT(t), "thirdwitch", nil, muc.JoinConfig{}), muc.ErrRoomExists)
	assert.True(t, room.Joined())
}

// configForm is a part of example 156's form.
const configForm = `
S: <iq from='coven@chat.shakespeare.lit' id='{{get}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/muc#owner'>
       <x xmlns='jabber:x:data' type='form'>
         <title>Configuration for "coven" Room</title>
         <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
         <field label='Natural-Language Room Name' type='text-single' var='muc#roomconfig_roomname'/>
         <field label='Make Room Persistent?' type='boolean' var='muc#roomconfig_persistentroom'><value>0</value></field>
         <field label='Make Room Members-Only?' type='boolean' var='muc#roomconfig_membersonly'><value>1</value></field>
         <field label='Allow Occupants to Invite Others?' type='boolean' var='muc#roomconfig_allowinvites'><value>0</value></field>
         <field label='Maximum Number of Occupants' type='list-single' var='muc#roomconfig_maxusers'>
           <value>10</value>
           <option label='10'><value>10</value></option>
           <option label='20'><value>20</value></option>
           <option label='30'><value>30</value></option>
         </field>
       </x>
     </query>
   </iq>
`

// TestCreateReserved: examples 155-158: the form is fetched, answered
// with the seed's choices, and submitted.
func TestCreateReserved(t *testing.T) {
	_, room := connect(t, "reserved", createdPresence+`
C: <iq id='{{get}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>
`+configForm+`
C: <iq id='{{set}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#owner'>
       <x xmlns='jabber:x:data' type='submit'>
         <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
         <field type='text-single' var='muc#roomconfig_roomname'><value>A Dark Cave</value></field>
         <field type='boolean' var='muc#roomconfig_persistentroom'><value>1</value></field>
         <field type='boolean' var='muc#roomconfig_membersonly'><value>0</value></field>
         <field type='boolean' var='muc#roomconfig_allowinvites'><value>1</value></field>
         <field type='list-single' var='muc#roomconfig_maxusers'><value>20</value></field>
       </x>
     </query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{set}}' to='hag66@shakespeare.lit/pda' type='result'/>
`)
	err := room.Create(ctxT(t), "thirdwitch", func(a *dataform.Answer) error {
		return errors.Join(
			a.Set("muc#roomconfig_roomname", "A Dark Cave"),
			a.SetBool("muc#roomconfig_persistentroom", true),
			a.SetBool("muc#roomconfig_membersonly", false),
			a.SetBool("muc#roomconfig_allowinvites", true),
			a.Set("muc#roomconfig_maxusers", "20"),
		)
	}, muc.JoinConfig{})
	require.NoError(t, err)
}

// TestCreateConfigurationFails: an error from the caller's function
// destroys the new room (neither Prosody nor ejabberd destroys it on a
// cancellation, as example 159 would have it); the Room counts the user
// out without an exit event and ignores the room's unavailable presence.
func TestCreateConfigurationFails(t *testing.T) {
	h := &heard{}
	var room *muc.Room
	var heardAll <-chan struct{}
	connectWith(t, "create-configuration-fails", createdPresence+`
C: <iq id='{{get}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>
`+configForm+`
C: <iq id='{{set}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>
   </iq>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/><destroy/><status code='110'/></x>
   </presence>
S: <iq from='coven@chat.shakespeare.lit' id='{{set}}' to='hag66@shakespeare.lit/pda' type='result'/>
`+marker, func(c *xmpp.Conn) {
		room = muc.For(c).Room(coven)
		room.OnExit(func(e muc.Exit) { h.note("exit %s", e.Reason) })
		heardAll = listenAll(h, c, room)
	})
	err := room.Create(ctxT(t), "thirdwitch", func(a *dataform.Answer) error {
		return a.Set("muc#roomconfig_maxusers", "25") // not an option
	}, muc.JoinConfig{})
	require.ErrorIs(t, err, dataform.ErrInvalidValue)
	assert.False(t, room.Joined())
	assert.Empty(t, room.Occupants())
	wait(t, "the marker", heardAll)
	assert.NotContains(t, h.get(), "exit destroyed")
	assert.False(t, room.Joined())
}

// TestConfigureCancel: on a room that exists, an error from the caller's
// function cancels the configuration (example 159), which the room keeps.
func TestConfigureCancel(t *testing.T) {
	_, room := connect(t, "configure-cancel", `
C: <iq id='{{get}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>
`+configForm+`
C: <iq id='{{set}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='cancel'/></query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{set}}' to='hag66@shakespeare.lit/pda' type='result'/>
`)
	err := room.Configure(ctxT(t), func(*dataform.Answer) error { return errors.New("changed my mind") })
	require.EqualError(t, err, "changed my mind")
}

// TestTalk: messages in and out (examples 48-50), a private message
// (example 47), a subject change (examples 78-79), an occupant's
// presence change, nickname change (examples 43-44) and leaving (example
// 75), a kick (example 115), then the user's own departure (example 78).
func TestTalk(t *testing.T) {
	_, room := connect(t, "talk", enter+`
C: <message id='{{*}}' to='coven@chat.shakespeare.lit' type='groupchat'><body>Harpier cries: 'tis time, 'tis time.</body></message>
S: <message from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='m1'><body>Harpier cries: 'tis time, 'tis time.</body></message>
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='m2'><body>Thrice the brinded cat hath mew'd.</body></message>
C: <message id='{{*}}' to='coven@chat.shakespeare.lit/firstwitch' type='chat'><body>I'll give thee a wind.</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='chat' id='m3'><body>Thou art kind.</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>
C: <message id='{{subj}}' to='coven@chat.shakespeare.lit' type='groupchat'><subject>Fire Burn and Cauldron Bubble!</subject></message>
S: <message from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='{{subj}}'><subject>Fire Burn and Cauldron Bubble!</subject></message>
S: <presence from='coven@chat.shakespeare.lit/wiccarocks' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/wiccarocks' to='hag66@shakespeare.lit/pda'>
     <show>away</show>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='visitor'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' nick='oldhag' role='moderator'/><status code='303'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/secondwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='admin' role='none'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/wiccarocks' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <item affiliation='none' role='none'><actor nick='oldhag'/><reason>Avaunt, you cullion!</reason></item>
       <status code='307'/>
     </x>
   </presence>
S: <message from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda' type='groupchat' id='marker'><body>marker</body></message>
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'/>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='none'/><status code='110'/></x>
   </presence>
`)
	var mu sync.Mutex
	var msgs, events []string
	marker := make(chan struct{})
	room.OnMessage(func(m *stanza.Message) {
		mu.Lock()
		defer mu.Unlock()
		msgs = append(msgs, string(m.Type)+" "+m.From.Resourcepart()+": "+m.Body(""))
		if m.ID == "marker" {
			close(marker)
		}
	})
	room.OnOccupant(func(e muc.OccupantEvent) {
		mu.Lock()
		defer mu.Unlock()
		s := e.Kind.String() + " " + e.Occupant.Nick + " " + string(e.Occupant.Role)
		if e.Old.Nick != "" {
			s += " was " + e.Old.Nick + " " + string(e.Old.Role)
		}
		if e.Actor != "" {
			s += " by " + e.Actor + ": " + e.Reason
		}
		events = append(events, s)
	})
	exits := make(chan muc.Exit, 1)
	room.OnExit(func(e muc.Exit) { exits <- e })

	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.Send(ctx, "Harpier cries: 'tis time, 'tis time."))
	require.NoError(t, room.SendPrivate(ctx, "firstwitch", "I'll give thee a wind."))
	require.NoError(t, room.SetSubject(ctx, "Fire Burn and Cauldron Bubble!"))
	<-marker
	nicks := func() (s []string) {
		for _, o := range room.Occupants() {
			s = append(s, o.Nick)
		}
		return s
	}
	assert.Equal(t, []string{"oldhag", "thirdwitch"}, nicks())
	require.NoError(t, room.Leave(ctx, ""))
	assert.False(t, room.Joined())
	assert.Empty(t, room.Occupants())
	assert.ErrorIs(t, room.Send(ctx, "x"), muc.ErrNotJoined)
	assert.ErrorIs(t, room.Leave(ctx, ""), muc.ErrNotJoined)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"groupchat thirdwitch: Harpier cries: 'tis time, 'tis time.",
		"groupchat firstwitch: Thrice the brinded cat hath mew'd.",
		"chat firstwitch: Thou art kind.",
		"groupchat oldhag: marker",
	}, msgs)
	assert.Equal(t, []string{
		"joined wiccarocks participant",
		"changed wiccarocks visitor was wiccarocks participant",
		"nick-changed oldhag moderator was firstwitch moderator",
		"left secondwitch moderator",
		"kicked wiccarocks visitor by oldhag: Avaunt, you cullion!",
	}, events)
	select {
	case e := <-exits:
		t.Errorf("leaving is no exit: %+v", e)
	default:
	}
}

// toOldhag is examples 43-44: the user changes nickname to oldhag.
const toOldhag = `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/oldhag'/>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' nick='oldhag' role='participant'/><status code='303'/><status code='110'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x>
   </presence>
`

// TestChangeNick: examples 43-44 for the user, then example 46's conflict.
func TestChangeNick(t *testing.T) {
	_, room := connect(t, "change-nick", enter+toOldhag+`
C: <presence id='{{id}}' to='coven@chat.shakespeare.lit/firstwitch'/>
S: <presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' id='{{id}}' type='error'>
     <x xmlns='http://jabber.org/protocol/muc'/>
     <error by='coven@chat.shakespeare.lit' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </presence>
`)
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.ChangeNick(ctx, "oldhag"))
	assert.Equal(t, "oldhag", room.Nick())
	_, ok := room.Occupant("thirdwitch")
	assert.False(t, ok)
	require.ErrorIs(t, room.ChangeNick(ctx, "firstwitch"), muc.ErrNickInUse)
	assert.Equal(t, "oldhag", room.Nick())
	assert.True(t, room.Joined())
}

// TestSubjectRefused: example 80, a participant may not change the subject.
func TestSubjectRefused(t *testing.T) {
	_, room := connect(t, "subject-refused", enter+`
C: <message id='{{subj}}' to='coven@chat.shakespeare.lit' type='groupchat'><subject>Fire Burn and Cauldron Bubble!</subject></message>
S: <message from='coven@chat.shakespeare.lit' to='hag66@shakespeare.lit/pda' type='error' id='{{subj}}'>
     <subject>Fire Burn and Cauldron Bubble!</subject>
     <error by='coven@chat.shakespeare.lit' type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </message>
`)
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	err := room.SetSubject(ctx, "Fire Burn and Cauldron Bubble!")
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden})
}

// TestExit: the user kicked (example 116), banned (example 120) or the
// room destroyed (example 201).
func TestExit(t *testing.T) {
	for _, tc := range []struct {
		name, x string
		want    muc.Exit
	}{
		{"kicked", `<item affiliation='none' role='none'><actor nick='Fluellen'/><reason>Avaunt, you cullion!</reason></item><status code='110'/><status code='307'/>`,
			muc.Exit{Reason: muc.ExitKicked, Actor: "Fluellen", Text: "Avaunt, you cullion!"}},
		{"banned", `<item affiliation='outcast' role='none'><actor nick='Fluellen'/><reason>Treason</reason></item><status code='110'/><status code='301'/>`,
			muc.Exit{Reason: muc.ExitBanned, Actor: "Fluellen", Text: "Treason"}},
		{"destroyed", `<item affiliation='none' role='none'/><destroy jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come.</reason></destroy>`,
			muc.Exit{Reason: muc.ExitDestroyed, Destroyed: &muc.Destroyed{Reason: "Macbeth doth come.", Alternate: coven}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, room := connect(t, tc.name, enter+`
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'>`+tc.x+`</x>
   </presence>
`)
			exits := make(chan muc.Exit, 1)
			room.OnExit(func(e muc.Exit) { exits <- e })
			require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
			select {
			case e := <-exits:
				assert.Equal(t, tc.want, e)
			case <-ctxT(t).Done():
				t.Fatal("no exit")
			}
			assert.False(t, room.Joined())
			assert.Empty(t, room.Occupants())
		})
	}
}

// TestDestroy: example 200, the owner destroys the room.
func TestDestroy(t *testing.T) {
	c, _ := connect(t, "destroy", `
C: <iq id='{{id}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#owner'>
       <destroy jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come.</reason></destroy>
     </query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{id}}' to='hag66@shakespeare.lit/pda' type='result'/>
`)
	room := muc.For(c).Room(coven)
	require.NoError(t, room.Destroy(ctxT(t), "Macbeth doth come.", coven))
}

var jsEpoch = mustTime("1970-01-01T00:00:00Z")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestJoinInWireOrder: Join applies the room's presences as the
// connection's reader collects them and returns with every occupant; the
// listeners then hear the same stanzas on the dispatcher, in the order the
// server sent them, the room's events among them (the subject between the
// user's own presence and the message after it), with no occupant event
// for those already in the room.
func TestJoinInWireOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var heard []string
		note := func(s string) {
			mu.Lock()
			heard = append(heard, s)
			mu.Unlock()
		}
		var room *muc.Room
		connectWith(t, "join-order", enter, func(c *xmpp.Conn) {
			room = muc.For(c).Room(coven)
			room.OnSubject(func(e muc.SubjectChange) { note("subject from " + e.Nick) })
			room.OnOccupant(func(e muc.OccupantEvent) { note(fmt.Sprintf("%s %s", e.Occupant.Nick, e.Kind)) })
			c.HandlePresence(nil, func(p *stanza.Presence) { note("presence " + p.From.Resourcepart()) })
			c.HandleMessage(nil, func(m *stanza.Message) { note("message " + m.ID) })
		})
		require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
		var nicks []string
		for _, o := range room.Occupants() {
			nicks = append(nicks, o.Nick)
		}
		assert.Equal(t, []string{"firstwitch", "secondwitch", "thirdwitch"}, nicks)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []string{
			"presence firstwitch",
			"presence secondwitch",
			"presence thirdwitch",
			"subject from secondwitch",
			"message s1",
		}, heard)
		assert.Len(t, room.Occupants(), 3, "the dispatcher applies nothing twice")
	})
}
