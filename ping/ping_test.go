package ping_test

import (
	"context"
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
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(s))
	require.NoError(t, err)
	return tr
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
	c := xmpptest.ConnectFunc(t, jid.MustParse("8049a646c63e65e8@oatest.dgcb.com.cn/phone"), tr, func(c *xmpp.Conn) {
		ping.New(c)
	})
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
		xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) { ping.New(c) })
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
	var p *ping.Pinger
	c := xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) {
		p = ping.New(c)
		// Listeners run in arrival order: the first ping is answered
		// before the message comes, the second after Close.
		c.HandleMessage(nil, func(*stanza.Message) { p.Close() })
	})
	<-c.Done() // the script ended: everything was answered as written
	assert.NotContains(t, c.Announced(), ping.NS)
	p.Close() // twice is fine
	q := ping.New(c)
	q.Close()
}

// TestNewTwice: a second Pinger on one connection is a programmer error.
func TestNewTwice(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	p := ping.New(c)
	assert.PanicsWithValue(t,
		"ping: New: the connection already has a Pinger (Close it before attaching another): xmpp: HandleIQ: a handler for get {urn:xmpp:ping}ping is already registered",
		func() { ping.New(c) })
	p.Close()
	ping.New(c).Close()
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
	var p *ping.Pinger
	xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) { p = ping.New(c) })
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
			var p *ping.Pinger
			xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) { p = ping.New(c) })
			rtt, err := p.Ping(ctxT(t), jid.MustParse(tt.to))
			require.ErrorIs(t, err, &stanza.Error{Condition: tt.cond})
			var se *stanza.Error
			require.ErrorAs(t, err, &se)
			assert.Positive(t, rtt, "an error reply is a reply")
			assert.Equal(t, tt.reachable, ping.Reachable(err))
			assert.NotErrorIs(t, err, ping.ErrNoReply)
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
	var p *ping.Pinger
	xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) { p = ping.New(c) })
	_, err := p.Ping(ctxT(t), jid.MustParse("bob@localhost/desk"))
	require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable}, "the spoofed results were taken")
}

// TestPingNoReply: no reply before the deadline is ErrNoReply, a miss.
func TestPingNoReply(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{p}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
	var p *ping.Pinger
	c := xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) { p = ping.New(c) }, silent)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	rtt, err := p.Ping(ctx, jid.JID{})
	require.ErrorIs(t, err, ping.ErrNoReply)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, rtt)
	assert.False(t, ping.Reachable(err))
	assert.True(t, c.IsConnected(), "Ping alone never ends the stream")
}

// TestPingNotConnected: Ping on a connection that is down says so.
func TestPingNotConnected(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	p := ping.New(c)
	defer p.Close()
	_, err := p.Ping(ctxT(t), jid.JID{})
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	assert.False(t, ping.Reachable(err))
	assert.NotErrorIs(t, err, ping.ErrNoReply)
}

// failures collects what OnFailure listeners hear.
type failures struct {
	mu   sync.Mutex
	errs []error
	one  chan struct{} // closed at the first
}

func listen(p *ping.Pinger) *failures {
	f := &failures{one: make(chan struct{})}
	p.OnFailure(func(err error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.errs) == 0 {
			close(f.one)
		}
		f.errs = append(f.errs, err)
	})
	return f
}

