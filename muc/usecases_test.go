package muc_test

// The XEP-0045 use cases and the transcript tests that play them (the
// entity and occupant use cases, room creation and configuration, and the
// moderator's side of voice requests). The wire is the XEP's examples,
// adapted to the user hag66@shakespeare.lit/pda (thirdwitch) in
// coven@chat.shakespeare.lit. Tests outside this file are named with
// theirs.
//
//	section   use case                                      API                                   test
//	6.1       Discovering a MUC Service                     Services                              TestServices (discovery_test.go)
//	6.2       Discovering the Features of a MUC Service     Services (disco#info of each item)    TestServices (discovery_test.go)
//	6.3       Discovering Rooms                             Rooms                                 TestRooms (discovery_test.go)
//	6.4       Querying for Room Information                 GetRoomInfo, RoomInfo                 TestRoomInfo (discovery_test.go)
//	6.5       Querying for Room Items                       RoomItems                             TestRoomItems
//	6.6       Querying a Room Occupant                      disco.For(c).Info (bad-request)       TestQueryOccupant
//	6.7       Discovering Client Support for MUC            Supports, JoinedRooms,                TestClientSupport,
//	                                                        Client.AnswerJoinedRooms              TestAnswerJoinedRooms, TestAnswerJoinedRoomsPrivate
//	7.1       Order of Events                               Room.Join, OnMessage, OnSubject       TestJoin (room_test.go), TestHistoryAndSubject
//	7.2.1     Entering: Basic MUC Protocol                  Room.Join                             TestJoin (room_test.go), TestJoinNoNickname
//	7.2.2     Entering: Presence Broadcast                  Room.Occupants, Nick (210)            TestJoin, TestJoinNickAssigned (room_test.go)
//	7.2.3     Entering: Non-Anonymous Rooms                 Occupant.JID, StatusCodes (100)       TestEnterWarnings
//	7.2.4     Entering: Semi-Anonymous Rooms                Occupant.JID zero                     TestJoin (room_test.go)
//	7.2.5     Entering: Password-Protected Rooms            JoinConfig.Password, ErrPassword      TestJoinOptions, TestJoinErrors (room_test.go)
//	7.2.6     Entering: Members-Only Rooms                  ErrRegistrationRequired               TestJoinErrors (room_test.go)
//	7.2.7     Entering: Banned Users                        ErrBanned                             TestJoinErrors (room_test.go)
//	7.2.8     Entering: Nickname Conflict                   ErrNickInUse                          TestJoinErrors (room_test.go)
//	7.2.9     Entering: Max Users                           ErrRoomFull                           TestJoinErrors (room_test.go)
//	7.2.10    Entering: Locked Room                         ErrRoomLocked                         TestJoinErrors (room_test.go)
//	7.2.11    Entering: Nonexistent Room                    Room.Create                           TestCreateInstant (room_test.go)
//	7.2.12    Entering: Room Logging                        StatusCodes (170)                     TestEnterWarnings
//	7.2.13    Entering: Discussion History                  OnMessage, Delayed                    TestHistoryAndSubject
//	7.2.14    Entering: Managing Discussion History         JoinConfig.History, History           TestJoinOptions (room_test.go), TestJoinNoHistory
//	7.2.15    Entering: Room Subject                        OnSubject, Subject                    TestJoin (room_test.go), TestHistoryAndSubject
//	7.2.16    Entering: Live Messages                       OnMessage, OnOccupant                 TestTalk (room_test.go), TestHistoryAndSubject
//	7.2.17    Entering: Error Conditions                    the sentinels, *stanza.Error          TestJoinErrors (room_test.go), TestJoinCreationRestricted
//	7.2.18    Entering: Groupchat 1.0 Protocol              OnExit (ExitKicked), StatusCodes 333  TestGroupchat10Kick
//	7.3       Occupant Modification of the Room Subject     Room.SetSubject                       TestTalk, TestSubjectRefused (room_test.go)
//	7.4       Sending a Message to All Occupants            Room.Send, SendMessage                TestTalk (room_test.go)
//	7.5       Sending a Private Message                     Room.SendPrivate                      TestTalk (room_test.go)
//	7.6       Changing Nickname                             Room.ChangeNick                       TestChangeNick (room_test.go), TestChangeNickModified
//	7.7       Changing Availability Status                  Room.SetPresence                      TestSetPresence
//	7.8.1     Inviting: Direct Invitation                   Client.InviteDirect, OnInvitation     TestInviteSent, TestInvitationsReceived (invite_test.go)
//	7.8.2     Inviting: Mediated Invitation                 Room.Invite, Decline, OnDecline       TestInviteSent, TestDeclineSent, TestInvitationsReceived (invite_test.go)
//	7.9       Converting a One-to-One Chat Into a Conference Room.Continue, Invitation.Continue   TestContinue, TestContinueInvitation
//	7.10      Registering with a Room                       Room.RegistrationForm, Register       TestRegister, TestRegisterRefused
//	7.11      Getting the Member List                       Room.Members                          TestLists (admin_test.go)
//	7.12      Discovering Reserved Room Nickname            Room.ReservedNick                     TestReservedNick
//	7.13      Requesting Voice                              Room.RequestVoice                     TestRequestVoice
//	7.14      Exiting a Room                                Room.Leave                            TestTalk (room_test.go), TestLeaveWithStatus
//	8.6       Approving Voice Requests (moderator)          Client.OnVoiceRequest,                TestVoiceApproval
//	                                                        Room.AnswerVoiceRequest
//	10.1.1    Creating a Room: General Considerations       Room.Create, ErrRoomExists            TestCreateExisting (room_test.go)
//	10.1.2    Creating an Instant Room                      Room.Create(ctx, nick, nil)           TestCreateInstant (room_test.go)
//	10.1.3    Creating a Reserved Room                      Room.Create(ctx, nick, configure)     TestCreateReserved, TestCreateConfigurationFails (room_test.go)
//	10.2      Subsequent Room Configuration                 Room.Config, Room.Configure           TestConfigure
//	10.2.1    Notification of Configuration Changes         OnMessage, StatusCodes (104, 170-173) TestConfigure

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectWith logs hag in to a server playing script, after setup has
// attached what the test needs to the connection.
func connectWith(t *testing.T, name, script string, setup func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	c := xmpptest.NewConn(t, hag, transcript(t, name, script+end))
	setup(c)
	require.NoError(t, c.Connect(ctxT(t)))
	t.Cleanup(func() {
		// Registered after NewConn's, so it runs first.
		end := &stanza.Message{}
		end.To, end.ID = jid.MustParse("shakespeare.lit"), "end"
		assert.NoError(t, c.Send(context.Background(), end))
	})
	return c
}

