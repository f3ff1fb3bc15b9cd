package xmpp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
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
	// (writeWatched, the queue) or alone (cutter, a queued sender).
	cut      bool
	resumed  bool // it resumed a session; set before the reader starts
	ackHeard bool // an <a/> arrived; the reader's alone
	parking  bool // the reader may park (see ReadIdle); the reader's alone
	woken    bool // a parked reader found the socket readable; the reader's
	writing  uint32
	cutMu    sync.Mutex
	// queue, under cutMu, holds the Sends that found the write lock
	// busy, for the writer that holds it to write with its own (see
	// send). Made the first time a Send waits: a stream that never sees
	// two at once pays one word for it.
	queue *sendQueue
	// cork, under the write lock, holds stanzas not written yet while
	// the server is behind (corkLocked). Nil until the stream first
	// corks.
	cork *cork

	heard     atomic.Int64 // when the reader last received anything, as clock() reads
	acking    atomic.Bool  // a goroutine is answering <r/>
	ackWanted atomic.Bool  // an <r/> is waiting for its answer
	// answeredAt is when the last <a/> was written, as clock() reads, or
	// 0 before the first (see answerDelay).
	answeredAt atomic.Int64
	// answerOwed says the reader put an answer to <r/> off, to be
	// written when due (answerLater); answerTimer is the fallback for
	// it. Both are the reader's.
	answerOwed  bool
	answerTimer *time.Timer
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
	if tc, ok := conn.(transportConn); ok { // transport.go
		s.tls, s.raw = tc.transport()
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
	if err := s.writeRaw(ctx, "<?xml version='1.0'?>"+s.header(from)+after); err != nil {
		return Features{}, err
	}
	s.r = xmlstream.NewReader(s, xmlstream.Limits{MaxElementSize: s.cfg.MaxStanzaSize})
	s.r.ReleaseWhenIdle() // an idle connection holds no read buffer
	return s.readHeader()
}

// header is the client's stream header, without the XML declaration.
func (s *stream) header(from jid.JID) string {
	var b strings.Builder
	b.WriteString("<stream:stream to='")
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
	return b.String()
}

// readHeader reads the server's stream header and features with s.r:
// a new reader after open, or the same one when the client wrote its
// header of the restart ahead (negotiate.go), so that what the reader
// holds already is not lost.
func (s *stream) readHeader() (Features, error) {
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

// parkAfter is how long the reader waits for the server in its own
// frames before it parks (see ReadIdle). Tests change it.
var parkAfter = 50 * time.Millisecond

// parked, when set (tests), hears of each reader that parks.
var parked func()

// Read reads from the socket, or TLS over it: the stream is what its
// Reader reads.
func (s *stream) Read(p []byte) (int, error) { return s.conn.Read(p) }

// ReadIdle is the read the Reader waits for the server in, when it has
// nothing left to parse (xmlstream.IdleReader). A reader goroutine that
// parses an element grows its stack to 4 KiB, and the runtime never
// shrinks the stack of a goroutine blocked that deep. So once the reader
// runs (parking), the wait is bounded by parkAfter: when nothing came by
// then, the Reader yields, and the reader goroutine hands the wait to a
// fresh one (park), whose stack is 2 KiB and stays so while it waits.
// A server that keeps sending never meets the bound; the cost while busy
// is a read deadline set and cleared once per burst of input. WebSocket
// streams, whose framing a deadline could cut, never park, nor readers
// where the socket's readiness cannot be waited for (see canPark).
func (s *stream) ReadIdle(p []byte) (int, error) {
	if !s.parking || s.woken {
		s.woken = false // data is there: no deadline to set
		return s.conn.Read(p)
	}
	s.raw.SetReadDeadline(time.Now().Add(parkAfter))
	n, err := s.conn.Read(p)
	s.raw.SetReadDeadline(noDeadline)
	if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, xmlstream.ErrYield // nothing read: the wait can start again
	}
	return n, err
}

// canPark reports whether the reader of s may park: a TCP socket, with
// or without TLS, whose readiness can be waited for without reading
// (Linux; elsewhere readers never park).
func (s *stream) canPark() bool {
	if _, ws := s.conn.(*wsConn); ws {
		return false
	}
	return canWaitReadable(s.raw)
}

