package bookmarks_test

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gosmack/gosmack/bookmarks"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = jid.MustParse("alice@localhost/a")

const (
	nsPS    = `xmlns='http://jabber.org/protocol/pubsub'`
	nsEvent = `xmlns='http://jabber.org/protocol/pubsub#event'`
	nsB     = `xmlns='urn:xmpp:bookmarks:1'`
	nsL     = `xmlns='storage:bookmarks'`
)

// events is a log written by listeners, read by the test once they ran.
type events struct {
	mu sync.Mutex
	s  []string
}

func (e *events) add(format string, args ...any) {
	e.mu.Lock()
	e.s = append(e.s, fmt.Sprintf(format, args...))
	e.mu.Unlock()
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.s...)
}

// askInfo is the client's disco#info request to its account and the
// answer: a PEP service with publish-options (pep), announcing the
// bookmarks compat feature (compat).
func askInfo(id string, pep, compat bool) string {
	features := ``
	if pep {
		features += `<identity category='pubsub' type='pep'/><feature var='http://jabber.org/protocol/pubsub'/><feature var='http://jabber.org/protocol/pubsub#publish-options'/>`
	}
	if compat {
		features += `<feature var='urn:xmpp:bookmarks:1#compat'/>`
	}
	return `
C: <iq type='get' id='{{` + id + `}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{` + id + `}}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/>` + features + `</query></iq>`
}

func items(id, answer string) string {
	return `
C: <iq type='get' id='{{` + id + `}}'><pubsub ` + nsPS + `><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>
S: ` + strings.ReplaceAll(answer, "ID", "{{"+id+"}}")
}

func privateGet(id, storage string) string {
	return `
C: <iq type='get' id='{{` + id + `}}'><query xmlns='jabber:iq:private'><storage ` + nsL + `/></query></iq>
S: <iq type='result' id='{{` + id + `}}'><query xmlns='jabber:iq:private'>` + storage + `</query></iq>`
}

func privateSet(id, storage string) string {
	return `
C: <iq type='set' id='{{` + id + `}}'><query xmlns='jabber:iq:private'>` + storage + `</query></iq>
S: <iq type='result' id='{{` + id + `}}'/>`
}

// caps is the entity capabilities element of the client's presences.
const caps = `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='{{ver}}'/>`

const fullOptions = `<field var='pubsub#max_items'><value>max</value></field><field var='pubsub#send_last_published_item'><value>never</value></field>`

func publish(id, room, conference, extra string) string {
	return `
C: <iq type='set' id='{{` + id + `}}'><pubsub ` + nsPS + `><publish node='urn:xmpp:bookmarks:1'><item id='` + room + `'>` + conference + `</item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#access_model'><value>whitelist</value></field><field var='pubsub#persist_items'><value>true</value></field>` + extra + `</x></publish-options></pubsub></iq>`
}

func retract(id, room string) string {
	return `
C: <iq type='set' id='{{` + id + `}}'><pubsub ` + nsPS + `><retract node='urn:xmpp:bookmarks:1' notify='true'><item id='` + room + `'/></retract></pubsub></iq>`
}

const nsOwner = `xmlns='http://jabber.org/protocol/pubsub#owner'`

// nodeConfig is the client's request for the bookmarks node's
// configuration and a form answering it with fields.
func nodeConfig(id, fields string) string {
	return `
C: <iq type='get' id='{{` + id + `}}'><pubsub ` + nsOwner + `><configure node='urn:xmpp:bookmarks:1'/></pubsub></iq>
S: <iq type='result' id='{{` + id + `}}'><pubsub ` + nsOwner + `><configure node='urn:xmpp:bookmarks:1'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>` + fields + `</x></configure></pubsub></iq>`
}

func summary(list []bookmarks.Bookmark) []string {
	var s []string
	for _, b := range list {
		ext := ""
		for _, e := range b.Extensions {
			ext += " <" + e.Name.Local + " " + e.Name.Space + ">"
		}
		s = append(s, fmt.Sprintf("%s %q autojoin=%v nick=%q password=%q%s", b.Room, b.Name, b.Autojoin, b.Nick, b.Password, ext))
	}
	return s
}

func connect(t *testing.T, tr string, opts ...func(*xmpp.Config)) (*xmpp.Conn, *bookmarks.Manager) {
	c := xmpptest.NewConn(t, alice, xmpptest.MustParseTranscript(t, t.Name(), tr), opts...)
	m := bookmarks.For(c)
	return c, m
}

