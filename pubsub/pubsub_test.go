package pubsub_test

import (
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/rsm"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice   = jid.MustParse("alice@localhost/a")
	service = jid.MustParse("pubsub.localhost")
)

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

const (
	nsPS    = `xmlns='http://jabber.org/protocol/pubsub'`
	nsOwner = `xmlns='http://jabber.org/protocol/pubsub#owner'`
	nsEvent = `xmlns='http://jabber.org/protocol/pubsub#event'`
	entry   = `<entry xmlns='urn:example:entry'>%s</entry>`
)

func payload(text string) *stanza.Node {
	return &stanza.Node{Name: xml.Name{Space: "urn:example:entry", Local: "entry"}, Nodes: []stanza.Node{{Text: text}}}
}

func form(formType string, fields string) string {
	return `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>` + formType + `</value></field>` + fields + `</x>`
}

func field(v, value string) string {
	return `<field var='` + v + `'><value>` + value + `</value></field>`
}

func summary(items []pubsub.Item) []string {
	var s []string
	for _, it := range items {
		text := ""
		if it.Payload != nil {
			text = it.Payload.Name.Local + ":" + it.Payload.InnerText()
		}
		s = append(s, fmt.Sprintf("%s %s %s", it.ID, it.Publisher, text))
	}
	return s
}