// wait returns the first value of ch, failing the test when none comes.
func wait[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctxT(t).Done():
		t.Fatalf("no %s", what)
	}
	var zero T
	return zero
}

// marker is a groupchat message that tells the test that the room's
// stanzas before it were delivered.
const marker = `
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='marker'><body>marker</body></message>
`

// answered is a groupchat message that the server sends once it has read
// the client's answers before it.
const answered = `
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='answered'><body>answered</body></message>
`

// onMarker returns a channel closed when the marker message arrives.
func onMarker(room *muc.Room) <-chan struct{} { return onID(room, "marker") }

// onID returns a channel closed when the room's message with the id
// arrives.
func onID(room *muc.Room, id string) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	room.OnMessage(func(m *stanza.Message) {
		if m.ID == id {
			once.Do(func() { close(ch) })
		}
	})
	return ch
}

// TestRoomItems: 6.5, examples 11-12 (the occupants are public), then 13
// (they are private).
func TestRoomItems(t *testing.T) {
	d := connectDisco(t, "room-items", `
C: <iq id='{{a}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{a}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items'>
       <item jid='coven@chat.shakespeare.lit/firstwitch'/>
       <item jid='coven@chat.shakespeare.lit/secondwitch'/>
     </query>
   </iq>
C: <iq id='{{b}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{b}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items'/>
   </iq>
`)
	ctx := ctxT(t)
	items, err := muc.RoomItems(ctx, d, coven)
	require.NoError(t, err)
	assert.Equal(t, []disco.Item{
		{JID: jid.MustParse("coven@chat.shakespeare.lit/firstwitch")},
		{JID: jid.MustParse("coven@chat.shakespeare.lit/secondwitch")},
	}, items)
	items, err = muc.RoomItems(ctx, d, coven)
	require.NoError(t, err)
	assert.Empty(t, items)
}

// TestQueryOccupant: 6.6, a non-occupant's disco request to an occupant
// JID is refused with bad-request, which the caller gets as the
// *stanza.Error. No API of this package: disco.For(c).Info asks.
func TestQueryOccupant(t *testing.T) {
	d := connectDisco(t, "query-occupant", `
C: <iq id='{{id}}' to='coven@chat.shakespeare.lit/firstwitch' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='coven@chat.shakespeare.lit/firstwitch' id='{{id}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	_, err := disco.For(d).Info(ctxT(t), jid.MustParse("coven@chat.shakespeare.lit/firstwitch"), "")
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.BadRequest})
}

// TestClientSupport: 6.7, examples 14-15 (the contact supports MUC) and
// 16-17 (the rooms the contact is in, one with the nickname), then a
// contact that keeps them private and one that does not know the node.
func TestClientSupport(t *testing.T) {
	d := connectDisco(t, "client-support", `
C: <iq id='{{i}}' to='wiccarocks@shakespeare.lit/laptop' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='wiccarocks@shakespeare.lit/laptop' id='{{i}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info'>
       <identity category='client' type='pc'/>
       <feature var='http://jabber.org/protocol/disco#info'/>
       <feature var='http://jabber.org/protocol/muc'/>
     </query>
   </iq>
C: <iq id='{{r}}' to='wiccarocks@shakespeare.lit/laptop' type='get'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
S: <iq from='wiccarocks@shakespeare.lit/laptop' id='{{r}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'>
       <item jid='coven@chat.shakespeare.lit' name='secondwitch'/>
       <item jid='characters@conference.shakespeare.lit'/>
     </query>
   </iq>
C: <iq id='{{i2}}' to='crone1@shakespeare.lit/desktop' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq from='crone1@shakespeare.lit/desktop' id='{{i2}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='phone'/></query>
   </iq>
C: <iq id='{{r2}}' to='crone1@shakespeare.lit/desktop' type='get'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
S: <iq from='crone1@shakespeare.lit/desktop' id='{{r2}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
C: <iq id='{{r3}}' to='hecate@shakespeare.lit/broom' type='get'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
S: <iq from='hecate@shakespeare.lit/broom' id='{{r3}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	ctx := ctxT(t)
	wicca := jid.MustParse("wiccarocks@shakespeare.lit/laptop")
	ok, err := muc.Supports(ctx, d, wicca)
	require.NoError(t, err)
	assert.True(t, ok)
	rooms, err := muc.JoinedRooms(ctx, d, wicca)
	require.NoError(t, err)
	assert.Equal(t, []disco.Item{
		{JID: coven, Name: "secondwitch"},
		{JID: jid.MustParse("characters@conference.shakespeare.lit")},
	}, rooms)

	ok, err = muc.Supports(ctx, d, crone)
	require.NoError(t, err)
	assert.False(t, ok)
	rooms, err = muc.JoinedRooms(ctx, d, crone)
	require.NoError(t, err)
	assert.Empty(t, rooms)
	_, err = muc.JoinedRooms(ctx, d, jid.MustParse("hecate@shakespeare.lit/broom"))
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})
}