// park waits, on a goroutine of its own, for the socket to be readable,
// without reading, then goes on as the reader: the goroutine that
// yielded has ended, its stack with it.
func (c *Conn) park(s *stream) {
	if parked != nil {
		parked()
	}
	waitReadable(s.raw)
	s.woken = true
	c.read(s)
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

// writeEnd writes our end of the stream. With stream management an ack
// request goes first, so that the server's last acks come before its
// end, then our own (XEP-0198 section 4 recommends it), with the count
// read under the write lock: without it a server takes what was handled
// for unacknowledged and routes it elsewhere, to offline storage for a
// message, and the next login receives it again.
func (s *stream) writeEnd(ctx context.Context) error {
	if err := s.lock(ctx, nil); err != nil {
		return err
	}
	defer s.unlock()
	var buf [96]byte
	b := buf[:0]
	if sm := s.sess.sm; sm.active() {
		b = appendAck(append(b, smRequest...), sm.in.Load())
	}
	return s.writeLocked(ctx, append(b, streamEnd...))
}

// answered, when set (tests), hears of each <r/> the reader answered
// itself.
var answered func()

// answerAckNow answers the server's <r/> on the reader itself, sparing
// a goroutine and a wake-up per request, when that cannot block: the
// write lock is free and little written waits in the socket's send
// queue, so that the few bytes of <a/> find room (on Linux; elsewhere
// it never can tell). It reports whether it answered, or the stream
// ended trying; otherwise answerAck does it on a goroutine of its own,
// as a write that may block must not stop the reader. The caller holds
// s.acking, and lets it go here.
func (s *stream) answerAckNow() bool {
	select {
	case s.wsem <- struct{}{}:
	default:
		return false
	}
	// A cork's worth of stanzas would go first (writeNow): too much to
	// be sure it cannot block.
	if s.finished || (s.cork != nil && s.cork.buf != nil) || !sendQueueShort(s.raw) {
		<-s.wsem
		return false
	}
	if answered != nil {
		answered()
	}
	s.ackWanted.Store(false)
	var buf [64]byte
	b := appendAck(buf[:0], s.sess.sm.in.Load())
	s.record(b)
	timeout := orDefault(s.cfg.KeepAliveTimeout, defaultKeepAliveTimeout)
	s.raw.SetWriteDeadline(time.Now().Add(timeout))
	err := s.writeNow(b, false)
	s.raw.SetWriteDeadline(noDeadline)
	s.answeredAt.Store(int64(clock()))
	<-s.wsem
	if err != nil {
		s.abort(err)
	}
	s.acking.Store(false)
	return true
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
	s.record(b)
	s.raw.SetWriteDeadline(time.Now().Add(timeout))
	err := s.writeNow(b, false)
	s.raw.SetWriteDeadline(noDeadline)
	s.answeredAt.Store(int64(clock()))
	return err
}

// minAnswerGap is the least time between two answers to the server's ack
// requests. A server that asks again as soon as an answer arrives while
// it has stanzas unacknowledged (Prosody's mod_smacks does) would
// otherwise keep one <r/> and one <a/> in flight per round trip for as
// long as a flood lasts: on loopback, an <r/> every two or three
// messages, each a read and a write (a TLS record each way). With the
// gap, the server hears at most a hundred answers a second, each
// covering all that was handled, and never waits for one longer than
// twice this (see stream.answerLater).
var minAnswerGap = 10 * time.Millisecond // a variable for benchmarks

// answerDelay says how long an answer to an <r/> that arrives now waits:
// until minAnswerGap has passed since the last answer, or not at all.
func (s *stream) answerDelay() time.Duration {
	last := s.answeredAt.Load()
	if last == 0 {
		return 0
	}
	return minAnswerGap - (clock() - time.Duration(last))
}

// writeLocked writes b to the socket, bounded by ctx, and records it.
// The caller holds the write lock. A write that fails or is cut short by
// ctx leaves the stream unusable (part of an element may have gone out):
// the caller ends it.
func (s *stream) writeLocked(ctx context.Context, b []byte) error {
	if s.finished {
		return ErrNotConnected
	}
	s.record(b)
	return s.writeWatched(ctx, nil, b, bytes.HasSuffix(b, smRequestBytes))
}

// writeWatched writes b, which the caller has recorded, bounded by ctx
// and by the contexts of the queued senders whose stanzas b carries
// (batch): the earliest deadline, and the end of any of them, cuts the
// write. request says b holds an ack request. The caller holds the write
// lock.
//
// A context that ends while the write is under way cuts it with a past
// write deadline. That deadline is set only while this write is under way
// (cut checks s.writing under s.cutMu): a context that ends just as its
// write completes never leaves a deadline behind for the next writer.
func (s *stream) writeWatched(ctx context.Context, batch []*sendReq, b []byte, request bool) error {
	if s.finished {
		return ErrNotConnected
	}
	d, hasDeadline := ctx.Deadline()
	watched := ctx.Done() != nil
	for _, r := range batch {
		if rd, ok := r.ctx.Deadline(); ok && (!hasDeadline || rd.Before(d)) {
			d, hasDeadline = rd, true
		}
		watched = watched || r.ctx.Done() != nil
	}
	if hasDeadline {
		s.raw.SetWriteDeadline(d)
	}
	var stop func() bool
	if watched {
		s.cutMu.Lock()
		if s.writes++; s.writes == 0 {
			s.writes = 1 // 0 means no write
		}
		n := s.writes
		s.writing = n
		s.cutMu.Unlock()
		cut := s.cutter(n)
		if ctx.Done() != nil {
			stop = context.AfterFunc(ctx, cut)
		}
		for _, r := range batch {
			if r.ctx.Done() != nil {
				r.stop = context.AfterFunc(r.ctx, cut)
			}
		}
	}
	err := s.writeNow(b, request)
	if watched {
		if stop != nil {
			stop()
		}
		for _, r := range batch {
			if r.stop != nil {
				r.stop()
				r.stop = nil
			}
		}
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

// writeNow writes b under the write lock, noting an ack request it
// holds (request). The caller has recorded b: before the write, as once
// written the reply may be read and recorded by the reader before Write
// returns here.
func (s *stream) writeNow(b []byte, request bool) error {
	if k := s.cork; k != nil && k.buf != nil {
		// What the cork holds goes first (the writer has recorded
		// it: record); its buffer goes back once written.
		bp := k.buf
		k.buf, k.marks = nil, k.marks[:0]
		k.timer.Stop()
		*bp = append(*bp, b...)
		b = *bp
		defer func() {
			*bp = (*bp)[:0]
			putBatch(bp)
		}()
	}
	s.finished = bytes.HasSuffix(b, streamEnd)
	// An ack request is noted before the write, as the answer may be
	// read before Write returns, and again after it: the time a slow
	// link took to take the write is not the server's to answer for.
	var asked int64
	if request {
		if t := int64(clock()); s.asked.CompareAndSwap(0, t) {
			asked = t
		}
	}
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

// encodeStanza encodes st alone with enc, one of encoders; the bytes
// are enc's, valid until its next use.
func encodeStanza(enc *xmlstream.Encoder, st stanza.Stanza) ([]byte, error) {
	enc.Reset()
	if err := wire.Encode(enc, stanza.NSClient, st); err != nil {
		return nil, fmt.Errorf("xmpp: %w", err)
	}
	b, _ := enc.Bytes()
	return b, nil
}

// scratch is what a write of several stanzas borrows from the pools:
// an Encoder and a batch buffer, so that an idle connection holds
// neither.
type scratch struct {
	enc *xmlstream.Encoder
	bp  *[]byte
}

// borrowScratch takes both, and the batch buffer emptied, to append to.
func borrowScratch() (scratch, []byte) {
	sc := scratch{encoders.Get().(*xmlstream.Encoder), batches.Get().(*[]byte)}
	return sc, (*sc.bp)[:0]
}

// giveBack returns both to their pools, the buffer as buf, what it grew
// into.
func (sc scratch) giveBack(buf []byte) {
	*sc.bp = buf
	putBatch(sc.bp)
	encoders.Put(sc.enc)
}

// maxBatch bounds the bytes one write carries for several stanzas: a
// TLS record's worth (16 KiB). A lone stanza of any size goes out alone.
const maxBatch = 16 << 10

// sendQueue is the Sends waiting for the write lock, oldest first: those
// of reqs from head on.
type sendQueue struct {
	reqs []*sendReq
	head int
}

// sendReq is a Send that found the write lock busy and queued its
// stanza (see send). The sender owns it until it is queued; then the
// queue does, under cutMu, until a writer holding the write lock takes
// it out (taken) or the sender withdraws it; a writer that took it tells
// the sender the outcome once, through done.
type sendReq struct {
	ctx context.Context
	st  stanza.Stanza
	sm  *smState // with a slot held for st, or nil
	// taken is under cutMu: it left the queue, taken by a writer or
	// withdrawn by its sender.
	taken bool
	// Set by the writer that took it, before it signals done.
	written, kept bool
	err           error
	stop          func() bool // the cut its context makes, during the write
	done          chan struct{}
}

// finish tells r's sender how its stanza went. Nothing may touch r once
// it is called.
func (r *sendReq) finish(written bool, err error) {
	r.written, r.err = written, err
	r.done <- struct{}{}
}

// send encodes st and writes it under the write lock. Text XML cannot
// carry is refused before anything is written. With sm (the caller holds
// one of its slots), st is kept for acknowledgement before it is written
// (taken), and an ack request follows it when one is due.
//
// Writes coalesce. A sender that finds the write lock free writes at
// once, along with whatever others queued meanwhile: nothing waits for
// company. One that finds it busy queues st (s.queue) and waits: for a
// writer that gets the lock to take st into its write, or for the lock
// itself, to write what is queued, oldest first, up to maxBatch bytes a
// write, until its own stanza is out. Stanzas are counted for
// stream management in the order they are written, and each sender hears
// its own outcome once: written (the write, which its context can cut,
// went or failed), or not written (its context ended while it was
// queued, the stream ended, or st cannot be encoded), with the slot
// given back.
func (s *stream) send(ctx context.Context, done <-chan struct{}, st stanza.Stanza, sm *smState) (written, taken bool, err error) {
	// Until st is kept, the slot sm gave for it goes back on failure
	// (release does nothing without stream management).
	if err := ctx.Err(); err != nil {
		sm.release(1)
		return false, false, err
	}
	select {
	case s.wsem <- struct{}{}:
		defer s.unlock()
		return s.sendLocked(ctx, st, sm)
	default:
	}
	r := &sendReq{ctx: ctx, st: st, sm: sm, done: make(chan struct{}, 1)}
	s.cutMu.Lock()
	if s.queue == nil {
		s.queue = new(sendQueue)
	}
	s.queue.reqs = append(s.queue.reqs, r)
	s.cutMu.Unlock()
	select {
	case s.wsem <- struct{}{}:
		// This sender holds the lock: it writes what is queued, oldest
		// first, until its own stanza has been dealt with (perhaps by
		// the writer before it).
		for !s.isTaken(r) {
			s.flush(context.Background(), nil, false)
		}
		s.unlock()
	case <-r.done:
		return r.written, r.kept, r.err
	case <-ctx.Done():
		if s.withdraw(r) {
			sm.release(1)
			return false, false, ctx.Err()
		}
	case <-done:
		if s.withdraw(r) {
			sm.release(1)
			return false, false, ErrNotConnected
		}
	}
	// A writer took r: it says how it went, once its write has returned.
	<-r.done
	return r.written, r.kept, r.err
}

// isTaken reports whether a writer took r out of the queue.
func (s *stream) isTaken(r *sendReq) bool {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	return r.taken
}

// withdraw takes r out of the queue for its sender, and reports whether
// it was still there (no writer took it).
func (s *stream) withdraw(r *sendReq) bool {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	if r.taken {
		return false
	}
	q := s.queue
	if i := slices.Index(q.reqs[q.head:], r); i >= 0 {
		q.reqs = slices.Delete(q.reqs, q.head+i, q.head+i+1)
	}
	r.taken = true // by its sender
	return true
}

// dequeue takes the oldest queued request out of the queue, or returns
// nil. The caller holds the write lock.
func (s *stream) dequeue() *sendReq {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	q := s.queue
	if q == nil || q.head == len(q.reqs) {
		return nil
	}
	r := q.reqs[q.head]
	r.taken = true
	q.reqs[q.head] = nil
	if q.head++; q.head == len(q.reqs) {
		q.reqs, q.head = q.reqs[:0], 0
		if cap(q.reqs) > 256 {
			q.reqs = nil // a rare crowd's array goes
		}
	}
	return r
}

// queued reports whether a Send waits in the queue.
func (s *stream) queued() bool {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	return s.queue != nil && s.queue.head < len(s.queue.reqs)
}

// sendLocked is send for a caller that holds the write lock.
func (s *stream) sendLocked(ctx context.Context, st stanza.Stanza, sm *smState) (written, taken bool, err error) {
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
	b, err := encodeStanza(enc, st)
	if err != nil {
		sm.release(1)
		return false, false, err
	}
	var request, behind bool
	if sm != nil {
		if taken, request, behind = sm.sent(st); request {
			b = append(b, smRequest...)
		}
	}
	if behind && taken && !request && !s.queued() {
		return true, taken, s.corkLocked(ctx, b) // recorded when written
	}
	s.record(b)
	if s.queued() {
		return true, taken, s.flush(ctx, b, request)
	}
	return true, taken, s.writeWatched(ctx, nil, b, request)
}

// record hands b, which the caller (holding the write lock) writes next,
// to the recorder, after the stanzas the cork holds and the recorder has
// not seen: they go out first. A stanza in the cork is recorded when a
// write takes it, so that a transcript never shows one the stream ended
// before writing.
func (s *stream) record(b []byte) {
	if s.rec == nil {
		return
	}
	if k := s.cork; k != nil && len(k.marks) > 0 {
		start := 0
		for _, end := range k.marks {
			s.rec.sent((*k.buf)[start:end])
			start = end
		}
		k.marks = k.marks[:0]
	}
	if len(b) > 0 {
		s.rec.sent(b)
	}
}

// cork holds the stanzas that stream management took while the server
// was behind, not written yet (see corkLocked). It is made the first time
// a stream corks; its buffer comes from batches while it holds anything.
type cork struct {
	buf   *[]byte
	timer *time.Timer
	// marks are where the stanzas in buf end, kept for the recorder
	// (with one only) until a write takes them (record).
	marks []int
}

// corkDelay bounds how long a stanza waits in the cork.
const corkDelay = time.Millisecond

// corkLocked holds b, a stanza that stream management kept while more
// than an eighth of its window, or more than maxCorkBehind stanzas, wait
// for acknowledgement (the server is behind; see smState.sent), for the
// next write instead of writing it now. A stanza that carries an ack
// request is not corked: it goes at once, after what the cork holds. A
// server that far behind has all those stanzas to read before this one,
// so writing it a moment later costs it nothing, while a sender that
// sends one stanza after the other would otherwise make a write and a
// TLS record each, and the server a read each.
// Whatever is written next on the stream (a stanza, an ack, its end)
// carries what the cork holds first (writeNow); the cork is written on
// its own once it holds maxBatch bytes, or corkDelay after it began to
// fill. Should the stream end first, stream management sends the stanzas
// again or reports them, as any it kept. The caller holds the write lock
// and has recorded b.
func (s *stream) corkLocked(ctx context.Context, b []byte) error {
	k := s.cork
	if k == nil {
		k = new(cork)
		s.cork = k
	}
	if k.buf == nil {
		k.buf = batches.Get().(*[]byte)
		*k.buf = (*k.buf)[:0]
		if k.timer == nil {
			k.timer = time.AfterFunc(corkDelay, s.uncork)
		} else {
			k.timer.Reset(corkDelay)
		}
	}
	*k.buf = append(*k.buf, b...)
	if s.rec != nil {
		k.marks = append(k.marks, len(*k.buf))
	}
	if len(*k.buf) < maxBatch {
		return nil
	}
	s.record(nil)
	return s.writeWatched(ctx, nil, nil, false)
}

// uncork writes what the cork holds, once corkDelay has passed, unless a
// write took it meanwhile.
func (s *stream) uncork() {
	// Bounded as the keep-alive bounds a write the server does not
	// take, unless the user turned keep-alives off.
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if s.cfg.KeepAlive >= 0 {
		ctx, cancel = context.WithTimeout(ctx, orDefault(s.cfg.KeepAliveTimeout, defaultKeepAliveTimeout))
	}
	defer cancel()
	if err := s.lock(ctx, s.done); err != nil {
		return // the stream ended, or a write stuck that long ends it
	}
	defer s.unlock()
	if s.finished || s.cork.buf == nil {
		return
	}
	s.record(nil)
	if err := s.writeWatched(ctx, nil, nil, false); err != nil {
		s.abort(err)
	}
}

// flush writes head (the lock holder's own stanza, recorded, and counted
// for stream management; request says it holds an ack request), then
// the queued stanzas, oldest first, up to maxBatch bytes in all, in one
// write bounded by ctx and by the contexts of the senders it carries,
// and tells each of those senders how it went. The caller holds the
// write lock. A queued stanza whose context ended, or that cannot be
// encoded, is left out and its sender told; when the stream has ended,
// every queued sender is told so, and nothing is written.
func (s *stream) flush(ctx context.Context, head []byte, request bool) error {
	if s.finished {
		for r := s.dequeue(); r != nil; r = s.dequeue() {
			r.sm.release(1)
			r.finish(false, ErrNotConnected)
		}
		return ErrNotConnected
	}
	sc, buf := borrowScratch()
	buf = append(buf, head...)
	defer func() { sc.giveBack(buf) }()
	var small [16]*sendReq // most batches: no allocation
	batch := small[:0]
	for len(buf) < maxBatch {
		r := s.dequeue()
		if r == nil {
			break
		}
		if err := r.ctx.Err(); err != nil {
			r.sm.release(1)
			r.finish(false, err)
			continue
		}
		b, err := encodeStanza(sc.enc, r.st)
		if err != nil {
			r.sm.release(1)
			r.finish(false, err)
			continue
		}
		if r.sm != nil {
			var asks bool
			if r.kept, asks, _ = r.sm.sent(r.st); asks {
				b = append(b, smRequest...)
				request = true
			}
		}
		s.record(b)
		buf = append(buf, b...)
		batch = append(batch, r)
	}
	if len(buf) == 0 {
		return nil
	}
	err := s.writeWatched(ctx, batch, buf, request)
	if err != nil {
		// Part of the batch may be on the wire: the stream ends, with
		// the cause its senders' Conn.write would give it.
		cut := ctx.Err() != nil
		for _, r := range batch {
			cut = cut || r.ctx.Err() != nil
		}
		if cut {
			s.abort(fmt.Errorf("xmpp: a write was cut short when its context ended: %w", err))
		} else {
			s.abort(err)
		}
	}
	for _, r := range batch {
		var rerr error
		if err != nil {
			rerr = ctxErr(r.ctx, err)
		}
		r.finish(true, rerr)
	}
	return err
}

// batches holds the buffers of coalesced writes, so that an idle
// connection holds none.
var batches = sync.Pool{New: func() any { return new([]byte) }}

func putBatch(bp *[]byte) {
	if cap(*bp) <= 4*maxBatch { // one huge stanza does not stay pooled
		batches.Put(bp)
	}
}

// seal waits for the write under way, if any, and refuses every later
// one. Once a stream has ended (its socket closed, so that a write in
// progress fails at once), sealing it makes the list of stanzas stream
// management kept final: none can join it from a write still racing the
// end, to be missed by the resumption. What the cork still holds will
// never be written (stream management sends it again, or reports it):
// its buffer goes back to the pool.
func (s *stream) seal() {
	s.wsem <- struct{}{}
	s.finished = true
	if k := s.cork; k != nil && k.buf != nil {
		k.timer.Stop()
		putBatch(k.buf)
		k.buf, k.marks = nil, nil
	}
	<-s.wsem
}

// resend writes stanzas again, as they are, after a resumption: they are
// counted and kept already. They go out together, up to maxBatch bytes a
// write, with an ack request after the last.
func (s *stream) resend(ctx context.Context, sts []stanza.Stanza) error {
	if err := s.lock(ctx, nil); err != nil {
		return err
	}
	defer s.unlock()
	if s.finished {
		return ErrNotConnected
	}
	sc, buf := borrowScratch()
	defer func() { sc.giveBack(buf) }()
	for _, st := range sts {
		b, err := encodeStanza(sc.enc, st)
		if err != nil {
			return err
		}
		if len(buf) > 0 && len(buf)+len(b) > maxBatch {
			if err := s.writeWatched(ctx, nil, buf, false); err != nil {
				return err
			}
			buf = buf[:0]
		}
		s.record(b)
		buf = append(buf, b...)
	}
	if s.sess != nil {
		s.sess.sm.requested(true)
	}
	s.record(smRequestBytes)
	buf = append(buf, smRequest...)
	return s.writeWatched(ctx, nil, buf, true)
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
