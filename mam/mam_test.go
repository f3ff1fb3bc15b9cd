package mam_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost")
	room  = jid.MustParse("tea@conference.localhost")
)

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

// discoOwn is the discovery of the account's archive, offering the
// given features.
func discoOwn(features ...string) string {
	return disco("alice@localhost", features...)
}

func disco(who string, features ...string) string {
	var fs string
	for _, f := range features {
		fs += `<feature var='` + f + `'/>`
	}
	return `
C: <iq type='get' id='{{d-` + strings.NewReplacer("@", "-", ".", "-").Replace(who) + `}}' to='` + who + `'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d-` + strings.NewReplacer("@", "-", ".", "-").Replace(who) + `}}' from='` + who + `'><query xmlns='http://jabber.org/protocol/disco#info'>` + fs + `</query></iq>`
}

// result is a result message of the query {{qid}} in namespace ns, from
// from (none when ""), forwarding a chat message.
func result(ns, from, qid, id, stamp, sender, to, body string) string {
	f := ""
	if from != "" {
		f = ` from='` + from + `'`
	}
	if to != "" {
		to = ` to='` + to + `'`
	}
	return `
S: <message` + f + ` to='alice@localhost/a'><result xmlns='` + ns + `' queryid='` + qid + `' id='` + id + `'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='` + stamp + `'/><message xmlns='jabber:client' from='` + sender + `'` + to + ` type='chat'><body>` + body + `</body></message></forwarded></result></message>`
}

const form = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s</value></field>%s</x>`

func field(v, value string) string {
	return `<field var='` + v + `'><value>` + value + `</value></field>`
}

func summary(p *mam.Page) []string {
	var s []string
	for _, r := range p.Results {
		s = append(s, fmt.Sprintf("%s %s %s %s: %s", r.ID, r.Archive, r.Stamp.UTC().Format(time.RFC3339), r.Message.From, r.Message.Body("")))
	}
	return s
}

// TestQuerySpoofs: the last page of the history with bob, read from
// the account's archive; results from anyone but the archive, or with
// another query id, are dropped. A plain listener sees every message
// (the connection delivers all it reads), and package chat takes none.
func TestQuerySpoofs(t *testing.T) {
	tr := transcript(t, discoOwn("urn:xmpp:mam:2")+`
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{qid}}'>`+fmt.Sprintf(form, mam.NS, field("with", "bob@localhost"))+`<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before/></set></query></iq>`+
		result(mam.NS, "", "{{qid}}", "A1", "2026-01-02T03:04:05Z", "alice@localhost/a", "bob@localhost", "one")+
		result(mam.NS, "bob@localhost", "{{qid}}", "X1", "2026-01-02T03:04:06Z", "alice@localhost/a", "bob@localhost", "from bob")+
		result(mam.NS, "alice@localhost/evil", "{{qid}}", "X2", "2026-01-02T03:04:06Z", "alice@localhost/a", "bob@localhost", "from a full JID")+
		result(mam.NS, "localhost", "{{qid}}", "X3", "2026-01-02T03:04:06Z", "alice@localhost/a", "bob@localhost", "from the domain")+
		result(mam.NS, "alice@localhost", "guessed", "X4", "2026-01-02T03:04:06Z", "alice@localhost/a", "bob@localhost", "another query id")+
		result(mam.NS, "tea@conference.localhost", "{{qid}}", "X5", "2026-01-02T03:04:06Z", "alice@localhost/a", "bob@localhost", "from a room")+
		result(mam.NS, "alice@localhost", "{{qid}}", "A2", "2026-01-02T03:04:07Z", "bob@localhost/b", "alice@localhost/a", "two")+`
S: <iq type='result' id='{{q}}'><fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><first index='3'>A1</first><last>A2</last><count>5</count></set></fin></iq>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := mam.For(c)
	var log testlog.Log
	done := make(chan struct{})
	c.HandleMessage(nil, func(msg *stanza.Message) {
		if msg.Body("") == "done" {
			close(done)
			return
		}
		log.Add("plain: %s", msg.From)
	})
	chat.For(c).SetNormalMessages(true)
	chat.For(c).OnMessage(func(e chat.Incoming) { log.Add("chat: %s", e.Message.From) })
	require.NoError(t, c.Connect(t.Context()))

	page, err := m.Query(t.Context(), jid.JID{}, mam.Query{With: bob, Max: 2, Latest: true})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"A1 alice@localhost 2026-01-02T03:04:05Z alice@localhost/a: one",
		"A2 alice@localhost 2026-01-02T03:04:07Z bob@localhost/b: two",
	}, summary(page))
	assert.False(t, page.Complete)
	assert.True(t, page.Stable)
	assert.Equal(t, "A1", page.First)
	assert.Equal(t, "A2", page.Last)
	assert.Equal(t, 5, page.Count)
	assert.Equal(t, alice.Bare(), page.Archive)

	<-done
	assert.Equal(t, []string{
		"plain: ", "plain: bob@localhost", "plain: alice@localhost/evil", "plain: localhost",
		"plain: alice@localhost", "plain: tea@conference.localhost", "plain: alice@localhost",
	}, log.Lines(), "plain listeners see every result message; chat takes none")
}

// TestRoomQuerySpoofs: a room's archive is taken only from the room's
// bare JID: not from the account, the server, or an occupant.
func TestRoomQuerySpoofs(t *testing.T) {
	tr := transcript(t, disco("tea@conference.localhost", "urn:xmpp:mam:2", "urn:xmpp:mam:2#extended")+`
