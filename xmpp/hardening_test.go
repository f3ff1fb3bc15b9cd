package xmpp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSendWithEndedContext: a Send whose context has ended already
// returns that context's error and writes nothing; a thousand of them
// leave the stream as it was, and a message still goes out and one comes
// back. (A context's end once armed a past write deadline that raced the
// write, and could outlive it into the next writer's.)
func TestSendWithEndedContext(t *testing.T) {
	c := running(t, `C: <message id='{{m}}' to='bob@localhost'><body>still here</body></message>
S: <message from='bob@localhost/b' id='r1'><body>so am I</body></message>
`+closing)
	got := c.Collect(stanza.IsMessage(), 1)
	require.NoError(t, c.Connect(ctxT(t)))
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 1000 {
		m := &stanza.Message{Bodies: []stanza.Text{{Value: "never"}}}
		m.To = jid.MustParse("bob@localhost")
		require.ErrorIs(t, c.Send(ended, m), context.Canceled, "send %d", i)
	}
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "still here"}}}
	m.To = jid.MustParse("bob@localhost")
	require.NoError(t, c.Send(ctxT(t), m))
	reply, err := got.Next(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, "so am I", reply.(*stanza.Message).Body(""))
	assert.True(t, c.IsConnected())
	require.NoError(t, c.Close())
}

// TestCloseStopsConnect: Close during a Connect that waits on a silent
// server (with a context that never ends) makes Connect return an error
// matching ErrClosed, and closes its socket. Close returns once that
// Connect has: a Connect right after Close is not refused as one already
// under way.
func TestCloseStopsConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := xmpptest.Pipe()
		client2, server2 := xmpptest.Pipe()
		defer server2.Close()
		c := xmpp.New(xmpp.Config{
			JID:       jid.MustParse("alice@localhost"),
			Password:  "alice-secret",
			Addr:      "silent.invalid:5222",
			Dialer:    conns(client, client2),
			Reconnect: xmpp.Reconnect{Disabled: true},
		})
		result := make(chan error, 1)
		go func() { result <- c.Connect(context.Background()) }()
		synctest.Wait() // Connect has sent its header and waits for the server's
		select {
		case err := <-result:
			t.Fatalf("Connect returned before Close: %v", err)
		default:
		}
		require.NoError(t, c.Close())
		// Close waited for that Connect to end: one started now is not
		// refused as a second Connect under way (ErrConnected). (The
		// first one's result is sent after it returned, so it is read
		// once the bubble is idle, not at once.)
		second := make(chan error, 1)
		go func() { second <- c.Connect(context.Background()) }()
		synctest.Wait()
		require.ErrorIs(t, <-result, xmpp.ErrClosed)
		// The server end reads the client's header, then the end of
		// the connection.
		_, err := io.ReadAll(server)
		require.NoError(t, err)

		require.NoError(t, c.Close())
		require.ErrorIs(t, <-second, xmpp.ErrClosed, "the second Connect ran, and Close stopped it")
	})
}

// brokenPipe is a connection whose writes fail as a socket's do when the
// network has cut it, once cut is set. Its reads, once the script has
// ended, wait for Close: only the failed write ends the stream.
type brokenPipe struct {
	net.Conn
	cut    atomic.Bool
	once   sync.Once
	closed chan struct{}
}

func (b *brokenPipe) Read(p []byte) (int, error) {
	n, err := b.Conn.Read(p)
	if errors.Is(err, io.EOF) {
		<-b.closed
		return 0, net.ErrClosed
	}
	return n, err
}

func (b *brokenPipe) Close() error {
	b.once.Do(func() { close(b.closed) })
	return b.Conn.Close()
}

func (b *brokenPipe) Write(p []byte) (int, error) {
	if b.cut.Load() {
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	}
	return b.Conn.Write(p)
}

