package xmpp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

var streamEnd = []byte("</stream:stream>")

var (
	aLongTimeAgo = time.Unix(1, 0)
	noDeadline   time.Time
)

// stream is one socket and the XMPP stream on it, its restarts (after
// STARTTLS and SASL) included: the reader, the encoder and the write
// lock; what negotiation learned; and, once the Conn puts it in use, the
// session it carries and how it ends. It lives from the dial to the
// socket's close. The session (see session) may outlive it, resumed on
// the next stream; the Conn outlives both, and holds the listeners and
// handlers.
//
// A stream the Conn uses goes through three stages, each marked by a
// channel: in use (the reader runs), closing (closed when Close starts
// ending it on purpose), done (closed when its reader has stopped and
// Conn.end has taken stock; err then says why). Negotiation's streams,
// and those that never come into use, have neither channel.
//
// The fields are laid out so that the small ones share words: a
// stream's size is part of an idle connection's (BENCHMARKS.md).
type stream struct {
	cfg    *Config
	conn   net.Conn // the socket, or TLS over it
	raw    net.Conn // the socket itself, for deadlines
	tls    *tls.Conn
	r      *xmlstream.Reader
	rec    *recorder // nil when neither Logger nor Recorder is set
	id     string    // the stream id the server gave
	domain jid.JID

	// What negotiation learned and kept, read once it is over.
	jid       jid.JID // the full JID the server bound
	features  Features
	sm        *smState      // negotiation's stream management, before sess exists
	early     []earlyStanza // received during negotiation, for the listeners
	earlySize int           // their bytes

	// Set when the Conn puts the stream in use, before the reader starts
	// (resumed, ackHeard: below, beside finished).
	sess *session      // the session it carries
	born time.Duration // when it was put in use, as clock() reads
	gen  generation    // Conn.gen when it was put in use

	// writes is under cutMu (see cut); beside gen to share a word.
	writes uint32

	// wsem is the write lock: a one-slot semaphore, so that a writer can
	// give up waiting when its context ends. It is never taken with
	// Conn.mu held; under it a writer takes cutMu, smState.mu (kept
	// stanzas), watchdog.mu and recorder.mu (see Conn.mu for the order).
	wsem chan struct{}
	// finished is set, under the write lock, once our end of the stream
	// is written: nothing may follow it.
	finished bool
	// cut, writing and writes are under cutMu: what lets a context's end
	// cut the write under way, and only that one. writes counts the
	// writes watched so far (wrapping is harmless: a context's end comes
	// long before 2^32 more writes), writing is the number of the one
	// under way (0: none), and cut says its context ended and set a past
	// deadline. cutMu is a leaf, taken under the write lock
	// (writeLocked) or alone (cutter).
	cut      bool
	resumed  bool // it resumed a session; set before the reader starts
	ackHeard bool // an <a/> arrived; the reader's alone
	writing  uint32
	cutMu    sync.Mutex

	heard     atomic.Int64 // when the reader last received anything, as clock() reads
	acking    atomic.Bool  // a goroutine is answering <r/>
	ackWanted atomic.Bool  // an <r/> is waiting for its answer
	// asked is when the oldest ack request (<r/>) not answered yet went
	// out, as clock() reads, or 0 when none waits; the reader clears it
	// when an <a/> arrives. The watchdog, when there is one, ends a
	// stream whose requests go unanswered.
	asked    atomic.Int64
	watchdog atomic.Pointer[watchdog]

	// flushed is made by SendElement when it finds the stream flushing
	// (streamFlushing) and closed by up when the stream goes up; both
	// under Conn.mu. Nil unless an element waited.
	flushed chan struct{}

	// How it ends.
	closing   chan struct{} // closed when Close starts
	done      chan struct{} // closed when the reader has ended
	err       error         // why it ended; set before done closes
	closeOnce sync.Once
	abortOnce sync.Once
	abortErr  error // why abort ended it; read after abortOnce.Do
}

func newStream(cfg *Config, conn net.Conn, domain jid.JID, rec *recorder) *stream {
	s := &stream{cfg: cfg, conn: conn, raw: conn, domain: domain, wsem: make(chan struct{}, 1), rec: rec}
	if tc, ok := conn.(*tls.Conn); ok {
		s.tls = tc
		s.raw = tc.NetConn()
	}
	return s
}