// ownInfo is what hag's client says about itself with disco and muc
// attached: the answer to example 14 that this client gives.
const ownInfo = `
S: <iq from='wiccarocks@shakespeare.lit/laptop' id='q1' to='hag66@shakespeare.lit/pda' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
C: <iq id='q1' to='wiccarocks@shakespeare.lit/laptop' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info'>
       <identity category='client' name='gosmack' type='pc'/>
       <feature var='http://jabber.org/protocol/disco#info'/>
       <feature var='http://jabber.org/protocol/disco#items'/>
       <feature var='http://jabber.org/protocol/muc'/>
       <feature var='jabber:x:conference'/>
     </query>
   </iq>
`

// TestAnswerJoinedRooms: 6.7 from the contact's side: the client lists
// MUC among its features (example 15) and, sharing, the rooms the user is
// in with the nickname (examples 16-17).
func TestAnswerJoinedRooms(t *testing.T) {
	var room *muc.Room
	connectWith(t, "answer-joined-rooms", enter+marker+ownInfo+`
S: <iq from='wiccarocks@shakespeare.lit/laptop' id='q2' to='hag66@shakespeare.lit/pda' type='get'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
C: <iq id='q2' to='wiccarocks@shakespeare.lit/laptop' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'>
       <item jid='coven@chat.shakespeare.lit' name='thirdwitch'/>
     </query>
   </iq>
`+answered, func(c *xmpp.Conn) {
		m := muc.For(c)
		room = m.Room(coven)
		m.AnswerJoinedRooms(true)
	})
	done := onID(room, "answered")
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	// The server's queries come after the join; it sends the last message
	// once it has read the answers, which the transcript checks.
	wait(t, "the answers", done)
	assert.True(t, room.Joined())
}

// TestAnswerJoinedRoomsPrivate: a client that keeps its rooms private
// answers with no items (6.7, "If this information is private").
func TestAnswerJoinedRoomsPrivate(t *testing.T) {
	var room *muc.Room
	connectWith(t, "answer-joined-rooms-private", enter+marker+`
S: <iq from='wiccarocks@shakespeare.lit/laptop' id='q2' to='hag66@shakespeare.lit/pda' type='get'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
C: <iq id='q2' to='wiccarocks@shakespeare.lit/laptop' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/muc#rooms'/>
   </iq>
`+answered, func(c *xmpp.Conn) {
		m := muc.For(c)
		room = m.Room(coven)
		m.AnswerJoinedRooms(false)
	})
	done := onID(room, "answered")
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	wait(t, "the answer", done)
}

// TestJoinNoNickname: 7.2.1, example 19: the room answers jid-malformed
// from its bare JID; Join reports it as ErrNotAcceptable with the stanza
// error.
func TestJoinNoNickname(t *testing.T) {
	_, room := connect(t, "join-no-nickname", `
C: <presence id='{{id}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit' id='{{id}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error by='coven@chat.shakespeare.lit' type='modify'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </presence>
`)
	err := room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{})
	require.ErrorIs(t, err, muc.ErrNotAcceptable)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.JIDMalformed})
	assert.False(t, room.Joined())
}

// TestEnterWarnings: 7.2.3 and 7.2.12: a non-anonymous room shows the
// occupants' real JIDs (example 25) and warns with status 100, a logged
// room with 170 (example 33, with 210 for a changed nickname).
func TestEnterWarnings(t *testing.T) {
	_, room := connect(t, "enter-warnings", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' jid='crone1@shakespeare.lit/desktop' role='moderator'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' id='n13mt3l' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <item affiliation='member' jid='hag66@shakespeare.lit/pda' role='participant'/>
       <status code='100'/><status code='110'/><status code='170'/><status code='210'/>
     </x>
   </presence>
`)
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	self, ok := room.Occupant(room.Nick())
	require.True(t, ok)
	assert.Equal(t, []int{muc.StatusNonAnonymous, muc.StatusSelf, muc.StatusLogged, muc.StatusNickAssigned}, muc.StatusCodes(self.Presence))
	first, ok := room.Occupant("firstwitch")
	require.True(t, ok)
	assert.Equal(t, crone, first.JID)
	assert.Empty(t, muc.StatusCodes(first.Presence))
}

// TestHistoryAndSubject: 7.1's order of events with 7.2.13's history
// (example 34, stamped by the room) and 7.2.15's subject (example 36,
// stamped too), then a live message, and a subject cleared (example 37).
func TestHistoryAndSubject(t *testing.T) {
	_, room := connect(t, "history-subject", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x>
   </presence>
S: <message from='coven@chat.shakespeare.lit/firstwitch' id='h1' to='hag66@shakespeare.lit/pda' type='groupchat'>
     <body>Thrice the brinded cat hath mew'd.</body>
     <delay xmlns='urn:xmpp:delay' from='coven@chat.shakespeare.lit' stamp='2002-10-13T23:58:37Z'/>
   </message>
S: <message from='coven@chat.shakespeare.lit/secondwitch' id='h2' to='hag66@shakespeare.lit/pda' type='groupchat'>
     <body>Thrice and once the hedge-pig whined.</body>
     <delay xmlns='urn:xmpp:delay' from='coven@chat.shakespeare.lit' stamp='2002-10-13T23:58:43Z'/>
   </message>
S: <message from='coven@chat.shakespeare.lit/secondwitch' id='s1' to='hag66@shakespeare.lit/pda' type='groupchat'>
     <subject>Fire Burn and Cauldron Bubble!</subject>
     <delay xmlns='urn:xmpp:delay' from='coven@chat.shakespeare.lit' stamp='1610-04-20T00:00:00Z'/>
   </message>
S: <message from='coven@chat.shakespeare.lit/firstwitch' id='live' to='hag66@shakespeare.lit/pda' type='groupchat'><body>Live.</body></message>
S: <message from='coven@chat.shakespeare.lit/secondwitch' id='s2' to='hag66@shakespeare.lit/pda' type='groupchat'><subject></subject></message>
`+marker)
	var mu sync.Mutex
	var log []string
	room.OnMessage(func(m *stanza.Message) {
		mu.Lock()
		defer mu.Unlock()
		s := m.From.Resourcepart() + ": " + m.Body("")
		if d, ok := delay.Of(m); ok {
			s += " (" + d.Stamp.Format(time.RFC3339) + " by " + d.From.String() + ")"
		}
		log = append(log, s)
	})
	room.OnSubject(func(e muc.SubjectChange) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, "subject by "+e.Nick+": "+e.Subject)
	})
	done := onMarker(room)
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	assert.Len(t, room.Occupants(), 2, "the occupants come before the user's own presence")
	wait(t, "marker", done)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"firstwitch: Thrice the brinded cat hath mew'd. (2002-10-13T23:58:37Z by coven@chat.shakespeare.lit)",
		"secondwitch: Thrice and once the hedge-pig whined. (2002-10-13T23:58:43Z by coven@chat.shakespeare.lit)",
		"subject by secondwitch: Fire Burn and Cauldron Bubble!",
		"firstwitch: Live.",
		"subject by secondwitch: ",
		"firstwitch: marker",
	}, log)
	assert.Equal(t, "", room.Subject())
}

