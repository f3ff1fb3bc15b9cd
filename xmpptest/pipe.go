package xmpptest

import (
	"bytes"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Pipe returns the two ends of an in-memory, full-duplex connection.
// Unlike net.Pipe, writes are buffered and never wait for the reader, so a
// client and a test server may both write at once, as over TCP. Reads and
// writes honour deadlines (os.ErrDeadlineExceeded); Close on either end
// makes reads on the other end return io.EOF once the data written before
// is read. The buffer grows without bound: it is for tests.
func Pipe() (net.Conn, net.Conn) {
	ab, ba := newHalf(), newHalf()
	return &pipeConn{r: ba, w: ab, name: "xmpptest-a"}, &pipeConn{r: ab, w: ba, name: "xmpptest-b"}
}

// half is one direction of a Pipe.
type half struct {
	mu       sync.Mutex
	cond     *sync.Cond
	buf      bytes.Buffer
	closed   bool      // the writing end closed
	deadline time.Time // the reading end's deadline
	timer    *time.Timer
}

func newHalf() *half {
	h := new(half)
	h.cond = sync.NewCond(&h.mu)
	return h
}

func (h *half) read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.buf.Len() == 0 {
		if h.closed {
			return 0, io.EOF
		}
		if !h.deadline.IsZero() && !time.Now().Before(h.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		h.cond.Wait()
	}
	return h.buf.Read(p)
}

func (h *half) write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, io.ErrClosedPipe
	}
	h.buf.Write(p)
	h.cond.Broadcast()
	return len(p), nil
}

func (h *half) close() {
	h.mu.Lock()
	h.closed = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (h *half) setDeadline(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deadline = t
	if h.timer != nil {
		h.timer.Stop()
	}
	if !t.IsZero() {
		h.timer = time.AfterFunc(time.Until(t), func() {
			h.mu.Lock()
			h.cond.Broadcast()
			h.mu.Unlock()
		})
	}
	h.cond.Broadcast()
}

type pipeConn struct {
	r, w *half
	name string

	wmu       sync.Mutex
	wdeadline time.Time // this end's write deadline
}

type pipeAddr string

func (a pipeAddr) Network() string { return "xmpptest" }
func (a pipeAddr) String() string  { return string(a) }

func (c *pipeConn) Read(p []byte) (int, error) { return c.r.read(p) }

// Write never waits for the reader, but, as on a socket, fails with
// os.ErrDeadlineExceeded once the write deadline has passed.
func (c *pipeConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	d := c.wdeadline
	c.wmu.Unlock()
	if !d.IsZero() && !time.Now().Before(d) {
		return 0, os.ErrDeadlineExceeded
	}
	return c.w.write(p)
}

// Close closes both directions: the peer reads EOF, and this end's reads
// return EOF too.
func (c *pipeConn) Close() error {
	c.w.close()
	c.r.close()
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr               { return pipeAddr(c.name) }
func (c *pipeConn) RemoteAddr() net.Addr              { return pipeAddr(c.name + "-peer") }
func (c *pipeConn) SetReadDeadline(t time.Time) error { c.r.setDeadline(t); return nil }

func (c *pipeConn) SetDeadline(t time.Time) error {
	c.SetWriteDeadline(t)
	return c.SetReadDeadline(t)
}

func (c *pipeConn) SetWriteDeadline(t time.Time) error {
	c.wmu.Lock()
	c.wdeadline = t
	c.wmu.Unlock()
	return nil
}
