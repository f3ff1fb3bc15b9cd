package xmpp_test

// Regression tests from a review of stream management's first landing:
// races between Close, Connect, reconnection and lost streams, and the
// answers to ack requests. Each test's comment tells what once went wrong;
// the test asserts what must happen instead.

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockConn blocks the first Write whose bytes contain match until release
// is closed, or the socket is, as a write to a peer that does not read
// would; entered is closed when that Write starts.
type blockConn struct {
	net.Conn
	match     []byte
	once      sync.Once
	entered   chan struct{}
	release   chan struct{}
	closeOnce sync.Once
	closed    chan struct{}
}

func (b *blockConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, b.match) {
		hit := false
		b.once.Do(func() { hit = true })
		if hit {
			close(b.entered)
			select {
			case <-b.release:
			case <-b.closed:
				return 0, net.ErrClosed
			}
		}
	}
	return b.Conn.Write(p)
}

func (b *blockConn) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	return b.Conn.Close()
}

// Close racing the loss of the stream. Close has picked the stream
// and is writing its unavailable presence when the stream drops; the
// reader's end() sees s.closing still open, suspends the session and
// starts reconnection. Close returns nil, but reconnection goes on and
// resumes the session: the Conn is back up after Close, Done never closes.
func TestSMRaceCloseRacesStreamLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + serverMsg("s1")
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			"C: <presence id='{{p}}' type='unavailable'/>\n" +
			"C: <r xmlns='urn:xmpp:sm:3'/>\n"
		bc := &blockConn{
			Conn:    &silentConn{Conn: smScript(t, first), closed: make(chan struct{})},
			match:   []byte("unavailable"),
			entered: make(chan struct{}),
			release: make(chan struct{}),
			closed:  make(chan struct{}),
		}
		hold := make(chan struct{})
		d := &heldDialer{
			mk:   []func() net.Conn{func() net.Conn { return bc }, func() net.Conn { return smScript(t, second) }},
			hold: map[int]chan struct{}{1: hold},
		}
		c := smConn(t, d)
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1") // <enabled/> is in

		closed := make(chan error, 1)
		go func() { closed <- c.Close() }()
		<-bc.entered                        // Close is writing its unavailable presence
		c.Abort(errors.New("network down")) // ... when the network drops
		e.until(t, "state:closed")          // Close has begun: the session ends, not suspended
		close(bc.release)
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return")
		}
		close(hold) // the reconnection Close should have stopped
		after := e.settled()
		t.Logf("events after Close returned: %v", after)
		assert.NotContains(t, after, "state:resumed", "the session came back after Close returned")
		select {
		case <-c.Done():
		default:
			t.Error("Done is open after Close returned")
		}
	})
}

// Done stays open for good after a manual Connect fails while a
// session is suspended and automatic reconnection is off. Connect made a
// new down channel; settle does not close it because c.sess != nil.
func TestSMRaceDoneOpenAfterFailedConnect(t *testing.T) {
	first := smLogin + smBind
	c := smConn(t, conns(smScript(t, first)), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "state:disconnected")
	wait(t, c.Done()) // reconnection is off: down for good
	require.Error(t, c.Connect(ctxT(t)), "no server to connect to")
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("Done is open after Connect failed, with nothing coming back by itself")
	}
}

// SendIQ while the session is suspended: the request is queued, the
// resumption fails, and the request goes out on the new session and is
// answered, but SendIQ has already returned ErrNotConnected because it
// waited on the old session's lost channel.
func TestSMRaceSendIQAcrossFailedResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			"S: <failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
			smBind +
			smClose(1)
		c, e, hold := heldReconnect(t, first, second)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "state:disconnected")
		res := make(chan error, 1)
		go func() {
			iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
			iq.ID, iq.To = "q1", jid.MustParse("localhost")
			_, err := c.SendIQ(ctxT(t), iq)
			res <- err
		}()
		synctest.Wait() // SendIQ has queued the request and waits
		require.Equal(t, 1, xmpp.Queued(c))
		close(hold)
		e.expect(t, "unacked:q1", "state:closed", "state:authenticated")
		select {
		case err := <-res:
			assert.ErrorIs(t, err, xmpp.ErrNotConnected, "the request went with the lost session, and was not sent in the new one")
		case <-time.After(5 * time.Second):
			t.Fatal("SendIQ did not return")
		}
	})
}

// tapConn records what the client writes and lets a test hold reads and
// writes. After Close, reads fail as on a real socket (an in-memory Pipe
// would still hand out what was buffered).
type tapConn struct {
	net.Conn
	mu      sync.Mutex
	written bytes.Buffer
	goneCh  chan struct{}
	// onWrite, if set, runs before each write (it may block).
	onWrite func(p []byte)
	// afterRead, if set, runs after each read with what was read (it may block).
	afterRead func(p []byte)
	closeMu   sync.Mutex
	closed    bool
}

