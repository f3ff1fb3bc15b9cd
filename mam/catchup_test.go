package mam_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discoAs is a discovery of the account with the request id {{name}}:
// the account's server stamps stanza ids and keeps an archive.
func discoAs(name string) string {
	return `
C: <iq type='get' id='{{` + name + `}}' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{` + name + `}}' from='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:sid:0'/><feature var='urn:xmpp:mam:2'/></query></iq>`
}

// catchUpQuery is the catch-up's query {{q}} with the query id {{qid}},
// after the archive id after.
func catchUpQuery(q, qid, after string) string {
	return `
C: <iq type='set' id='{{` + q + `}}'><query xmlns='urn:xmpp:mam:2' queryid='{{` + qid + `}}'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max><after>` + after + `</after></set></query></iq>`
}

// finOf ends the query {{q}}: the page's first and last ids, complete
// or not.
func finOf(q, first, last string, complete bool) string {
	c := ""
	if complete {
		c = ` complete='true'`
	}
	return `
S: <iq type='result' id='{{` + q + `}}'><fin xmlns='urn:xmpp:mam:2'` + c + `><set xmlns='http://jabber.org/protocol/rsm'><first>` + first + `</first><last>` + last + `</last></set></fin></iq>`
}

// liveMsg is a chat message from bob, with a stanza-id id stamped by by
// (none when by is "").
func liveMsg(body, id, by string) string {
	s := ""
	if by != "" {
		s = `<stanza-id xmlns='urn:xmpp:sid:0' id='` + id + `' by='` + by + `'/>`
	}
	return `
S: <message from='bob@localhost/b' to='alice@localhost/a' type='chat' id='m-` + body + `'><body>` + body + `</body>` + s + `</message>`
}

// ctlDone tells the test that the script is done; the test answers
// with bye (see catchUpLog), so that the stream stays up until the
// listeners heard everything before it.
const ctlDone = `
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
C: <message to='ctl@localhost' id='{{bye}}'><body>bye</body><origin-id xmlns='urn:xmpp:sid:0' id='{{bye}}'/></message>`

// caughtUpSent is what tellCaughtUp sends.
const caughtUpSent = `
C: <message to='ctl@localhost' id='{{s}}'><body>caught up</body><origin-id xmlns='urn:xmpp:sid:0' id='{{s}}'/></message>`

// catchUpLog registers listeners that write the catch-up's events and
// the messages with a body that plain listeners see, in one log, and
// returns a channel closed by ctl's "done".
func catchUpLog(c *xmpp.Conn, m *mam.Client, log *testlog.Log) <-chan struct{} {
	done := make(chan struct{})
	c.HandleMessage(nil, func(msg *stanza.Message) {
		switch {
		case msg.From.Bare() == jid.MustParse("ctl@localhost"):
			bye := &stanza.Message{Common: stanza.Common{To: msg.From.Bare()}, Bodies: []stanza.Text{{Value: "bye"}}}
			if err := c.Send(context.Background(), bye); err != nil {
				panic(err)
			}
			close(done)
		case len(msg.Bodies) > 0:
			log.Add("live %s", msg.Body(""))
		}
	})
	m.OnArchived(func(a mam.Archived) {
		log.Add("archived %s %s %s: %s", a.ID, a.Stamp.UTC().Format(time.RFC3339), a.Message.From, a.Message.Body(""))
	})
	m.OnCaughtUp(func(e mam.CaughtUp) { log.Add("caught up %d %s %v", e.Delivered, e.Last, e.Err) })
	return done
}

// tellCaughtUp has the end of the catch-up sent to ctl: the script
// sends what follows only then.
func tellCaughtUp(t *testing.T, c *xmpp.Conn, m *mam.Client) {
	m.OnCaughtUp(func(mam.CaughtUp) {
		msg := &stanza.Message{Common: stanza.Common{To: jid.MustParse("ctl@localhost")}, Bodies: []stanza.Text{{Value: "caught up"}}}
		assert.NoError(t, c.Send(t.Context(), msg))
	})
}

// playCatchUp plays tr to a client that catches up from the stored id
// last, configured by config, and returns the log of what its
// listeners heard and its Store.
func playCatchUp(t *testing.T, tr *xmpptest.Transcript, last string, config ...func(*xmpp.Config)) (*testlog.Log, mam.Store) {
	c := xmpptest.NewConn(t, alice, tr, config...)
	m := mam.For(c)
	m.SetCatchUp(true)
	store := new(mam.MemoryStore)
	require.NoError(t, store.Save(last))
	m.SetStore(store)
	log := new(testlog.Log)
	done := catchUpLog(c, m, log)
	tellCaughtUp(t, c, m)
	require.NoError(t, c.Connect(t.Context()))
	<-done
	return log, store
}