// TestJoinNoHistory: 7.2.14, example 41: maxchars='0' asks for no
// history.
func TestJoinNoHistory(t *testing.T) {
	_, room := connect(t, "join-no-history", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'>
     <x xmlns='http://jabber.org/protocol/muc'><history maxchars='0'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x>
   </presence>
`)
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", noHistory))
	assert.True(t, room.Joined())
}

// TestJoinCreationRestricted: 7.2.17's not-allowed (room creation is
// restricted) has no sentinel: the caller gets the *stanza.Error.
func TestJoinCreationRestricted(t *testing.T) {
	_, room := connect(t, "join-not-allowed", `
C: <presence id='{{id}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' id='{{id}}' to='hag66@shakespeare.lit/pda' type='error'>
     <x xmlns='http://jabber.org/protocol/muc'/>
     <error by='coven@chat.shakespeare.lit' type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </presence>
`)
	err := room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{})
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAllowed})
	for _, s := range []error{muc.ErrNickInUse, muc.ErrBanned, muc.ErrPassword, muc.ErrRoomFull, muc.ErrRoomLocked, muc.ErrNotAcceptable, muc.ErrRegistrationRequired} {
		assert.NotErrorIs(t, err, s)
	}
	assert.False(t, room.Joined())
}

// TestGroupchat10Kick: 7.2.18, example 42: a room that finds the user out
// of sync kicks with 110, 307 and 333; the exit listeners hear a kick with
// the room's reason.
func TestGroupchat10Kick(t *testing.T) {
	_, room := connect(t, "groupchat10-kick", enter+`
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <item affiliation='none' role='none'><reason>You are not in the room.</reason></item>
       <status code='110'/><status code='307'/><status code='333'/>
     </x>
   </presence>
`)
	exits := make(chan muc.Exit, 1)
	room.OnExit(func(e muc.Exit) { exits <- e })
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	e := wait(t, "exit", exits)
	assert.Equal(t, muc.Exit{Reason: muc.ExitKicked, Text: "You are not in the room."}, e)
	assert.False(t, room.Joined())
}

// TestChangeNickModified: 7.6, example 45: the service lowercases the new
// nickname (210), then example 48: nicknames are locked down
// (not-acceptable), and the user keeps the one they have.
func TestChangeNickModified(t *testing.T) {
	_, room := connect(t, "change-nick-modified", enter+`
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/OldHag'/>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='hag66@shakespeare.lit/pda' nick='oldhag' role='participant'/><status code='303'/><status code='110'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='hag66@shakespeare.lit/pda' role='participant'/><status code='110'/><status code='210'/></x>
   </presence>
C: <presence id='{{id}}' to='coven@chat.shakespeare.lit/thirdwitch'/>
S: <presence from='coven@chat.shakespeare.lit/oldhag' id='{{id}}' to='hag66@shakespeare.lit/pda' type='error'>
     <x xmlns='http://jabber.org/protocol/muc'/>
     <error by='coven@chat.shakespeare.lit' type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </presence>
`)
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.ChangeNick(ctx, "OldHag"))
	assert.Equal(t, "oldhag", room.Nick())
	err := room.ChangeNick(ctx, "thirdwitch")
	require.ErrorIs(t, err, muc.ErrNotAcceptable)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAcceptable})
	assert.Equal(t, "oldhag", room.Nick())
	assert.True(t, room.Joined())
}

// TestSetPresence: 7.7, examples 49-50: the user goes xa with a status,
// and the room passes along secondwitch's change; the occupant listeners
// hear both as Changed.
func TestSetPresence(t *testing.T) {
	_, room := connect(t, "set-presence", enter+`
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><show>xa</show><status>gone where the goblins go</status></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <show>xa</show><status>gone where the goblins go</status>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/secondwitch' to='hag66@shakespeare.lit/pda'>
     <show>xa</show><status>gone where the goblins go</status>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='admin' jid='wiccarocks@shakespeare.lit/laptop' role='moderator'/></x>
   </presence>
`+marker)
	events := make(chan muc.OccupantEvent, 4)
	room.OnOccupant(func(e muc.OccupantEvent) { events <- e })
	done := onMarker(room)
	ctx := ctxT(t)
	require.ErrorIs(t, room.SetPresence(ctx, stanza.ShowXA, "x"), muc.ErrNotJoined)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.SetPresence(ctx, stanza.ShowXA, "gone where the goblins go"))
	wait(t, "marker", done)
	require.Len(t, events, 2)
	for _, nick := range []string{"thirdwitch", "secondwitch"} {
		e := <-events
		assert.Equal(t, muc.Changed, e.Kind)
		assert.Equal(t, nick, e.Occupant.Nick)
		assert.Equal(t, stanza.ShowXA, e.Occupant.Presence.Show)
		assert.Equal(t, "gone where the goblins go", e.Occupant.Presence.Status(""))
		assert.Equal(t, stanza.Show(""), e.Old.Presence.Show)
	}
	self, _ := room.Occupant("thirdwitch")
	assert.Equal(t, stanza.ShowXA, self.Presence.Show)
}

// TestContinue: 7.9, examples 63-64 from the inviter's side: the chat's
// history goes to the room with the thread and a delay naming each
// sender, then an invitation to each invitee with <continue/> (one
// message each, where the XEP's example has one for both).
func TestContinue(t *testing.T) {
	const thread = "e0ffe42b28561960c6b12b944a092794b9683a38"
	_, room := connect(t, "continue", enter+`
C: <message id='{{*}}' to='coven@chat.shakespeare.lit' type='groupchat'>
     <body>Thrice the brinded cat hath mew'd.</body>
     <thread>`+thread+`</thread>
     <delay xmlns='urn:xmpp:delay' from='crone1@shakespeare.lit/desktop' stamp='2004-09-29T01:54:37Z'/>
   </message>
C: <message id='{{*}}' to='coven@chat.shakespeare.lit' type='groupchat'>
     <body>Thrice and once the hedge-pig whined.</body>
     <thread>`+thread+`</thread>
     <delay xmlns='urn:xmpp:delay' from='hag66@shakespeare.lit/pda' stamp='2004-09-29T01:55:21Z'/>
   </message>
C: <message id='{{*}}' to='coven@chat.shakespeare.lit'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <invite to='crone1@shakespeare.lit/desktop'>
         <reason>This coven needs both crone1 and wiccarocks.</reason>
         <continue thread='`+thread+`'/>
       </invite>
     </x>
   </message>
C: <message id='{{*}}' to='coven@chat.shakespeare.lit'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <invite to='wiccarocks@shakespeare.lit'>
         <reason>This coven needs both crone1 and wiccarocks.</reason>
         <continue thread='`+thread+`'/>
       </invite>
     </x>
   </message>
`)
	ctx := ctxT(t)
	history := []muc.HistoryMessage{
		{From: crone, Body: "Thrice the brinded cat hath mew'd.", Stamp: mustTime("2004-09-29T01:54:37Z")},
		{From: hag, Body: "Thrice and once the hedge-pig whined.", Stamp: mustTime("2004-09-29T01:55:21Z")},
	}
	reason := "This coven needs both crone1 and wiccarocks."
	wicca := jid.MustParse("wiccarocks@shakespeare.lit")
	require.ErrorIs(t, room.Continue(ctx, thread, history, reason, crone, wicca), muc.ErrNotJoined)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.Continue(ctx, thread, history, reason, crone, wicca))
}

// TestContinueInvitation: 7.9, examples 65-66 from the invitee's side:
// the invitation names the thread to continue, and the replayed history
// carries the room's delay.
func TestContinueInvitation(t *testing.T) {
	invs := make(chan muc.Invitation, 1)
	connectClient(t, "continue-invitation", `
S: <message from='coven@chat.shakespeare.lit/firstwitch' id='DB0414CB' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <invite from='crone1@shakespeare.lit'>
         <reason>This coven needs both wiccarocks and hag66.</reason>
         <continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/>
       </invite>
     </x>
   </message>
`, func(m *muc.Client) {
		m.OnInvitation(func(inv muc.Invitation) { invs <- inv })
	})
	inv := wait(t, "invitation", invs)
	inv.Message = nil
	assert.Equal(t, muc.Invitation{Room: coven, From: crone.Bare(), Reason: "This coven needs both wiccarocks and hag66.",
		Continue: true, Thread: "e0ffe42b28561960c6b12b944a092794b9683a38"}, inv)

}

// registrationForm is example 71, the room's registration form.
const registrationForm = `
S: <iq from='coven@chat.shakespeare.lit' id='{{get}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='jabber:iq:register'>
       <instructions>To register on the web, visit http://shakespeare.lit/</instructions>
       <x xmlns='jabber:x:data' type='form'>
         <title>Dark Cave Registration</title>
         <instructions>Please provide the following information to register with this room.</instructions>
         <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>
         <field label='Given Name' type='text-single' var='muc#register_first'><required/></field>
         <field label='Family Name' type='text-single' var='muc#register_last'><required/></field>
         <field label='Desired Nickname' type='text-single' var='muc#register_roomnick'><required/></field>
         <field label='Your URL' type='text-single' var='muc#register_url'/>
         <field label='Email Address' type='text-single' var='muc#register_email'/>
         <field label='FAQ Entry' type='text-multi' var='muc#register_faqentry'/>
       </x>
     </query>
   </iq>
`

const registrationGet = `
C: <iq id='{{get}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='jabber:iq:register'/></iq>
`

// TestRegister: 7.10, examples 67 and 71-72 and 76: the form, answered
// as the XEP does and accepted; the membership presence that follows
// reaches OnSelf; then example 70: the user is registered already.
func TestRegister(t *testing.T) {
	_, room := connect(t, "register", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/><status code='110'/></x>
   </presence>
`+registrationGet+registrationForm+`
C: <iq id='{{set}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='jabber:iq:register'>
       <x xmlns='jabber:x:data' type='submit'>
         <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>
         <field type='text-single' var='muc#register_first'><value>Brunhilde</value></field>
         <field type='text-single' var='muc#register_last'><value>Entwhistle-Throckmorton</value></field>
         <field type='text-single' var='muc#register_roomnick'><value>thirdwitch</value></field>
         <field type='text-single' var='muc#register_url'><value>http://witchesonline/~hag66/</value></field>
         <field type='text-single' var='muc#register_email'><value>hag66@witchesonline</value></field>
         <field type='text-multi' var='muc#register_faqentry'><value>Just another witch.</value></field>
       </x>
     </query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{set}}' to='hag66@shakespeare.lit/pda' type='result'/>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='hag66@shakespeare.lit/pda' role='participant'/><status code='110'/></x>
   </presence>
`+strings.ReplaceAll(registrationGet, "{{get}}", "{{get2}}")+`
S: <iq from='coven@chat.shakespeare.lit' id='{{get2}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='jabber:iq:register'><registered/><username>thirdwitch</username></query>
   </iq>
`)
	selves := make(chan muc.OccupantEvent, 1)
	room.OnSelf(func(e muc.OccupantEvent) { selves <- e })
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	var instructions []string
	err := room.Register(ctx, func(a *dataform.Answer) error {
		instructions = a.Form().Instructions
		return errors.Join(
			a.Set(muc.FieldRegisterFirst, "Brunhilde"),
			a.Set(muc.FieldRegisterLast, "Entwhistle-Throckmorton"),
			a.Set(muc.FieldRegisterRoomNick, "thirdwitch"),
			a.Set("muc#register_url", "http://witchesonline/~hag66/"),
			a.Set("muc#register_email", "hag66@witchesonline"),
			a.Set("muc#register_faqentry", "Just another witch."),
		)
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"Please provide the following information to register with this room."}, instructions)
	e := wait(t, "the new affiliation", selves)
	assert.Equal(t, muc.AffiliationNone, e.Old.Affiliation)
	assert.Equal(t, muc.AffiliationMember, e.Occupant.Affiliation)

	err = room.Register(ctx, func(*dataform.Answer) error { t.Error("no form to fill"); return nil })
	require.ErrorIs(t, err, muc.ErrRegistered)
	assert.Contains(t, err.Error(), `"thirdwitch"`)
}