func (c *tapConn) Write(p []byte) (int, error) {
	if c.onWrite != nil {
		c.onWrite(p)
	}
	c.closeMu.Lock()
	closed := c.closed
	c.closeMu.Unlock()
	if closed {
		return 0, net.ErrClosed // as a real socket does
	}
	c.mu.Lock()
	c.written.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.afterRead != nil && n > 0 {
		c.afterRead(p[:n])
	}
	c.closeMu.Lock()
	closed := c.closed
	c.closeMu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	return n, err
}

// gone is closed when the socket is: a hook that blocks a write gives up
// then, as a real socket's write does.
func (c *tapConn) gone() <-chan struct{} {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.goneCh == nil {
		c.goneCh = make(chan struct{})
	}
	return c.goneCh
}

func (c *tapConn) Close() error {
	c.gone()
	c.closeMu.Lock()
	if !c.closed {
		close(c.goneCh)
	}
	c.closed = true
	c.closeMu.Unlock()
	return c.Conn.Close()
}

func (c *tapConn) sent() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written.String()
}

// splitConn hands the reader what the server sent only up to the end of
// the first <r/> (and a white space after it, so that the reader returns
// it at once), and the rest once gate closes.
type splitConn struct {
	net.Conn
	buf   []byte
	found bool
	left  int // bytes to hand out before the cut, once found
	done  bool
	gate  chan struct{}
}

func (s *splitConn) Read(p []byte) (int, error) {
	if s.found && s.left == 0 && !s.done {
		select {
		case <-s.gate:
		case <-time.After(3 * time.Second):
			println("splitConn: gate timed out")
		}
		s.done = true
	}
	if len(s.buf) == 0 {
		b := make([]byte, 4096)
		n, err := s.Conn.Read(b)
		if n == 0 {
			return 0, err
		}
		s.buf = b[:n]
		if !s.found {
			const r = "<r xmlns='urn:xmpp:sm:3'/>"
			if i := bytes.Index(s.buf, []byte(r)); i >= 0 {
				s.found = true
				nb := append([]byte{}, s.buf[:i+len(r)]...)
				nb = append(nb, '\n')
				s.left = len(nb)
				s.buf = append(nb, s.buf[i+len(r):]...)
			}
		}
	}
	data := s.buf
	if s.found && !s.done && len(data) > s.left {
		data = data[:s.left]
	}
	n := copy(p, data)
	s.buf = s.buf[n:]
	if s.found && !s.done {
		s.left -= n
	}
	return n, nil
}

// a second <r/> that arrives while the answer to the first is being
// written is dropped (acking is still set), and the answer carries the h
// read when the first <r/> came: the server never hears that s2 (and
// what follows) was handled, although it asked.
func TestSMRaceSecondAckRequestDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind +
			serverMsg("s1") + "S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			serverMsg("s2") + "S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			serverMsg("s3")
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		sc := &splitConn{Conn: &silentConn{Conn: smScript(t, text), closed: make(chan struct{})}, gate: entered}
		tc := &tapConn{Conn: sc}
		tc.onWrite = func(p []byte) {
			if bytes.Contains(p, []byte("<a xmlns")) {
				once.Do(func() { // the first answer is slow to write
					close(entered)
					select {
					case <-release:
					case <-tc.gone():
					}
				})
			}
		}
		c := smConn(t, conns(tc), func(cfg *xmpp.Config) {
			cfg.Reconnect.Disabled = true
			cfg.CloseTimeout = 100 * time.Millisecond
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "msg:s2", "msg:s3") // both <r/> read
		close(release)
		time.Sleep(10 * time.Millisecond) // answers come at least 10 ms apart
		synctest.Wait()
		out := tc.sent()
		t.Logf("acks written: %q", ackOnly(out))
		acks := ackOnly(out)
		require.Len(t, acks, 2, "each <r/> is answered")
		assert.Contains(t, []string{"<a xmlns='urn:xmpp:sm:3' h='2'/>", "<a xmlns='urn:xmpp:sm:3' h='3'/>"}, acks[1],
			"the second <r/> came after s2: it is answered with h >= 2")
	})
}

func ackOnly(s string) []string {
	var out []string
	for {
		i := bytes.Index([]byte(s), []byte("<a xmlns"))
		if i < 0 {
			return out
		}
		s = s[i:]
		j := bytes.Index([]byte(s), []byte("/>"))
		out = append(out, s[:j+2])
		s = s[j+2:]
	}
}