func (s *stream) sinceBorn() time.Duration { return clock() - s.born }
func (s *stream) lastHeard() time.Duration { return time.Duration(s.heard.Load()) }
func (s *stream) noteHeard()               { s.heard.Store(int64(clock())) }

// abort ends the stream at once with err: the reader sees the socket
// close and reports err. It closes the socket under TLS, not the TLS
// connection, whose Close would wait for a write stuck on a silent peer.
func (s *stream) abort(err error) {
	s.abortOnce.Do(func() { s.abortErr = err })
	s.raw.Close()
}

// open sends a stream header, with after (what the client pipelines:
// written in the same write, before the features are read), and reads
// the server's header and features (RFC 6120 section 4.2). It is used
// for the first stream and for each restart.
func (s *stream) open(ctx context.Context, from jid.JID, after string) (Features, error) {
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?><stream:stream to='")
	writeAttr(&b, s.domain.String())
	b.WriteString("'")
	if s.tls != nil && from.Localpart() != "" {
		// RFC 6120 section 4.7.1: tell who we are only once encrypted.
		b.WriteString(" from='")
		writeAttr(&b, from.Bare().String())
		b.WriteString("'")
	}
	b.WriteString(" version='1.0' xml:lang='")
	writeAttr(&b, s.cfg.lang())
	b.WriteString("' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
	b.WriteString(after)
	if err := s.writeRaw(ctx, b.String()); err != nil {
		return Features{}, err
	}
	s.r = xmlstream.NewReader(s.conn, xmlstream.Limits{MaxElementSize: s.cfg.MaxStanzaSize})
	s.r.ReleaseWhenIdle() // an idle connection holds no read buffer
	h, err := s.r.Header()
	if err != nil {
		return Features{}, s.readError(err)
	}
	s.rec.header(h)
	if v := h.Attr("version"); v != "1.0" && !strings.HasPrefix(v, "1.") {
		return Features{}, fmt.Errorf("xmpp: the server speaks stream version %q, not 1.0", v)
	}
	if h.DefaultNS != stanza.NSClient {
		return Features{}, fmt.Errorf("xmpp: the server opened a %q stream, not jabber:client", h.DefaultNS)
	}
	s.id = strings.Clone(h.Attr("id")) // not a view of the whole header
	el, err := s.next()
	if err != nil {
		return Features{}, err
	}
	if el.Tokens[0].Name != (xmlstream.Name{Space: xmlstream.NSStream, Local: "features"}) {
		return Features{}, fmt.Errorf("xmpp: expected <stream:features/>, got <%s/>", el.Tokens[0].Name.Local)
	}
	return parseFeatures(el), nil
}

func writeAttr(b *strings.Builder, v string) {
	out, _ := xmlstream.AppendAttr(nil, v)
	b.Write(out)
}

// next reads the next element during negotiation: a stream error becomes
// a *stanza.StreamError, bad input an error after the stream error is sent.
func (s *stream) next() (*xmlstream.Element, error) {
	el, err := s.r.Next()
	if err != nil {
		return nil, s.readError(err)
	}
	s.rec.received(el)
	if el.Tokens[0].Name == streamErrorName {
		// The server ends the stream after a stream error; close ours
		// in turn (RFC 6120 section 4.9.1.1).
		s.closeStream()
		return nil, wire.DecodeStreamError(el)
	}
	return el, nil
}

// readError turns what the reader returned into the error the connection
// reports, ending the stream with a stream error for input the reader
// refused.
func (s *stream) readError(err error) error {
	var xe *xmlstream.Error
	switch {
	case errors.As(err, &xe):
		se := &stanza.StreamError{Condition: stanza.StreamCondition(xe.Condition), Text: xe.Msg}
		s.sendStreamError(se)
		return fmt.Errorf("xmpp: the server sent bad XML: %w", err)
	case errors.Is(err, xmlstream.ErrStreamEnd):
		return ErrServerClosed
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("xmpp: the server closed the connection: %w", err)
	}
	return err
}

// sendStreamError tells the server why the stream ends, briefly: nothing
// waits on its answer. Text XML cannot carry is left out.
func (s *stream) sendStreamError(se *stanza.StreamError) {
	enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
	if wire.EncodeStreamError(&enc, se) != nil {
		enc.Reset()
		_ = wire.EncodeStreamError(&enc, &stanza.StreamError{Condition: se.Condition})
	}
	b, _ := enc.Bytes()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.writeRaw(ctx, string(b)+"</stream:stream>")
}

// lock takes the write lock, or gives up when ctx ends or done closes.
// A context that has ended already never takes it, even when it is free.
func (s *stream) lock(ctx context.Context, done <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.wsem <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.wsem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return ErrNotConnected
	}
}