// TestListBoth: on a server with private PEP but without the compat
// feature, List reads XEP-0402's items and XEP-0048's private storage:
// PEP wins for a room in both, a room only in private storage is added,
// items that are not bookmarks are skipped, and extensions are kept. A
// second List asks no disco (the session's stores are known); the cache
// follows, and OnChange hears what differs.
func TestListBoth(t *testing.T) {
	c, m := connect(t, askInfo("d", true, false)+
		items("i", `<iq type='result' id='ID'><pubsub `+nsPS+`><items node='urn:xmpp:bookmarks:1'>
  <item id='theplay@conference.localhost'><conference `+nsB+` name='The Play' autojoin='true'><nick>JC</nick></conference></item>
  <item id='orchard@conference.localhost'><conference `+nsB+` name='The Orchard' autojoin='1'><nick>JC</nick><password>pw</password><extensions><state xmlns='http://myclient.example/bookmark/state' minimized='true'/></extensions></conference></item>
  <item id='not a room/x'><conference `+nsB+`/></item>
  <item id='other@conference.localhost'><foo xmlns='urn:example:foo'/></item>
</items></pubsub></iq>`)+
		privateGet("g", `<storage `+nsL+`><conference jid='theplay@conference.localhost' name='Old name' autojoin='false'/><conference jid='old@conference.localhost' name='Old'><nick>oldnick</nick><x xmlns='urn:example:x'/></conference><url name='site' url='https://example.com'/></storage>`)+
		items("i2", `<iq type='error' id='ID'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)+
		privateGet("g2", `<storage `+nsL+`/>`))
	var log events
	m.OnChange(func(ch bookmarks.Change) { log.add("%v %s %q", ch.Removed, ch.Bookmark.Room, ch.Bookmark.Name) })
	require.NoError(t, c.Connect(t.Context()))
	list, err := m.List(t.Context())
	require.NoError(t, err)
	want := []string{
		`old@conference.localhost "Old" autojoin=false nick="oldnick" password="" <x urn:example:x>`,
		`orchard@conference.localhost "The Orchard" autojoin=true nick="JC" password="pw" <state http://myclient.example/bookmark/state>`,
		`theplay@conference.localhost "The Play" autojoin=true nick="JC" password=""`,
	}
	assert.Equal(t, want, summary(list))
	assert.Equal(t, want, summary(m.Bookmarks()))
	b, ok := m.Bookmark(jid.MustParse("orchard@conference.localhost/nick"))
	require.True(t, ok)
	assert.Equal(t, "true", b.Extensions[0].Attr("minimized"))
	st, err := m.Stores(t.Context())
	require.NoError(t, err)
	assert.Equal(t, bookmarks.Stores{PEP: true, Private: true}, st)

	list, err = m.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Empty(t, m.Bookmarks())
	done := make(chan struct{})
	c.Dispatch(func() { close(done) }) // after the changes List queued
	<-done
	assert.Equal(t, []string{
		`false old@conference.localhost "Old"`,
		`false orchard@conference.localhost "The Orchard"`,
		`false theplay@conference.localhost "The Play"`,
		`true old@conference.localhost "Old"`,
		`true orchard@conference.localhost "The Orchard"`,
		`true theplay@conference.localhost "The Play"`,
	}, slices.Sorted(slices.Values(log.get())))
}

const (
	oldStorage = `<storage ` + nsL + `><url name='site' url='https://example.com'/><conference jid='other@conference.localhost' name='Other'><nick>o</nick><x xmlns='urn:example:x'/></conference></storage>`
	newConf    = `<conference ` + nsB + ` name='New' autojoin='true'><nick>N</nick><password>pw</password><extensions><state xmlns='urn:example:state' on='1'/></extensions></conference>`
	newLegacy  = `<conference jid='new@conference.localhost' name='New' autojoin='true'><nick>N</nick><password>pw</password><state xmlns='urn:example:state' on='1'/></conference>`
)

// TestAddRemoveBoth: on a server without the compat feature, Add
// publishes the bookmark as private PEP data (after the disco of
// PublishPrivate) and rewrites XEP-0048's list with every other element
// kept; a bookmark whose node is not private is refused
// (precondition-not-met, and the node's configuration says presence):
// neither published again nor written to private storage, the next
// element sent is the Remove's retraction; Remove
// retracts with notify and takes the room out of private storage; a
// room neither store has changes nothing.
func TestAddRemoveBoth(t *testing.T) {
	c, m := connect(t, askInfo("d", true, false)+
		askInfo("p1", true, false)+publish("a1", "new@conference.localhost", newConf, fullOptions)+`
S: <iq type='result' id='{{a1}}'/>`+
		privateGet("g1", oldStorage)+
		privateSet("s1", `<storage `+nsL+`><url name='site' url='https://example.com'/><conference jid='other@conference.localhost' name='Other'><nick>o</nick><x xmlns='urn:example:x'/></conference>`+newLegacy+`</storage>`)+
		askInfo("p2", true, false)+publish("a2", "secret@conference.localhost", `<conference `+nsB+`/>`, fullOptions)+`
S: <iq type='error' id='{{a2}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>`+
		nodeConfig("n", `<field var='pubsub#access_model' type='list-single'><value>presence</value></field>`)+
		retract("r1", "other@conference.localhost")+`
S: <iq type='result' id='{{r1}}'/>`+
		privateGet("g2", `<storage `+nsL+`><url name='site' url='https://example.com'/><conference jid='other@conference.localhost' name='Other'/>`+newLegacy+`</storage>`)+
		privateSet("s2", `<storage `+nsL+`><url name='site' url='https://example.com'/>`+newLegacy+`</storage>`)+
		retract("r2", "gone@conference.localhost")+`
S: <iq type='error' id='{{r2}}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`+
		privateGet("g3", `<storage `+nsL+`><url name='site' url='https://example.com'/>`+newLegacy+`</storage>`)+`
C: <iq type='get' id='{{end}}'><pubsub `+nsPS+`><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>
S: <iq type='result' id='{{end}}'/>`+
		privateGet("g4", `<storage `+nsL+`/>`))
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()
	state := stanza.Node{Name: xml.Name{Space: "urn:example:state", Local: "state"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "on"}, Value: "1"}}}
	b := bookmarks.Bookmark{Room: jid.MustParse("new@conference.localhost"), Name: "New", Autojoin: true, Nick: "N", Password: "pw", Extensions: []stanza.Node{state}}
	require.NoError(t, m.Add(ctx, b))
	assert.Equal(t, summary([]bookmarks.Bookmark{b}), summary(m.Bookmarks()))

	err := m.Add(ctx, bookmarks.Bookmark{Room: jid.MustParse("secret@conference.localhost")})
	assert.ErrorIs(t, err, pep.ErrNotPrivate)
	_, known := m.Bookmark(jid.MustParse("secret@conference.localhost"))
	assert.False(t, known)

	require.NoError(t, m.Remove(ctx, jid.MustParse("other@conference.localhost")))
	require.NoError(t, m.Remove(ctx, jid.MustParse("gone@conference.localhost")))
	assert.ErrorIs(t, m.Add(ctx, bookmarks.Bookmark{}), bookmarks.ErrRoom)
	assert.ErrorIs(t, m.Remove(ctx, jid.JID{}), bookmarks.ErrRoom)
	_, err = m.List(ctx)
	require.NoError(t, err)
}

