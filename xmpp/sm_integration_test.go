//go:build integration

package xmpp_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultProxy is a TCP proxy between the client and a real server that
// breaks connections on purpose. With a byte budget, each connection is
// cut (both sides closed at once) after a random number of bytes, in the
// middle of whatever was passing: a TLS record, a stanza, an ack. Frozen,
// it forwards nothing, in either direction, while keeping every socket
// open: a server that stopped answering.
type faultProxy struct {
	ln       net.Listener
	upstream string

	minCut, maxCut int64 // the range of byte budgets; 0: never cut

	mu     sync.Mutex
	rnd    *rand.Rand
	frozen bool
	thaw   chan struct{} // closed when unfrozen
	open   map[*proxied]struct{}
	closed bool

	accepted, cuts atomic.Int64
}

func newFaultProxy(t *testing.T, upstream string, seed uint64, minCut, maxCut int64) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &faultProxy{ln: ln, upstream: upstream, rnd: rand.New(rand.NewPCG(seed, 0x5eed)), open: map[*proxied]struct{}{},
		minCut: minCut, maxCut: maxCut}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) serve() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		go p.handle(down)
	}
}

// proxied is one client connection and its upstream twin.
type proxied struct {
	p        *faultProxy
	down, up net.Conn
	budget   atomic.Int64 // bytes left before the cut; negative: no cut
	once     sync.Once
}

func (p *faultProxy) handle(down net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		down.Close()
		return
	}
	pc := &proxied{p: p, down: down, up: up}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		pc.cut(false)
		return
	}
	pc.budget.Store(-1)
	if p.maxCut > 0 {
		pc.budget.Store(p.minCut + p.rnd.Int64N(p.maxCut-p.minCut+1))
	}
	p.open[pc] = struct{}{}
	p.mu.Unlock()
	go pc.pipe(down, up)
	go pc.pipe(up, down)
}

// pipe copies from src to dst in reads of random sizes, holding the bytes
// while frozen and cutting when the budget runs out.
func (pc *proxied) pipe(src, dst net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf[:1+rand.IntN(len(buf))])
		if n > 0 {
			if !pc.p.waitThawed() {
				pc.cut(false)
				return
			}
			cut := false
			if b := pc.budget.Load(); b >= 0 {
				left := pc.budget.Add(-int64(n))
				if left < 0 {
					n += int(left) // only what the budget allows
					n = max(n, 0)
					cut = true
				}
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					pc.cut(false)
					return
				}
			}
			if cut {
				pc.cut(true)
				return
			}
		}
		if err != nil {
			pc.cut(false)
			return
		}
	}
}

func (pc *proxied) cut(counted bool) {
	pc.once.Do(func() {
		if counted {
			pc.p.cuts.Add(1)
		}
		pc.down.Close()
		pc.up.Close()
		pc.p.mu.Lock()
		delete(pc.p.open, pc)
		pc.p.mu.Unlock()
	})
}

// waitThawed waits while the proxy is frozen; false when it closed.
func (p *faultProxy) waitThawed() bool {
	p.mu.Lock()
	for p.frozen && !p.closed {
		thaw := p.thaw
		p.mu.Unlock()
		<-thaw
		p.mu.Lock()
	}
	closed := p.closed
	p.mu.Unlock()
	return !closed
}

func (p *faultProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen, p.thaw = true, make(chan struct{})
	}
}

func (p *faultProxy) unfreeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thaw)
	}
}

// calm stops the cutting: new connections get no budget, and open ones
// lose theirs.
func (p *faultProxy) calm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxCut = 0
	for pc := range p.open {
		pc.budget.Store(-1)
	}
}

func (p *faultProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	if p.frozen {
		p.frozen = false
		close(p.thaw)
	}
	open := make([]*proxied, 0, len(p.open))
	for pc := range p.open {
		open = append(open, pc)
	}
	p.mu.Unlock()
	for _, pc := range open {
		pc.cut(false)
	}
}

// proxiedConfig is user's configuration through the proxy, with a unique
// resource (other tests use the same accounts at the same time) and quick
// reconnection.
func proxiedConfig(t *testing.T, s *testserver.Server, user string, p *faultProxy, opts ...option) xmpp.Config {
	return proxiedAccountConfig(t, s, user, s.User(t, user).Password, p, opts...)
}

// proxiedAccountConfig is proxiedConfig for any account.
func proxiedAccountConfig(t *testing.T, s *testserver.Server, user, password string, p *faultProxy, opts ...option) xmpp.Config {
	return accountConfig(t, s, user, password, append([]option{func(cfg *xmpp.Config) {
		cfg.Addr = p.addr()
		cfg.Resource = fmt.Sprintf("sm-%s-%d", user, rand.Uint32())
		// Not much quicker than a real client would come back (the
		// default waits 0.5 to 1.5 s): both servers mishandle a
		// resumption that overtakes what they still had to read from
		// the lost connection (see the test's doc).
		cfg.Reconnect.Policy = xmpp.ExponentialBackoff(200*time.Millisecond, time.Second)
		cfg.Reconnect.Timeout = 5 * time.Second
		if v := os.Getenv("GOSMACK_SM_MAXUNACKED"); v != "" {
			cfg.StreamManagement.MaxUnacked, _ = strconv.Atoi(v)
		}
		if dir := os.Getenv("GOSMACK_SM_RECORD"); dir != "" {
			name := strings.ReplaceAll(t.Name(), "/", "_") + "-" + strings.SplitN(user, "-", 2)[0] + ".xmpp"
			f, err := os.Create(filepath.Join(dir, name))
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			cfg.Recorder = f
		}
	}}, opts...)...)
}