func (s *stream) unlock() { <-s.wsem }

// writeRaw writes an element or header that is already text, under the
// write lock.
func (s *stream) writeRaw(ctx context.Context, x string) error {
	if err := s.lock(ctx, nil); err != nil {
		return err
	}
	defer s.unlock()
	return s.writeLocked(ctx, []byte(x))
}

// writeAck writes <a h/> under the write lock, within timeout (for the
// lock too, which it also gives up when the session ends). With the lock
// free, as it mostly is, that costs no context, timer or allocation: only
// a write deadline, which no context can cut.
func (s *stream) writeAck(h uint32, timeout time.Duration) error {
	select {
	case s.wsem <- struct{}{}:
	default:
		ctx, cancel := context.WithTimeout(s.sess.ctx, timeout)
		err := s.lock(ctx, nil)
		cancel()
		if err != nil {
			return err
		}
	}
	defer s.unlock()
	if s.finished {
		return ErrNotConnected
	}
	var buf [64]byte
	b := appendAck(buf[:0], h)
	// No context watches this write (s.writing stays 0), so no cut can
	// fall on it, and the deadline goes as it came.
	s.raw.SetWriteDeadline(time.Now().Add(timeout))
	err := s.writeNow(b)
	s.raw.SetWriteDeadline(noDeadline)
	return err
}

// writeLocked writes b to the socket, bounded by ctx. The caller holds the
// write lock. A write that fails or is cut short by ctx leaves the stream
// unusable (part of an element may have gone out): the caller ends it.
//
// A context that ends while the write is under way cuts it with a past
// write deadline. That deadline is set only while this write is under way
// (cut checks s.writing under s.cutMu): a context that ends just as its
// write completes never leaves a deadline behind for the next writer.
func (s *stream) writeLocked(ctx context.Context, b []byte) error {
	if s.finished {
		return ErrNotConnected
	}
	d, hasDeadline := ctx.Deadline()
	if hasDeadline {
		s.raw.SetWriteDeadline(d)
	}
	var stop func() bool
	if ctx.Done() != nil {
		s.cutMu.Lock()
		if s.writes++; s.writes == 0 {
			s.writes = 1 // 0 means no write
		}
		n := s.writes
		s.writing = n
		s.cutMu.Unlock()
		stop = context.AfterFunc(ctx, s.cutter(n))
	}
	err := s.writeNow(b)
	if stop != nil {
		stop()
		s.cutMu.Lock()
		s.writing = 0 // a cut that has not happened yet never will
		cut := s.cut
		s.cut = false
		s.cutMu.Unlock()
		hasDeadline = hasDeadline || cut
	}
	if hasDeadline {
		s.raw.SetWriteDeadline(noDeadline)
	}
	if err != nil {
		return ctxErr(ctx, err)
	}
	return nil
}

// cutter returns what a context's end does to write number n: it cuts
// the write with a past deadline if n is still under way.
func (s *stream) cutter(n uint32) func() {
	return func() {
		s.cutMu.Lock()
		defer s.cutMu.Unlock()
		if s.writing == n {
			s.cut = true
			s.raw.SetWriteDeadline(aLongTimeAgo)
		}
	}
}

