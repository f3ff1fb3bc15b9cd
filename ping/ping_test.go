package ping_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// alice is the account most tests log in as.
var alice = jid.MustParse("alice@localhost/phone")

// wait bounds every wait for an outcome; it is never a pass/fail timing.
const wait = 10 * time.Second

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	t.Cleanup(cancel)
	return ctx
}

// await waits for ch to close, or fails the test.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// silent makes the scripted server go silent once its transcript has
// played, instead of closing the connection: it reads everything and
// answers nothing, as a server behind a dead network path looks to the
// client. The socket stays open until the client closes it.
func silent(cfg *xmpp.Config) {
	d := cfg.Dialer
	cfg.Dialer = dialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &silentConn{Conn: conn, closed: make(chan struct{})}, nil
	})
	cfg.CloseTimeout = 10 * time.Millisecond // nobody will answer </stream:stream>
}

type dialer func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

type silentConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (s *silentConn) Read(b []byte) (int, error) {
	n, err := s.Conn.Read(b)
	if errors.Is(err, io.EOF) {
		<-s.closed
		return 0, net.ErrClosed
	}
	return n, err
}

func (s *silentConn) Write(b []byte) (int, error) {
	n, err := s.Conn.Write(b)
	if errors.Is(err, io.ErrClosedPipe) {
		select {
		case <-s.closed:
			return 0, net.ErrClosed
		default:
			return len(b), nil // into the void
		}
	}
	return n, err
}

func (s *silentConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// noGoroutines fails the test, with their stacks, when goroutines of
// package ping still run once everything in the test's synctest bubble has
// settled.
func noGoroutines(t *testing.T) {
	t.Helper()
	synctest.Wait()
	if left := pingGoroutines(); len(left) > 0 {
		t.Fatalf("goroutines of package ping still run:\n%s", strings.Join(left, "\n\n"))
	}
}

// pingGoroutines returns the stacks of the goroutines that run code of
// package ping.
func pingGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "gosmack/gosmack/ping.") {
			left = append(left, g)
		}
	}
	return left
}

// TestAnswerOpenfire: the seed's Openfire pings the client; the answer is
// the one Smack sent, and the feature is announced.
func TestAnswerOpenfire(t *testing.T) {
	tr := transcript(t, `
S: <iq from="oatest.dgcb.com.cn" id="553-595" to="8049a646c63e65e8@oatest.dgcb.com.cn/phone" type="get">
    <ping xmlns="urn:xmpp:ping"/>
   </iq>
C: <iq id='553-595' to='oatest.dgcb.com.cn' type='result'></iq>
`)
	c := xmpptest.NewConn(t, jid.MustParse("8049a646c63e65e8@oatest.dgcb.com.cn/phone"), tr)
	ping.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	assert.Contains(t, c.Announced(), ping.NS)
}

// TestAnswerAnyone: pings from other clients are answered too, to their
// full JID.
func TestAnswerAnyone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
S: <iq from="bob@localhost/desk" id="e2e1" to="alice@localhost/phone" type="get"><ping xmlns="urn:xmpp:ping"/></iq>
C: <iq id='e2e1' to='bob@localhost/desk' type='result'/>
`)
		c := xmpptest.NewConn(t, alice, tr)
		ping.For(c)
		require.NoError(t, c.Connect(ctxT(t)))
	})
}

// TestClose: after Close the connection no longer answers pings (it says
// service-unavailable, as for any request nobody handles), no longer
// announces the feature, and a new Pinger can be attached.
func TestClose(t *testing.T) {
	tr := transcript(t, `
