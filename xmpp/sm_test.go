package xmpp_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stream management (XEP-0198) and reconnection, on scripted servers.
// Each scripted connection is one transcript; the dialer hands them out
// in order, as reconnection dials.

// smLogin is a PLAIN login on a plaintext stream up to the features after
// authentication, which offer bind and stream management.
const smLogin = `C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='a1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>
C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXNlY3JldA==</auth>
S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='a2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>
`

// smBind binds alice@localhost/r and enables stream management with
// resumption (XEP-0198 examples 3 and 4).
const smBind = `C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>
S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>
C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>
S: <enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>
`

// smClose is Close on a stream with stream management: unavailable
// presence, an ack request, the end of the stream.
func smClose(h int) string {
	return `C: <presence id='{{close}}' type='unavailable'/>
C: <r xmlns='urn:xmpp:sm:3'/>
C: <a xmlns='urn:xmpp:sm:3' h='{{*}}'/>
C: </stream:stream>
S: <a xmlns='urn:xmpp:sm:3' h='` + itoa(h) + `'/>
S: </stream:stream>
`
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// smScript parses a transcript and scripts a server that plays it.
func smScript(t *testing.T, text string) net.Conn {
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(text))
	require.NoError(t, err)
	return xmpptest.Script(t, tr)
}

// heldReconnect is a connection to the script first that reconnects to
// the script second once hold is closed, and its events.
func heldReconnect(t *testing.T, first, second string) (c *xmpp.Conn, e *events, hold chan struct{}) {
	hold = make(chan struct{})
	d := &heldDialer{conns: []net.Conn{smScript(t, first), smScript(t, second)}, hold: map[int]chan struct{}{1: hold}}
	c = smConn(t, d)
	return c, watch(c), hold
}

// smConn is a connection to the scripted servers conns, which the dialer
// hands out in order. Ack requests go out every five stanzas, never on a
// timer; reconnection tries again at once.
func smConn(t *testing.T, d xmpp.Dialer, opts ...func(*xmpp.Config)) *xmpp.Conn {
	t.Helper()
	cfg := xmpp.Config{
		JID:                  jid.MustParse("alice@localhost"),
		Password:             "alice-secret",
		Addr:                 "scripted.invalid:5222",
		Security:             xmpp.TLSDisabled,
		AllowPlainWithoutTLS: true,
		Mechanisms:           []string{"PLAIN"},
		NoInitialPresence:    true,
		Dialer:               d,
		StreamManagement:     xmpp.StreamManagement{RequestAfter: time.Hour},
		Reconnect:            xmpp.Reconnect{Policy: xmpp.FixedDelay(0)},
	}
	for _, o := range opts {
		o(&cfg)
	}
	c := xmpp.New(cfg)
	t.Cleanup(func() { c.Close() })
	return c
}

// events records what a connection's listeners hear, in order, as short
// strings: "state:resumed", "acked:m1", "unacked:m2", "msg:s1",
// "reconnect:1 ok resumed".
type events struct {
	ch chan string
}

func watch(c *xmpp.Conn) *events {
	e := &events{ch: make(chan string, 256)}
	c.OnState(func(sc xmpp.StateChange) {
		if sc.State != xmpp.StateConnected {
			e.ch <- "state:" + sc.State.String()
		}
	})
	c.OnAcked(func(st stanza.Stanza) { e.ch <- "acked:" + st.Head().ID })
	c.OnUnacked(func(u xmpp.Unacked) {
		for _, st := range u.Stanzas {
			e.ch <- "unacked:" + st.Head().ID
		}
	})
	c.HandleMessage(nil, func(m *stanza.Message) { e.ch <- "msg:" + m.ID })
	return e
}

// expect waits for each of want, in order, skipping nothing.
func (e *events) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-e.ch:
			require.Equal(t, w, got)
		case <-time.After(10 * time.Second):
			t.Fatalf("waiting for %s: nothing came", w)
		}
	}
}

