//go:build integration

package xmpp_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests count the round trips of a login: how many times the client
// had to wait for the server. They run through a proxy written here that
// holds what the server sends until the server has been quiet for a
// while, then hands it to the client in one flush. A round trip is a
// flush that answers something the client wrote (the client wrote since
// the flush before) and that the client went on from (it wrote again
// afterwards, before the login ended). The count is the test's result:
// it is compared with the least the protocol needs on each path, never
// with a time. BENCHMARKS.md ("Login round trips") has the figures.

// rttQuiet is how long the server must be silent before the proxy hands
// its bytes to the client: longer than the server takes to answer all of
// one request (tens of microseconds on loopback), so that one answer is
// one flush.
const rttQuiet = 40 * time.Millisecond

// rttProxy forwards connections to target and logs, for each, the
// client's writes and the server's flushes.
type rttProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	links []*rttLink
}

// rttEvent is the client writing (the proxy reading bytes from it, at
// up to offset in all) or a flush to the client.
type rttEvent struct {
	flush  bool
	offset int64
	n      int // bytes
	at     time.Time
}

// rttLink is one proxied connection.
type rttLink struct {
	client, server net.Conn

	mu     sync.Mutex
	events []rttEvent
	fromC  int64 // bytes the proxy read from the client
}

func startRTTProxy(t *testing.T, target string) *rttProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &rttProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *rttProxy) addr() string { return p.ln.Addr().String() }

func (p *rttProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		l := &rttLink{client: c, server: s}
		p.mu.Lock()
		p.links = append(p.links, l)
		p.mu.Unlock()
		go l.up()
		go l.down()
	}
}

// cut closes every connection, as a network failure would.
func (p *rttProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.client.Close()
		l.server.Close()
	}
}

// last returns the newest connection.
func (p *rttProxy) last() *rttLink {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.links) == 0 {
		return nil
	}
	return p.links[len(p.links)-1]
}

func (p *rttProxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// up forwards the client's bytes at once.
func (l *rttLink) up() {
	defer l.server.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 {
			l.mu.Lock()
			l.fromC += int64(n)
			l.events = append(l.events, rttEvent{offset: l.fromC, n: n, at: time.Now()})
			l.mu.Unlock()
			if _, werr := l.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// down holds the server's bytes until it has been quiet for rttQuiet.
func (l *rttLink) down() {
	defer l.client.Close()
	chunks := make(chan []byte)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 64<<10)
			n, err := l.server.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	var held []byte
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case b, ok := <-chunks:
			if !ok {
				l.client.Write(held)
				return
			}
			held = append(held, b...)
			timer.Reset(rttQuiet)
		case <-timer.C:
			l.mu.Lock()
			l.events = append(l.events, rttEvent{flush: true, n: len(held), at: time.Now()})
			l.mu.Unlock()
			if _, err := l.client.Write(held); err != nil {
				return
			}
			held = nil
		}
	}
}

// roundTrips counts the flushes that answered a client write and that the
// client went on from, up to the client's write that ended at offset end
// (the login's last), once the proxy has read that far and nothing more
// has happened for a while.
func (l *rttLink) roundTrips(t *testing.T, end int64) (int, string) {
	t.Helper()
	seen, since := -1, time.Now()
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.events) != seen || l.fromC < end {
			seen, since = len(l.events), time.Now()
			return false
		}
		return time.Since(since) > 3*rttQuiet
	}, 10*time.Second, time.Millisecond, "the connection does not settle")
	l.mu.Lock()
	defer l.mu.Unlock()
	n, wrote, answered := 0, false, false
	var trace strings.Builder
	for _, e := range l.events {
		if e.flush {
			fmt.Fprintf(&trace, " S%d@%s", e.n, e.at.Format(".000000"))
		} else {
			fmt.Fprintf(&trace, " C%d@%s", e.n, e.at.Format(".000000"))
		}
		if e.flush {
			// An answer may come in several flushes (ejabberd can take
			// longer than rttQuiet between its features and a SASL
			// challenge): the client waited once.
			answered = answered || wrote
			wrote = false
			continue
		}
		if answered {
			n++
		}
		wrote, answered = true, false
		if e.offset >= end {
			break
		}
	}
	return n, trace.String()
}