// TestRegisterRefused: 7.10's refusals: the form with its instructions
// read by RegistrationForm; a reserved nickname (example 73, conflict);
// a room without registration (example 74); no such room (example 68);
// a user not allowed (example 69); an error from fill sends nothing.
func TestRegisterRefused(t *testing.T) {
	errIQ := func(id, typ, cond string) string {
		return `
S: <iq from='coven@chat.shakespeare.lit' id='{{` + id + `}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='` + typ + `'><` + cond + ` xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`
	}
	get := func(id string) string { return strings.ReplaceAll(registrationGet, "{{get}}", "{{"+id+"}}") }
	submit := func(id string) string {
		return `
C: <iq id='{{` + id + `}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='jabber:iq:register'>
       <x xmlns='jabber:x:data' type='submit'>
         <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>
         <field type='text-single' var='muc#register_first'><value>Brunhilde</value></field>
         <field type='text-single' var='muc#register_last'><value>Entwhistle-Throckmorton</value></field>
         <field type='text-single' var='muc#register_roomnick'><value>thirdwitch</value></field>
       </x>
     </query>
   </iq>
`
	}
	_, room := connect(t, "register-refused",
		registrationGet+registrationForm+
			get("g2")+strings.ReplaceAll(registrationForm, "{{get}}", "{{g2}}")+submit("s2")+errIQ("s2", "cancel", "conflict")+
			get("g3")+strings.ReplaceAll(registrationForm, "{{get}}", "{{g3}}")+submit("s3")+errIQ("s3", "cancel", "service-unavailable")+
			get("g4")+errIQ("g4", "cancel", "item-not-found")+
			get("g5")+errIQ("g5", "cancel", "not-allowed")+
			get("g6")+strings.ReplaceAll(registrationForm, "{{get}}", "{{g6}}"))
	ctx := ctxT(t)
	reg, err := room.RegistrationForm(ctx)
	require.NoError(t, err)
	assert.False(t, reg.Registered)
	assert.Equal(t, "To register on the web, visit http://shakespeare.lit/", reg.Instructions)
	require.NotNil(t, reg.Form)
	assert.Equal(t, muc.NSRegisterForm, reg.Form.FormType())
	assert.Equal(t, "Dark Cave Registration", reg.Form.Title)

	fill := func(a *dataform.Answer) error {
		return errors.Join(
			a.Set(muc.FieldRegisterFirst, "Brunhilde"),
			a.Set(muc.FieldRegisterLast, "Entwhistle-Throckmorton"),
			a.Set(muc.FieldRegisterRoomNick, "thirdwitch"),
		)
	}
	err = room.Register(ctx, fill)
	require.ErrorIs(t, err, muc.ErrNickInUse)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Conflict})
	err = room.Register(ctx, fill)
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
	assert.NotErrorIs(t, err, muc.ErrRoomFull)
	err = room.Register(ctx, fill)
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})
	_, err = room.RegistrationForm(ctx)
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAllowed})
	errNo := errors.New("not now")
	require.ErrorIs(t, room.Register(ctx, func(*dataform.Answer) error { return errNo }), errNo)
}