// until skips events up to and including want, and returns those it
// skipped.
// settled returns the events heard once everything in the test's synctest
// bubble has settled.
func (e *events) settled() []string {
	synctest.Wait()
	var got []string
	for len(e.ch) > 0 {
		got = append(got, <-e.ch)
	}
	return got
}

func (e *events) until(t *testing.T, want string) []string {
	t.Helper()
	var skipped []string
	for {
		select {
		case got := <-e.ch:
			if got == want {
				return skipped
			}
			skipped = append(skipped, got)
		case <-time.After(10 * time.Second):
			t.Fatalf("waiting for %s: nothing came after %v", want, skipped)
		}
	}
}

// stateErrs returns the errors c's state changes to state carry, in
// order (up to 16 unread).
func stateErrs(c *xmpp.Conn, state xmpp.State) <-chan error {
	ch := make(chan error, 16)
	c.OnState(func(sc xmpp.StateChange) {
		if sc.State == state {
			ch <- sc.Err
		}
	})
	return ch
}

func message(id string) *stanza.Message {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: id}}}
	m.ID, m.To = id, jid.MustParse("bob@localhost/b")
	return m
}

func msgLine(id string) string {
	return "C: <message type='chat' id='" + id + "' to='bob@localhost/b'><body>" + id + "</body></message>\n"
}

func serverMsg(id string) string {
	return "S: <message type='chat' id='" + id + "' from='bob@localhost/b' to='alice@localhost/r'><body>" + id + "</body></message>\n"
}

func sendAll(t *testing.T, c *xmpp.Conn, ids ...string) {
	t.Helper()
	for _, id := range ids {
		require.NoError(t, c.Send(ctxT(t), message(id)))
	}
}

// TestSMEnableAckRequest: stream management is enabled after bind; after
// five stanzas the client asks for an ack, and the server's <a/> reaches
// OnAcked for each stanza, in order; the server's <r/> is answered with
// the count of stanzas received (XEP-0198 sections 3 and 4).
func TestSMEnableAckRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind +
			msgLine("m1") + msgLine("m2") + msgLine("m3") + msgLine("m4") + msgLine("m5") +
			"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"S: <a xmlns='urn:xmpp:sm:3' h='5'/>\n" +
			serverMsg("s1") + serverMsg("s2") +
			"S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"C: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
			serverMsg("s3") +
			smClose(6)
		c := smConn(t, conns(smScript(t, text)))
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated")
		assert.True(t, c.Features().Has(xmpp.NSStreamManagement, "sm"))
		sendAll(t, c, "m1", "m2", "m3", "m4", "m5")
		e.expect(t, "acked:m1", "acked:m2", "acked:m3", "acked:m4", "acked:m5", "msg:s1", "msg:s2", "msg:s3")
		require.NoError(t, c.Close())
		closeID(t, e)
		e.expect(t, "state:closed")
	})
}

// closeID reads the next event, the ack of Close's unavailable presence,
// whose id is random, and returns the id.
func closeID(t *testing.T, e *events) string {
	t.Helper()
	select {
	case got := <-e.ch:
		require.True(t, strings.HasPrefix(got, "acked:"), got)
		return got[len("acked:"):]
	case <-time.After(10 * time.Second):
		t.Fatal("no ack for the unavailable presence")
		return ""
	}
}

// TestSMRequestAfter: a single stanza is acknowledged too: its request
// goes out after RequestAfter.
func TestSMRequestAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind + msgLine("m1") +
			"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"S: <a xmlns='urn:xmpp:sm:3' h='1'/>\n"
		c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) {
			cfg.StreamManagement.RequestAfter = 10 * time.Millisecond
			cfg.Reconnect.Disabled = true
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1")
		e.expect(t, "state:authenticated", "acked:m1")
	})
}

