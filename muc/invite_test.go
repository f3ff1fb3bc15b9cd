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

// connectManager logs hag in to a server playing script and returns the
// Manager, which setup got before the stream started, to register
// listeners for what the server sends first.
func connectManager(t *testing.T, name, script string, setup func(*muc.Manager)) *muc.Manager {
	t.Helper()
	var m *muc.Manager
	c := xmpptest.ConnectFunc(t, hag, transcript(t, name, script+end), func(c *xmpp.Conn) {
		m = muc.New(c)
		if setup != nil {
			setup(m)
		}
	})
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
	m := connectManager(t, "invite-sent", `
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
	m := connectManager(t, "decline-sent", `
C: <message id='{{*}}' to='coven@chat.shakespeare.lit'>
     <x xmlns='http://jabber.org/protocol/muc#user'>
       <decline to='crone1@shakespeare.lit'><reason>Sorry, I'm too busy right now.</reason></decline>
     </x>
   </message>
`, nil)
	require.NoError(t, m.Decline(ctxT(t), coven, crone.Bare(), "Sorry, I'm too busy right now."))
}

// TestInvitationsReceived: a mediated invitation with a password
// (example 58, from a room the Manager knows nothing of), a direct one
// (XEP-0249 example 1), and a decline of the user's invitation (example
// 61), in that order.
func TestInvitationsReceived(t *testing.T) {
	invs := make(chan muc.Invitation, 4)
	type decline struct {
		room, from jid.JID
		reason     string
	}
	declines := make(chan decline, 2)
	connectManager(t, "invitations-received", `
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
`, func(m *muc.Manager) {
		m.OnInvitation(func(inv muc.Invitation) { invs <- inv })
		m.OnDecline(func(room, from jid.JID, reason string) { declines <- decline{room, from, reason} })
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
