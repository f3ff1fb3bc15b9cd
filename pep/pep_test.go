package pep_test

import (
	"encoding/xml"
	"sort"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = jid.MustParse("alice@localhost/a")

const (
	entry   = "urn:example:entry"
	other   = "urn:example:other"
	nsEvent = `xmlns='http://jabber.org/protocol/pubsub#event'`
)

// features are the client's features with the pep Manager attached
// (caps and disco), plus extra.
func features(extra ...string) []string {
	f := append([]string{caps.NS, disco.NSInfo, disco.NSItems}, extra...)
	sort.Strings(f)
	return f
}

// ver is the caps ver of the default identity with these features.
func ver(t *testing.T, features []string) string {
	v, err := caps.Ver(&disco.Info{Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "gosmack"}}, Features: features}, caps.DefaultHash)
	require.NoError(t, err)
	return v
}

func presence(id, ver string) string {
	return `
C: <presence id='{{` + id + `}}'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='` + ver + `'/></presence>`
}

func event(from, node, id string) string {
	if from != "" {
		from = ` from='` + from + `'`
	}
	return `
S: <message` + from + ` to='alice@localhost/a' type='headline'><event ` + nsEvent + `><items node='` + node + `'><item id='` + id + `'/></items></event></message>`
}

func ctl(body string) string {
	return `
S: <message from='ctl@localhost' id='` + body + `'/>`
}

// TestInterest: a listener on a node announces node+notify, which the
// first presence's caps carry (the contacts' servers ask for the info
// behind the ver and find it); notifications of that node come from the
// contacts' and the account's own PEP; not from a pubsub service's node
// of the same name, not from a full JID, not of other nodes. A listener
// added later sends the presence again with the new ver; removing the
// listeners withdraws the features, and the presence goes out again.
func TestInterest(t *testing.T) {
	one := features(entry + pep.NotifySuffix)
	two := features(entry+pep.NotifySuffix, other+pep.NotifySuffix)
	none := features()
	var answer strings.Builder
	for _, f := range one {
		answer.WriteString(`<feature var='` + f + `'/>`)
	}
	tr := xmpptest.MustParseTranscript(t, t.Name(), presence("p1", ver(t, one))+`
S: <iq type='get' id='i1' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='https://github.com/gosmack/gosmack#`+ver(t, one)+`'/></iq>
C: <iq type='result' id='i1' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='https://github.com/gosmack/gosmack#`+ver(t, one)+`'><identity category='client' type='pc' name='gosmack'/>`+answer.String()+`</query></iq>`+
		event("bob@localhost", entry, "bob1")+
		event("pubsub.localhost", entry, "service")+
		event("bob@localhost/b", entry, "full")+
		event("bob@localhost", other, "other")+
		event("alice@localhost", entry, "own1")+
		event("", entry, "own2")+
		ctl("more")+presence("p2", ver(t, two))+
		event("carol@localhost", other, "carol1")+
		ctl("less")+presence("p3", ver(t, none))+
		event("bob@localhost", entry, "bob2")+
		ctl("end"))
	c := xmpptest.NewConn(t, alice, tr, func(cfg *xmpp.Config) { cfg.NoInitialPresence = false })
	p := pep.For(c)
	var log testlog.Log
	removeEntry := p.OnEvent(entry, func(e pubsub.Event) { log.Add("%s %s %s", e.Service, e.Node, e.Items[0].ID) })
	assert.Equal(t, []string{entry}, p.Interests())
	var removeOther func()
	c.HandleMessage(stanza.From(jid.MustParse("ctl@localhost")), func(m *stanza.Message) {
		log.Add("plain %s", m.ID)
		switch m.ID {
		case "more":
			removeOther = p.OnEvent(other, func(e pubsub.Event) { log.Add("%s %s %s", e.Service, e.Node, e.Items[0].ID) })
		case "less":
			removeOther()
			removeEntry()
			removeEntry()
		}
	})
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{
		"bob@localhost urn:example:entry bob1",
		"alice@localhost urn:example:entry own1",
		"alice@localhost urn:example:entry own2",
		"plain more",
		"carol@localhost urn:example:other carol1",
		"plain less",
		"plain end",
	}, log.Lines())
	assert.Empty(t, p.Interests())
}

// TestPublish: publishing goes to the account's own PEP service (no to),
// with the publish-options given; Node reads a contact's node at its
// bare JID.
func TestPublish(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), `
C: <iq type='set' id='{{a}}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:example:entry'><item id='current'><e xmlns='urn:example:entry'>hi</e></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#access_model'><value>presence</value></field></x></publish-options></pubsub></iq>
S: <iq type='result' id='{{a}}'/>
C: <iq type='get' id='{{b}}' to='bob@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:example:entry' max_items='1'/></pubsub></iq>
S: <iq type='result' id='{{b}}' from='bob@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:example:entry'><item id='current'><e xmlns='urn:example:entry'>hello</e></item></items></pubsub></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	p := pep.For(c)
	require.NoError(t, c.Connect(t.Context()))
	e := &stanza.Node{Name: xml.Name{Space: entry, Local: "e"}, Nodes: []stanza.Node{{Text: "hi"}}}
	id, err := p.Publish(t.Context(), entry, pubsub.Item{ID: "current", Payload: e}, pubsub.PublishOptions{AccessModel: pubsub.AccessPresence})
	require.NoError(t, err)
	assert.Equal(t, "current", id)
	page, err := p.Node(jid.MustParse("bob@localhost/b"), entry).Items(t.Context(), pubsub.ItemsQuery{Last: 1})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "hello", page.Items[0].Payload.InnerText())
}

// TestShape: one Manager per connection, a fresh one after Close; nil
// and empty nodes refused; removing one listener of a node leaves the
// other's interest announced, and removing it again changes nothing;
// Close withdraws every interest.
func TestShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	p := pep.For(c)
	assert.Same(t, p, pep.For(c))
	assert.NotNil(t, xmpp.Attached[caps.Tracker](c), "caps carry the interests")
	assert.NotNil(t, xmpp.Attached[pubsub.Manager](c))
	assert.PanicsWithValue(t, "pep: OnEvent with a nil listener", func() { p.OnEvent(entry, nil) })
	assert.PanicsWithValue(t, "pep: OnEvent with an empty node", func() { p.OnEvent("", func(pubsub.Event) {}) })

	a := p.OnEvent(entry, func(pubsub.Event) {})
	p.OnEvent(entry, func(pubsub.Event) {})
	p.OnEvent(other, func(pubsub.Event) {})
	a()
	a()
	assert.Equal(t, []string{entry, other}, p.Interests())
	assert.Contains(t, c.Announced(), entry+pep.NotifySuffix)

	p.Close()
	p.Close()
	assert.Empty(t, p.Interests())
	assert.Nil(t, xmpp.Attached[pep.Manager](c))
	fresh := pep.For(c)
	assert.NotSame(t, p, fresh)
	late := p.OnEvent(entry, func(pubsub.Event) {})
	assert.Empty(t, fresh.Interests(), "a closed Manager keeps no interest")
	late()
}

// TestPubsubClosed: after the pubsub.Manager below is closed, a listener
// registered through pep goes through the fresh one and hears its
// events.
func TestPubsubClosed(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), event("bob@localhost", entry, "bob1")+ctl("end"))
	c := xmpptest.NewConn(t, alice, tr)
	p := pep.For(c)
	pubsub.For(c).Close()
	var log testlog.Log
	p.OnEvent(entry, func(e pubsub.Event) { log.Add("%s %s %s", e.Service, e.Node, e.Items[0].ID) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{"bob@localhost urn:example:entry bob1"}, log.Lines())
}