// TestCompat: a server that announces the compat feature gets XEP-0402
// only; ejabberd's refusal of max_items (resource-constraint, Unknown
// field) is retried with only persist_items and whitelist, after a look
// at the node's configuration (it has max_items max already); a
// precondition-not-met on an open node is not retried (the next
// element is the next call's).
func TestCompat(t *testing.T) {
	c, m := connect(t, askInfo("d", true, true)+
		askInfo("p1", true, true)+publish("a1", "room@conference.localhost", `<conference `+nsB+` name='Room'/>`, fullOptions)+`
S: <iq type='error' id='{{a1}}'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Unknown field 'pubsub#max_items' of type 'http://jabber.org/protocol/pubsub#publish-options'</text></error></iq>`+
		nodeConfig("c", `<field var='pubsub#max_items' type='text-single'><value>max</value></field><field var='pubsub#send_last_published_item' type='list-single'><value>never</value></field>`)+
		publish("a2", "room@conference.localhost", `<conference `+nsB+` name='Room'/>`, "")+`
S: <iq type='result' id='{{a2}}'/>`+
		askInfo("p2", true, true)+publish("a3", "room@conference.localhost", `<conference `+nsB+` name='Renamed'/>`, fullOptions)+`
S: <iq type='error' id='{{a3}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>`+
		nodeConfig("n", `<field var='pubsub#access_model' type='list-single'><value>open</value></field>`)+
		retract("r", "room@conference.localhost")+`
S: <iq type='result' id='{{r}}'/>`)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()
	room := jid.MustParse("room@conference.localhost")
	require.NoError(t, m.Add(ctx, bookmarks.Bookmark{Room: room, Name: "Room"}))
	err := m.Add(ctx, bookmarks.Bookmark{Room: room, Name: "Renamed"})
	assert.ErrorIs(t, err, pep.ErrNotPrivate)
	b, _ := m.Bookmark(room)
	assert.Equal(t, "Room", b.Name)
	st, err := m.Stores(ctx) // known: the script has no other disco
	require.NoError(t, err)
	assert.Equal(t, bookmarks.Stores{PEP: true}, st)
	require.NoError(t, m.Remove(ctx, room))
	assert.Empty(t, m.Bookmarks())
}