C: <iq type='set' id='{{q}}' to='tea@conference.localhost'><query xmlns='urn:xmpp:mam:2' queryid='{{qid}}'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max></set></query></iq>`+
		result(mam.NS, "", "{{qid}}", "X1", "2026-01-02T03:04:05Z", "tea@conference.localhost/mallory", "", "no from")+
		result(mam.NS, "alice@localhost", "{{qid}}", "X2", "2026-01-02T03:04:05Z", "tea@conference.localhost/mallory", "", "from the account")+
		result(mam.NS, "tea@conference.localhost/mallory", "{{qid}}", "X3", "2026-01-02T03:04:05Z", "tea@conference.localhost/mallory", "", "from an occupant")+
		result(mam.NS, "tea@conference.localhost", "{{qid}}", "R1", "2026-01-02T03:04:05Z", "tea@conference.localhost/bob", "", "hello")+
		result(mam.NS, "tea@conference.localhost", "other", "X4", "2026-01-02T03:04:05Z", "tea@conference.localhost/mallory", "", "other query")+`
S: <iq type='result' id='{{q}}' from='tea@conference.localhost'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first>R1</first><last>R1</last></set></fin></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	page, err := mam.For(c).Query(t.Context(), jid.MustParse("tea@conference.localhost/ignored"), mam.Query{})
	require.NoError(t, err)
	assert.Equal(t, []string{"R1 tea@conference.localhost 2026-01-02T03:04:05Z tea@conference.localhost/bob: hello"}, summary(page))
	assert.True(t, page.Complete)
	assert.Equal(t, -1, page.Count)
}