// TestSMResume: the stream drops with one stanza unacknowledged and one
// received; reconnection resumes with h=1, the server acknowledges m1 and
// re-sends nothing the client had, the client re-sends m2, and a stanza
// sent while the connection was down goes out after it. Nothing reaches
// a listener twice (XEP-0198 section 5).
func TestSMResume(t *testing.T) {
	first := smLogin + smBind + msgLine("m1") + msgLine("m2") + serverMsg("s1") // then the server's side is gone
	second := smLogin +
		"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
		"S: <resumed xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
		msgLine("m2") +
		"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
		msgLine("m3") +
		"S: <a xmlns='urn:xmpp:sm:3' h='3'/>\n" +
		serverMsg("s2") +
		smClose(4)
	c, e, hold := heldReconnect(t, first, second)
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1", "m2")
	e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
	assert.False(t, c.IsConnected())
	assert.Equal(t, "alice@localhost/r", c.JID().String(), "the suspended session keeps its JID")
	sendAll(t, c, "m3") // queued while down
	close(hold)
	e.expect(t, "acked:m1", "state:resumed", "acked:m2", "acked:m3", "msg:s2")
	assert.True(t, c.IsConnected())
	require.NoError(t, c.Close())
	closeID(t, e)
	e.expect(t, "state:closed")
}

// TestSMResumeFailed: the server no longer has the session (<failed/>
// with item-not-found, and the h it had received): the client binds anew,
// sends its last presence again, then first of all the message the
// server may not have received, then what was queued while down
// (XEP-0198 section 5, example 12). Nothing is reported lost.
func TestSMResumeFailed(t *testing.T) {
	first := smLogin + smBind +
		"C: <presence id='p1'><show>away</show></presence>\n" +
		msgLine("m1") + msgLine("m2") + serverMsg("s1")
	second := smLogin +
		"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
		"S: <failed xmlns='urn:xmpp:sm:3' h='2'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
		smBind +
		"C: <presence id='{{p2}}'><show>away</show></presence>\n" +
		msgLine("m2") + msgLine("m3") +
		"S: <a xmlns='urn:xmpp:sm:3' h='3'/>\n" +
		serverMsg("s2") +
		smClose(4)
	c, e, hold := heldReconnect(t, first, second)
	closed := stateErrs(c, xmpp.StateClosed)
	require.NoError(t, c.Connect(ctxT(t)))
	p := &stanza.Presence{Show: stanza.ShowAway}
	p.ID = "p1"
	require.NoError(t, c.Send(ctxT(t), p))
	sendAll(t, c, "m1", "m2")
	e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
	sendAll(t, c, "m3") // queued while down
	close(hold)
	e.expect(t, "acked:p1", "acked:m1", "state:closed", "state:authenticated")
	presence := closeID(t, e)
	e.expect(t, "acked:m2", "acked:m3", "msg:s2")
	assert.NotEqual(t, "p1", presence, "the restored presence is a stanza of its own")
	err := <-closed
	assert.ErrorIs(t, err, xmpp.ErrResumeFailed)
	assert.Contains(t, err.Error(), "item-not-found")
	require.NoError(t, c.Close())
	closeID(t, e)
}