// TestCatchUp: a new session fetches the archive after the stored id,
// page by page to its end, and delivers each message once, in archive
// order, on the dispatcher among the live messages: a live message
// that arrives during the catch-up (L1) is not delivered again when the
// archive lists it; a stanza-id by someone else than the account is
// never taken for an archive id. After the catch-up, live messages
// move the Store.
func TestCatchUp(t *testing.T) {
	tr := transcript(t, discoAs("d1")+discoAs("d2")+catchUpQuery("q1", "a", "A0")+
		liveMsg("live", "L1", "alice@localhost")+
		liveMsg("spoof", "X9", "bob@localhost")+
		result(mam.NS, "", "{{a}}", "A1", "2026-01-02T03:04:05Z", "bob@localhost/b", "alice@localhost", "one")+
		result(mam.NS, "alice@localhost", "{{a}}", "A2", "2026-01-02T03:04:06Z", "carol@localhost/c", "alice@localhost", "two")+
		finOf("q1", "A1", "A2", false)+
		catchUpQuery("q2", "b", "A2")+
		result(mam.NS, "", "{{b}}", "A3", "2026-01-02T03:04:07Z", "bob@localhost/b", "alice@localhost", "three")+
		result(mam.NS, "", "{{b}}", "L1", "2026-01-02T03:04:08Z", "bob@localhost/b", "alice@localhost", "live")+
		finOf("q2", "A3", "L1", true)+`
`+caughtUpSent+
		liveMsg("after", "L2", "alice@localhost")+
		liveMsg("spoof2", "X10", "bob@localhost")+
		liveMsg("spoof3", "X11", "alice@localhost/evil")+
		ctlDone)
	log, store := playCatchUp(t, tr, "A0")
	assert.Equal(t, []string{
		"live live", "live spoof",
		"archived A1 2026-01-02T03:04:05Z bob@localhost/b: one",
		"archived A2 2026-01-02T03:04:06Z carol@localhost/c: two",
		"archived A3 2026-01-02T03:04:07Z bob@localhost/b: three",
		"caught up 3 L1 <nil>",
		"live after", "live spoof2", "live spoof3",
	}, log.Lines())
	last, err := store.Load()
	require.NoError(t, err)
	assert.Equal(t, "L2", last, "the last live id by the account; X10 and X11 ignored")
}

// discoNoSID is the two discoveries of the account of a server that
// keeps an archive but does not announce urn:xmpp:sid:0.
const discoNoSID = `
C: <iq type='get' id='{{d1}}' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d1}}' from='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:mam:2'/></query></iq>
C: <iq type='get' id='{{d2}}' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d2}}' from='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:mam:2'/></query></iq>`

// TestCatchUpUntrusted: a server that does not announce urn:xmpp:sid:0
// does not vouch for the stanza-ids: a live message's id, even by the
// account, does not move the Store, and a catch-up that finds nothing
// leaves it where it was.
func TestCatchUpUntrusted(t *testing.T) {
	tr := transcript(t, discoNoSID+catchUpQuery("q1", "a", "A0")+`
S: <iq type='result' id='{{q1}}'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'/></fin></iq>
`+caughtUpSent+
		liveMsg("forged", "F1", "alice@localhost")+ctlDone)
	log, store := playCatchUp(t, tr, "A0")
	assert.Equal(t, []string{"caught up 0 A0 <nil>", "live forged"}, log.Lines())
	last, _ := store.Load()
	assert.Equal(t, "A0", last)
}

// TestCatchUpOff: off by default: no query at login, and live messages
// do not move the Store, even with package sid attached.
func TestCatchUpOff(t *testing.T) {
	tr := transcript(t, liveMsg("hi", "L1", "alice@localhost")+ctlDone)
	c := xmpptest.NewConn(t, alice, tr)
	m := mam.For(c)
	sid.For(c) // trusting stanza-ids is not enough
	assert.False(t, m.CatchUp())
	var log testlog.Log
	done := catchUpLog(c, m, &log)
	require.NoError(t, c.Connect(t.Context()))
	<-done
	assert.Equal(t, []string{"live hi"}, log.Lines())
	last, _ := m.Store().Load()
	assert.Empty(t, last)
}

// login logs alice in up to the features after authentication, which
// offer stream management; bind binds her resource and enables it with
// resumption.
var (
	login = xmpptest.Login(alice, "<sm xmlns='urn:xmpp:sm:3'/>")
	bind  = xmpptest.Bind(alice) + xmpptest.EnableSM
)

// scriptedConn is a connection of alice's with resource a, which
// plays one of scripts per connection it opens, reconnecting after a
// second, configured by config.
func scriptedConn(t *testing.T, scripts []string, config ...func(*xmpp.Config)) *xmpp.Conn {
	return xmpptest.NewReconnectingConn(t, alice, scripts, config...)
}