// TestPaging: backwards from the most recent page with Previous, then
// forwards again with Next; the discovery is asked once.
func TestPaging(t *testing.T) {
	rsmSet := `<set xmlns='http://jabber.org/protocol/rsm'>%s</set>`
	tr := transcript(t, discoOwn("urn:xmpp:mam:2")+`
C: <iq type='set' id='{{q1}}'><query xmlns='urn:xmpp:mam:2' queryid='{{a}}'>`+fmt.Sprintf(rsmSet, `<max>2</max><before/>`)+`</query></iq>`+
		result(mam.NS, "alice@localhost", "{{a}}", "3", "2026-01-01T00:00:03Z", "bob@localhost/b", "alice@localhost", "three")+
		result(mam.NS, "alice@localhost", "{{a}}", "4", "2026-01-01T00:00:04Z", "bob@localhost/b", "alice@localhost", "four")+`
S: <iq type='result' id='{{q1}}'><fin xmlns='urn:xmpp:mam:2'>`+fmt.Sprintf(rsmSet, `<first index='2'>3</first><last>4</last><count>4</count>`)+`</fin></iq>
C: <iq type='set' id='{{q2}}'><query xmlns='urn:xmpp:mam:2' queryid='{{b}}'>`+fmt.Sprintf(rsmSet, `<max>2</max><before>3</before>`)+`</query></iq>`+
		result(mam.NS, "alice@localhost", "{{b}}", "1", "2026-01-01T00:00:01Z", "bob@localhost/b", "alice@localhost", "one")+
		result(mam.NS, "alice@localhost", "{{b}}", "2", "2026-01-01T00:00:02Z", "bob@localhost/b", "alice@localhost", "two")+`
S: <iq type='result' id='{{q2}}'><fin xmlns='urn:xmpp:mam:2' complete='true'>`+fmt.Sprintf(rsmSet, `<first index='0'>1</first><last>2</last><count>4</count>`)+`</fin></iq>
C: <iq type='set' id='{{q3}}'><query xmlns='urn:xmpp:mam:2' queryid='{{c}}'>`+fmt.Sprintf(rsmSet, `<max>2</max><after>2</after>`)+`</query></iq>`+
		result(mam.NS, "alice@localhost", "{{c}}", "3", "2026-01-01T00:00:03Z", "bob@localhost/b", "alice@localhost", "three")+
		result(mam.NS, "alice@localhost", "{{c}}", "4", "2026-01-01T00:00:04Z", "bob@localhost/b", "alice@localhost", "four")+`
S: <iq type='result' id='{{q3}}'><fin xmlns='urn:xmpp:mam:2' complete='true' stable='false'>`+fmt.Sprintf(rsmSet, `<first index='2'>3</first><last>4</last>`)+`</fin></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	m := mam.For(c)
	latest, err := m.Query(t.Context(), jid.JID{}, mam.Query{Max: 2, Latest: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"3", "4"}, ids(latest))
	assert.False(t, latest.Complete)

	earlier, err := m.Query(t.Context(), jid.JID{}, latest.Previous())
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, ids(earlier))
	assert.True(t, earlier.Complete, "nothing before")

	later, err := m.Query(t.Context(), jid.JID{}, earlier.Next())
	require.NoError(t, err)
	assert.Equal(t, []string{"3", "4"}, ids(later))
	assert.True(t, later.Complete, "nothing after")
	assert.False(t, later.Stable)
	assert.Equal(t, -1, later.Count)
}

func ids(p *mam.Page) []string {
	var s []string
	for _, r := range p.Results {
		s = append(s, r.ID)
	}
	return s
}

// TestFallbackMAM1: an archive that lists only mam:1 is asked in mam:1;
// its <fin/> is in the reply.
func TestFallbackMAM1(t *testing.T) {
	tr := transcript(t, discoOwn("urn:xmpp:mam:0", "urn:xmpp:mam:1")+`
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:1' queryid='{{qid}}'>`+fmt.Sprintf(form, mam.NS1, field("start", "2026-01-01T00:00:00Z"))+`<set xmlns='http://jabber.org/protocol/rsm'><max>10</max></set></query></iq>`+
		result(mam.NS1, "alice@localhost", "{{qid}}", "1", "2026-01-01T00:00:01Z", "bob@localhost/b", "alice@localhost", "one")+`
S: <iq type='result' id='{{q}}' from='alice@localhost'><fin xmlns='urn:xmpp:mam:1' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first>1</first><last>1</last></set></fin></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	m := mam.For(c)
	v, err := m.Version(t.Context(), jid.JID{})
	require.NoError(t, err)
	assert.Equal(t, mam.NS1, v)
	page, err := m.Query(t.Context(), jid.JID{}, mam.Query{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)).Add(time.Hour), Max: 10})
	require.NoError(t, err, "the version is remembered: no second discovery")
	assert.Equal(t, []string{"1"}, ids(page))
	assert.True(t, page.Complete)
}

// TestFallbackMAM0: mam:0 answers with an empty reply first (ejabberd),
// then the results, then a message carrying <fin/>; a <fin/> with
// another query id or from another JID is not the end.
func TestFallbackMAM0(t *testing.T) {
	tr := transcript(t, discoOwn("urn:xmpp:mam:0")+`
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:0' queryid='{{qid}}'><set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>7</after></set></query></iq>
S: <iq type='result' id='{{q}}'/>`+
		result(mam.NS0, "alice@localhost", "{{qid}}", "8", "2026-01-01T00:00:08Z", "bob@localhost/b", "alice@localhost", "eight")+`
S: <message from='alice@localhost'><fin xmlns='urn:xmpp:mam:0' queryid='other' complete='true'/></message>
S: <message from='bob@localhost'><fin xmlns='urn:xmpp:mam:0' queryid='{{qid}}' complete='true'/></message>`+
		result(mam.NS0, "alice@localhost", "{{qid}}", "9", "2026-01-01T00:00:09Z", "bob@localhost/b", "alice@localhost", "nine")+`
S: <message from='alice@localhost'><fin xmlns='urn:xmpp:mam:0' queryid='{{qid}}' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first>8</first><last>9</last><count>9</count></set></fin></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	page, err := mam.For(c).Query(t.Context(), jid.JID{}, mam.Query{Max: 10, AfterID: "7"})
	require.NoError(t, err)
	assert.Equal(t, []string{"8", "9"}, ids(page))
	assert.True(t, page.Complete)
	assert.Equal(t, 9, page.Count)
	assert.Equal(t, "9", page.Last)
}

// TestExtendedAndText: with mam:2#extended an id range is a filter,
// full-text search uses the field the query form offers, and a filter
// the archive lacks is ErrUnsupported before anything is sent.
func TestExtendedAndText(t *testing.T) {
	tr := transcript(t, discoOwn("urn:xmpp:mam:2", "urn:xmpp:mam:2#extended")+`
C: <iq type='get' id='{{f}}'><query xmlns='urn:xmpp:mam:2'/></iq>
S: <iq type='result' id='{{f}}'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with' type='jid-single'/><field var='withtext' type='text-single'/></x></query></iq>
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{qid}}'>`+fmt.Sprintf(form, mam.NS, field("end", "2026-02-01T00:00:00Z")+field("after-id", "5")+field("before-id", "9")+field("withtext", "tea"))+`<set xmlns='http://jabber.org/protocol/rsm'><max>3</max><after>6</after></set></query></iq>
S: <iq type='result' id='{{q}}'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set></fin></iq>`+
		disco("tea@conference.localhost", "urn:xmpp:mam:2")+`
C: <iq type='get' id='{{f2}}' to='tea@conference.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>
S: <iq type='result' id='{{f2}}' from='tea@conference.localhost'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field></x></query></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	m := mam.For(c)
	page, err := m.Query(t.Context(), jid.JID{}, mam.Query{End: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), AfterID: "5", BeforeID: "9", Text: "tea", Max: 3, After: "6"})
	require.NoError(t, err)
	assert.Empty(t, page.Results)
	assert.Equal(t, 0, page.Count)

	_, err = m.Query(t.Context(), room, mam.Query{AfterID: "1", After: "2"})
	assert.ErrorIs(t, err, mam.ErrUnsupported, "no id filter with paging without #extended")
	_, err = m.Query(t.Context(), room, mam.Query{Text: "tea"})
	assert.ErrorIs(t, err, mam.ErrUnsupported, "no full text in the room")
}

// TestUnsupported: an archive that lists no version is ErrUnsupported;
// an error reply is the archive's *stanza.Error.
func TestUnsupported(t *testing.T) {
	tr := transcript(t, disco("tea@conference.localhost", "http://jabber.org/protocol/muc")+
		discoOwn("urn:xmpp:mam:2")+`
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{qid}}'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max><after>gone</after></set></query></iq>
S: <iq type='error' id='{{q}}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='set' id='{{q2}}'><query xmlns='urn:xmpp:mam:2' queryid='{{qid2}}'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max></set></query></iq>
S: <iq type='result' id='{{q2}}'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	m := mam.For(c)
	_, err := m.Query(t.Context(), room, mam.Query{})
	assert.ErrorIs(t, err, mam.ErrUnsupported)
	_, err = m.Query(t.Context(), jid.JID{}, mam.Query{After: "gone"})
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})
	_, err = m.Query(t.Context(), jid.JID{}, mam.Query{})
	assert.ErrorIs(t, err, mam.ErrMalformed, "a mam:2 reply without <fin/>")
}