// TestReservedNick: 7.12, examples 77-78 (the nickname), then a user
// without one (an empty result) and a room that does not support the
// node (feature-not-implemented).
func TestReservedNick(t *testing.T) {
	q := func(id string) string {
		return `
C: <iq id='{{` + id + `}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>
`
	}
	_, room := connect(t, "reserved-nick", q("a")+`
S: <iq from='coven@chat.shakespeare.lit' id='{{a}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'>
       <identity category='conference' name='thirdwitch' type='text'/>
     </query>
   </iq>
`+q("b")+`
S: <iq from='coven@chat.shakespeare.lit' id='{{b}}' to='hag66@shakespeare.lit/pda' type='result'>
     <query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>
   </iq>
`+q("c")+`
S: <iq from='coven@chat.shakespeare.lit' id='{{c}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	ctx := ctxT(t)
	nick, err := room.ReservedNick(ctx)
	require.NoError(t, err)
	assert.Equal(t, "thirdwitch", nick)
	nick, err = room.ReservedNick(ctx)
	require.NoError(t, err)
	assert.Equal(t, "", nick)
	_, err = room.ReservedNick(ctx)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.FeatureNotImplemented})
}

// TestRequestVoice: 7.13, example 79: a visitor asks for voice; a
// moderator approves (8.6), and the room's presence makes the user a
// participant, which OnSelf hears.
func TestRequestVoice(t *testing.T) {
	_, room := connect(t, "request-voice", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='visitor'/><status code='110'/></x>
   </presence>
C: <message id='{{*}}' to='coven@chat.shakespeare.lit'>
     <x xmlns='jabber:x:data' type='submit'>
       <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>
       <field var='muc#role' type='list-single' label='Requested role'><value>participant</value></field>
     </x>
   </message>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' nick='thirdwitch' role='participant'><reason>Voice granted</reason></item><status code='110'/></x>
   </presence>
`)
	selves := make(chan muc.OccupantEvent, 1)
	room.OnSelf(func(e muc.OccupantEvent) { selves <- e })
	ctx := ctxT(t)
	require.ErrorIs(t, room.RequestVoice(ctx), muc.ErrNotJoined)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.RequestVoice(ctx))
	e := wait(t, "voice", selves)
	assert.Equal(t, muc.RoleVisitor, e.Old.Role)
	assert.Equal(t, muc.RoleParticipant, e.Occupant.Role)
}