func (f *failures) get() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// TestKeepAliveFails: the server stops answering; after the default one
// miss the listener hears ErrNoReply, the stream ends with it, and
// nothing of the Pinger is left running.
func TestKeepAliveFails(t *testing.T) {
	tests := []struct {
		name   string
		opts   []ping.Option
		script string
	}{
		{"silent at once", []ping.Option{ping.Interval(20 * time.Millisecond)}, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`},
		// Two misses allowed, a miss in between forgotten after an
		// answer: p1 times out, p2 is answered, p3 and p4 time out.
		// The timeout leaves p2's answer ample time.
		{"two misses", []ping.Option{ping.Interval(10 * time.Millisecond), ping.Timeout(300 * time.Millisecond), ping.MaxMisses(2)}, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p2}}'/>
S: <iq type='result' id='{{p1}}'/>
C: <iq type='get' id='{{p3}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
C: <iq type='get' id='{{p4}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var p *ping.Pinger
				var f *failures
				states := make(chan xmpp.StateChange, 8)
				c := xmpptest.ConnectFunc(t, alice, transcript(t, tt.script), func(c *xmpp.Conn) {
					c.OnState(func(sc xmpp.StateChange) { states <- sc })
					p = ping.New(c, tt.opts...)
					f = listen(p)
				}, silent)
				done := c.Done()
				await(t, f.one, "the failure listener")
				await(t, done, "the end of the stream")
				errs := f.get()
				require.Len(t, errs, 1)
				require.ErrorIs(t, errs[0], ping.ErrNoReply)
				require.ErrorIs(t, c.Err(), ping.ErrNoReply)
				assert.Same(t, c.Err(), errs[0], "the listener hears why the stream ended")
				for sc := range states {
					if sc.State == xmpp.StateClosed {
						require.ErrorIs(t, sc.Err, ping.ErrNoReply)
						break
					}
				}
				// The Pinger hears StateClosed after this test's listener.
				synctest.Wait()
				assert.True(t, !ping.Armed(p), "a connection that is down costs no timer")
				noGoroutines(t)
				p.Close()
				noGoroutines(t)
			})
		})
	}
}

// TestKeepAliveGoesOn: while the server answers, the keep-alive goes on
// (here until the script ends and the server closes the stream); an end
// of the stream that is not the keep-alive's doing is not a failure. It
// starts with SetInterval on a connected Pinger. Any reply from the
// server, even an error that Reachable would call a miss, shows that the
// stream works.
func TestKeepAliveGoesOn(t *testing.T) {
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
		var p *ping.Pinger
		var f *failures
		c := xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) {
			p = ping.New(c, ping.Timeout(wait))
			f = listen(p)
		})
		assert.False(t, ping.Armed(p), "off by default")
		p.SetInterval(10 * time.Millisecond)
		await(t, c.Done(), "the end of the script")
		assert.Empty(t, f.get())
		assert.NotErrorIs(t, c.Err(), ping.ErrNoReply)
		noGoroutines(t)
		// The keep-alive disarms when the dispatcher delivers StateClosed,
		// which comes after Done closes.
		synctest.Wait()
		assert.True(t, !ping.Armed(p))
		p.Close()
	})
}

// TestKeepAliveClose: Close stops the keep-alive in the middle of a ping;
// the connection stays up, nothing is reported, nothing is left running.
func TestKeepAliveClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
		sent := make(chan struct{})
		var once sync.Once
		var p *ping.Pinger
		var f *failures
		c := xmpptest.ConnectFunc(t, alice, tr, func(c *xmpp.Conn) {
			c.Intercept(func(st stanza.Stanza) {
				if iq, ok := st.(*stanza.IQ); ok && iq.PayloadName() == ping.Name {
					once.Do(func() { close(sent) })
				}
			})
			p = ping.New(c, ping.Interval(time.Millisecond), ping.Timeout(time.Hour))
			f = listen(p)
		}, silent)
		await(t, sent, "the first ping")
		p.Close()
		noGoroutines(t)
		assert.False(t, ping.Armed(p))
		assert.True(t, c.IsConnected())
		assert.Empty(t, f.get())
		p.SetInterval(time.Millisecond) // does nothing after Close
		assert.False(t, ping.Armed(p))
	})
}

// TestKeepAliveAfterLogin: a Pinger made on a connected Conn starts its
// keep-alive at once; SetInterval(0) stops it, abandoning the ping under
// way.
func TestKeepAliveAfterLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
C: <iq type='get' id='{{p1}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p1}}'/>
C: <iq type='get' id='{{p2}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`)
		c := xmpptest.Connect(t, alice, tr, silent)
		var mu sync.Mutex
		pings := 0
		second := make(chan struct{})
		c.Intercept(func(st stanza.Stanza) {
			if iq, ok := st.(*stanza.IQ); ok && iq.PayloadName() == ping.Name {
				mu.Lock()
				defer mu.Unlock()
				if pings++; pings == 2 { // so the first was answered
					close(second)
				}
			}
		})
		p := ping.New(c, ping.Interval(10*time.Millisecond), ping.Timeout(time.Hour))
		f := listen(p)
		assert.True(t, ping.Armed(p))
		await(t, second, "the second ping")
		synctest.Wait() // it is written, and waits for its answer
		p.SetInterval(0)
		assert.False(t, ping.Armed(p))
		noGoroutines(t) // the second ping was abandoned
		assert.True(t, c.IsConnected())
		assert.Empty(t, f.get())
		p.Close()
	})
}