// rttDialer dials and counts the bytes the client writes on the
// newest connection.
type rttDialer struct {
	written atomic.Pointer[atomic.Int64]
}

func (d *rttDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := new(net.Dialer).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	n := new(atomic.Int64)
	d.written.Store(n)
	return &rttConn{Conn: c, n: n}, nil
}

type rttConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *rttConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// resumeEnd watches the transcript for the end of a resumption: the
// client's ack request after <resumed/>. end is then an offset within
// that write, on the connection the dialer made last.
type resumeEnd struct {
	d       *rttDialer
	resumed atomic.Bool
	end     atomic.Int64
}

func (r *resumeEnd) Write(b []byte) (int, error) {
	line := string(b)
	switch {
	case strings.HasPrefix(line, "S: ") && strings.Contains(line, "<resumed"):
		r.resumed.Store(true)
	case strings.HasPrefix(line, "C: ") && strings.Contains(line, "<r xmlns='urn:xmpp:sm:3'/>") && r.resumed.Load():
		// Recorded before it is written.
		r.end.CompareAndSwap(0, r.d.written.Load().Load()+1)
	}
	return len(b), nil
}

// loginTrips is what one path counts: the first login of a Conn, a
// second one after Close, and a reconnection that resumes the session
// after the network failed; the round trips on the connection each
// ended on, and how many connections each took.
type loginTrips struct {
	first, second, resumed int
	conns                  [3]int
}

// loginTraces are what the proxy saw of each login: "C" for bytes from
// the client, "S" for a flush to it, with sizes and times.
type loginTraces struct{ first, second, resumed string }

// measureLogin logs a new account in on s through the proxy, over
// STARTTLS or direct TLS on TLS 1.3, three times (see loginTrips).
func measureLogin(t *testing.T, s *testserver.Server, directTLS bool, opts ...func(*xmpp.Config)) (got loginTrips, traces loginTraces) {
	target := s.StartTLSAddr
	if directTLS {
		target = s.DirectTLSAddr
	}
	p := startRTTProxy(t, target)
	cfg := s.NewAccount(t, "rtt")
	cfg.Addr, cfg.DirectTLS = p.addr(), directTLS
	cfg.TLS.MinVersion = tls.VersionTLS13
	d := new(rttDialer)
	cfg.Dialer = d
	cfg.Reconnect.Policy = xmpp.FixedDelay(10 * time.Millisecond)
	for _, o := range opts {
		o(&cfg)
	}
	re := &resumeEnd{d: d}
	cfg.Recorder = re
	c := xmpp.New(cfg)
	states := make(chan xmpp.StateChange, 32)
	c.OnState(func(e xmpp.StateChange) { states <- e })
	t.Cleanup(func() { c.Close() })

	require.NoError(t, c.Connect(testserver.Context(t)))
	got.first, traces.first = p.last().roundTrips(t, d.written.Load().Load())
	got.conns[0] = p.count()
	require.NoError(t, c.Close())
	require.NoError(t, c.Connect(testserver.Context(t)))
	got.second, traces.second = p.last().roundTrips(t, d.written.Load().Load())
	got.conns[1] = p.count() - got.conns[0]

	// The network fails: the session is suspended, then resumed.
	for len(states) > 0 {
		<-states
	}
	links := p.count()
	p.cut()
	timeout := time.After(testserver.Timeout)
	for resumed := false; !resumed; {
		select {
		case e := <-states:
			require.NotEqual(t, xmpp.StateAuthenticated, e.State, "a new session instead of a resumed one")
			resumed = e.State == xmpp.StateResumed
		case <-timeout:
			t.Fatal("the session was not resumed")
		}
	}
	require.Greater(t, p.count(), links)
	require.Eventually(t, func() bool { return re.end.Load() != 0 }, testserver.Timeout, time.Millisecond,
		"no ack request after <resumed/>")
	got.resumed, traces.resumed = p.last().roundTrips(t, re.end.Load())
	got.conns[2] = p.count() - links
	return got, traces
}