// voiceForm is example 155 (section 8.6), the approval form the room
// sends to its moderators, here about wiccarocks (secondwitch).
func voiceForm(id, from string) string {
	return `
S: <message from='` + from + `' id='` + id + `' to='hag66@shakespeare.lit/pda'>
     <x xmlns='jabber:x:data' type='form'>
       <title>Voice request</title>
       <instructions>To approve this request for voice, select the &quot;Grant voice to this person?&quot; checkbox and click OK. To skip this request, click the cancel button.</instructions>
       <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#request</value></field>
       <field var='muc#role' type='list-single' label='Requested role'><value>participant</value></field>
       <field var='muc#jid' type='jid-single' label='User ID'><value>wiccarocks@shakespeare.lit/laptop</value></field>
       <field var='muc#roomnick' type='text-single' label='Room Nickname'><value>secondwitch</value></field>
       <field var='muc#request_allow' type='boolean' label='Grant voice to this person?'><value>false</value></field>
     </x>
   </message>
`
}

func voiceAnswer(id, allow string) string {
	return `
C: <message id='` + id + `' to='coven@chat.shakespeare.lit'>
     <x xmlns='jabber:x:data' type='submit'>
       <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#request</value></field>
       <field var='muc#role' type='list-single'><value>participant</value></field>
       <field var='muc#jid' type='jid-single'><value>wiccarocks@shakespeare.lit/laptop</value></field>
       <field var='muc#roomnick' type='text-single'><value>secondwitch</value></field>
       <field var='muc#request_allow' type='boolean'><value>` + allow + `</value></field>
     </x>
   </message>
`
}

// TestVoiceApproval: 8.6, examples 155-156 from the moderator's side: the
// request is reported with who asks, the moderator approves it and the
// room's presence gives the visitor voice; a second request is refused;
// the same form from a room the Client does not know, and a groupchat
// message, are not requests.
func TestVoiceApproval(t *testing.T) {
	reqs := make(chan muc.VoiceRequest, 4)
	var room *muc.Room
	var removed bool
	m := connectClient(t, "voice-approval", `
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/></presence>
S: <presence from='coven@chat.shakespeare.lit/secondwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' jid='wiccarocks@shakespeare.lit/laptop' role='visitor'/></x>
   </presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x>
   </presence>
`+voiceForm("heath1", "heath@chat.shakespeare.lit")+voiceForm("approve", "coven@chat.shakespeare.lit")+voiceAnswer("approve", "1")+`
S: <presence from='coven@chat.shakespeare.lit/secondwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' jid='wiccarocks@shakespeare.lit/laptop' nick='secondwitch' role='participant'><reason>Voice granted</reason></item></x>
   </presence>
`+voiceForm("again", "coven@chat.shakespeare.lit")+voiceAnswer("again", "0")+marker, func(m *muc.Client) {
		room = m.Room(coven)
		m.OnVoiceRequest(func(r muc.VoiceRequest) { reqs <- r })
		remove := m.OnVoiceRequest(func(muc.VoiceRequest) { removed = true })
		remove()
	})
	events := make(chan muc.OccupantEvent, 4)
	room.OnOccupant(func(e muc.OccupantEvent) { events <- e })
	done := onMarker(room)
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))

	req := wait(t, "voice request", reqs)
	assert.Equal(t, coven, req.Room)
	assert.Equal(t, "secondwitch", req.Nick)
	assert.Equal(t, jid.MustParse("wiccarocks@shakespeare.lit/laptop"), req.JID)
	assert.Equal(t, muc.RoleParticipant, req.Role)
	assert.Equal(t, "approve", req.Message.ID)
	assert.Equal(t, "Voice request", req.Form.Title)
	require.Error(t, m.Room(jid.MustParse("heath@chat.shakespeare.lit")).AnswerVoiceRequest(ctx, req, true),
		"a request from another room")
	require.NoError(t, room.AnswerVoiceRequest(ctx, req, true))
	e := wait(t, "voice granted", events)
	assert.Equal(t, muc.Changed, e.Kind)
	assert.Equal(t, "secondwitch", e.Occupant.Nick)
	assert.Equal(t, muc.RoleVisitor, e.Old.Role)
	assert.Equal(t, muc.RoleParticipant, e.Occupant.Role)

	req = wait(t, "second voice request", reqs)
	require.NoError(t, room.AnswerVoiceRequest(ctx, req, false))
	wait(t, "marker", done)
	assert.Empty(t, reqs, "heath is not a room the Client knows")
	assert.False(t, removed)
}