// TestIntegrationDeadServer: the server stops answering while the sockets
// stay open. The connection notices within KeepAlive + KeepAliveTimeout
// (ending the stream with ErrNoReply), keeps trying while the server is
// silent, and resumes once it answers again: a message sent during the
// outage is delivered once.
func TestIntegrationDeadServer(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := testserver.Context(t)
		p := newFaultProxy(t, s.StartTLSAddr, rand.Uint64(), 0, 0)
		receiver, err := dial(t, userConfig(t, s, "bob", func(cfg *xmpp.Config) {
			cfg.Resource = fmt.Sprintf("dead-%d", rand.Uint32())
		}))
		require.NoError(t, err)
		got := receiver.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer got.Close()

		c := xmpp.New(proxiedConfig(t, s, "alice", p, func(cfg *xmpp.Config) {
			cfg.KeepAlive = 300 * time.Millisecond
			cfg.KeepAliveTimeout = 300 * time.Millisecond
			cfg.Reconnect.Timeout = 500 * time.Millisecond
		}))
		states := make(chan xmpp.StateChange, 16)
		c.OnState(func(sc xmpp.StateChange) { states <- sc })
		require.NoError(t, c.Connect(ctx))
		defer c.Close()
		receive(t, states, "StateConnected")
		receive(t, states, "StateAuthenticated")

		p.freeze()
		sc := receive(t, states, "StateDisconnected")
		require.Equal(t, xmpp.StateDisconnected, sc.State)
		require.ErrorIs(t, sc.Err, xmpp.ErrNoReply)
		m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "sent while the server was silent"}}}
		m.To = receiver.JID()
		require.NoError(t, c.Send(ctx, m), "queued")
		// Attempts through the frozen proxy time out; thawing lets one
		// through.
		p.unfreeze()
		for sc = receive(t, states, "StateResumed"); sc.State == xmpp.StateConnected; sc = receive(t, states, "StateResumed") {
		}
		require.Equal(t, xmpp.StateResumed, sc.State)
		st, err := got.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, m.ID, st.Head().ID)
		assert.Equal(t, c.JID(), st.Head().From)
	})
}

// TestIntegrationResumeAfterStanzaCut: the connection breaks after the
// first TLS record of a message too large for one, so the server has read
// the start of the message and never reads its end. The session comes
// back and the message reaches its recipient exactly once, with nothing
// reported lost. ejabberd resumes the session. Prosody 0.12 resumes it too
// but then feeds the new connection to the lost one's XML parser, still
// inside the cut message, where everything nests unread: the ack request
// that follows the resumption goes unanswered, and gosmack replaces the
// session with a new one, which sends the message again.
func TestIntegrationResumeAfterStanzaCut(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		receiver := login(t, s, "bob", withResource(fmt.Sprintf("cut-%d", rand.Uint32())))
		got := receiver.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer got.Close()

		d := &recordCutter{}
		c := xmpp.New(userConfig(t, s, "alice", withResource(fmt.Sprintf("cut-%d", rand.Uint32())), func(cfg *xmpp.Config) {
			cfg.Dialer = d
			cfg.KeepAliveTimeout = 2 * time.Second
			cfg.StreamManagement.RequestAfter = time.Hour // no ack request of its own between the records
			cfg.Reconnect.Policy = xmpp.FixedDelay(100 * time.Millisecond)
			cfg.Reconnect.Timeout = 5 * time.Second
		}))
		var mu sync.Mutex
		var events []string
		c.OnState(func(sc xmpp.StateChange) {
			mu.Lock()
			events = append(events, fmt.Sprintf("%v(%v)", sc.State, sc.Err))
			mu.Unlock()
		})
		var lost atomic.Int64
		c.OnUnacked(func(u xmpp.Unacked) { lost.Add(int64(len(u.Stanzas))) })
		require.NoError(t, c.Connect(ctx))
		defer c.Close()
		roundTrip(t, ctx, c) // nothing else on its way out

		big := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: strings.Repeat("0123456789", 4000)}}}
		big.To = receiver.JID()
		d.armed.Store(true)
		require.NoError(t, c.Send(ctx, big))
		st, err := got.Next(ctx)
		require.NoError(t, err, "the cut message never arrived")
		assert.Equal(t, big.ID, st.Head().ID)
		assert.Equal(t, big.Bodies[0].Value, st.(*stanza.Message).Body(""), "the message arrived whole")

		// Once: the next message is the next thing to arrive.
		after := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "after"}}}
		after.To = receiver.JID()
		require.NoError(t, c.Send(ctx, after))
		st, err = got.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, after.ID, st.Head().ID, "something arrived twice")
		roundTrip(t, ctx, c)
		assert.Zero(t, lost.Load(), "stanzas reported lost")
		assert.EqualValues(t, 1, d.cuts.Load(), "the connection was not cut")
		mu.Lock()
		t.Logf("sender's states: %s", strings.Join(events, " "))
		mu.Unlock()
	})
}

// recordCutter dials the server directly. Once armed, it lets the next
// write through (one TLS record) and then closes the socket for writing:
// the server reads that record and the end of the connection, and
// nothing after it.
type recordCutter struct {
	armed atomic.Bool
	cuts  atomic.Int64
}

func (d *recordCutter) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &cutAfterWrite{TCPConn: c.(*net.TCPConn), d: d}, nil
}

type cutAfterWrite struct {
	*net.TCPConn
	d *recordCutter
}

func (c *cutAfterWrite) Write(p []byte) (int, error) {
	n, err := c.TCPConn.Write(p)
	if err == nil && c.d.armed.CompareAndSwap(true, false) {
		c.d.cuts.Add(1)
		c.TCPConn.CloseWrite()
	}
	return n, err
}