S: <iq from="localhost" id="s2c1" type="get"><ping xmlns="urn:xmpp:ping"/></iq>
C: <iq id='s2c1' to='localhost' type='result'/>
S: <message from="localhost" id="m1"><body>now</body></message>
S: <iq from="localhost" id="s2c2" type="get"><ping xmlns="urn:xmpp:ping"/></iq>
C: <iq id='s2c2' to='localhost' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	p := ping.For(c)
	// Listeners run in arrival order: the first ping is answered before
	// the message comes, the second after Close.
	c.HandleMessage(nil, func(*stanza.Message) { p.Close() })
	require.NoError(t, c.Connect(ctxT(t)))
	<-c.Done() // the script ended: everything was answered as written
	assert.NotContains(t, c.Announced(), ping.NS)
	p.Close() // twice is fine
	q := ping.For(c)
	q.Close()
}

// TestForOtherHandler: For on a connection that answers pings by other
// means is a programmer error, and says so.
func TestForOtherHandler(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	remove := c.HandleIQ(stanza.Get, xml.Name{Space: ping.NS, Local: "ping"},
		xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) { return nil, nil }))
	assert.PanicsWithValue(t,
		"ping: For: the connection answers pings already, without the Pinger: xmpp: HandleIQ: a handler for get {urn:xmpp:ping}ping is already registered",
		func() { ping.For(c) })
	remove()
}

// TestPing: pings to the server (zero JID or the domain), a full JID and
// a bare JID return the round-trip time; the replies come from where
// each server sends them (Prosody: no from for the server; ejabberd: the
// domain).
func TestPing(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p1}}' to='alice@localhost/phone'/>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p2}}' from='localhost' to='alice@localhost/phone'/>
C: <iq type='get' id='{{p3}}' to='bob@localhost/desk'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p3}}' from='bob@localhost/desk' to='alice@localhost/phone'/>
C: <iq type='get' id='{{p4}}' to='bob@localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p4}}' from='bob@localhost' to='alice@localhost/phone'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	p := ping.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	for _, to := range []string{"", "localhost", "bob@localhost/desk", "bob@localhost"} {
		var j jid.JID
		if to != "" {
			j = jid.MustParse(to)
		}
		rtt, err := p.Ping(ctxT(t), j)
		require.NoError(t, err, to)
		assert.Positive(t, rtt, to)
		assert.True(t, ping.Reachable(err))
	}
}