// TestOwner: an owner creates a node with a configuration form, reads
// and submits its configuration, purges and deletes it; an instant node
// gets the service's name; errors come back as stanza errors.
func TestOwner(t *testing.T) {
	tr := transcript(t, `
C: <iq type='set' id='{{c}}' to='pubsub.localhost'><pubsub `+nsPS+`><create node='news'/><configure>`+form(pubsub.NSNodeConfig, field("pubsub#access_model", "open"))+`</configure></pubsub></iq>
S: <iq type='result' id='{{c}}' from='pubsub.localhost'/>
C: <iq type='get' id='{{g}}' to='pubsub.localhost'><pubsub `+nsOwner+`><configure node='news'/></pubsub></iq>
S: <iq type='result' id='{{g}}' from='pubsub.localhost'><pubsub `+nsOwner+`><configure node='news'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#title' type='text-single'/><field var='pubsub#max_items' type='text-single'><value>10</value></field></x></configure></pubsub></iq>
C: <iq type='set' id='{{s}}' to='pubsub.localhost'><pubsub `+nsOwner+`><configure node='news'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#title' type='text-single'><value>News</value></field><field var='pubsub#max_items' type='text-single'><value>10</value></field></x></configure></pubsub></iq>
S: <iq type='result' id='{{s}}' from='pubsub.localhost'/>
C: <iq type='set' id='{{p}}' to='pubsub.localhost'><pubsub `+nsOwner+`><purge node='news'/></pubsub></iq>
S: <iq type='result' id='{{p}}' from='pubsub.localhost'/>
C: <iq type='set' id='{{d}}' to='pubsub.localhost'><pubsub `+nsOwner+`><delete node='news'/></pubsub></iq>
S: <iq type='result' id='{{d}}' from='pubsub.localhost'/>
C: <iq type='set' id='{{d2}}' to='pubsub.localhost'><pubsub `+nsOwner+`><delete node='news'/></pubsub></iq>
S: <iq type='error' id='{{d2}}' from='pubsub.localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='set' id='{{i}}' to='pubsub.localhost'><pubsub `+nsPS+`><create/></pubsub></iq>
S: <iq type='result' id='{{i}}' from='pubsub.localhost'><pubsub `+nsPS+`><create node='25e3d37dabbab9541f7523321421edc5bfeb2dae'/></pubsub></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()

	conf := pubsub.NodeConfig(dataform.Field{Var: pubsub.VarAccessModel, Values: []string{pubsub.AccessOpen}})
	n, err := m.Create(ctx, service, "news", &conf)
	require.NoError(t, err)
	assert.Equal(t, "news", n.Name())
	assert.Equal(t, service, n.Service())

	f, err := n.Config(ctx)
	require.NoError(t, err)
	assert.Equal(t, pubsub.NSNodeConfig, f.FormType())
	a, err := f.Answer()
	require.NoError(t, err)
	require.NoError(t, a.Set("pubsub#title", "News"))
	sub, err := a.Submit()
	require.NoError(t, err)
	require.NoError(t, n.Configure(ctx, sub))
	require.NoError(t, n.Purge(ctx))
	require.NoError(t, n.Delete(ctx))
	err = n.Delete(ctx)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})

	instant, err := m.Create(ctx, service, "", nil)
	require.NoError(t, err)
	assert.Equal(t, "25e3d37dabbab9541f7523321421edc5bfeb2dae", instant.Name())
}

// TestPublish: publish with publish-options to the account's own PEP
// (no to), with the id the service gives; a publish whose result is
// empty keeps the item's id; a precondition the service refuses is its
// stanza error; retract, with and without notify.
func TestPublish(t *testing.T) {
	tr := transcript(t, `
C: <iq type='set' id='{{a}}'><pubsub `+nsPS+`><publish node='urn:example:entry'><item>`+fmt.Sprintf(entry, "one")+`</item></publish><publish-options>`+form(pubsub.NSPublishOptions, field("pubsub#access_model", "whitelist")+field("pubsub#persist_items", "true")+field("pubsub#max_items", "max")+field("pubsub#send_last_published_item", "never")+field("pubsub#notify_retract", "1"))+`</publish-options></pubsub></iq>
S: <iq type='result' id='{{a}}'><pubsub `+nsPS+`><publish node='urn:example:entry'><item id='ae890ac52d0df67ed7cfdf51b644e901'/></publish></pubsub></iq>
C: <iq type='set' id='{{b}}'><pubsub `+nsPS+`><publish node='urn:example:entry'><item id='current'>`+fmt.Sprintf(entry, "two")+`</item></publish></pubsub></iq>
S: <iq type='result' id='{{b}}' from='alice@localhost'/>
C: <iq type='set' id='{{c}}'><pubsub `+nsPS+`><publish node='urn:example:entry'><item id='current'/></publish><publish-options>`+form(pubsub.NSPublishOptions, field("pubsub#access_model", "open"))+`</publish-options></pubsub></iq>
S: <iq type='error' id='{{c}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>
C: <iq type='set' id='{{r}}'><pubsub `+nsPS+`><retract node='urn:example:entry' notify='true'><item id='current'/></retract></pubsub></iq>
S: <iq type='result' id='{{r}}'/>
C: <iq type='set' id='{{r2}}' to='pubsub.localhost'><pubsub `+nsPS+`><retract node='news'><item id='x'/></retract></pubsub></iq>
S: <iq type='result' id='{{r2}}' from='pubsub.localhost'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()

	own := m.Node(jid.JID{}, "urn:example:entry")
	id, err := own.Publish(ctx, pubsub.Item{Payload: payload("one")}, pubsub.PublishOptions{
		AccessModel: pubsub.AccessWhitelist, PersistItems: true, MaxItems: pubsub.MaxItemsMax, SendLastPublishedItem: "never",
		Fields: []dataform.Field{{Var: "pubsub#notify_retract", Values: []string{"1"}}},
	})
	require.NoError(t, err)
	assert.Equal(t, "ae890ac52d0df67ed7cfdf51b644e901", id)

	id, err = own.Publish(ctx, pubsub.Item{ID: "current", Payload: payload("two")}, pubsub.PublishOptions{})
	require.NoError(t, err)
	assert.Equal(t, "current", id)

	_, err = own.Publish(ctx, pubsub.Item{ID: "current"}, pubsub.PublishOptions{AccessModel: pubsub.AccessOpen})
	var se *stanza.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, stanza.Conflict, se.Condition)

	require.NoError(t, own.Retract(ctx, "current", true))
	require.NoError(t, m.Node(service, "news").Retract(ctx, "x", false))
}