// TestIntegrationLoginRoundTrips checks each classic path on both
// servers against the least the protocol needs with SCRAM, counting TLS
// 1.3's handshake as one round trip: STARTTLS with its request written
// with the first stream header (1), TLS (1), the stream header with the
// SASL initial response when the mechanisms are known from an earlier
// login, or the header, then the initial response (1 or 2), the SCRAM
// final message (1), the stream restart (1), bind with stream
// management's <enable/> right after it, or resume (1); the initial
// presence is not waited on. Direct TLS saves the first.
//
// With Config.RestartAhead, the second login tries the restart written
// ahead (the first showed bind and stream management after SASL):
// neither server takes it (ejabberd answers nothing, Prosody ends the
// stream at the ping that checks it), so that login takes two
// connections, and the figure is the second one's; the resumption after
// it does not try again. Without it (the default) each login takes one.
func TestIntegrationLoginRoundTrips(t *testing.T) {
	want := map[bool]loginTrips{
		false: {first: 7, second: 6, resumed: 6, conns: [3]int{1, 1, 1}},
		true:  {first: 6, second: 5, resumed: 5, conns: [3]int{1, 1, 1}},
	}
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		for _, direct := range []bool{false, true} {
			for _, ahead := range []bool{false, true} {
				name := "starttls"
				if direct {
					name = "directtls"
				}
				want := want[direct]
				if ahead {
					name += "-restart-ahead"
					want.conns[1] = 2
				}
				t.Run(name, func(t *testing.T) {
					got, traces := measureLogin(t, s, direct, func(cfg *xmpp.Config) { cfg.RestartAhead = ahead })
					t.Logf("%s %s: round trips: first login %d, second %d, resumed %d; connections %v", s.Name, name, got.first, got.second, got.resumed, got.conns)
					if !assert.Equal(t, want, got) {
						t.Logf("first login:%s\nsecond:%s\nresumed:%s", traces.first, traces.second, traces.resumed)
					}
				})
			}
		}
	})
}

// TestIntegrationLoginRoundTripsSASL2 counts the SASL2 paths on the
// SASL2 Prosody (SCRAM, Bind2; stream management enabled after success,
// as 0.12 has no inline stream management), against the least the
// protocol needs there. Direct TLS: TLS 1.3 (1); on a first login the
// header (1), <authenticate/> (1: the SCRAM challenge), the SCRAM final
// message (1: success and the features), <enable/> (1): 5. A second
// login writes <authenticate/> with the header (1: features and
// challenge) and <enable/> (or a resumption's <resume/>, with no Bind2)
// right after SCRAM's final message (1: success, features, <enabled/> or
// <resumed/>): 3. STARTTLS adds its request with the first header (1).
// With a FAST token (the first login asks for one), HT-SHA-256-NONE
// says all in one message, so the header, <authenticate/> and
// <enable/> (or <resume/>) go out together after TLS, and the answer to
// all of them comes back at once: 2 round trips on direct TLS for a
// login or a resumption after the first (the 2.5 counts the
// half trip of the initial presence).
func TestIntegrationLoginRoundTripsSASL2(t *testing.T) {
	s := testserver.Get(t, testserver.SASL2Name)
	for _, tc := range []struct {
		name   string
		direct bool
		fast   bool
		want   loginTrips
	}{
		{"starttls", false, false, loginTrips{first: 6, second: 4, resumed: 4, conns: [3]int{1, 1, 1}}},
		{"directtls", true, false, loginTrips{first: 5, second: 3, resumed: 3, conns: [3]int{1, 1, 1}}},
		{"directtls-fast", true, true, loginTrips{first: 5, second: 2, resumed: 2, conns: [3]int{1, 1, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, traces := measureLogin(t, s, tc.direct, func(cfg *xmpp.Config) {
				cfg.SASL2 = &xmpp.SASL2{}
				if tc.fast {
					cfg.SASL2.Tokens = new(xmpp.MemoryTokenStore)
				}
			})
			t.Logf("%s %s: round trips: first login %d, second %d, resumed %d", s.Name, tc.name, got.first, got.second, got.resumed)
			if !assert.Equal(t, tc.want, got) {
				t.Logf("first login:%s\nsecond:%s\nresumed:%s", traces.first, traces.second, traces.resumed)
			}
		})
	}
}
