package carbons_test

import (
	"testing"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests show the shape every manager has (ARCHITECTURE.md,
// Managers): one per connection, nil listeners refused, exact and
// idempotent removal, events on the dispatcher in wire order
// (TestEnableAndReceive).

// TestForOnePerConn: For returns the one Carbons of a Conn; after Close
// it attaches a fresh one, and the old one's Close leaves it attached.
func TestForOnePerConn(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	other := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	m := carbons.For(c)
	assert.Same(t, m, carbons.For(c))
	assert.Same(t, m, xmpp.Attached[carbons.Carbons](c))
	assert.NotSame(t, m, carbons.For(other), "one per Conn")
	m.SetEnabled(false)

	m.Close()
	m.Close()
	assert.Nil(t, xmpp.Attached[carbons.Carbons](c))
	fresh := carbons.For(c)
	assert.NotSame(t, m, fresh)
	assert.True(t, fresh.Enabled(), "the fresh one starts with the defaults")
	m.Close()
	assert.Same(t, fresh, xmpp.Attached[carbons.Carbons](c))
}

// TestNilListenerRefused: OnCarbon panics on a nil func.
func TestNilListenerRefused(t *testing.T) {
	m := carbons.For(xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")}))
	assert.PanicsWithValue(t, "carbons: OnCarbon with a nil listener", func() { m.OnCarbon(nil) })
}

// TestRemoveExact: a remove func removes its own registration and no
// other (not even another registration of the same func), calling it
// again changes nothing; after Close, no listener hears anything, and a
// fresh Carbons's do; the session's enable is asked once, by the first.
func TestRemoveExact(t *testing.T) {
	var log testlog.Log
	tr := transcript(t, t.Name(), enable+sentCarbon("alice@localhost", "one")+
		`S: <message from='ctl@localhost/x' type='headline'><body>close</body></message>
`+sentCarbon("alice@localhost", "two")+done)
	c := xmpptest.NewConn(t, alice, tr)
	m := carbons.For(c)
	var removes []func()
	for _, name := range []string{"a", "b", "c"} {
		removes = append(removes, m.OnCarbon(func(cb carbons.Carbon) { log.Add("%s %s", name, cb.Message.Body("")) }))
	}
	same := func(cb carbons.Carbon) { log.Add("same %s", cb.Message.Body("")) }
	m.OnCarbon(same)
	removeSame := m.OnCarbon(same)
	removes[1]()
	removes[1]()
	removeSame()
	c.HandleMessage(stanza.From(ctl), func(msg *stanza.Message) {
		if msg.Body("") == "close" {
			m.Close()
			carbons.For(c).OnCarbon(func(cb carbons.Carbon) { log.Add("fresh %s", cb.Message.Body("")) })
		}
	})
	end := finished(c)
	require.NoError(t, c.Connect(ctxT(t)))
	waitFor(t, end, "done")
	assert.Equal(t, []string{"a one", "c one", "same one", "fresh two"}, log.Lines())
}

// TestAttachLoggedIn: a Carbons attached to a connection that is logged
// in already enables carbons at once, once.
func TestAttachLoggedIn(t *testing.T) {
	tr := transcript(t, t.Name(), `S: <message from='ctl@localhost/x' type='headline'><body>attach</body></message>
`+enable+done)
	c := xmpptest.NewConn(t, alice, tr)
	c.HandleMessage(stanza.From(ctl), func(msg *stanza.Message) {
		if msg.Body("") == "attach" {
			carbons.For(c)
		}
	})
	end := finished(c, func() { assert.True(t, carbons.For(c).Active()) })
	require.NoError(t, c.Connect(ctxT(t)))
	waitFor(t, end, "done")
}