// playSessions plays scripts, one per connection (scriptedConn), to a
// client that catches up, and returns what its listeners heard: the
// catch-up's events, the messages with a body and the states but
// connected and disconnected.
func playSessions(t *testing.T, scripts []string, config ...func(*xmpp.Config)) []string {
	c := scriptedConn(t, scripts, config...)
	defer c.Close()
	m := mam.For(c)
	m.SetCatchUp(true)
	var log testlog.Log
	c.OnState(func(sc xmpp.StateChange) {
		if sc.State != xmpp.StateConnected && sc.State != xmpp.StateDisconnected {
			log.Add("state %s", sc.State)
		}
	})
	done := catchUpLog(c, m, &log)
	tellCaughtUp(t, c, m)
	require.NoError(t, c.Connect(t.Context()))
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("not done; heard %q", log.Lines())
	}
	return log.Lines()
}

// TestCatchUpSessions: the first session, with an empty Store, asks
// for the archive's last id only and stores it; a resumed session
// catches up nothing (it lost nothing) while its live messages move the
// Store; a new session after a failed resumption catches up from there.
func TestCatchUpSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scripts := []string{
			// The first session: the archive's end is A5; the stream
			// is lost.
			login + bind + discoAs("d1") + discoAs("d2") + `
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{a}}'><set xmlns='http://jabber.org/protocol/rsm'><max>1</max><before/></set></query></iq>` +
				result(mam.NS, "", "{{a}}", "A5", "2026-01-02T03:04:05Z", "bob@localhost/b", "alice@localhost", "old") +
				finOf("q", "A5", "A5", false) + caughtUpSent,
			// Resumed: no query; a live message.
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='4' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='4' previd='sm-1'/>` + liveMsg("resumed", "L6", "alice@localhost"),
			// The resumption fails: a new session catches up after L6.
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='5' previd='sm-1'/>
S: <failed xmlns='urn:xmpp:sm:3'/>
` + bind + discoAs("d1") + discoAs("d2") + catchUpQuery("q", "a", "L6") +
				result(mam.NS, "", "{{a}}", "A7", "2026-01-02T03:04:07Z", "bob@localhost/b", "alice@localhost", "missed") +
				finOf("q", "A7", "A7", true) + caughtUpSent + ctlDone,
		}
		log := playSessions(t, scripts)
		assert.Equal(t, []string{
			"state authenticated", "caught up 0 A5 <nil>",
			"state resumed", "live resumed",
			"state closed", "state authenticated",
			"archived A7 2026-01-02T03:04:07Z bob@localhost/b: missed",
			"caught up 1 A7 <nil>",
		}, log)
	})
}

// TestFileStore: a FileStore keeps the id across opening; a missing
// file is empty; a damaged one is ErrCorruptStore.
func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mam.json")
	s, err := mam.OpenFileStore(path)
	require.NoError(t, err)
	assert.Equal(t, path, s.Path())
	last, err := s.Load()
	require.NoError(t, err)
	assert.Empty(t, last)
	require.NoError(t, s.Save("A1"))
	require.NoError(t, s.Save("A2"))

	again, err := mam.OpenFileStore(path)
	require.NoError(t, err)
	last, err = again.Load()
	require.NoError(t, err)
	assert.Equal(t, "A2", last)

	for name, content := range map[string]string{
		"not JSON":       "A2",
		"another format": `{"format": 2, "last": "A2"}`,
	} {
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := mam.OpenFileStore(path)
		assert.ErrorIs(t, err, mam.ErrCorruptStore, name)
		assert.ErrorContains(t, err, path, name)
	}

	bad, err := mam.OpenFileStore(filepath.Join(t.TempDir(), "missing", "mam.json"))
	require.NoError(t, err)
	assert.Error(t, bad.Save("A3"), "no directory")
	last, _ = bad.Load()
	assert.Equal(t, "A3", last, "kept in memory")
}

// TestCatchUpShape: SetCatchUp and SetStore are settings with their
// defaults; nil listeners panic; a remove func removes exactly its
// registration; Close ends the listeners and For attaches a fresh
// Client.
func TestCatchUpShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	m := mam.For(c)
	assert.False(t, m.CatchUp())
	m.SetCatchUp(true)
	assert.True(t, m.CatchUp())
	assert.IsType(t, new(mam.MemoryStore), m.Store())
	fs := new(mam.FileStore)
	m.SetStore(fs)
	assert.Same(t, fs, m.Store())
	m.SetStore(nil)
	assert.IsType(t, new(mam.MemoryStore), m.Store())

	assert.PanicsWithValue(t, "mam: OnArchived with a nil listener", func() { m.OnArchived(nil) })
	assert.PanicsWithValue(t, "mam: OnCaughtUp with a nil listener", func() { m.OnCaughtUp(nil) })

	m.Close()
	m.Close()
	assert.NotSame(t, m, mam.For(c))
	assert.False(t, mam.For(c).CatchUp(), "a fresh Client")
}