// TestSMResumeFailedResendsByKind: of what a lost session sent without
// acknowledgement, a new session sends again the messages and directed
// presence (a room join), in order after its restored presence; an IQ
// cannot be sent again (its reply may have been lost with a change done):
// it is reported, and its SendIQ fails.
func TestSMResumeFailedResendsByKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ping := "<ping xmlns='urn:xmpp:ping'/>"
		first := smLogin + smBind +
			"C: <presence id='p1'/>\n" +
			"C: <presence id='j1' to='room@conference.localhost/alice'/>\n" +
			"C: <iq type='get' id='q1' to='localhost'>" + ping + "</iq>\n" +
			msgLine("m1") + serverMsg("s1")
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
			"S: <failed xmlns='urn:xmpp:sm:3' h='1'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
			smBind +
			"C: <presence id='{{p2}}'/>\n" +
			"C: <presence id='j1' to='room@conference.localhost/alice'/>\n" +
			msgLine("m1") +
			"S: <a xmlns='urn:xmpp:sm:3' h='3'/>\n" +
			smClose(4)
		c, e, hold := heldReconnect(t, first, second)
		require.NoError(t, c.Connect(ctxT(t)))
		p := &stanza.Presence{}
		p.ID = "p1"
		require.NoError(t, c.Send(ctxT(t), p))
		join := &stanza.Presence{}
		join.ID, join.To = "j1", jid.MustParse("room@conference.localhost/alice")
		require.NoError(t, c.Send(ctxT(t), join))
		iqErr := make(chan error, 1)
		go func() {
			iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
			iq.ID, iq.To = "q1", jid.MustParse("localhost")
			_, err := c.SendIQ(ctxT(t), iq)
			iqErr <- err
		}()
		e.expect(t, "state:authenticated")
		// m1 goes after the IQ: wait until the IQ is on its way.
		synctest.Wait()
		require.Equal(t, 3, xmpp.UnackedCount(c))
		sendAll(t, c, "m1")
		e.expect(t, "msg:s1", "state:disconnected")
		close(hold)
		e.expect(t, "acked:p1", "unacked:q1", "state:closed", "state:authenticated")
		presence := closeID(t, e)
		assert.NotEqual(t, "p1", presence, "the restored presence is a stanza of its own")
		e.expect(t, "acked:j1", "acked:m1")
		assert.ErrorIs(t, <-iqErr, xmpp.ErrNotConnected)
		require.NoError(t, c.Close())
		closeID(t, e)
	})
}

// TestSMResumeFailedStaysUnavailable: a user whose last presence
// broadcast was unavailable stays unavailable in the new session that
// replaces a lost one: no initial presence shows them online again.
func TestSMResumeFailedStaysUnavailable(t *testing.T) {
	first := smLogin + smBind +
		"C: <presence id='{{p0}}'/>\n" +
		"C: <presence id='u1' type='unavailable'/>\n" +
		serverMsg("s1")
	second := smLogin +
		"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
		"S: <failed xmlns='urn:xmpp:sm:3' h='2'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
		smBind + msgLine("m1") + smClose(2)
	c := smConn(t, conns(smScript(t, first), smScript(t, second)), func(cfg *xmpp.Config) {
		cfg.NoInitialPresence = false
	})
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	u := &stanza.Presence{Type: stanza.Unavailable}
	u.ID = "u1"
	require.NoError(t, c.Send(ctxT(t), u))
	e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
	closeID(t, e) // the initial presence
	e.expect(t, "acked:u1", "state:closed", "state:authenticated")
	sendAll(t, c, "m1")
	require.NoError(t, c.Close())
	e.expect(t, "acked:m1")
	closeID(t, e)
}

// TestSMResumeFailedNoResend: with StreamManagement.NoResend, what the
// lost session may not have delivered is reported instead of sent again.
func TestSMResumeFailedNoResend(t *testing.T) {
	first := smLogin + smBind + msgLine("m1") + msgLine("m2") + serverMsg("s1")
	second := smLogin +
		"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
		"S: <failed xmlns='urn:xmpp:sm:3' h='1'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
		smBind + serverMsg("s2") + smClose(1)
	c := smConn(t, conns(smScript(t, first), smScript(t, second)), func(cfg *xmpp.Config) {
		cfg.StreamManagement.NoResend = true
	})
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1", "m2")
	e.expect(t, "state:authenticated", "msg:s1", "state:disconnected",
		"acked:m1", "unacked:m2", "state:closed", "state:authenticated", "msg:s2")
	require.NoError(t, c.Close())
	closeID(t, e)
}