// TestPingErrors: an error reply from the pinged address that says an
// entity there answered (it does not speak XEP-0199, refuses, is busy)
// shows it is reachable; one that says nothing is there, or that the ping
// was not delivered, does not (RFC 6120 section 8.3.3). Servers stamp the
// errors they send for a JID they cannot reach with that JID, so the
// condition decides, whoever sent it.
func TestPingErrors(t *testing.T) {
	const (
		full   = "juliet@capulet.example/balcony"
		bare   = "juliet@capulet.example"
		domain = "capulet.example"
	)
	tests := []struct {
		to        string
		cond      stanza.Condition
		reachable bool
	}{
		// The entity is there.
		{full, stanza.ServiceUnavailable, true}, // a client without XEP-0199 (or its server for a resource that is gone)
		{full, stanza.FeatureNotImplemented, true},
		{domain, stanza.ServiceUnavailable, true}, // a server or component without XEP-0199
		{domain, stanza.FeatureNotImplemented, true},
		{full, stanza.BadRequest, true},
		{full, stanza.NotAcceptable, true},
		{full, stanza.NotAuthorized, true},
		{full, stanza.PolicyViolation, true},
		{full, stanza.ResourceConstraint, true},
		{domain, stanza.InternalServerError, true},
		{full, stanza.UndefinedCondition, true},
		// Nothing is there, or the ping went nowhere.
		{domain, stanza.ItemNotFound, false}, // a server that cannot route to the domain
		{bare, stanza.ItemNotFound, false},   // a room that does not exist
		{full, stanza.ItemNotFound, false},
		{domain, stanza.RemoteServerNotFound, false},
		{full, stanza.RemoteServerTimeout, false},
		{domain, stanza.Forbidden, false},  // ejabberd, server-to-server off
		{domain, stanza.NotAllowed, false}, // Prosody, server-to-server off
		{full, stanza.Gone, false},
		{full, stanza.Redirect, false},
		{full, stanza.RecipientUnavailable, false},
		{full, stanza.JIDMalformed, false},
	}
	for _, tt := range tests {
		t.Run(tt.to+" "+string(tt.cond), func(t *testing.T) {
			tr := transcript(t, `
C: <iq type='get' id='{{p}}' to='`+tt.to+`'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='error' id='{{p}}' from='`+tt.to+`' to='alice@localhost/phone'>
     <ping xmlns='urn:xmpp:ping'/>
     <error type='cancel'><`+string(tt.cond)+` xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
			c := xmpptest.NewConn(t, alice, tr)
			p := ping.For(c)
			require.NoError(t, c.Connect(ctxT(t)))
			rtt, err := p.Ping(ctxT(t), jid.MustParse(tt.to))
			require.ErrorIs(t, err, &stanza.Error{Condition: tt.cond})
			var se *stanza.Error
			require.ErrorAs(t, err, &se)
			assert.Positive(t, rtt, "an error reply is a reply")
			assert.Equal(t, tt.reachable, ping.Reachable(err))
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}

// TestPingSpoofed: a result with the ping's id from a third party is not
// the reply; the pinged entity's own (here an error) is.
func TestPingSpoofed(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{p}}' to='bob@localhost/desk'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p}}' from='mallory@localhost/x' to='alice@localhost/phone'/>
S: <iq type='result' id='{{p}}' from='localhost' to='alice@localhost/phone'/>
S: <iq type='error' id='{{p}}' from='bob@localhost/desk' to='alice@localhost/phone'>
     <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
   </iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	p := ping.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	_, err := p.Ping(ctxT(t), jid.MustParse("bob@localhost/desk"))
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable}, "the spoofed results were taken")
}

// TestPingNoReply: no reply before the deadline is a miss that matches
// context.DeadlineExceeded; the stream goes on.
func TestPingNoReply(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{p}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
	c := xmpptest.NewConn(t, alice, tr, silent)
	p := ping.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	rtt, err := p.Ping(ctx, jid.JID{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, rtt)
	assert.False(t, ping.Reachable(err))
	assert.True(t, c.IsConnected(), "Ping alone never ends the stream")
}

// TestPingNotConnected: Ping on a connection that is down says so.
func TestPingNotConnected(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	p := ping.For(c)
	defer p.Close()
	_, err := p.Ping(ctxT(t), jid.JID{})
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	assert.False(t, ping.Reachable(err))
}

// record is a list of what listeners saw, safe to read from the test.
type record struct {
	mu   sync.Mutex
	list []string
}

func (r *record) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, s)
}

func (r *record) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.list...)
}

// failures collects what OnFailure listeners hear.
type failures struct {
	mu  sync.Mutex
	got []ping.Failure
	one chan struct{} // closed at the first
}

func listen(p *ping.Pinger) *failures {
	f := &failures{one: make(chan struct{})}
	p.OnFailure(func(fl ping.Failure) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.got) == 0 {
			close(f.one)
		}
		f.got = append(f.got, fl)
	})
	return f
}

func (f *failures) get() []ping.Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ping.Failure(nil), f.got...)
}

// pingsSent counts the pings c writes; the returned channel closes at
// the nth.
func pingsSent(c *xmpp.Conn, n int) <-chan struct{} {
	var mu sync.Mutex
	count := 0
	ch := make(chan struct{})
	c.Intercept(func(st stanza.Stanza) {
		if iq, ok := st.(*stanza.IQ); ok && iq.PayloadName() == (xml.Name{Space: ping.NS, Local: "ping"}) {
			mu.Lock()
			defer mu.Unlock()
			if count++; count == n {
				close(ch)
			}
		}
	})
	return ch
}

// periodic connects to a server that plays tr and then goes silent,
// with a Pinger set to interval before login and its failures collected;
// nth closes when the Pinger has sent n pings.
func periodic(t *testing.T, tr *xmpptest.Transcript, interval time.Duration, n int) (c *xmpp.Conn, p *ping.Pinger, f *failures, nth <-chan struct{}) {
	c = xmpptest.NewConn(t, alice, tr, silent)
	nth = pingsSent(c, n)
	p = ping.For(c)
	p.SetInterval(interval)
	f = listen(p)
	require.NoError(t, c.Connect(ctxT(t)))
	return c, p, f, nth
}

// TestShape: the one shape of a manager. For twice gives the same
// Pinger, and after Close a fresh one; OnFailure refuses nil; removing a
// listener removes exactly that one, and removing it again does nothing.
func TestShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
		var heard record
		first := make(chan struct{})
		c := xmpptest.NewConn(t, alice, tr, silent)
		p := ping.For(c)
		assert.Same(t, p, ping.For(c))
		assert.Panics(t, func() { p.OnFailure(nil) })
		p.OnFailure(func(ping.Failure) { heard.add("a") })
		removeB := p.OnFailure(func(ping.Failure) { heard.add("b") })
		p.OnFailure(func(ping.Failure) { heard.add("c"); close(first); p.SetInterval(0) })
		removeB()
		removeB()
		p.SetInterval(20 * time.Millisecond)
		assert.Equal(t, 20*time.Millisecond, p.Interval())
		require.NoError(t, c.Connect(ctxT(t)))
		await(t, first, "the failure")
		synctest.Wait()
		assert.Equal(t, []string{"a", "c"}, heard.get())
		assert.True(t, c.IsConnected(), "a failed ping does not end the stream")

		p.Close()
		q := ping.For(c)
		assert.NotSame(t, p, q, "a fresh Pinger after Close")
		assert.Same(t, q, ping.For(c))
		assert.Zero(t, q.Interval(), "off by default")
		q.Close()
		noGoroutines(t)
	})
}

// TestFailureInOrder: a failure reaches the listeners on the
// connection's dispatcher, in order with the stanzas received around it.
// The server sends m1, whose listener holds the dispatcher; then, after
// the first ping, m2, which waits; the ping's failure is queued behind
// it; the second ping brings m3, behind the failure. Nothing runs until
// m1's listener returns, and then everything in that order.
func TestFailureInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
S: <message from='bob@localhost/desk' id='m1'><body>1</body></message>
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <message from='bob@localhost/desk' id='m2'><body>2</body></message>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <message from='bob@localhost/desk' id='m3'><body>3</body></message>
`)
		release := make(chan struct{})
		var heard record
		c := xmpptest.NewConn(t, alice, tr, silent)
		second := pingsSent(c, 2)
		p := ping.For(c)
		p.SetInterval(20 * time.Millisecond)
		p.OnFailure(func(f ping.Failure) {
			assert.ErrorIs(t, f.Err, context.DeadlineExceeded)
			assert.Equal(t, jid.MustParse("localhost"), f.Server)
			heard.add("failure")
		})
		c.HandleMessage(nil, func(m *stanza.Message) {
			if m.ID == "m1" {
				<-release
			}
			heard.add(m.ID)
		})
		require.NoError(t, c.Connect(ctxT(t)))
		await(t, second, "the second ping")
		synctest.Wait() // m3 is read and waits behind m1
		assert.Empty(t, heard.get(), "the failure waits for the dispatcher")
		close(release)
		synctest.Wait()
		p.Close()
		assert.Equal(t, []string{"m1", "m2", "failure", "m3"}, heard.get())
		noGoroutines(t)
	})
}

// TestPeriodicFails: the server stops answering; each ping that gets no
// reply within the interval is reported, the stream stays up, the pings
// go on, and the Pinger never ends the stream. After Close nothing of it
// runs.
func TestPeriodicFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
C: <iq type='get' id='{{p3}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
		c, p, f, third := periodic(t, tr, 20*time.Millisecond, 3)
		await(t, third, "the third ping")
		synctest.Wait()
		got := f.get()
		require.Len(t, got, 2, "the first two pings failed; the third waits")
		for _, fl := range got {
			require.ErrorIs(t, fl.Err, context.DeadlineExceeded)
			assert.Equal(t, jid.MustParse("localhost"), fl.Server)
		}
		assert.True(t, c.IsConnected())
		assert.True(t, ping.Armed(p))
		p.Close()
		noGoroutines(t)
		assert.False(t, ping.Armed(p))
		assert.True(t, c.IsConnected())
		assert.Len(t, f.get(), 2, "nothing reported after Close")
	})
}