// a Send that takes the write lock after Close wrote
// </stream:stream>: writeLocked refuses (finished), but send reports
// written=true, so write closes the socket; the server's last <a/> is
// never read and everything Close waited for is reported unacknowledged.
// Send itself returns nil for a stanza that was never written.
func TestSMRaceSendAfterStreamEndKillsClose(t *testing.T) {
	text := smLogin + smBind + serverMsg("s1") + smClose(1)
	endWritten, allowRead := make(chan struct{}), make(chan struct{})
	var once sync.Once
	tc := &tapConn{Conn: smScript(t, text)}
	tc.onWrite = func(p []byte) {
		if bytes.HasSuffix(p, []byte("</stream:stream>")) {
			once.Do(func() { close(endWritten) })
		}
	}
	tc.afterRead = func([]byte) {
		select {
		case <-endWritten:
			<-allowRead // the server's answer to the end is on its way
		default:
		}
	}
	c := smConn(t, conns(tc), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "msg:s1")
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	<-endWritten
	err := c.Send(ctxT(t), message("late"))
	t.Logf("Send after the stream's end: %v", err)
	close(allowRead)
	wait(t, closed)
	got := []string{}
	for len(got) == 0 || got[len(got)-1] != "state:closed" {
		select {
		case ev := <-e.ch:
			got = append(got, ev)
		case <-time.After(5 * time.Second):
			t.Fatalf("no state:closed; events: %v", got)
		}
	}
	t.Logf("events: %v", got)
	require.NotEmpty(t, got)
	assert.Regexp(t, "^acked:", got[0], "the unavailable presence was acknowledged by the server's last <a/>")
	assert.Error(t, err, "the stanza was not written")
}

// NoInitialPresence, an available presence sent, Close, Connect: the
// new Connect sends that presence by itself, although the configuration
// says not to and no session was lost.
func TestSMRacePresenceAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind +
			"C: <presence id='p1'><show>away</show></presence>\n" +
			"S: <a xmlns='urn:xmpp:sm:3' h='1'/>\n" +
			smClose(2)
		second := smLogin + smBind
		tc := &tapConn{Conn: &silentConn{Conn: smScript(t, second), closed: make(chan struct{})}}
		c := smConn(t, conns(smScript(t, first), tc), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		p := &stanza.Presence{Show: stanza.ShowAway}
		p.ID = "p1"
		require.NoError(t, c.Send(ctxT(t), p))
		e.expect(t, "state:authenticated", "acked:p1")
		require.NoError(t, c.Close())
		require.NoError(t, c.Connect(ctxT(t)))
		synctest.Wait()
		assert.NotContains(t, tc.sent(), "<presence", "NoInitialPresence, and this is no restored session")
	})
}

// Close while up() is flushing the queue: the batch was taken out of
// c.outbox, the session is lost and reported (final), then up() puts the
// unsent rest back into c.outbox. Those stanzas are never reported to
// OnUnacked, and the next Connect sends them in a new session.
func TestSMRaceOutboxRestoredAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + serverMsg("s1")
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n"
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		tc := &tapConn{Conn: &silentConn{Conn: smScript(t, second), closed: make(chan struct{})}}
		tc.onWrite = func(p []byte) {
			if bytes.Contains(p, []byte("id='q1'")) {
				once.Do(func() {
					close(entered)
					select {
					case <-release:
					case <-tc.gone():
					}
				})
			}
		}
		third := &tapConn{Conn: &silentConn{Conn: smScript(t, smLogin+smBind), closed: make(chan struct{})}}
		c := smConn(t, conns(smScript(t, first), tc, third), func(cfg *xmpp.Config) {
			cfg.Reconnect.Disabled = true
			cfg.CloseTimeout = 100 * time.Millisecond
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
		sendAll(t, c, "q1", "q2") // queued: the session is suspended
		connected := make(chan error, 1)
		go func() { connected <- c.Connect(ctxT(t)) }()
		<-entered // resumed; up() is writing q1
		e.expect(t, "state:resumed")
		require.NoError(t, c.Close())
		close(release)
		<-connected
		got := e.settled()
		t.Logf("events: %v", got)
		assert.Contains(t, got, "unacked:q2", "q2 was accepted by Send and never sent: it must be reported")
		// And the next session must not send it.
		require.NoError(t, c.Connect(ctxT(t)))
		synctest.Wait()
		assert.NotContains(t, third.sent(), "id='q2'", "a stanza of the closed session went out in a new one")
	})
}

// Close while Connect is dialing: Connect stops at once with ErrClosed
// (the dial is abandoned: no connection is made), and the Conn is down.
func TestSMRaceCloseDuringConnect(t *testing.T) {
	hold, dialing := make(chan struct{}), make(chan struct{})
	defer close(hold) // never released before Close: the dial ends with its context
	d := &heldDialer{mk: []func() net.Conn{func() net.Conn { return smScript(t, smLogin+smBind) }}, hold: map[int]chan struct{}{0: hold}, started: map[int]chan struct{}{0: dialing}}
	c := smConn(t, d, func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	connected := make(chan error, 1)
	go func() { connected <- c.Connect(ctxT(t)) }()
	<-dialing
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-connected, xmpp.ErrClosed, "Close during Connect makes it fail")
	assert.False(t, c.IsConnected())
	wait(t, c.Done())
}