// TestPrefs: reading and replacing the archiving preferences.
func TestPrefs(t *testing.T) {
	tr := transcript(t, discoOwn("urn:xmpp:mam:2")+`
C: <iq type='get' id='{{p}}'><prefs xmlns='urn:xmpp:mam:2'/></iq>
S: <iq type='result' id='{{p}}'><prefs xmlns='urn:xmpp:mam:2' default='roster'><always><jid>romeo@montague.lit</jid></always><never><jid>montague@montague.lit</jid><jid>@bad</jid></never></prefs></iq>
C: <iq type='set' id='{{s}}'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never><jid>bob@localhost</jid></never></prefs></iq>
S: <iq type='result' id='{{s}}'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never><jid>bob@localhost</jid></never></prefs></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	require.NoError(t, c.Connect(t.Context()))
	m := mam.For(c)
	p, err := m.Prefs(t.Context())
	require.NoError(t, err)
	assert.Equal(t, mam.Prefs{Default: mam.Roster, Always: []jid.JID{jid.MustParse("romeo@montague.lit")}, Never: []jid.JID{jid.MustParse("montague@montague.lit")}}, p)
	p, err = m.SetPrefs(t.Context(), mam.Prefs{Default: mam.Always, Never: []jid.JID{bob}})
	require.NoError(t, err)
	assert.Equal(t, mam.Prefs{Default: mam.Always, Never: []jid.JID{bob}}, p)
}

// TestForOnePerConn: For returns the one Client of a Conn; after Close
// it attaches a fresh one, which asks the archive's version again.
func TestForOnePerConn(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice.Bare()})
	m := mam.For(c)
	assert.Same(t, m, mam.For(c))
	assert.Same(t, m, xmpp.Attached[mam.Client](c))
	assert.NotSame(t, m, mam.For(xmpp.New(xmpp.Config{JID: alice.Bare()})))
	m.Close()
	m.Close()
	assert.Nil(t, xmpp.Attached[mam.Client](c))
	fresh := mam.For(c)
	assert.NotSame(t, m, fresh)
	m.Close()
	assert.Same(t, fresh, xmpp.Attached[mam.Client](c), "the old one's Close leaves the fresh one")
}

// TestQueryInListener: a listener may query and wait (the results are
// collected by the reader); the plain listeners then see the result
// messages after it, in wire order.
func TestQueryInListener(t *testing.T) {
	tr := transcript(t, `
S: <message from='ctl@localhost/x' type='headline'><body>query</body></message>`+discoOwn("urn:xmpp:mam:2")+`
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{qid}}'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max></set></query></iq>`+
		result(mam.NS, "", "{{qid}}", "1", "2026-01-01T00:00:01Z", "bob@localhost/b", "alice@localhost", "one")+`
S: <message from='bob@localhost/b' type='chat'><body>live</body></message>`+
		result(mam.NS, "", "{{qid}}", "2", "2026-01-01T00:00:02Z", "bob@localhost/b", "alice@localhost", "two")+`
S: <iq type='result' id='{{q}}'><fin xmlns='urn:xmpp:mam:2' complete='true'/></iq>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := mam.For(c)
	var log testlog.Log
	done := make(chan struct{})
	c.HandleMessage(nil, func(msg *stanza.Message) {
		switch {
		case msg.Body("") == "query":
			page, err := m.Query(t.Context(), jid.JID{}, mam.Query{})
			if err != nil {
				log.Add("error: %v", err)
				return
			}
			log.Add("page: %v", ids(page))
		case msg.Body("") == "done":
			close(done)
		case msg.Body("") != "":
			log.Add("live: %s", msg.Body(""))
		default:
			log.Add("result message")
		}
	})
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{"page: [1 2]", "result message", "live: live", "result message"}, log.Lines())
}