// writeNow writes b under the write lock, noting an ack request it ends
// with and recording it.
func (s *stream) writeNow(b []byte) error {
	s.finished = bytes.HasSuffix(b, streamEnd)
	// An ack request is noted before the write, as the answer may be
	// read before Write returns, and again after it: the time a slow
	// link took to take the write is not the server's to answer for.
	var asked int64
	if bytes.HasSuffix(b, smRequestBytes) {
		if t := int64(clock()); s.asked.CompareAndSwap(0, t) {
			asked = t
		}
	}
	// Record before writing: once written, the reply may be read and
	// recorded by the reader before Write returns here.
	s.rec.sent(b)
	if _, err := s.conn.Write(b); err != nil {
		// Part of b may be on the wire, or the socket is gone: nothing
		// may follow, not even a whole stanza of a writer that waits
		// for the lock (the server would count it, and stream
		// management take it for the one that failed). The stream ends.
		s.finished = true
		return err
	}
	if asked != 0 {
		s.asked.CompareAndSwap(asked, int64(clock()))
		s.watchdog.Load().expectAnswer()
	}
	return nil
}

// encoders holds the Encoders of a TCP stream: jabber:client inherited,
// the stream prefix declared.
var encoders = sync.Pool{New: func() any {
	return &xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
}}

// send encodes st and writes it under the write lock. Text XML cannot
// carry is refused before anything is written. With sm (the caller holds
// one of its slots), st is kept for acknowledgement before it is written
// (taken), and an ack request follows it when one is due.
func (s *stream) send(ctx context.Context, done <-chan struct{}, st stanza.Stanza, sm *smState) (written, taken bool, err error) {
	// Until st is kept, the slot sm gave for it goes back on failure
	// (release does nothing without stream management).
	if err := s.lock(ctx, done); err != nil {
		sm.release(1)
		return false, false, err
	}
	defer s.unlock()
	// A context that ended while this waited for the lock writes and
	// counts nothing, and the stream goes on; a sealed stream has ended,
	// and stream management has taken stock of what it carried.
	err = ctx.Err()
	if s.finished {
		err = ErrNotConnected
	}
	if err != nil {
		sm.release(1)
		return false, false, err
	}
	// Encoders are shared through a pool, so that an idle connection
	// holds no encoding buffer.
	enc := encoders.Get().(*xmlstream.Encoder)
	defer encoders.Put(enc)
	enc.Reset()
	if err := wire.Encode(enc, stanza.NSClient, st); err != nil {
		sm.release(1)
		return false, false, fmt.Errorf("xmpp: %w", err)
	}
	b, _ := enc.Bytes()
	if sm != nil {
		var request bool
		if taken, request = sm.sent(st); request {
			b = append(b, smRequest...)
		}
	}
	return true, taken, s.writeLocked(ctx, b)
}

// seal waits for the write under way, if any, and refuses every later
// one. Once a stream has ended (its socket closed, so that a write in
// progress fails at once), sealing it makes the list of stanzas stream
// management kept final: none can join it from a write still racing the
// end, to be missed by the resumption.
func (s *stream) seal() {
	s.wsem <- struct{}{}
	s.finished = true
	<-s.wsem
}

// resend writes stanzas again, as they are, after a resumption: they are
// counted and kept already.
func (s *stream) resend(ctx context.Context, sts []stanza.Stanza) error {
	if err := s.lock(ctx, nil); err != nil {
		return err
	}
	defer s.unlock()
	enc := encoders.Get().(*xmlstream.Encoder)
	defer encoders.Put(enc)
	for _, st := range sts {
		enc.Reset()
		if err := wire.Encode(enc, stanza.NSClient, st); err != nil {
			return fmt.Errorf("xmpp: %w", err)
		}
		b, _ := enc.Bytes()
		if err := s.writeLocked(ctx, b); err != nil {
			return err
		}
	}
	if s.sess != nil {
		s.sess.sm.requested()
	}
	return s.writeLocked(ctx, []byte(smRequest))
}

// ctxErr prefers the context's error when the context ended, since that is
// why a deadline fired.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// watch bounds the negotiation by ctx: its deadline and its cancellation
// become socket deadlines. The returned func undoes that.
func watch(ctx context.Context, conn net.Conn) func() {
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	return func() {
		stop()
		conn.SetDeadline(noDeadline)
	}
}