// TestSMBoundedQueue: at most MaxUnacked stanzas wait for the server's
// acknowledgement. The stanza that takes the window past its half asks
// for an ack (m2, with MaxUnacked 2); a Send that finds the window full
// waits for it: the script fails if m3 goes out before the <a/>; a Send
// whose context ends meanwhile returns, sending nothing.
func TestSMBoundedQueue(t *testing.T) {
	text := smLogin + smBind + msgLine("m1") + msgLine("m2") +
		"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
		"S: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
		msgLine("m3") +
		// The unavailable presence fills the window past its half: an ack
		// request follows it, before Close's own.
		strings.Replace(smClose(4), "type='unavailable'/>\n", "type='unavailable'/>\nC: <r xmlns='urn:xmpp:sm:3'/>\n", 1)
	c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) {
		cfg.StreamManagement.MaxUnacked = 2
		cfg.Reconnect.Disabled = true
	})
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1", "m2")
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	assert.ErrorIs(t, c.Send(ctx, message("m0")), context.Canceled, "no room, and no waiting past the context")
	sendAll(t, c, "m3")
	e.expect(t, "state:authenticated", "acked:m1", "acked:m2")
	require.NoError(t, c.Close())
	e.expect(t, "acked:m3")
	closeID(t, e)
}

// TestSMCounterWrap: h counts modulo 2^32 (XEP-0198 section 4): from
// counters at 2^32-1, three stanzas sent are acknowledged as h=2 and two
// received are answered as h=1.
func TestSMCounterWrap(t *testing.T) {
	text := smLogin + smBind +
		msgLine("m0") + msgLine("m1") + msgLine("m2") +
		"S: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
		serverMsg("s1") + serverMsg("s2") +
		"S: <r xmlns='urn:xmpp:sm:3'/>\n" +
		"C: <a xmlns='urn:xmpp:sm:3' h='1'/>\n" +
		serverMsg("s3")
	c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	// Nothing flows until m0: set both counters to 2^32-1.
	xmpp.SetSMCounters(c, 1<<32-1, 1<<32-1)
	sendAll(t, c, "m0", "m1", "m2")
	e.expect(t, "state:authenticated", "acked:m0", "acked:m1", "acked:m2", "msg:s1", "msg:s2", "msg:s3")
}

// TestSMAckTooHigh: an ack for more than was sent ends the stream with
// undefined-condition (XEP-0198 section 4, "handled-count-too-high").
func TestSMAckTooHigh(t *testing.T) {
	text := smLogin + smBind + msgLine("m1") +
		"S: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
		"C: <stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>{{*}}</text></stream:error></stream:stream>\n"
	c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1")
	wait(t, c.Done())
	assert.ErrorContains(t, c.Err(), "acknowledged 2")
}

// TestSMEnableFailed: a server that refuses to enable stream management
// leaves a working stream without it.
func TestSMEnableFailed(t *testing.T) {
	text := strings.Replace(smLogin+smBind, "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>",
		"<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>", 1) +
		serverMsg("s1") + msgLine("m1") + msgLine("m2") + msgLine("m3") + msgLine("m4") + msgLine("m5") + msgLine("m6") +
		"C: <presence id='{{close}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
	c := smConn(t, conns(smScript(t, text)))
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "msg:s1") // <failed/> came before s1
	// Nothing is counted: six messages bring no <r/>, and Close none.
	sendAll(t, c, "m1", "m2", "m3", "m4", "m5", "m6")
	require.NoError(t, c.Close())
	e.expect(t, "state:closed")
}

// TestReconnectNotRetried: the server ending the session on purpose
// (another client took the resource) is reported, not retried.
func TestReconnectNotRetried(t *testing.T) {
	text := smLogin + smBind +
		"S: <stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>\n" +
		"C: </stream:stream>\n"
	c := smConn(t, conns(smScript(t, text)))
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "state:closed")
	wait(t, c.Done())
	var se *stanza.StreamError
	require.True(t, errors.As(c.Err(), &se))
	assert.Equal(t, stanza.StreamConflict, se.Condition)
	assert.ErrorIs(t, c.Send(ctxT(t), message("m1")), xmpp.ErrNotConnected, "nothing is queued for a session that will not come back")
}

