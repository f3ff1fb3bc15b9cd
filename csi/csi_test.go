package csi_test

import (
	"context"
	"encoding/xml"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/csi"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	ctl   = jid.MustParse("ctl@localhost/x")
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

const (
	offer    = "S: <stream:features><csi xmlns='urn:xmpp:csi:0'/></stream:features>\n"
	inactive = "C: <inactive xmlns='urn:xmpp:csi:0'/>\n"
	active   = "C: <active xmlns='urn:xmpp:csi:0'/>\n"
	done     = "S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>\n"
	end      = "C: <message id='end' to='localhost'><body>end</body></message>\n"
)

// finished returns a channel closed when the server's "done" message
// arrives: every event before it in the transcript has been delivered.
func finished(c *xmpp.Conn) <-chan struct{} {
	ch := make(chan struct{})
	c.HandleMessage(stanza.From(ctl), func(m *stanza.Message) { close(ch) })
	return ch
}

func wait(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-ctxT(t).Done():
		t.Fatal("the transcript did not reach its end")
	}
}

// sendEnd sends the message the transcripts end with: the scripted
// server closes the connection once its transcript is played.
func sendEnd(t *testing.T, c *xmpp.Conn) {
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "end"}}}
	m.To, m.ID = jid.MustParse("localhost"), "end"
	require.NoError(t, c.Send(ctxT(t), m))
}

// TestSetState: with the feature offered, each change is sent once; a
// state equal to what the stream was told is not sent again.
func TestSetState(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), offer+done+inactive+active+end)
	c := xmpptest.NewConn(t, alice, tr)
	m := csi.For(c)
	assert.False(t, m.Offered(), "not connected")
	fin := finished(c)
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, fin) // the state events are delivered
	assert.True(t, m.Offered())
	assert.Equal(t, csi.Active, m.State())
	require.NoError(t, m.SetActive(ctxT(t)), "active already: nothing sent")
	require.NoError(t, m.SetInactive(ctxT(t)))
	assert.Equal(t, csi.Inactive, m.State())
	require.NoError(t, m.SetState(ctxT(t), csi.Inactive))
	require.NoError(t, m.SetActive(ctxT(t)))
	assert.Equal(t, "active", csi.Active.String())
	assert.Equal(t, "inactive", csi.Inactive.String())
	sendEnd(t, c)
}

// TestNotOffered: a server that does not offer the feature is told
// nothing; the state is set all the same.
func TestNotOffered(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), done+end)
	c := xmpptest.NewConn(t, alice, tr)
	m := csi.For(c)
	fin := finished(c)
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, fin)
	assert.False(t, m.Offered())
	assert.ErrorIs(t, m.SetInactive(ctxT(t)), csi.ErrNotOffered)
	assert.Equal(t, csi.Inactive, m.State())
	sendEnd(t, c)
}

// TestBeforeConnect: a state set before Connect is sent when the stream
// comes up, once, even when the client sets it again right after
// Connect returns.
func TestBeforeConnect(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), offer+inactive+done+end)
	c := xmpptest.NewConn(t, alice, tr)
	m := csi.For(c)
	require.NoError(t, m.SetInactive(ctxT(t)), "not connected: kept for later")
	fin := finished(c)
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, m.SetInactive(ctxT(t)))
	wait(t, fin)
	sendEnd(t, c)
}

// laptop is the account of the scripted sessions; login logs it in up
// to the features after authentication, which offer stream management
// and CSI; bind binds its resource and enables stream management with
// resumption.
var (
	laptop = jid.MustParse("alice@localhost/laptop")
	login  = xmpptest.Login(laptop, "<sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/>")
	bind   = xmpptest.Bind(laptop) + xmpptest.EnableSM
)

// resumed resumes the session sm-1, nothing received on either side.
const resumed = `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
`

// TestStreams: an inactive client says so on every stream: the first,
// a resumed one (which starts active, XEP-0352 section 4), and the
// stream of a new session after a failed resumption; <inactive/> is not
// a stanza, so stream management does not count or resend it. After
// SetActive, a new stream is told nothing.
func TestStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scripts := []string{
			login + bind + inactive,
			login + resumed + inactive,
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <failed xmlns='urn:xmpp:sm:3'/>
` + bind + inactive + done + active,
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
` + done + `C: <iq type='get' id='{{p}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p}}' from='localhost'/>
`,
		}
		c := xmpptest.NewReconnectingConn(t, laptop, scripts)
		defer c.Close()
		m := csi.For(c)
		require.NoError(t, m.SetInactive(t.Context()))
		dones := make(chan struct{}, 2)
		c.HandleMessage(stanza.From(ctl), func(*stanza.Message) { dones <- struct{}{} })
		require.NoError(t, c.Connect(t.Context()))
		<-dones // the new session's stream
		require.NoError(t, m.SetActive(t.Context()))
		<-dones // resumed again: nothing sent
		// A request that waits for its answer: a Send could be queued
		// while the stream comes up, and the Close that follows drop it.
		ping := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
		ping.To = jid.MustParse("localhost")
		_, err := c.SendIQ(t.Context(), ping)
		require.NoError(t, err)
	})
}

