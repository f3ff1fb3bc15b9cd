package nick_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/nick"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = jid.MustParse("alice@localhost/a")

const nsEvent = `xmlns='http://jabber.org/protocol/pubsub#event'`

// record is written by listeners, read by the test once they ran.
type record struct {
	mu sync.Mutex
	s  []string
}

func (l *record) add(format string, args ...any) {
	l.mu.Lock()
	l.s = append(l.s, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *record) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.s...)
}

func event(from, body string) string {
	if from != "" {
		from = ` from='` + from + `'`
	}
	return `
S: <message` + from + ` type='headline'><event ` + nsEvent + `><items node='http://jabber.org/protocol/nick'>` + body + `</items></event></message>`
}

// TestNick: publishing one's nickname and clearing it, reading a
// contact's and one's own (none), and hearing the contacts' changes
// from their own accounts only, with the interest announced while a
// listener is registered.
func TestNick(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), event("bob@localhost", `<item id='a'><nick xmlns='http://jabber.org/protocol/nick'>Bob</nick></item>`)+
		event("bob@localhost/b", `<item id='b'><nick xmlns='http://jabber.org/protocol/nick'>Alice</nick></item>`)+
		event("pubsub.localhost", `<item id='c'><nick xmlns='http://jabber.org/protocol/nick'>Service</nick></item>`)+
		event("carol@localhost", `<item id='d'><nick xmlns='http://jabber.org/protocol/nick'> Carol </nick></item>`)+`
S: <message from='ctl@localhost' id='plain'/>`+
		event("bob@localhost", `<item id='e'><nick xmlns='http://jabber.org/protocol/nick'/></item>`)+
		event("carol@localhost", `<retract id='d'/>`)+
		event("", `<item id='f'><nick xmlns='http://jabber.org/protocol/nick'>Alice</nick></item>`)+`
S: <message from='ctl@localhost' id='end'/>
C: <iq type='set' id='{{p}}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='http://jabber.org/protocol/nick'><item><nick xmlns='http://jabber.org/protocol/nick'>Alice</nick></item></publish></pubsub></iq>
S: <iq type='result' id='{{p}}'/>
C: <iq type='set' id='{{q}}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='http://jabber.org/protocol/nick'><item><nick xmlns='http://jabber.org/protocol/nick'/></item></publish></pubsub></iq>
S: <iq type='result' id='{{q}}'/>
C: <iq type='get' id='{{g}}' to='bob@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='http://jabber.org/protocol/nick' max_items='1'/></pubsub></iq>
S: <iq type='result' id='{{g}}' from='bob@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='http://jabber.org/protocol/nick'><item id='e'><nick xmlns='http://jabber.org/protocol/nick'>Bobby</nick></item></items></pubsub></iq>
C: <iq type='get' id='{{h}}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='http://jabber.org/protocol/nick' max_items='1'/></pubsub></iq>
S: <iq type='error' id='{{h}}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := nick.For(c)
	assert.Same(t, m, nick.For(c))
	assert.PanicsWithValue(t, "nick: OnNick with a nil listener", func() { m.OnNick(nil) })
	var l record
	c.HandleMessage(stanza.WithID("plain"), func(*stanza.Message) { l.add("plain") })
	removeA := m.OnNick(func(n nick.Nick) { l.add("a %s %q", n.JID, n.Name) })
	removeB := m.OnNick(func(n nick.Nick) { l.add("b %s %q", n.JID, n.Name) })
	assert.Contains(t, c.Announced(), nick.NS+"+notify")
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) {
		removeB()
		removeB()
		close(done)
	})
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{
		`a bob@localhost "Bob"`, `b bob@localhost "Bob"`,
		`a carol@localhost "Carol"`, `b carol@localhost "Carol"`,
		"plain",
		`a bob@localhost ""`, `b bob@localhost ""`,
		`a carol@localhost ""`, `b carol@localhost ""`,
		`a alice@localhost "Alice"`, `b alice@localhost "Alice"`,
	}, l.get())
	assert.Contains(t, c.Announced(), nick.NS+"+notify", "a listener is left")

	ctx := t.Context()
	require.NoError(t, m.Publish(ctx, "Alice"))
	require.NoError(t, m.Publish(ctx, ""))
	name, err := m.Get(ctx, jid.MustParse("bob@localhost/b"))
	require.NoError(t, err)
	assert.Equal(t, "Bobby", name)
	name, err = m.Get(ctx, jid.JID{})
	require.NoError(t, err)
	assert.Empty(t, name)

	removeA()
	assert.NotContains(t, c.Announced(), nick.NS+"+notify", "no listener: no interest")
	m.OnNick(func(nick.Nick) {})
	m.Close()
	m.Close()
	assert.NotContains(t, c.Announced(), nick.NS+"+notify", "Close withdraws it")
	assert.Nil(t, xmpp.Attached[nick.Manager](c))
	assert.NotSame(t, m, nick.For(c))
}

// TestOfSet: a nickname in a subscription request is read, replaced and
// added; an IQ carries none.
func TestOfSet(t *testing.T) {
	p := wiretest.Decode(t, `<presence from='bob@localhost' type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'>Bob</nick></presence>`).(*stanza.Presence)
	name, ok := nick.Of(p)
	assert.True(t, ok)
	assert.Equal(t, "Bob", name)
	c := p.Clone()
	nick.Set(c, "Robert")
	name, _ = nick.Of(c)
	assert.Equal(t, "Robert", name)
	assert.Len(t, c.Extensions, 1)
	msg := &stanza.Message{}
	_, ok = nick.Of(msg)
	assert.False(t, ok)
	nick.Set(msg, "Alice")
	name, ok = nick.Of(msg)
	assert.True(t, ok)
	assert.Equal(t, "Alice", name)
	iq := &stanza.IQ{}
	nick.Set(iq, "x")
	_, ok = nick.Of(iq)
	assert.False(t, ok)
}