// TestPrivateOnly: a server without private PEP (no publish-options)
// keeps bookmarks in private storage alone: nothing is published there.
func TestPrivateOnly(t *testing.T) {
	c, m := connect(t, askInfo("d", false, false)+
		privateGet("g1", `<storage `+nsL+`><conference jid='a@conference.localhost' autojoin='1'/></storage>`)+
		privateGet("g2", `<storage `+nsL+`><conference jid='a@conference.localhost' autojoin='1'/></storage>`)+
		privateSet("s2", `<storage `+nsL+`><conference jid='a@conference.localhost' autojoin='1'/><conference jid='b@conference.localhost' name='B'/></storage>`))
	require.NoError(t, c.Connect(t.Context()))
	list, err := m.List(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{`a@conference.localhost "" autojoin=true nick="" password=""`}, summary(list))
	st, err := m.Stores(t.Context()) // known: the script has no other disco
	require.NoError(t, err)
	assert.Equal(t, bookmarks.Stores{Private: true}, st)
	require.NoError(t, m.Add(t.Context(), bookmarks.Bookmark{Room: jid.MustParse("b@conference.localhost/x"), Name: "B"}))
	assert.Len(t, m.Bookmarks(), 2)
}

func event(from, body string) string {
	if from != "" {
		from = ` from='` + from + `'`
	}
	return `
S: <message` + from + ` to='alice@localhost/a' type='headline'><event ` + nsEvent + `><items node='urn:xmpp:bookmarks:1'>` + body + `</items></event></message>`
}

func ctl(id string) string {
	return `
S: <message from='ctl@localhost' id='` + id + `'/>`
}

// TestNotifications: the account's own notifications (from its bare
// JID, or without from) change the cache and reach OnChange in wire
// order with a plain message listener; a stranger's notification of a
// bookmarks node (Dino's CVE-2023-28686), and one from a full JID of
// the account, are dropped; a retraction and a purge remove; an item
// unchanged tells nothing. A listener removed (twice) hears no more,
// the other one goes on.
func TestNotifications(t *testing.T) {
	c, m := connect(t, event("alice@localhost", `<item id='a@conference.localhost'><conference `+nsB+` name='A' autojoin='true'/></item>`)+
		ctl("1")+
		event("mallory@localhost", `<item id='evil@conference.localhost'><conference `+nsB+` name='Evil' autojoin='true'/></item>`)+
		event("alice@localhost/b", `<item id='evil2@conference.localhost'><conference `+nsB+` autojoin='true'/></item>`)+
		event("", `<item id='b@conference.localhost'><conference `+nsB+` name='B'/></item><item id='a@conference.localhost'><conference `+nsB+` name='A' autojoin='true'/></item>`)+
		ctl("2")+
		event("alice@localhost", `<retract id='a@conference.localhost'/><retract id='never@conference.localhost'/>`)+
		ctl("3")+
		`
S: <message from='alice@localhost' to='alice@localhost/a' type='headline'><event `+nsEvent+`><purge node='urn:xmpp:bookmarks:1'/></event></message>`+
		ctl("end"))
	var log, other events
	removeFirst := m.OnChange(func(ch bookmarks.Change) { log.add("%v %s %q", ch.Removed, ch.Bookmark.Room, ch.Bookmark.Name) })
	m.OnChange(func(ch bookmarks.Change) { other.add("%v %s", ch.Removed, ch.Bookmark.Room) })
	done := make(chan struct{})
	var snapshot []string
	c.HandleMessage(stanza.From(jid.MustParse("ctl@localhost")), func(msg *stanza.Message) {
		log.add("plain %s", msg.ID)
		switch msg.ID {
		case "2":
			snapshot = summary(m.Bookmarks())
		case "3":
			removeFirst()
			removeFirst()
		case "end":
			close(done)
		}
	})
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{
		`false a@conference.localhost "A"`,
		"plain 1",
		`false b@conference.localhost "B"`,
		"plain 2",
		`true a@conference.localhost "A"`,
		"plain 3",
		"plain end",
	}, log.get())
	assert.Equal(t, []string{
		"false a@conference.localhost", "false b@conference.localhost",
		"true a@conference.localhost", "true b@conference.localhost",
	}, other.get())
	assert.Equal(t, []string{
		`a@conference.localhost "A" autojoin=true nick="" password=""`,
		`b@conference.localhost "B" autojoin=false nick="" password=""`,
	}, snapshot)
	assert.Empty(t, m.Bookmarks())
}