// TestReconnectGivesUp: reconnection stops after MaxAttempts; what was
// queued meanwhile is reported to OnUnacked, and Done closes.
func TestReconnectGivesUp(t *testing.T) {
	first := smLogin + strings.Replace(smBind, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>", "<enable xmlns='urn:xmpp:sm:3'/>", 1)
	first = strings.Replace(first, " id='some-long-sm-id' resume='true'", "", 1)
	hold := make(chan struct{})
	d := &heldDialer{conns: []net.Conn{smScript(t, first)}, hold: map[int]chan struct{}{1: hold}}
	c := smConn(t, d, func(cfg *xmpp.Config) {
		cfg.StreamManagement.NoResume = true
		cfg.Reconnect.MaxAttempts = 2
	})
	e := watch(c)
	var mu sync.Mutex
	var attempts []xmpp.ReconnectEvent
	c.OnReconnect(func(ev xmpp.ReconnectEvent) {
		mu.Lock()
		attempts = append(attempts, ev)
		mu.Unlock()
	})
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "state:closed")
	require.NoError(t, c.Send(ctxT(t), message("q1")), "queued while reconnecting")
	close(hold)
	e.expect(t, "unacked:q1")
	wait(t, c.Done())
	assert.Error(t, c.Err())
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, attempts, 4) // scheduled, failed; scheduled, failed and gave up
	assert.True(t, attempts[3].GaveUp)
	assert.Equal(t, 2, attempts[3].Attempt)
}

// TestSendWhileDownFails: with the queue turned off, Send while the
// connection is coming back fails instead.
func TestSendWhileDownFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + serverMsg("s1")
		hold := make(chan struct{})
		defer close(hold)
		d := &heldDialer{conns: []net.Conn{smScript(t, first)}, hold: map[int]chan struct{}{1: hold}}
		c := smConn(t, d, func(cfg *xmpp.Config) {
			cfg.MaxQueued = -1
			cfg.Reconnect.MaxAttempts = 1
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
		assert.ErrorIs(t, c.Send(ctxT(t), message("m1")), xmpp.ErrNotConnected)
	})
}

// TestDeadConnection: a server that stops answering, with the socket
// still open, is noticed within KeepAlive + KeepAliveTimeout: the probe
// goes unanswered, the stream is ended with ErrNoReply, and the session
// is resumed on a new connection.
func TestDeadConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + serverMsg("s1") +
			"C: <r xmlns='urn:xmpp:sm:3'/>\n" // the probe; then silence
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			serverMsg("s2")
		silent := &silentConn{Conn: smScript(t, first), closed: make(chan struct{})}
		c := smConn(t, conns(silent, smScript(t, second)), func(cfg *xmpp.Config) {
			cfg.KeepAlive = 50 * time.Millisecond
			cfg.KeepAliveTimeout = 50 * time.Millisecond
		})
		disconnected := stateErrs(c, xmpp.StateDisconnected)
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "state:disconnected", "state:resumed", "msg:s2")
		assert.ErrorIs(t, <-disconnected, xmpp.ErrNoReply)
	})
}

// resumedAskingM1 resumes a session that received nothing and sent m1
// unacknowledged: m1 is sent again, and the ack request every resumed
// stream makes.
var resumedAskingM1 = smLogin +
	"C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
	"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
	msgLine("m1") +
	"C: <r xmlns='urn:xmpp:sm:3'/>\n"