// TestSendOnCutConnection: without stream management, a Send whose write
// meets a connection the network has cut returns an error that matches
// ErrNotConnected and wraps the socket's error, and the stream ends.
func TestSendOnCutConnection(t *testing.T) {
	var pipe *brokenPipe
	c := running(t, "", func(cfg *xmpp.Config) {
		d := cfg.Dialer
		cfg.Dialer = dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err == nil {
				pipe = &brokenPipe{Conn: conn, closed: make(chan struct{})}
				return pipe, nil
			}
			return conn, err
		})
	})
	require.NoError(t, c.Connect(ctxT(t)))
	pipe.cut.Store(true)
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "into the void"}}}
	m.To = jid.MustParse("bob@localhost")
	err := c.Send(ctxT(t), m)
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	require.ErrorIs(t, err, syscall.EPIPE)
	wait(t, c.Done())
	assert.False(t, c.IsConnected())
	assert.True(t, errors.Is(c.Err(), syscall.EPIPE), "the stream ended with the write's error: %v", c.Err())
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// messageCounter is a Recorder that counts the messages the connection
// has read from the server.
type messageCounter struct{ n atomic.Int64 }

func (m *messageCounter) Write(p []byte) (int, error) {
	if strings.HasPrefix(string(p), "S: <message") {
		m.n.Add(1)
	}
	return len(p), nil
}

// TestBacklogBoundedInBytes: while a listener blocks, the connection
// reads no more than Config.MaxBacklog bytes of stanzas ahead of it (the
// rest waits in the socket); once the listener returns, every message
// arrives, in order.
func TestBacklogBoundedInBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, size = 40, 300 << 10
		body := strings.Repeat("x", size)
		var flood strings.Builder
		for i := range n {
			fmt.Fprintf(&flood, "S: <message from='bob@localhost/b' id='m%d'><body>%s</body></message>\n", i, body)
		}
		read := new(messageCounter)
		c := running(t, flood.String(), func(cfg *xmpp.Config) {
			cfg.MaxBacklog = 1 << 20
			cfg.Recorder = read
		})
		release := make(chan struct{})
		var got []string
		c.HandleMessage(nil, func(m *stanza.Message) {
			if m.ID == "m0" {
				<-release
			}
			got = append(got, m.ID)
		})
		require.NoError(t, c.Connect(ctxT(t)))
		synctest.Wait() // the listener blocks, and so does the reader
		// One being heard, at most 1 MiB of 300 KiB queued, and one the
		// reader holds until there is room.
		assert.LessOrEqual(t, read.n.Load(), int64(1+3+1), "messages read while a listener blocks")
		close(release)
		synctest.Wait()
		require.Len(t, got, n)
		for i, id := range got {
			require.Equal(t, fmt.Sprintf("m%d", i), id)
		}
	})
}

// floodConn is a socket whose peer, once flood is called, sends n bytes of
// white space (keep-alives) after the next read that ends an element, and
// ahead of what it sends next; it counts the reads the client makes. (White
// space served at once could land inside an element the client has read
// only the start of, which no server sends.)
type floodConn struct {
	net.Conn
	mu    sync.Mutex
	armed int // served once a read ends with '>'
	space int // served now
	reads int
}

func (f *floodConn) flood(n int) {
	f.mu.Lock()
	f.armed += n
	f.mu.Unlock()
}

func (f *floodConn) Read(p []byte) (int, error) {
	f.mu.Lock()
	f.reads++
	n := min(f.space, len(p))
	f.space -= n
	f.mu.Unlock()
	if n > 0 {
		for i := range p[:n] {
			p[i] = ' '
		}
		return n, nil
	}
	n, err := f.Conn.Read(p)
	if n > 0 && p[n-1] == '>' {
		f.mu.Lock()
		f.space, f.armed = f.space+f.armed, 0
		f.mu.Unlock()
	}
	return n, err
}

func (f *floodConn) counted() (reads, left int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads, f.space + f.armed
}

