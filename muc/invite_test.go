package muc_test

import (
	"context"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectClient logs hag in to a server playing script and returns the
// Client, which setup got before the stream started, to register
// listeners for what the server sends first.
func connectClient(t *testing.T, name, script string, setup func(*muc.Client)) *muc.Client {
	t.Helper()
	c := xmpptest.NewConn(t, hag, transcript(t, name, script+end))
	m := muc.For(c)
	if setup != nil {
		setup(m)
	}
	require.NoError(t, c.Connect(ctxT(t)))
	t.Cleanup(func() {
		end := &stanza.Message{}
		end.To, end.ID = jid.MustParse("shakespeare.lit"), "end"
		assert.NoError(t, c.Send(context.Background(), end))
	})
	return m
}

var (
	crone  = jid.MustParse("crone1@shakespeare.lit/desktop")
	hecate = jid.MustParse("hecate@shakespeare.lit")
)

// TestInviteSent: a mediated invitation (example 56) and a direct one
// (XEP-0249 example 1).
func TestInviteSent(t *testing.T) {
	m := connectClient(t, "invite-sent", `
C: <message id='{{*}}' to='coven@chat.shakespeare.lit'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <invite to='hecate@shakespeare.lit'><reason>Hey Hecate, this is the place for all good witches!</reason></invite>
     </x>
   </message>
C: <message id='{{*}}' to='hecate@shakespeare.lit'>
     <x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit' password='cauldronburn'
        reason='Hey Hecate, this is the place for all good witches!'/>
   </message>
`, nil)
	ctx := ctxT(t)
	require.NoError(t, m.Room(coven).Invite(ctx, hecate, "Hey Hecate, this is the place for all good witches!"))
	require.NoError(t, m.InviteDirect(ctx, hecate, jid.MustParse("darkcave@macbeth.shakespeare.lit"),
		"Hey Hecate, this is the place for all good witches!", "cauldronburn"))
}

// TestDeclineSent: example 60.
func TestDeclineSent(t *testing.T) {
	m := connectClient(t, "decline-sent", `
C: <message id='{{*}}' to='coven@chat.shakespeare.lit'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <decline to='crone1@shakespeare.lit'><reason>Sorry, I'm too busy right now.</reason></decline>
     </x>
   </message>
`, nil)
	require.NoError(t, m.Decline(ctxT(t), coven, crone.Bare(), "Sorry, I'm too busy right now."))
}

// TestInvitationsReceived: a mediated invitation with a password
// (example 58, from a room the Client knows nothing of), a direct one
// (XEP-0249 example 1), and a decline of the user's invitation (example
// 61), in that order.
func TestInvitationsReceived(t *testing.T) {
	invs := make(chan muc.Invitation, 4)
	type decline struct {
		room, from jid.JID
		reason     string
	}
	declines := make(chan decline, 2)
	connectClient(t, "invitations-received", `
S: <message from='coven@chat.shakespeare.lit' id='i1' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <invite from='crone1@shakespeare.lit/desktop'><reason>Hey Hecate, this is the place for all good witches!</reason></invite>
       <password>cauldronburn</password>
     </x>
   </message>
S: <message from='crone1@shakespeare.lit/desktop' id='i2' to='hag66@shakespeare.lit/pda'>
     <x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit' reason='Hey Hecate, this is the place for all good witches!'/>
   </message>
S: <message from='coven@chat.shakespeare.lit' id='d1' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <decline from='hecate@shakespeare.lit'><reason>Sorry, I'm too busy right now.</reason></decline>
     </x>
   </message>
S: <message from='coven@chat.shakespeare.lit' id='e1' to='hag66@shakespeare.lit/pda' type='error'>
     <x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@shakespeare.lit'/></x>
     <error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </message>
`, func(m *muc.Client) {
		m.OnInvitation(func(inv muc.Invitation) { invs <- inv })
		m.OnDecline(func(d muc.Decline) { declines <- decline{d.Room, d.From, d.Reason} })
	})
	ctx := ctxT(t)
	recv := func() muc.Invitation {
		select {
		case inv := <-invs:
			return inv
		case <-ctx.Done():
			t.Fatal("no invitation")
		}
		return muc.Invitation{}
	}
	inv := recv()
	assert.Equal(t, "i1", inv.Message.ID)
	inv.Message = nil
	assert.Equal(t, muc.Invitation{Room: coven, From: crone, Reason: "Hey Hecate, this is the place for all good witches!",
		Password: "cauldronburn"}, inv)
	inv = recv()
	inv.Message = nil
	assert.Equal(t, muc.Invitation{Room: jid.MustParse("darkcave@macbeth.shakespeare.lit"), From: crone,
		Reason: "Hey Hecate, this is the place for all good witches!", Direct: true}, inv)
	select {
	case d := <-declines:
		assert.Equal(t, decline{coven, hecate, "Sorry, I'm too busy right now."}, d)
	case <-ctx.Done():
		t.Fatal("no decline")
	}
	assert.Empty(t, invs, "an error message is no invitation")
}

// TestRoomDecline: a Room's decline listeners hear the declines of
// invitations to it, after the Client's, and not those of other rooms.
func TestRoomDecline(t *testing.T) {
	var got []string
	done := make(chan struct{})
	connectWith(t, "room-decline", `
S: <message from='darkcave@macbeth.shakespeare.lit' id='d0' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><decline from='hecate@shakespeare.lit'/></x>
   </message>
S: <message from='coven@chat.shakespeare.lit' id='d1' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <decline from='hecate@shakespeare.lit'><reason>Sorry, I'm too busy right now.</reason></decline>
     </x>
   </message>
S: <message from='shakespeare.lit' id='done' to='hag66@shakespeare.lit/pda'/>
`, func(c *xmpp.Conn) {
		m := muc.For(c)
		m.OnDecline(func(d muc.Decline) { got = append(got, "client "+d.Room.Localpart()) })
		remove := m.Room(coven).OnDecline(func(d muc.Decline) {
			assert.Equal(t, muc.Decline{Room: coven, From: hecate, Reason: "Sorry, I'm too busy right now.", Message: d.Message}, d)
			got = append(got, "room "+d.Message.ID)
		})
		m.Room(coven).OnDecline(func(muc.Decline) { got = append(got, "room again") })
		remove()
		remove()
		c.HandleMessage(stanza.WithID("done"), func(*stanza.Message) { close(done) })
	})
	wait(t, "the declines", done)
	assert.Equal(t, []string{"client darkcave", "client coven", "room again"}, got)
}