// TestSMResumedStreamUnread: a resumed stream whose server answers no
// ack request within KeepAliveTimeout, although it sends other stanzas,
// is dead (ErrNoReply), and the session is not resumed again: the server
// is not reading what this session sends (Prosody 0.12 after a cut
// inside an element). A new session binds and sends again the message
// that was never acknowledged; it is not reported lost.
func TestSMResumedStreamUnread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + msgLine("m1")   // then the server's side is gone
		second := resumedAskingM1 + serverMsg("s1") // and no <a/>, ever
		third := smLogin + smBind + msgLine("m1") + smClose(2)
		unread := &silentConn{Conn: smScript(t, second), closed: make(chan struct{})}
		c := smConn(t, conns(smScript(t, first), unread, smScript(t, third)), func(cfg *xmpp.Config) {
			cfg.KeepAlive = time.Hour // no idle probe: the request in flight is what times out
			cfg.KeepAliveTimeout = 50 * time.Millisecond
		})
		closed := stateErrs(c, xmpp.StateClosed)
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1")
		e.expect(t, "state:authenticated", "state:disconnected", "state:resumed", "msg:s1", "state:closed", "state:authenticated")
		assert.ErrorIs(t, <-closed, xmpp.ErrNoReply)
		synctest.Wait() // m1 sent again: Close comes after it
		require.NoError(t, c.Close())
		e.expect(t, "acked:m1")
		closeID(t, e)
		e.expect(t, "state:closed")
	})
}

// TestSMResumedStreamCutUnanswered: resumed streams that the network
// ends before any <a/> add up toward KeepAliveTimeout: streams cut again
// and again (by the flood they send again) would otherwise each die
// before their own ack deadline, and the session be resumed forever into
// a server that does not read it. The first resumed stream, cut after
// 0.6 of the timeout, leaves the session to be resumed again; the second
// brings the total past the timeout: a new session binds, and sends
// again the message no stream had acknowledged.
func TestSMResumedStreamCutUnanswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 2 * time.Second
		first := smLogin + smBind + msgLine("m1") // then the server's side is gone
		last := smLogin + smBind + msgLine("m1") + smClose(2)
		cut := func() net.Conn { return &lingerConn{Conn: smScript(t, resumedAskingM1), d: timeout * 6 / 10} } // its ack request unanswered
		c := smConn(t, conns(smScript(t, first), cut(), cut(), smScript(t, last)), func(cfg *xmpp.Config) {
			cfg.KeepAliveTimeout = timeout
		})
		e := watch(c)
		closed := stateErrs(c, xmpp.StateClosed)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1")
		e.expect(t, "state:authenticated", "state:disconnected", "state:resumed", "state:disconnected", "state:resumed", "state:closed", "state:authenticated")
		err := <-closed
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the network ended the streams, not the ack deadline")
		assert.NotErrorIs(t, err, xmpp.ErrNoReply)
		synctest.Wait() // the new session has sent m1 again
		require.NoError(t, c.Close())
		e.expect(t, "acked:m1")
		closeID(t, e)
		e.expect(t, "state:closed")
	})
}

// lingerConn is a socket whose peer, once the script has ended, waits d
// and closes the connection.
type lingerConn struct {
	net.Conn
	d time.Duration
}

func (l *lingerConn) Read(p []byte) (int, error) {
	n, err := l.Conn.Read(p)
	if err != nil {
		time.Sleep(l.d)
		return 0, io.EOF
	}
	return n, nil
}

// silentConn is a socket whose peer went silent without closing: once
// the script has ended, reads wait until Close and writes vanish.
type silentConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (s *silentConn) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if err != nil {
		<-s.closed
		return 0, net.ErrClosed
	}
	return n, nil
}

func (s *silentConn) Write(p []byte) (int, error) {
	if _, err := s.Conn.Write(p); err != nil {
		return len(p), nil
	}
	return len(p), nil
}