// TestPeriodicGoesOn: while the server answers, the pings go on (here
// until the script ends and the server closes the stream); any reply
// from the server, even an error that Reachable would call a miss, shows
// that it is there. The end of the stream disarms the timer: a
// connection that is down costs the Pinger nothing.
func TestPeriodicGoesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p1}}'/>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='error' id='{{p2}}' from='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{p3}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='error' id='{{p3}}' from='localhost'><error type='wait'><remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{p4}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p4}}' from='localhost'/>
`)
		c := xmpptest.NewConn(t, alice, tr)
		p := ping.For(c)
		f := listen(p)
		require.NoError(t, c.Connect(ctxT(t)))
		assert.False(t, ping.Armed(p), "off by default")
		p.SetInterval(10 * time.Millisecond) // on a connected Pinger: at once
		assert.True(t, ping.Armed(p))
		await(t, c.Done(), "the end of the script")
		// The timer is disarmed when the dispatcher delivers
		// StateClosed, which comes after Done closes.
		synctest.Wait()
		assert.False(t, ping.Armed(p), "a connection that is down costs no timer")
		noGoroutines(t)
		assert.Empty(t, f.get())
		p.Close()
	})
}

// TestPeriodicClose: Close stops the pings in the middle of one; the
// connection stays up, nothing is reported, nothing is left running.
func TestPeriodicClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
		c, p, f, sent := periodic(t, tr, 5*time.Millisecond, 1)
		await(t, sent, "the first ping")
		// The interceptor runs before the write: let the ping be written
		// and wait for its answer. Time stands still in the bubble while
		// this goroutine runs, so its 5 ms are not up at Close.
		synctest.Wait()
		p.Close()
		noGoroutines(t)
		assert.False(t, ping.Armed(p))
		assert.True(t, c.IsConnected())
		assert.Empty(t, f.get())
		p.SetInterval(time.Millisecond) // does nothing after Close
		assert.False(t, ping.Armed(p))
	})
}

// TestSetInterval: a Pinger attached to a connected Conn starts pinging
// at SetInterval, holding no goroutine until a ping is due; a new
// interval replaces the old at once; SetInterval(0) stops the pings at once, abandoning the
// one under way, which is not reported.
func TestSetInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p1}}'/>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
		c := xmpptest.NewConn(t, alice, tr, silent)
		require.NoError(t, c.Connect(ctxT(t)))
		second := pingsSent(c, 2)
		p := ping.For(c)
		f := listen(p)
		assert.False(t, ping.Armed(p))
		p.SetInterval(time.Hour)
		assert.True(t, ping.Armed(p))
		noGoroutines(t) // between pings, a timer and no goroutine
		p.SetInterval(10 * time.Millisecond)
		assert.True(t, ping.Armed(p))
		await(t, second, "the second ping")
		synctest.Wait() // it is written, and waits for its answer
		p.SetInterval(0)
		assert.Zero(t, p.Interval())
		assert.False(t, ping.Armed(p))
		noGoroutines(t) // the second ping was abandoned
		assert.True(t, c.IsConnected())
		assert.Empty(t, f.get())
		p.Close()
	})
}