// TestAutojoin: with autojoin on, a new session reads the bookmarks and
// enters each autojoin room, with the bookmark's nickname and password,
// or the AutojoinNick; a room that refuses is reported with its error;
// a room without autojoin is not entered.
func TestAutojoin(t *testing.T) {
	c, m := connect(t, askInfo("d", true, true)+
		items("i", `<iq type='result' id='ID'><pubsub `+nsPS+`><items node='urn:xmpp:bookmarks:1'>
  <item id='one@conference.localhost'><conference `+nsB+` autojoin='true'><nick>JC</nick><password>pw</password></conference></item>
  <item id='three@conference.localhost'><conference `+nsB+`><nick>JC</nick></conference></item>
  <item id='two@conference.localhost'><conference `+nsB+` autojoin='1'/></item>
</items></pubsub></iq>`)+`
C: <presence id='{{j1}}' to='one@conference.localhost/JC'><x xmlns='http://jabber.org/protocol/muc'><password>pw</password></x>`+caps+`</presence>
S: <presence from='one@conference.localhost/JC' to='alice@localhost/a' id='{{j1}}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>
C: <presence id='{{j2}}' to='two@conference.localhost/Al'><x xmlns='http://jabber.org/protocol/muc'/>`+caps+`</presence>
S: <presence from='two@conference.localhost/Al' to='alice@localhost/a' id='{{j2}}' type='error'><x xmlns='http://jabber.org/protocol/muc'/><error by='two@conference.localhost' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>
`)
	assert.False(t, m.Autojoin(), "off by default")
	m.SetAutojoin(true)
	m.SetAutojoinNick("Al")
	assert.True(t, m.Autojoin())
	assert.Equal(t, "Al", m.AutojoinNick())
	results := make(chan bookmarks.AutojoinResult, 4)
	nicks := make(chan string, 4)
	m.OnAutojoin(func(r bookmarks.AutojoinResult) {
		nicks <- r.Room.Nick() // "" unless the user is in the room
		results <- r
	})
	require.NoError(t, c.Connect(t.Context()))
	r := <-results
	assert.Equal(t, "one@conference.localhost", r.Bookmark.Room.String())
	require.NoError(t, r.Err)
	assert.Equal(t, "JC", <-nicks)
	r = <-results
	assert.Equal(t, "two@conference.localhost", r.Bookmark.Room.String())
	assert.ErrorIs(t, r.Err, muc.ErrNickInUse)
	assert.False(t, muc.For(c).Room(jid.MustParse("three@conference.localhost")).Joined())
}

// TestAutojoinListFails: a failure to read the bookmarks is reported
// once, with no room.
func TestAutojoinListFails(t *testing.T) {
	c, m := connect(t, `
C: <iq type='get' id='{{d}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='error' id='{{d}}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	m.SetAutojoin(true)
	results := make(chan bookmarks.AutojoinResult, 1)
	m.OnAutojoin(func(r bookmarks.AutojoinResult) { results <- r })
	require.NoError(t, c.Connect(t.Context()))
	r := <-results
	assert.ErrorIs(t, r.Err, &stanza.Error{Condition: stanza.ServiceUnavailable})
	assert.Nil(t, r.Room)
}

// TestShape: one Manager per connection, a fresh one after Close (safe
// twice); nil listeners panic; settings default off and empty; Close
// withdraws the bookmarks +notify interest.
func TestShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	m := bookmarks.For(c)
	assert.Same(t, m, bookmarks.For(c))
	assert.Contains(t, pep.For(c).Interests(), bookmarks.NS)
	assert.PanicsWithValue(t, "bookmarks: OnChange with a nil listener", func() { m.OnChange(nil) })
	assert.PanicsWithValue(t, "bookmarks: OnAutojoin with a nil listener", func() { m.OnAutojoin(nil) })
	assert.False(t, m.Autojoin())
	assert.Empty(t, m.AutojoinNick())
	remove := m.OnAutojoin(func(bookmarks.AutojoinResult) {})
	remove()
	remove()
	m.Close()
	m.Close()
	assert.NotContains(t, pep.For(c).Interests(), bookmarks.NS)
	assert.Nil(t, xmpp.Attached[bookmarks.Manager](c))
	assert.NotSame(t, m, bookmarks.For(c))
}