func (s *silentConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// heldDialer hands out conns in order; the dial with index i waits for
// hold[i] to close first. Past the last conn, dials fail.
type heldDialer struct {
	mu      sync.Mutex
	n       int
	conns   []net.Conn
	mk      []func() net.Conn // instead of conns: makes conn i when dialed
	hold    map[int]chan struct{}
	started map[int]chan struct{} // closed when dial i begins
}

func (d *heldDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	i := d.n
	d.n++
	d.mu.Unlock()
	if st := d.started[i]; st != nil {
		close(st)
	}
	if h := d.hold[i]; h != nil {
		select {
		case <-h:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if i < len(d.mk) {
		return d.mk[i](), nil
	}
	if i >= len(d.conns) {
		return nil, errors.New("scripted: no more connections")
	}
	return d.conns[i], nil
}

// TestSMAckRequestedAtHalf: with RequestEvery out of reach, the stanza
// that takes the unacknowledged ones past half of MaxUnacked carries an
// ack request, once until an <a/> comes: m3 (3 of 4), then m6.
func TestSMAckRequestedAtHalf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind +
			msgLine("m1") + msgLine("m2") + msgLine("m3") +
			"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
			msgLine("m4") +
			"S: <a xmlns='urn:xmpp:sm:3' h='3'/>\n" +
			msgLine("m5") + msgLine("m6") +
			"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"S: <a xmlns='urn:xmpp:sm:3' h='6'/>\n"
		c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) {
			cfg.StreamManagement.MaxUnacked = 4
			cfg.StreamManagement.RequestEvery = 1000
			cfg.Reconnect.Disabled = true
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1", "m2", "m3", "m4") // m4 before the <a/>: no second request
		e.expect(t, "state:authenticated", "acked:m1", "acked:m2", "acked:m3")
		sendAll(t, c, "m5", "m6")
		e.expect(t, "acked:m4", "acked:m5", "acked:m6")
		assert.Zero(t, xmpp.SlotWaits(c))
	})
}

// TestSMSendersNeverWait: a server that acknowledges whenever asked
// keeps the window open: 3×MaxUnacked stanzas go out, one after the
// other, and no Send ever waits for a slot. RequestEvery is out of
// reach, so the requests are those made past half the window.
func TestSMSendersNeverWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const window = 8
		var text strings.Builder
		text.WriteString(smLogin + smBind)
		var ids []string
		for i := 1; i <= 3*window; i++ {
			id := "m" + itoa(i)
			ids = append(ids, id)
			text.WriteString(msgLine(id))
			if i%(window/2+1) == 0 {
				text.WriteString("C: <r xmlns='urn:xmpp:sm:3'/>\nS: <a xmlns='urn:xmpp:sm:3' h='" + itoa(i) + "'/>\n")
			}
		}
		c := smConn(t, conns(smScript(t, text.String())), func(cfg *xmpp.Config) {
			cfg.StreamManagement.MaxUnacked = window
			cfg.StreamManagement.RequestEvery = 1000
			cfg.Reconnect.Disabled = true
		})
		require.NoError(t, c.Connect(ctxT(t)))
		for _, id := range ids {
			require.NoError(t, c.Send(ctxT(t), message(id)))
			synctest.Wait() // the server has answered what it was asked
		}
		assert.Zero(t, xmpp.SlotWaits(c), "a sender waited for a slot while the server acknowledged")
		assert.Equal(t, 3*window%(window/2+1), xmpp.UnackedCount(c))
	})
}

// TestPingUnansweredInBubble: without stream management, a server that
// never answers the keep-alive ping ends the stream with ErrNoReply,
// also under testing/synctest, whose clock starts before the package's
// own (clock() is negative there: only 0 means "not set").
func TestPingUnansweredInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := benchLoginNoSM + "C: <iq type='get' id='{{k}}'><ping xmlns='urn:xmpp:ping'/></iq>\n"
		g := newGatedConn(smScript(t, text)) // silent once the script ends
		c := smConn(t, conns(g), func(cfg *xmpp.Config) {
			cfg.KeepAlive, cfg.KeepAliveTimeout, cfg.Reconnect.Disabled = time.Second, time.Second, true
		})
		closed := stateErrs(c, xmpp.StateClosed)
		require.NoError(t, c.Connect(ctxT(t)))
		time.Sleep(5 * time.Second)
		select {
		case err := <-closed:
			assert.ErrorIs(t, err, xmpp.ErrNoReply)
		default:
			t.Error("after 5 s the silent server is still taken for alive")
		}
		c.Close()
	})
}
