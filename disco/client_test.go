package disco_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = jid.MustParse("alice@localhost/test")

func transcript(t *testing.T, text string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), text)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestAnswer: the client answers disco#info with its identity and the
// features announced on the connection, disco#items with its items, a
// node with the node's handler, and an unknown node with item-not-found.
func TestAnswer(t *testing.T) {
	tr := transcript(t, `
S: <iq type='get' id='i1' from='bob@localhost/b' to='alice@localhost/test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
C: <iq type='result' id='i1' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'>
     <identity category='client' type='pc' name='gosmack'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='http://jabber.org/protocol/disco#items'/>
     <feature var='urn:xmpp:ping'/>
   </query></iq>
S: <iq type='get' id='i2' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
C: <iq type='result' id='i2' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items'>
     <item jid='alice@localhost/test' node='http://jabber.org/protocol/commands' name='Commands'/>
   </query></iq>
S: <iq type='get' id='i3' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'/></iq>
C: <iq type='result' id='i3' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'>
     <identity category='automation' type='command-list'/>
   </query></iq>
S: <iq type='get' id='i4' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>
C: <iq type='result' id='i4' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'>
     <item jid='alice@localhost/test' node='config' name='Configure'/>
   </query></iq>
S: <iq type='get' id='i5' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='nowhere'/></iq>
C: <iq type='error' id='i5' to='bob@localhost/b'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='get' id='i6' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items' node='nowhere'/></iq>
C: <iq type='error' id='i6' to='bob@localhost/b'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='get' id='i7' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='items-only'/></iq>
C: <iq type='error' id='i7' to='bob@localhost/b'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='get' id='i8' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='failing'/></iq>
C: <iq type='error' id='i8' to='bob@localhost/b'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	commands := "http://jabber.org/protocol/commands"
	c := xmpptest.NewConn(t, alice, tr)
	d := disco.For(c)
	c.Announce("urn:xmpp:ping")
	d.AddItem(disco.Item{JID: alice, Node: commands, Name: "Commands"})
	d.HandleNode(commands, disco.NodeHandler{
		Info: func(_ context.Context, iq *stanza.IQ) (*disco.Info, error) {
			assert.Equal(t, "bob@localhost/b", iq.From.String())
			return &disco.Info{Identities: []disco.Identity{{Category: "automation", Type: "command-list"}}}, nil
		},
		Items: func(context.Context, *stanza.IQ) ([]disco.Item, error) {
			return []disco.Item{{JID: alice, Node: "config", Name: "Configure"}}, nil
		},
	})
	d.HandleNode("items-only", disco.NodeHandler{})
	d.HandleNode("failing", disco.NodeHandler{Info: func(context.Context, *stanza.IQ) (*disco.Info, error) {
		return nil, stanza.NewError(stanza.Auth, stanza.Forbidden)
	}})
	require.NoError(t, c.Connect(ctxT(t)))
}

// TestAnswerChanges: features withdrawn, forms added and removed, and a
// removed node show in the next answer; OnChange hears each change, on
// the dispatcher.
func TestAnswerChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The server asks while the client waits for the reply to its
		// ping, so each question comes after the changes before that ping.
		tr := transcript(t, `
C: <iq type='get' id='{{sync1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='get' id='i1' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
C: <iq type='result' id='i1' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'>
     <identity category='client' type='phone' name='Téléphone' xml:lang='fr'/>
     <identity category='client' type='phone' name='Phone' xml:lang='en'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='http://jabber.org/protocol/disco#items'/>
     <x xmlns='jabber:x:data' type='result'>
       <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
       <field var='software'><value>gosmack</value></field>
     </x>
   </query></iq>
S: <iq type='result' id='{{sync1}}'/>
C: <iq type='get' id='{{sync2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='get' id='i2' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
C: <iq type='result' id='i2' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'>
     <identity category='client' type='phone' name='Téléphone' xml:lang='fr'/>
     <identity category='client' type='phone' name='Phone' xml:lang='en'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='http://jabber.org/protocol/disco#items'/>
   </query></iq>
S: <iq type='get' id='i3' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='n'/></iq>
C: <iq type='error' id='i3' to='bob@localhost/b'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='result' id='{{sync2}}'/>
`)
		c := xmpptest.NewConn(t, alice, tr)
		d := disco.For(c)
		d.SetIdentities(
			disco.Identity{Category: "client", Type: "phone", Name: "Téléphone", Lang: "fr"},
			disco.Identity{Category: "client", Type: "phone", Name: "Phone", Lang: "en"})
		require.NoError(t, c.Connect(ctxT(t)))
		changes := 0
		d.OnChange(func() { changes++ })
		withdraw := c.Announce("urn:xmpp:receipts")
		withdraw()
		removeForm := d.AddForm(dataform.New(dataform.TypeResult, "urn:xmpp:dataforms:softwareinfo",
			dataform.Field{Var: "software", Values: []string{"gosmack"}}))
		removeNode := d.HandleNode("n", disco.NodeHandler{Items: func(context.Context, *stanza.IQ) ([]disco.Item, error) { return nil, nil }})
		synctest.Wait()
		assert.Equal(t, 3, changes, "two feature changes and a form; a node is no change")
		sync(t, c)
		removeForm()
		removeForm()
		removeNode()
		synctest.Wait()
		assert.Equal(t, 4, changes)
		sync(t, c)
		assert.Panics(t, func() { d.AddForm(dataform.Form{}) }, "no FORM_TYPE")
		d.AddForm(dataform.New(dataform.TypeResult, "urn:x"))
		assert.Panics(t, func() { d.AddForm(dataform.New(dataform.TypeResult, "urn:x")) }, "same FORM_TYPE twice")
		assert.Panics(t, func() {
			d.AddForm(dataform.Form{Fields: []dataform.Field{{Var: "FORM_TYPE", Type: "hidden", Values: []string{"urn:y", "urn:z"}}}})
		}, "two FORM_TYPE values")
		assert.Panics(t, func() { d.HandleNode("", disco.NodeHandler{}) })
		assert.Panics(t, func() { d.HandleNode("n2", disco.NodeHandler{}); d.HandleNode("n2", disco.NodeHandler{}) })
	})
}

// sync pings the server and waits for the reply.
func sync(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xmlName("urn:xmpp:ping", "ping")}}
	iq.To = jid.MustParse("localhost")
	_, err := c.SendIQ(ctxT(t), iq)
	require.NoError(t, err)
}

func TestIdentityPanics(t *testing.T) {
	d := disco.For(xmpp.New(xmpp.Config{JID: alice}))
	assert.Panics(t, func() { d.SetIdentities(disco.Identity{Category: "client"}) })
	assert.Panics(t, func() { d.SetIdentities(disco.Identity{Type: "pc"}) })
	assert.Panics(t, func() {
		d.SetIdentities(disco.Identity{Category: "client", Type: "pc", Name: "a"}, disco.Identity{Category: "client", Type: "pc", Name: "b"})
	})
	assert.Equal(t, []disco.Identity{{Category: "client", Type: "pc", Name: "gosmack"}}, d.Identities(), "unchanged")
	// Same category and type in two languages is fine.
	d.SetIdentities(disco.Identity{Category: "client", Type: "pc", Name: "a", Lang: "en"}, disco.Identity{Category: "client", Type: "pc", Name: "b", Lang: "fr"})
	assert.Len(t, d.Identities(), 2)
}

func TestDefaults(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	d := disco.For(c)
	info := d.OwnInfo()
	assert.Equal(t, []disco.Identity{{Category: "client", Type: "pc", Name: "gosmack"}}, info.Identities)
	assert.Equal(t, []string{disco.NSInfo, disco.NSItems}, info.Features)
	d.SetIdentities(disco.Identity{Name: "mine"})
	assert.Equal(t, []disco.Identity{{Category: "client", Type: "pc", Name: "mine"}}, d.OwnInfo().Identities)
	d.SetIdentities()
	assert.Equal(t, []disco.Identity{{Category: "client", Type: "pc", Name: "gosmack"}}, d.Identities(), "none is the default")
	d.Close()
	d.Close()
	assert.Empty(t, c.Announced())
}

// TestShape: the one shape of every manager. For gives the connection's
// one Client, and a fresh one after Close; a nil listener is refused; a
// remove func removes exactly its registration, however often called.
func TestShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpp.New(xmpp.Config{JID: alice})
		d := disco.For(c)
		require.Same(t, d, disco.For(c))
		require.Same(t, c, d.Conn())
		assert.PanicsWithValue(t, "disco: OnChange with a nil listener", func() { d.OnChange(nil) })

		var got []string
		removeA := d.OnChange(func() { got = append(got, "a") })
		d.OnChange(func() { got = append(got, "b") })
		removeC := d.OnChange(func() { got = append(got, "c") })
		c.Announce("urn:example:1")
		synctest.Wait()
		assert.Equal(t, []string{"a", "b", "c"}, got)
		got = nil
		removeA()
		removeA()
		removeC()
		c.Announce("urn:example:2")
		synctest.Wait()
		assert.Equal(t, []string{"b"}, got, "only the one left")

		d.Close()
		got = nil
		c.Announce("urn:example:3")
		synctest.Wait()
		assert.Empty(t, got, "a closed Client tells nobody")
		d2 := disco.For(c)
		require.NotSame(t, d, d2, "a fresh one after Close")
		assert.Same(t, d2, disco.For(c))
		assert.Contains(t, d2.OwnInfo().Features, disco.NSInfo)
	})
}

// TestWireOrder: OnChange runs on the dispatcher, in order with the
// stanzas around it: a change that a message listener makes is heard
// after that listener returns and before the next message, and a change
// made from another goroutine between two queued funcs is heard between
// them.
func TestWireOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The client answers m1 only after the change is queued, so m2
		// cannot overtake it.
		tr := transcript(t, `
S: <message from='bob@localhost/b' id='m1'><body>1</body></message>
C: <message to='bob@localhost/b' id='{{a}}'><body>ok</body></message>
S: <message from='bob@localhost/b' id='m2'><body>2</body></message>
S: <iq type='get' id='i1' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
C: <iq type='result' id='i1' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'>
     <identity category='client' type='pc' name='gosmack'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='http://jabber.org/protocol/disco#items'/>
     <feature var='urn:example:one'/>
   </query></iq>
S: <message from='bob@localhost/b' id='m3'><body>3</body></message>
`)
		var got []string
		running := false
		done := make(chan struct{})
		record := func(s string) {
			assert.False(t, running, "one at a time")
			running = true
			got = append(got, s)
			running = false
			if len(got) == 7 {
				close(done)
			}
		}
		c := xmpptest.NewConn(t, alice, tr)
		d := disco.For(c)
		d.OnChange(func() { record("change " + strings.Join(d.OwnInfo().Features[2:], ",")) })
		c.HandleMessage(nil, func(m *stanza.Message) {
			record("message " + m.ID)
			if m.ID == "m1" {
				c.Announce("urn:example:one")
				assert.NoError(t, c.Send(t.Context(), m.Reply("ok")))
				record("m1 done")
			}
			if m.ID == "m3" {
				c.Dispatch(func() { record("queued") })
				d.AddForm(dataform.New(dataform.TypeResult, "urn:example:form"))
			}
		})
		require.NoError(t, c.Connect(ctxT(t)))
		select {
		case <-done:
		case <-time.After(xmpptest.ReplayTimeout):
			t.Fatal("the script did not get to its end")
		}
		synctest.Wait()
		assert.Equal(t, []string{
			"message m1", "m1 done", "change urn:example:one",
			"message m2",
			"message m3", "queued", "change urn:example:one",
		}, got)
	})
}

// TestQuery: Info, Items and Supports ask another entity and read its
// answer; an error reply is a *stanza.Error.
func TestQuery(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{q1}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{q1}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'>
     <identity category='server' type='im' name='Prosody'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='urn:xmpp:ping'/>
     <x xmlns='jabber:x:data' type='result'>
       <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/network/serverinfo</value></field>
       <field var='abuse-addresses' type='list-multi'><value>mailto:abuse@localhost</value></field>
     </x>
   </query></iq>
C: <iq type='get' id='{{q2}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq type='result' id='{{q2}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#items'>
     <item jid='conference.localhost' name='Chatrooms'/>
     <item jid='pubsub.localhost' node='princely_musings'/>
   </query></iq>
C: <iq type='get' id='{{q3}}' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='x'/></iq>
S: <iq type='error' id='{{q3}}' from='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='x'/>
     <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{q4}}' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{q4}}' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'>
     <identity category='client' type='pc'/><feature var='urn:xmpp:receipts'/></query></iq>
C: <iq type='get' id='{{q5}}' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items' node='n'/></iq>
S: <iq type='result' id='{{q5}}' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='not a jid@'/></query></iq>
C: <iq type='get' id='{{q6}}' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{q6}}' from='bob@localhost/b'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	d := disco.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	server := jid.MustParse("localhost")
	info, err := d.Info(ctxT(t), server, "")
	require.NoError(t, err)
	assert.True(t, info.HasIdentity("server", "im"))
	assert.Equal(t, []string{disco.NSInfo, "urn:xmpp:ping"}, info.Features)
	require.NotNil(t, info.Form("http://jabber.org/network/serverinfo"))
	assert.Equal(t, []string{"mailto:abuse@localhost"}, info.Form("http://jabber.org/network/serverinfo").Field("abuse-addresses").Values)

	items, err := d.Items(ctxT(t), server, "")
	require.NoError(t, err)
	assert.Equal(t, []disco.Item{
		{JID: jid.MustParse("conference.localhost"), Name: "Chatrooms"},
		{JID: jid.MustParse("pubsub.localhost"), Node: "princely_musings"},
	}, items)

	_, err = d.Info(ctxT(t), jid.MustParse("conference.localhost"), "x")
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})

	bob := jid.MustParse("bob@localhost/b")
	ok, err := d.Supports(ctxT(t), bob, "urn:xmpp:receipts")
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = d.Items(ctxT(t), bob, "n")
	require.ErrorIs(t, err, disco.ErrMalformed)

	_, err = d.Info(ctxT(t), bob, "")
	require.True(t, errors.Is(err, disco.ErrMalformed), "%v", err)
}