// TestConfigure: 10.2, examples 163-166 (the owner fetches the form and
// submits a change) and 165 (a non-owner is refused), then 10.2.1's
// notifications: 104 (example 167's codes) and 170 (logging enabled),
// groupchat messages from the room that OnMessage receives.
func TestConfigure(t *testing.T) {
	_, room := connect(t, "configure", enter+`
C: <iq id='{{get}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>
`+configForm+`
C: <iq id='{{set}}' to='coven@chat.shakespeare.lit' type='set'>
     <query xmlns='http://jabber.org/protocol/muc#owner'>
       <x xmlns='jabber:x:data' type='submit'>
         <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
         <field type='boolean' var='muc#roomconfig_persistentroom'><value>0</value></field>
         <field type='boolean' var='muc#roomconfig_membersonly'><value>1</value></field>
         <field type='boolean' var='muc#roomconfig_allowinvites'><value>0</value></field>
         <field type='list-single' var='muc#roomconfig_maxusers'><value>30</value></field>
       </x>
     </query>
   </iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{set}}' to='hag66@shakespeare.lit/pda' type='result'/>
S: <message from='coven@chat.shakespeare.lit' id='c1' to='hag66@shakespeare.lit/pda' type='groupchat'>
     <x xmlns='http://jabber.org/protocol/muc#user'><status code='104'/></x>
   </message>
S: <message from='coven@chat.shakespeare.lit' id='c2' to='hag66@shakespeare.lit/pda' type='groupchat'>
     <x xmlns='http://jabber.org/protocol/muc#user'><status code='170'/></x>
   </message>
C: <iq id='{{get2}}' to='coven@chat.shakespeare.lit' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>
S: <iq from='coven@chat.shakespeare.lit' id='{{get2}}' to='hag66@shakespeare.lit/pda' type='error'>
     <error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`+marker)
	var mu sync.Mutex
	var notices [][]int
	room.OnMessage(func(m *stanza.Message) {
		if m.From == coven {
			mu.Lock()
			notices = append(notices, muc.StatusCodes(m))
			mu.Unlock()
		}
	})
	done := onMarker(room)
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.Configure(ctx, func(a *dataform.Answer) error {
		return a.Set("muc#roomconfig_maxusers", "30")
	}))
	_, err := room.Config(ctx)
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden})
	wait(t, "marker", done)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, [][]int{{muc.StatusConfigChanged}, {muc.StatusLogged}}, notices)
}

// TestLeaveWithStatus: 7.14, example 83: a custom exit message; then
// example 81, the room's self-presence.
func TestLeaveWithStatus(t *testing.T) {
	_, room := connect(t, "leave-status", enter+`
C: <presence id='{{*}}' to='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'><status>gone where the goblins go</status></presence>
S: <presence from='coven@chat.shakespeare.lit/thirdwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='hag66@shakespeare.lit/pda' role='none'/><status code='110'/></x>
   </presence>
`)
	exits := make(chan muc.Exit, 1)
	room.OnExit(func(e muc.Exit) { exits <- e })
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	require.NoError(t, room.Leave(ctx, "gone where the goblins go"))
	assert.False(t, room.Joined())
	assert.Empty(t, exits, "leaving is no exit")
}

// TestStatusCodes: StatusCodes reads presences and messages, and nothing
// else.
func TestStatusCodes(t *testing.T) {
	x := stanza.Node{Name: xmlName(muc.NSUser, "x"), Nodes: []stanza.Node{
		{Name: xmlName(muc.NSUser, "status"), Attrs: attrs("code", "307")},
		{Name: xmlName(muc.NSUser, "status"), Attrs: attrs("code", "110")},
		{Name: xmlName(muc.NSUser, "status"), Attrs: attrs("code", "x")},
		{Name: xmlName(muc.NSUser, "status"), Attrs: attrs("code", "110")},
	}}
	assert.Equal(t, []int{110, 307}, muc.StatusCodes(&stanza.Presence{Extensions: []stanza.Node{x}}))
	assert.Equal(t, []int{110, 307}, muc.StatusCodes(&stanza.Message{Extensions: []stanza.Node{x}}))
	assert.Empty(t, muc.StatusCodes(&stanza.Presence{}))
	assert.Empty(t, muc.StatusCodes(&stanza.IQ{}))
}

func xmlName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

// attrs makes attributes of name, value pairs.
func attrs(kv ...string) []xml.Attr {
	var as []xml.Attr
	for i := 0; i+1 < len(kv); i += 2 {
		as = append(as, xml.Attr{Name: xml.Name{Local: kv[i]}, Value: kv[i+1]})
	}
	return as
}
