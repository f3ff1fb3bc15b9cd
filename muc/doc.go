// Package muc is multi-user chat (XEP-0045): entering, creating and
// configuring rooms, talking in them, following their occupants, and
// leaving. It stands for Smack's MultiUserChatManager (Client) and
// MultiUserChat (Room); MultiUserChatManager.getInstanceFor(connection)
// is muc.For(c).
//
//	m := muc.For(c)
//	m.OnInvitation(func(inv muc.Invitation) { // on the dispatcher; waiting there is fine
//		err := m.Room(inv.Room).Join(ctx, "juliet", muc.JoinConfig{Password: inv.Password})
//		...
//	})
//	room := m.Room(jid.MustParse("balcony@conference.example.com"))
//	room.OnMessage(func(msg *stanza.Message) { fmt.Println(msg.From.Resourcepart(), msg.Body("")) })
//	err := room.Create(ctx, "juliet", func(a *dataform.Answer) error {
//		return errors.Join(
//			a.Set("muc#roomconfig_roomname", "Balcony"),
//			a.SetBool("muc#roomconfig_persistentroom", true),
//		)
//	}, muc.JoinConfig{History: muc.History{None: true}})
//	if errors.Is(err, muc.ErrRoomExists) { /* joined an existing room */ }
//	err = room.Send(ctx, "hello")
//	err = room.Leave(ctx, "")
//
// # Design
//
// For returns the Conn's one Client (xmpp.Attach), attaching it the first
// time; Close detaches it. It uses only the Conn's public API. It
// registers one presence and one message listener, which take the
// stanzas from the rooms handed out by Client.Room (one *Room per bare
// room JID) and pass them to that Room; a message listener each for
// invitations and for voice requests; a state listener, for the end of a
// session and rejoining; and announces the muc and jabber:x:conference
// features.
//
// A Room's state (joined or not, the user's nickname, the occupants, the
// subject) comes only from what the room sends: Join returns when the room
// reflects the user's own presence (status 110, or the nickname asked
// for), having sent the occupants' presences first; ChangeNick when the
// presence under the new nickname comes back; Leave when the unavailable
// presence does; SetSubject when the subject message is reflected. A
// refusal is the room's *stanza.Error wrapped with a sentinel naming the
// case (ErrNickInUse, ErrBanned, ErrPassword, ...), so both errors.Is
// and errors.As work. Create reports an existing room (no status 201) as
// ErrRoomExists, with the user in it. Join on a room the Room counts the
// user in is ErrAlreadyJoined and sends nothing; a Room that does not
// know (its Join's ctx ended after the room let the user in) may Join
// again, which Prosody and ejabberd answer as a first entry.
//
// Room configuration is a dataform.Form: Create and Configure fetch it,
// hand a *dataform.Answer that starts from the room's defaults to the
// caller's function, and submit it. On a room that exists, an error from
// the function cancels and the room keeps its configuration. On a room
// Create has just made, any failure of its configuration destroys the
// room: a cancellation would leave the user in a room neither server
// destroys (Prosody keeps it locked, ejabberd opens it with its
// defaults).
//
// Occupant events (joined, left, kicked, banned, nickname changed,
// changed) and the user's own removal (kicked, banned, room destroyed,
// connection lost: OnExit) are derived from the presences' status codes
// (XEP-0045 section 15.6). When the session ends, every room counts the
// user out (OnExit, ExitDisconnected); when it was lost rather than
// closed, the rooms are entered again, with the same nickname and
// password and the history since the last message seen, as soon as a new
// session starts (SetAutoRejoin, OnRejoin): the presences are sent when
// the new session starts and the answers handled as they come, with no
// goroutine waiting, and OnRejoin reports each on the dispatcher. A
// resumed stream (stream management) keeps the rooms as they were.
//
// # Concurrency
//
// Client and Room are safe for concurrent use. Every listener runs on the
// connection's dispatcher, one at a time, in the order of the stanzas
// that caused it, interleaved with the connection's own listeners, with
// no lock held. A listener may call any method, those that wait for the
// room included: Join, ChangeNick, Leave and SetSubject take the room's
// stanzas from a Collector (xmpp.Conn.Collect) that the connection's
// reader feeds, apply them, and return with the Room up to date, while
// the dispatcher is held by the listener (an invitation listener that
// joins the room, as Smack code does, works). The dispatcher later
// delivers the same stanzas to the listeners in wire order; the Room
// recognises them by their stanza.Common.Seq, applies none twice, and
// fires their events then (none for the occupants already in the room on
// entering). So the Room's state may be ahead of the stanza a listener is
// hearing, never behind it. While the user is in a room, its Collector
// holds the room's stanzas that the dispatcher has yet to deliver, up to
// 512: a listener that holds the dispatcher while more of one room's
// stanzas pile up, and then waits for that room, may miss the oldest.
//
// The waiting operations of one Room run one at a time. Every blocking
// method is bounded by its ctx; when ctx ends first the method returns its
// error and the room's late answer is dropped (a join's: the Room does not
// count the user in).
//
// # Smack
//
//	Smack                                       gosmack
//	MultiUserChatManager.getInstanceFor         For
//	MultiUserChatManager.getMultiUserChat       Client.Room
//	MultiUserChatManager.getJoinedRooms         Client.Rooms
//	setAutoJoinOnReconnect, AutoJoinFailedCallback Client.SetAutoRejoin, Client.OnRejoin, Rejoin
//	MultiUserChat.join, MucEnterConfiguration   Room.Join, JoinConfig, History
//	MultiUserChat.create, createOrJoin          Room.Create (ErrRoomExists)
//	getConfigurationForm, sendConfigurationForm Room.Config, Room.Configure
//	MultiUserChat.leave                         Room.Leave
//	MultiUserChat.changeNickname                Room.ChangeNick
//	MultiUserChat.changeSubject                 Room.SetSubject
//	MultiUserChat.sendMessage                   Room.Send, Room.SendMessage
//	createPrivateChat                           Room.SendPrivate
//	MultiUserChat.destroy                       Room.Destroy
//	getOccupants, getOccupant, Occupant         Room.Occupants, Room.Occupant, Occupant
//	addMessageListener                          Room.OnMessage
//	addSubjectUpdatedListener                   Room.OnSubject, SubjectChange
//	addParticipantStatusListener                Room.OnOccupant
//	addUserStatusListener (kicked, banned, ...) Room.OnExit
//	UserStatusListener (voiceGranted, ...)      Room.OnSelf
//	XMPPErrorException of join (conflict, ...)  ErrNickInUse, ErrBanned, ErrPassword, ErrRoomFull, ...
//	MucAlreadyJoinedException                   ErrAlreadyJoined
//	MucNotJoinedException                       ErrNotJoined
//	kickParticipant                             Room.Kick
//	grantVoice, revokeVoice                     Room.GrantVoice, Room.RevokeVoice
//	grantModerator, revokeModerator             Room.GrantModerator, Room.RevokeModerator
//	banUser, banUsers                           Room.Ban
//	grantMembership, revokeMembership           Room.GrantMembership, Room.RevokeMembership
//	grantAdmin, revokeAdmin                     Room.GrantAdmin, Room.RevokeAdmin
//	grantOwnership, revokeOwnership             Room.GrantOwner, Room.RevokeOwner
//	getMembers, getAdmins, getOwners            Room.Members, Room.Admins, Room.Owners
//	getOutcasts, getModerators, getParticipants Room.Outcasts, Room.Moderators, Room.Participants
//	Affiliate                                   Item
//	MultiUserChat.invite                        Room.Invite
//	DirectMUCInvitationManager.inviteToMuc      Client.InviteDirect
//	MultiUserChatManager.decline                Client.Decline
//	addInvitationListener, InvitationListener   Client.OnInvitation, Invitation
//	addInvitationRejectionListener              Client.OnDecline, Room.OnDecline, Decline
//	getMucServiceDomains                        Services
//	getRoomsHostedBy, HostedRoom                Rooms, disco.Item
//	getRoomInfo, RoomInfo                       GetRoomInfo, RoomInfo
//	MultiUserChat.serverPing (XEP-0410)         Room.SelfPing (ErrDropped, ExitDropped)
//	MultiUserChat.requestVoice                  Room.RequestVoice
//	(voice request approval, XEP-0045 8.6)      Client.OnVoiceRequest, VoiceRequest, Room.AnswerVoiceRequest
//	getRegistrationForm, sendRegistrationForm   Room.RegistrationForm, Room.Register (ErrRegistered)
//	MultiUserChat.getReservedNickname           Room.ReservedNick
//	changeAvailabilityStatus                    Room.SetPresence
//	MUCUser.getStatus                           StatusCodes
//	isServiceEnabled                            Supports
//	getJoinedRooms(EntityFullJid)               JoinedRooms, Client.AnswerJoinedRooms
//	(room occupants, XEP-0045 6.5)              RoomItems
//	(continuing a chat, XEP-0045 7.9)           Room.Continue, Invitation.Continue, delay.Of
//
// Moderation and administration (XEP-0045 sections 8-10) are one admin
// IQ each, in the muc#admin namespace for roles and for every affiliation
// (owner and admin too, as the current XEP has it): Room.SetRole and
// Room.SetAffiliation, with the named methods above as shorthands. They
// return when the room answers; the room's refusal is its *stanza.Error
// (not-allowed, forbidden, ...). The presences that follow reach the
// occupant, exit and self listeners as usual. Invitations received are
// reported whether or not the Client knows the room.
//
// Discovery (XEP-0045 section 6) goes through the connection's service
// discovery (disco.For): Services finds the chat services among a
// server's items, Rooms lists a service's public rooms in one answer
// (without XEP-0059 paging), and GetRoomInfo reads a room's muc_*
// features and muc#roominfo form.
//
// Room.SelfPing is XEP-0410's check that the user is still in a room: a
// result (or service-unavailable, feature-not-implemented) says yes;
// not-acceptable and the other errors say no, as does item-not-found
// unless the nickname changed during the ping (Prosody and ejabberd
// answer not-acceptable to a former occupant and item-not-found for a
// room that no longer exists); the Room then counts the user out,
// OnExit hears ExitDropped, and SelfPing's error matches ErrDropped.
// remote-server-not-found, remote-server-timeout and timeouts decide
// nothing. A room that still exists (any error but item-not-found) is
// entered again at once, as XEP-0410 asks, unless SetAutoRejoin(false);
// OnRejoin hears the outcome. Nothing pings by itself: call SelfPing when
// a room has been quiet for a while.
package muc