// FuzzOf: whatever a stanza carries, a nickname read is written by Set
// and read back as itself.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f,
		`<presence type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'> Bob </nick></presence>`,
		`<message><nick xmlns='http://jabber.org/protocol/nick'><b/>x<![CDATA[y]]></nick><nick xmlns='http://jabber.org/protocol/nick'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			name, ok := nick.Of(st)
			if !ok {
				return true
			}
			back := &stanza.Message{}
			nick.Set(back, name)
			again, ok := nick.Of(back)
			if !ok || again != name {
				t.Fatalf("%q written and read is %q", name, again)
			}
			return true
		})
	})
}

// TestLowerClosed: after the pep.Manager and the pubsub.Manager below
// are closed, OnNick registers through fresh ones and hears the events.
func TestLowerClosed(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), event("bob@localhost", `<item id='a'><nick xmlns='http://jabber.org/protocol/nick'>Bob</nick></item>`)+`
S: <message from='ctl@localhost' id='end'/>`)
	c := xmpptest.NewConn(t, alice, tr)
	m := nick.For(c)
	pep.For(c).Close()
	pubsub.For(c).Close()
	var l record
	m.OnNick(func(n nick.Nick) { l.add("%s %q", n.JID, n.Name) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{`bob@localhost "Bob"`}, l.get())
}

// TestEventKinds: a configuration change, an item without payload and an
// item without a <nick/> say nothing of the nickname and are not
// reported; a purge and a deletion clear it.
func TestEventKinds(t *testing.T) {
	raw := func(body string) string {
		return `
S: <message from='bob@localhost' type='headline'><event ` + nsEvent + `>` + body + `</event></message>`
	}
	tr := xmpptest.MustParseTranscript(t, t.Name(),
		raw(`<configuration node='http://jabber.org/protocol/nick'/>`)+
			event("bob@localhost", `<item id='a'/>`)+
			event("bob@localhost", `<item id='b'><other xmlns='urn:example:other'/></item>`)+
			event("bob@localhost", `<item id='c'><nick xmlns='http://jabber.org/protocol/nick'>Bob</nick></item><item id='d'/>`)+
			raw(`<purge node='http://jabber.org/protocol/nick'/>`)+
			event("bob@localhost", `<item id='e'><nick xmlns='http://jabber.org/protocol/nick'>Bobby</nick></item>`)+
			raw(`<delete node='http://jabber.org/protocol/nick'/>`)+`
S: <message from='ctl@localhost' id='end'/>`)
	c := xmpptest.NewConn(t, alice, tr)
	m := nick.For(c)
	var l record
	m.OnNick(func(n nick.Nick) { l.add("%s %q", n.Event.Kind, n.Name) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{`items "Bob"`, `purge ""`, `items "Bobby"`, `delete ""`}, l.get())
}