// TestSubscribe: subscribe with the account's bare JID, list
// subscriptions and affiliations (of a node, of the whole service),
// unsubscribe.
func TestSubscribe(t *testing.T) {
	tr := transcript(t, `
C: <iq type='set' id='{{a}}' to='pubsub.localhost'><pubsub `+nsPS+`><subscribe node='news' jid='alice@localhost'/></pubsub></iq>
S: <iq type='result' id='{{a}}' from='pubsub.localhost'><pubsub `+nsPS+`><subscription node='news' jid='alice@localhost' subid='ba49252aaa4f5d320c24d3766f0bdcade78c78d3' subscription='subscribed'/></pubsub></iq>
C: <iq type='set' id='{{p}}' to='pubsub.localhost'><pubsub `+nsPS+`><subscribe node='closed' jid='alice@localhost'/></pubsub></iq>
S: <iq type='result' id='{{p}}' from='pubsub.localhost'><pubsub `+nsPS+`><subscription node='closed' jid='alice@localhost' subscription='pending'/></pubsub></iq>
C: <iq type='get' id='{{s}}' to='pubsub.localhost'><pubsub `+nsPS+`><subscriptions/></pubsub></iq>
S: <iq type='result' id='{{s}}' from='pubsub.localhost'><pubsub `+nsPS+`><subscriptions><subscription node='news' jid='alice@localhost' subscription='subscribed' subid='ba49'/><subscription node='closed' jid='alice@localhost' subscription='pending'/></subscriptions></pubsub></iq>
C: <iq type='get' id='{{s2}}' to='pubsub.localhost'><pubsub `+nsPS+`><subscriptions node='news'/></pubsub></iq>
S: <iq type='result' id='{{s2}}' from='pubsub.localhost'><pubsub `+nsPS+`><subscriptions node='news'><subscription jid='alice@localhost' subscription='subscribed'/></subscriptions></pubsub></iq>
C: <iq type='get' id='{{f}}' to='pubsub.localhost'><pubsub `+nsPS+`><affiliations/></pubsub></iq>
S: <iq type='result' id='{{f}}' from='pubsub.localhost'><pubsub `+nsPS+`><affiliations><affiliation node='news' affiliation='owner'/><affiliation node='closed' affiliation='publisher'/></affiliations></pubsub></iq>
C: <iq type='get' id='{{f2}}' to='pubsub.localhost'><pubsub `+nsPS+`><affiliations node='news'/></pubsub></iq>
S: <iq type='result' id='{{f2}}' from='pubsub.localhost'><pubsub `+nsPS+`><affiliations node='news'><affiliation affiliation='owner'/></affiliations></pubsub></iq>
C: <iq type='set' id='{{u}}' to='pubsub.localhost'><pubsub `+nsPS+`><unsubscribe node='news' jid='alice@localhost' subid='ba49'/></pubsub></iq>
S: <iq type='result' id='{{u}}' from='pubsub.localhost'/>
C: <iq type='set' id='{{b}}' to='pubsub.localhost'><pubsub `+nsPS+`><subscribe node='bad' jid='alice@localhost'/></pubsub></iq>
S: <iq type='result' id='{{b}}' from='pubsub.localhost'><pubsub `+nsPS+`><subscription node='bad' jid='@' subscription='subscribed'/></pubsub></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()
	n := m.Node(service, "news")

	s, err := n.Subscribe(ctx)
	require.NoError(t, err)
	assert.Equal(t, pubsub.Subscription{Node: "news", JID: alice.Bare(), SubID: "ba49252aaa4f5d320c24d3766f0bdcade78c78d3", State: pubsub.StateSubscribed}, s)
	s, err = m.Node(service, "closed").Subscribe(ctx)
	require.NoError(t, err)
	assert.Equal(t, pubsub.StatePending, s.State)

	subs, err := m.Subscriptions(ctx, service, "")
	require.NoError(t, err)
	assert.Equal(t, []pubsub.Subscription{
		{Node: "news", JID: alice.Bare(), SubID: "ba49", State: pubsub.StateSubscribed},
		{Node: "closed", JID: alice.Bare(), State: pubsub.StatePending},
	}, subs)
	subs, err = n.Subscriptions(ctx)
	require.NoError(t, err)
	assert.Equal(t, []pubsub.Subscription{{Node: "news", JID: alice.Bare(), State: pubsub.StateSubscribed}}, subs)

	affs, err := m.Affiliations(ctx, service, "")
	require.NoError(t, err)
	assert.Equal(t, []pubsub.Affiliation{{Node: "news", Affiliation: pubsub.AffiliationOwner}, {Node: "closed", Affiliation: pubsub.AffiliationPublisher}}, affs)
	affs, err = n.Affiliations(ctx)
	require.NoError(t, err)
	assert.Equal(t, []pubsub.Affiliation{{Node: "news", Affiliation: pubsub.AffiliationOwner}}, affs)

	require.NoError(t, n.Unsubscribe(ctx, "ba49"))
	_, err = m.Node(service, "bad").Subscribe(ctx)
	assert.ErrorIs(t, err, pubsub.ErrMalformed)
}

// TestItems: all items of a contact's PEP node, some by id, the last N,
// and pages with RSM.
func TestItems(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{a}}' to='bob@localhost'><pubsub `+nsPS+`><items node='urn:example:entry'/></pubsub></iq>
S: <iq type='result' id='{{a}}' from='bob@localhost'><pubsub `+nsPS+`><items node='urn:example:entry'><item id='1' publisher='bob@localhost/b'>`+fmt.Sprintf(entry, "one")+`</item><item id='2'>`+fmt.Sprintf(entry, "two")+`</item></items></pubsub></iq>
C: <iq type='get' id='{{b}}' to='bob@localhost'><pubsub `+nsPS+`><items node='urn:example:entry'><item id='2'/><item id='9'/></items></pubsub></iq>
S: <iq type='result' id='{{b}}' from='bob@localhost'><pubsub `+nsPS+`><items node='urn:example:entry'><item id='2'>`+fmt.Sprintf(entry, "two")+`</item></items></pubsub></iq>
C: <iq type='get' id='{{c}}' to='bob@localhost'><pubsub `+nsPS+`><items node='urn:example:entry' max_items='1'/></pubsub></iq>
S: <iq type='result' id='{{c}}' from='bob@localhost'><pubsub `+nsPS+`><items node='urn:example:entry'><item id='2'>`+fmt.Sprintf(entry, "two")+`</item></items></pubsub></iq>
C: <iq type='get' id='{{d}}' to='pubsub.localhost'><pubsub `+nsPS+`><items node='news'/><set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set></pubsub></iq>
S: <iq type='result' id='{{d}}' from='pubsub.localhost'><pubsub `+nsPS+`><items node='news'><item id='a'/><item id='b'/></items><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first><last>b</last><count>3</count></set></pubsub></iq>
C: <iq type='get' id='{{e}}' to='pubsub.localhost'><pubsub `+nsPS+`><items node='news'/><set xmlns='http://jabber.org/protocol/rsm'><max>2</max><after>b</after></set></pubsub></iq>
S: <iq type='result' id='{{e}}' from='pubsub.localhost'><pubsub `+nsPS+`><items node='news'><item id='c'/></items><set xmlns='http://jabber.org/protocol/rsm'><first index='2'>c</first><last>c</last><count>3</count></set></pubsub></iq>
C: <iq type='get' id='{{f}}' to='pubsub.localhost'><pubsub `+nsPS+`><items node='news'/></pubsub></iq>
S: <iq type='result' id='{{f}}' from='pubsub.localhost'><pubsub `+nsPS+`><items node='news'/><set xmlns='http://jabber.org/protocol/rsm'><count>x</count></set></pubsub></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()

	bob := m.Node(jid.MustParse("bob@localhost/ignored"), "urn:example:entry")
	assert.Equal(t, jid.MustParse("bob@localhost"), bob.Service(), "a PEP service is the bare JID")
	p, err := bob.Items(ctx, pubsub.ItemsQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{"1 bob@localhost/b entry:one", "2  entry:two"}, summary(p.Items))
	assert.Nil(t, p.Set)
	p, err = bob.Items(ctx, pubsub.ItemsQuery{IDs: []string{"2", "9"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"2  entry:two"}, summary(p.Items))
	p, err = bob.Items(ctx, pubsub.ItemsQuery{Last: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"2  entry:two"}, summary(p.Items))

	news := m.Node(service, "news")
	p, err = news.Items(ctx, pubsub.ItemsQuery{Page: &rsm.Request{Max: 2}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a  ", "b  "}, summary(p.Items))
	require.NotNil(t, p.Set)
	assert.Equal(t, rsm.Response{First: "a", FirstIndex: 0, Last: "b", Count: 3}, *p.Set)
	p, err = news.Items(ctx, pubsub.ItemsQuery{Page: &rsm.Request{Max: 2, After: p.Set.Last}})
	require.NoError(t, err)
	assert.Equal(t, []string{"c  "}, summary(p.Items))
	_, err = news.Items(ctx, pubsub.ItemsQuery{})
	assert.ErrorIs(t, err, pubsub.ErrMalformed)
}

// TestDiscovery: the nodes of a service, a node's info and its item ids.
func TestDiscovery(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{a}}' to='pubsub.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq type='result' id='{{a}}' from='pubsub.localhost'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='pubsub.localhost' node='news' name='News'/><item jid='pubsub.localhost' node='blogs'/></query></iq>
C: <iq type='get' id='{{b}}' to='pubsub.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='news'/></iq>
S: <iq type='result' id='{{b}}' from='pubsub.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='news'><identity category='pubsub' type='leaf'/><feature var='http://jabber.org/protocol/pubsub'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#meta-data</value></field><field var='pubsub#title'><value>News</value></field></x></query></iq>
C: <iq type='get' id='{{c}}' to='pubsub.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='news'/></iq>
S: <iq type='result' id='{{c}}' from='pubsub.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='news'><item jid='pubsub.localhost' name='368866411b877c30064a5f62b917cffe'/><item jid='pubsub.localhost' name='4e30f35051b7b8b42abe083742187228'/></query></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()

	nodes, err := m.Nodes(ctx, service, "")
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	assert.Equal(t, "news", nodes[0].Node)
	assert.Equal(t, "News", nodes[0].Name)
	n := m.Node(service, "news")
	info, err := n.Info(ctx)
	require.NoError(t, err)
	assert.True(t, info.HasIdentity("pubsub", "leaf"))
	assert.Equal(t, "News", info.Form(pubsub.NSMetaData).Value("pubsub#title"))
	ids, err := n.ItemIDs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"368866411b877c30064a5f62b917cffe", "4e30f35051b7b8b42abe083742187228"}, ids)
}

// run connects c and waits until the listeners have heard the
// transcript's last message, of id end.
func run(t *testing.T, c *xmpp.Conn) {
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(t.Context()))
	<-done
}

// describe is an event as the tests compare it.
func describe(e pubsub.Event) string {
	s := fmt.Sprintf("%s %s %s", e.Service, e.Node, e.Kind)
	for _, it := range e.Items {
		s += " +" + it.ID
		if it.Payload != nil && it.Payload.InnerText() != "" {
			s += ":" + it.Payload.InnerText()
		}
	}
	for _, id := range e.Retracted {
		s += " -" + id
	}
	if e.Redirect != "" {
		s += " redirect=" + e.Redirect
	}
	if e.Config != nil {
		s += " config=" + e.Config.Value("pubsub#title")
	}
	if !e.Delay.Stamp.IsZero() {
		s += " delayed"
	}
	return s
}

func event(from, body string) string {
	if from != "" {
		from = ` from='` + from + `'`
	}
	return `
S: <message` + from + ` to='alice@localhost/a' type='headline'><event ` + nsEvent + `>` + body + `</event></message>`
}

// TestEvents: each kind of notification, delayed ones too, reaches
// OnEvent with the service it came from; a Node's listener hears only
// its own node from its own service.
func TestEvents(t *testing.T) {
	tr := transcript(t, event("pubsub.localhost", `<items node='news'><item id='1' publisher='bob@localhost'>`+fmt.Sprintf(entry, "one")+`</item></items>`)+
		event("pubsub.localhost", `<items node='news'><retract id='1'/><retract id='0'/></items>`)+
		event("pubsub.localhost", `<configuration node='news'><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#title'><value>Today</value></field></x></configuration>`)+
		event("pubsub.localhost", `<configuration node='news'/>`)+
		event("pubsub.localhost", `<purge node='news'/>`)+
		event("pubsub.localhost", `<delete node='news'><redirect uri='xmpp:pubsub.localhost?;node=today'/></delete>`)+
		event("other.localhost", `<items node='news'><item id='2'/></items>`)+
		event("pubsub.localhost", `<subscription node='news' jid='alice@localhost' subscription='none'/>`)+
		event("pubsub.localhost", `<items/>`)+`
S: <message from='bob@localhost' to='alice@localhost/a' type='headline'><event `+nsEvent+`><items node='urn:example:entry'><item id='last'>`+fmt.Sprintf(entry, "late")+`</item></items></event><delay xmlns='urn:xmpp:delay' stamp='2026-12-01T10:00:00Z' from='bob@localhost'/></message>
S: <message from='pubsub.localhost' type='error'><event `+nsEvent+`><purge node='news'/></event><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>
S: <message from='ctl@localhost' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	var log testlog.Log
	m.OnEvent(func(e pubsub.Event) { log.Add("all: %s", describe(e)) })
	m.Node(service, "news").OnEvent(func(e pubsub.Event) { log.Add("news: %s", describe(e)) })
	run(t, c)
	assert.Equal(t, []string{
		"all: pubsub.localhost news items +1:one",
		"news: pubsub.localhost news items +1:one",
		"all: pubsub.localhost news items -1 -0",
		"news: pubsub.localhost news items -1 -0",
		"all: pubsub.localhost news configuration config=Today",
		"news: pubsub.localhost news configuration config=Today",
		"all: pubsub.localhost news configuration",
		"news: pubsub.localhost news configuration",
		"all: pubsub.localhost news purge",
		"news: pubsub.localhost news purge",
		"all: pubsub.localhost news delete redirect=xmpp:pubsub.localhost?;node=today",
		"news: pubsub.localhost news delete redirect=xmpp:pubsub.localhost?;node=today",
		"all: other.localhost news items +2",
		"all: bob@localhost urn:example:entry items +last:late delayed",
	}, log.Lines())
}

// TestEventSpoofs: a notification is taken only from the service the
// node lives on. From a full JID (another account's client, another
// resource of the account) it is dropped: no service sends from one. A
// PEP notification about a node of the account's own name from a
// stranger is the stranger's node: a listener on the account's own node
// never hears it, and neither does one on the service's node of that
// name. Without from, it is the account's own PEP service.
func TestEventSpoofs(t *testing.T) {
	item := `<items node='urn:xmpp:bookmarks:1'><item id='tea@conference.localhost'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item></items>`
	news := `<items node='news'><item id='x'/></items>`
	tr := transcript(t, event("mallory@evil.example/phone", item)+
		event("alice@localhost/other", item)+
		event("mallory@localhost", item)+
		event("evil.example", item)+
		event("mallory@localhost/pubsub.localhost", news)+
		event("alice@localhost/pubsub.localhost", news)+
		event("mallory@localhost", news)+
		event("pubsub.localhost", news)+
		event("alice@localhost", item)+
		event("", item)+`
S: <message from='ctl@localhost' id='end'/>
`)
	var logged testserver.Buffer
	c := xmpptest.NewConn(t, alice, tr, func(cfg *xmpp.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	m := pubsub.For(c)
	var log testlog.Log
	m.OnEvent(func(e pubsub.Event) { log.Add("all: %s", describe(e)) })
	m.Node(jid.JID{}, "urn:xmpp:bookmarks:1").OnEvent(func(e pubsub.Event) { log.Add("own: %s", describe(e)) })
	m.Node(alice.Bare(), "urn:xmpp:bookmarks:1").OnEvent(func(e pubsub.Event) { log.Add("own bare: %s", describe(e)) })
	m.Node(service, "news").OnEvent(func(e pubsub.Event) { log.Add("news: %s", describe(e)) })
	run(t, c)
	assert.Equal(t, []string{
		"all: mallory@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"all: evil.example urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"all: mallory@localhost news items +x",
		"all: pubsub.localhost news items +x",
		"news: pubsub.localhost news items +x",
		"all: alice@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"own: alice@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"own bare: alice@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"all: alice@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"own: alice@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
		"own bare: alice@localhost urn:xmpp:bookmarks:1 items +tea@conference.localhost",
	}, log.Lines())
	var drops []string
	for line := range strings.Lines(logged.String()) {
		if strings.Contains(line, "pubsub: dropped") {
			drops = append(drops, line[strings.Index(line, "from="):])
		}
	}
	assert.Equal(t, []string{
		"from=mallory@evil.example/phone node=urn:xmpp:bookmarks:1\n",
		"from=alice@localhost/other node=urn:xmpp:bookmarks:1\n",
		"from=mallory@localhost/pubsub.localhost node=news\n",
		"from=alice@localhost/pubsub.localhost node=news\n",
	}, drops, "each drop is logged")
}

// TestShape: one Manager per connection, a fresh one after Close; nil
// refused; a removed listener is removed exactly, and removing it again
// does nothing; events come in wire order with a plain message listener.
func TestShape(t *testing.T) {
	tr := transcript(t, event("pubsub.localhost", `<items node='news'><item id='1'/></items>`)+`
S: <message from='bob@localhost/b' type='chat'><body>between</body></message>`+
		event("pubsub.localhost", `<items node='news'><item id='2'/></items>`)+`
S: <message from='ctl@localhost' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := pubsub.For(c)
	assert.Same(t, m, pubsub.For(c))
	assert.Same(t, m, xmpp.Attached[pubsub.Manager](c))
	assert.PanicsWithValue(t, "pubsub: OnEvent with a nil listener", func() { m.OnEvent(nil) })
	assert.PanicsWithValue(t, "pubsub: OnEvent with a nil listener", func() { m.Node(service, "news").OnEvent(nil) })
	var log testlog.Log
	c.HandleMessage(stanza.IsMessage(stanza.Chat), func(msg *stanza.Message) { log.Add("plain %s", msg.Body("")) })
	m.OnEvent(func(e pubsub.Event) { log.Add("a %s", e.Items[0].ID) })
	var removeB func()
	removeB = m.OnEvent(func(e pubsub.Event) { log.Add("b %s", e.Items[0].ID); removeB(); removeB() })
	same := func(e pubsub.Event) { log.Add("same %s", e.Items[0].ID) }
	m.OnEvent(same)
	removeSame := m.OnEvent(same)
	removeSame()
	removeNode := m.Node(service, "news").OnEvent(func(e pubsub.Event) { log.Add("node %s", e.Items[0].ID) })
	removeNode()
	removeNode()
	withResource := m.Node(jid.MustParse("pubsub.localhost/r"), "news")
	assert.Equal(t, service, withResource.Service(), "a service is its bare JID")
	withResource.OnEvent(func(e pubsub.Event) { log.Add("resource %s", e.Items[0].ID) })
	run(t, c)
	assert.Equal(t, []string{"a 1", "b 1", "same 1", "resource 1", "plain between", "a 2", "same 2", "resource 2"}, log.Lines())

	m.Close()
	m.Close()
	assert.Nil(t, xmpp.Attached[pubsub.Manager](c))
	fresh := pubsub.For(c)
	assert.NotSame(t, m, fresh)
	m.Close()
	assert.Same(t, fresh, xmpp.Attached[pubsub.Manager](c))
}
