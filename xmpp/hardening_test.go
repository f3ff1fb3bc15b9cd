package xmpp_test

import (
	"context"
	"errors"
	"io"
	"net"
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
	connect(t, c)
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
}

// TestCloseStopsConnect: Close during a Connect that waits on a silent
// server (with a context that never ends) makes Connect return an error
// matching ErrClosed, and closes its socket.
func TestCloseStopsConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := xmpptest.Pipe()
		c := xmpp.New(xmpp.Config{
			JID:       jid.MustParse("alice@localhost"),
			Password:  "alice-secret",
			Addr:      "silent.invalid:5222",
			Dialer:    conns(client),
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
		synctest.Wait()
		select {
		case err := <-result:
			require.ErrorIs(t, err, xmpp.ErrClosed)
		default:
			t.Fatal("Connect still runs after Close")
		}
		// The server end reads the client's header, then the end of
		// the connection.
		_, err := io.ReadAll(server)
		require.NoError(t, err)
	})
}

// brokenPipe is a connection whose writes fail as a socket's do when the
// network has cut it, once cut is set; reads go on until the test closes
// it.
type brokenPipe struct {
	net.Conn
	cut atomic.Bool
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
				pipe = &brokenPipe{Conn: conn}
				return pipe, nil
			}
			return conn, err
		})
	})
	connect(t, c)
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