// TestWhitespaceFloodReadInBulk: 1 MiB of white space between two
// stanzas, all of it ready, costs the connection a few dozen reads of its
// buffer's size (the count includes the reads of the two stanzas and the
// waits for them), not one read per byte (a million, before), and the
// stanza after it arrives.
func TestWhitespaceFloodReadInBulk(t *testing.T) {
	const size = 1 << 20
	script := smLogin + strings.Join(strings.SplitAfter(smBind, "\n")[:2], "") +
		"C: <message id='one' to='bob@localhost'/>\n" +
		"S: <message from='bob@localhost/b' id='r1'><body>before</body></message>\n" +
		"C: <message id='two' to='bob@localhost'/>\n" +
		"S: <message from='bob@localhost/b' id='r2'><body>after</body></message>\n"
	fc := &floodConn{Conn: smScript(t, script)}
	c := smConn(t, conns(fc), func(cfg *xmpp.Config) {
		cfg.StreamManagement.Disabled = true
		cfg.Reconnect.Disabled = true
	})
	got := c.Collect(stanza.IsMessage(), 2)
	require.NoError(t, c.Connect(ctxT(t)))
	send := func(id string) {
		m := &stanza.Message{}
		m.ID, m.To = id, jid.MustParse("bob@localhost")
		require.NoError(t, c.Send(ctxT(t), m))
	}
	before, _ := fc.counted()
	fc.flood(size) // served once the client has read r1
	send("one")
	m, err := got.Next(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "r1", m.Head().ID)
	send("two")
	m, err = got.Next(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "r2", m.Head().ID)
	after, left := fc.counted()
	require.Zero(t, left, "the flood was read")
	assert.Less(t, after-before, 200, "reads for 1 MiB of white space")
	t.Logf("%d reads for %d bytes of white space", after-before, size)
}

// failingWrite is a socket whose write of the stanza with id x blocks
// until release is closed and then fails, as a write cut short does; it
// notes whatever is written after that. Its peer stays silent once its
// script has ended.
type failingWrite struct {
	*brokenPipe // reads wait for Close once the script has ended
	release     chan struct{}
	mu          sync.Mutex
	failed      bool
	after       []string
}

func (f *failingWrite) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "id='x'") {
		<-f.release
		f.mu.Lock()
		f.failed = true
		f.mu.Unlock()
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	}
	f.mu.Lock()
	if f.failed {
		f.after = append(f.after, string(p))
	}
	f.mu.Unlock()
	return f.brokenPipe.Write(p)
}

// TestNothingWrittenAfterFailedWrite: once a write has failed (part of a
// stanza may be out), a Send that was waiting for the write lock writes
// nothing on that stream: the server would take its stanza for the
// failed one's. It is told the connection is gone instead.
func TestNothingWrittenAfterFailedWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		script := smLogin + strings.Join(strings.SplitAfter(smBind, "\n")[:2], "")
		fw := &failingWrite{brokenPipe: &brokenPipe{Conn: smScript(t, script), closed: make(chan struct{})}, release: make(chan struct{})}
		c := smConn(t, conns(fw), func(cfg *xmpp.Config) {
			cfg.StreamManagement.Disabled = true
			cfg.Reconnect.Disabled = true
		})
		require.NoError(t, c.Connect(ctxT(t)))
		msg := func(id string) *stanza.Message {
			m := &stanza.Message{}
			m.ID, m.To = id, jid.MustParse("bob@localhost")
			return m
		}
		errX, errY := make(chan error, 1), make(chan error, 1)
		go func() { errX <- c.Send(context.Background(), msg("x")) }()
		synctest.Wait() // x's write is under way
		go func() { errY <- c.Send(context.Background(), msg("y")) }()
		synctest.Wait() // y waits for the write lock
		close(fw.release)
		require.ErrorIs(t, <-errX, xmpp.ErrNotConnected)
		require.ErrorIs(t, <-errY, xmpp.ErrNotConnected)
		fw.mu.Lock()
		defer fw.mu.Unlock()
		assert.Empty(t, fw.after, "written after the failed write")
	})
}

// TestEarlyStanzaLargerThanBacklog: a stanza that arrives during login
// and is larger than Config.MaxBacklog is still taken when nothing else
// waits, as the dispatcher takes one: the login succeeds and the
// listeners hear it.
func TestEarlyStanzaLargerThanBacklog(t *testing.T) {
	body := strings.Repeat("x", 4096)
	script := smLogin +
		"C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>\n" +
		"S: <message from='bob@localhost/b' id='offline'><body>" + body + "</body></message>\n" +
		"S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>\n"
	c := smConn(t, conns(smScript(t, script)), func(cfg *xmpp.Config) {
		cfg.StreamManagement.Disabled = true
		cfg.Reconnect.Disabled = true
		cfg.MaxBacklog = 1024
	})
	got := make(chan string, 1)
	c.HandleMessage(nil, func(m *stanza.Message) { got <- m.Body("") })
	require.NoError(t, c.Connect(ctxT(t)))
	select {
	case b := <-got:
		assert.Equal(t, body, b)
	case <-ctxT(t).Done():
		t.Fatal("the listener did not hear the message")
	}
}