// TestForOnePerConn: For returns the one Manager of a Conn; after Close
// it attaches a fresh one, active, and the old one's Close leaves it
// attached.
func TestForOnePerConn(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	other := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	m := csi.For(c)
	assert.Same(t, m, csi.For(c))
	assert.Same(t, m, xmpp.Attached[csi.Manager](c))
	assert.NotSame(t, m, csi.For(other), "one per Conn")
	require.NoError(t, m.SetInactive(t.Context()))
	m.Close()
	m.Close()
	assert.Nil(t, xmpp.Attached[csi.Manager](c))
	fresh := csi.For(c)
	assert.NotSame(t, m, fresh)
	assert.Equal(t, csi.Active, fresh.State(), "the fresh one starts active")
	m.Close()
	assert.Same(t, fresh, xmpp.Attached[csi.Manager](c))
}

// stuckConn holds the client's first write that contains match until
// release is closed, telling stuck when it starts holding it.
type stuckConn struct {
	net.Conn
	match   string
	once    sync.Once
	stuck   chan struct{}
	release chan struct{}
}

func (s *stuckConn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), s.match) {
		hold := false
		s.once.Do(func() { hold = true })
		if hold {
			close(s.stuck)
			<-s.release
		}
	}
	return s.Conn.Write(p)
}

// stickWrite makes the Conn's first write containing match hang until
// the returned release is called; stuck is closed when that write starts
// hanging. The test registers release as a cleanup after NewConn's, so
// that a failing test does not leave the Conn's Close waiting for it.
func stickWrite(match string) (config func(*xmpp.Config), stuck <-chan struct{}, release func()) {
	s := &stuckConn{match: match, stuck: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	release = func() { once.Do(func() { close(s.release) }) }
	config = func(cfg *xmpp.Config) {
		d := cfg.Dialer
		cfg.Dialer = dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			s.Conn = conn
			return s, nil
		})
	}
	return config, s.stuck, release
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// TestStuckSetStateDoesNotStall: a SetState whose write hangs while a
// stream's "authenticated" event waits on the dispatcher does not hold
// up that event's listeners, nor the stanzas behind it: the manager's
// listener, finding the slot taken, leaves the telling to a goroutine,
// and the state goes out once.
func TestStuckSetStateDoesNotStall(t *testing.T) {
	stick, stuck, release := stickWrite("inactive")
	tr := xmpptest.MustParseTranscript(t, t.Name(), offer+done+inactive+end)
	c := xmpptest.NewConn(t, alice, tr, stick)
	t.Cleanup(release)
	atAuth, goOn := make(chan struct{}), make(chan struct{})
	letGo := sync.OnceFunc(func() { close(goOn) })
	t.Cleanup(letGo)
	c.OnState(func(e xmpp.StateChange) { // before the manager's: holds the event
		if e.State == xmpp.StateAuthenticated {
			close(atAuth)
			<-goOn
		}
	})
	m := csi.For(c)
	defer m.Close()
	fin := finished(c)
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, atAuth)
	set := make(chan error, 1)
	go func() { set <- m.SetInactive(ctxT(t)) }()
	wait(t, stuck) // SetState holds the slot; its write hangs
	letGo()
	wait(t, fin) // the manager's listener did not wait for the slot
	release()
	require.NoError(t, <-set)
	sendEnd(t, c)
}

// TestSetStateContext: a SetState waiting for one whose write hangs
// returns its ctx's error when ctx ends; its state is set, and the
// SetState under way tells it once its own write is done.
func TestSetStateContext(t *testing.T) {
	stick, stuck, release := stickWrite("inactive")
	tr := xmpptest.MustParseTranscript(t, t.Name(), offer+done+inactive+active+end)
	c := xmpptest.NewConn(t, alice, tr, stick)
	t.Cleanup(release)
	m := csi.For(c)
	defer m.Close()
	fin := finished(c)
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, fin)
	set := make(chan error, 1)
	go func() { set <- m.SetInactive(ctxT(t)) }()
	wait(t, stuck)
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	second := make(chan error, 1)
	go func() { second <- m.SetActive(ctx) }()
	select {
	case err := <-second:
		assert.ErrorIs(t, err, context.Canceled)
	case <-ctxT(t).Done():
		t.Fatal("SetState waited past its context")
	}
	assert.Equal(t, csi.Active, m.State(), "set all the same")
	release()
	require.NoError(t, <-set) // and it sent <active/> after its <inactive/>
	sendEnd(t, c)
}

// TestWriteOutlivesStream: a write of <inactive/> that returns only after
// its stream's end was reported does not count for the stream that
// follows: the resumed stream (which starts active) is told again.
// Noting it as told would leave the server believing the client active
// for the whole session.
func TestWriteOutlivesStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scripts := []string{
			login + bind + inactive,
			login + resumed + inactive + done,
		}
		c := xmpptest.NewReconnectingConn(t, laptop, scripts)
		defer c.Close()
		m := csi.For(c)
		disconnected := make(chan struct{})
		var once sync.Once
		c.OnState(func(e xmpp.StateChange) {
			if e.State == xmpp.StateDisconnected {
				once.Do(func() { close(disconnected) })
			}
		})
		first := true
		defer csi.SetAfterSend(func() {
			if first {
				first = false
				<-disconnected // the stream's end was reported before the write returned
			}
		})()
		fin := finished(c)
		require.NoError(t, c.Connect(t.Context()))
		require.NoError(t, m.SetInactive(t.Context()))
		wait(t, fin)
	})
}
