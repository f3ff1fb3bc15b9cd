package xmpp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// NSStreamManagement is the namespace of stream management (XEP-0198,
// version 3).
const NSStreamManagement = "urn:xmpp:sm:3"

// Stream management's elements, as written.
const (
	smRequest = "<r xmlns='urn:xmpp:sm:3'/>"
)

var smRequestBytes = []byte(smRequest)

var (
	smEnabledName = xmlstream.Name{Space: NSStreamManagement, Local: "enabled"}
	smFailedName  = xmlstream.Name{Space: NSStreamManagement, Local: "failed"}
	smResumedName = xmlstream.Name{Space: NSStreamManagement, Local: "resumed"}
	smAckName     = xmlstream.Name{Space: NSStreamManagement, Local: "a"}
	smRequestName = xmlstream.Name{Space: NSStreamManagement, Local: "r"}
)

// smState is stream management for one XMPP session: it outlives the
// streams that resume it. Outgoing stanzas are counted and kept, under the
// write lock, from the moment <enable/> or <resume/> is written; incoming
// ones are counted by the reader from the start of a stream whose
// <enabled/> or <resumed/> negotiation read. Counters are
// uint32, as the XEP's h is: they wrap at 2^32 and all arithmetic on them
// is modular.
type smState struct {
	requestEvery int
	requestAfter time.Duration
	maxUnacked   int
	// request asks the server for an ack on whatever stream is in use.
	request func()

	in atomic.Uint32 // stanzas received since <enabled/> (handled)

	// mu guards the fields below. It is taken under Conn.mu (Conn.end)
	// and under the write lock (sent), and takes no other lock: request
	// is called once it is let go, or from a timer.
	mu  sync.Mutex
	off bool // the server refused to enable it
	// unanswered counts the resumptions in a row whose attempt ran out
	// of time waiting for the server's answer; at maxUnanswered the
	// session is no longer resumable (see resumable).
	unanswered uint8
	id         string // from <enabled/>; "" while not resumable
	location   string // where to reconnect to resume, if the server said
	out        uint32 // stanzas written since <enable/>
	acked      uint32 // the last h the server acknowledged
	unacked    []stanza.Stanza
	// held counts the slots taken, at most maxUnacked: one per stanza
	// kept, taken by the sender before it writes and given back by the
	// acknowledgement. A sender that finds none free queues in waiters
	// (a one-slot channel each, made only then: an idle connection's
	// memory counts). Once senders wait, slots given back go to them
	// only when at least half the window is free, then first to them,
	// in order, one each: a server slower than the senders wakes them
	// once per half window, not once per <a/> (each answering a few
	// stanzas), as a socket's low-water mark does.
	held    int
	waiters []chan struct{}
	// waits counts the senders that had to wait for a slot (tests).
	waits int
	// asking says an ack request (<r/>) is written or about to be, and
	// not all of those written have been answered: a sender waiting for
	// room, or a window past its half, needs no other.
	asking bool
	// requests counts the <r/> written on this stream and not answered
	// yet (an <a/> answers one, in order).
	requests    int
	unrequested int         // written since the last <r/>
	timer       *time.Timer // RequestAfter, armed while unrequested > 0
	// unread adds up the lifetimes of the resumed streams that ended
	// with no <a/> since the last one: how long the server has gone
	// without showing it reads what the session sends (see Conn.end).
	unread time.Duration
}

// minCorkWindow is the smallest MaxUnacked with which stanzas are
// corked: in a smaller window an eighth is a stanza or two, which says
// nothing of the server being behind.
const minCorkWindow = 16

// maxCorkBehind caps how many stanzas must wait for acknowledgement
// before the server counts as behind (see sent): an eighth of the
// window, but never more than this, so that a large window does not
// put the cork off until thousands are in flight.
const maxCorkBehind = 128

func newSMState(cfg *StreamManagement) *smState {
	return &smState{
		requestEvery: orDefault(cfg.RequestEvery, defaultRequestEvery),
		requestAfter: orDefault(cfg.RequestAfter, defaultRequestAfter),
		maxUnacked:   orDefault(cfg.MaxUnacked, defaultMaxUnacked),
	}
}

// enableElement is what the client writes after bind.
func enableElement(cfg *StreamManagement) string {
	if cfg.NoResume {
		return "<enable xmlns='urn:xmpp:sm:3'/>"
	}
	if cfg.ResumeTimeout > 0 {
		return "<enable xmlns='urn:xmpp:sm:3' resume='true' max='" + strconv.Itoa(int(cfg.ResumeTimeout/time.Second)) + "'/>"
	}
	return "<enable xmlns='urn:xmpp:sm:3' resume='true'/>"
}

// resumeElement asks the server to resume the session.
func (sm *smState) resumeElement() string {
	sm.mu.Lock()
	id := sm.id
	sm.mu.Unlock()
	var b strings.Builder
	b.WriteString("<resume xmlns='urn:xmpp:sm:3' h='")
	b.WriteString(strconv.FormatUint(uint64(sm.in.Load()), 10))
	b.WriteString("' previd='")
	writeAttr(&b, id)
	b.WriteString("'/>")
	return b.String()
}

func ackElement(h uint32) string { return string(appendAck(nil, h)) }

// appendAck appends <a h/> to b.
func appendAck(b []byte, h uint32) []byte {
	b = append(b, "<a xmlns='urn:xmpp:sm:3' h='"...)
	b = strconv.AppendUint(b, uint64(h), 10)
	return append(b, "'/>"...)
}

// active reports whether sent stanzas are kept for acknowledgement.
func (sm *smState) active() bool {
	if sm == nil {
		return false
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return !sm.off
}

// resumable reports whether the server agreed to resume this session,
// and has not left maxUnanswered resumptions of it in a row unanswered.
func (sm *smState) resumable() bool {
	if sm == nil {
		return false
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return !sm.off && sm.id != "" && sm.unanswered < maxUnanswered
}

// maxUnanswered is how many resumptions in a row may go unanswered (each
// attempt timed out waiting for <resumed/> or <failed/>) before the
// session is given up and the next attempt starts a new one, sending
// again what was not acknowledged. Prosody 0.12 never answers <resume/>
// over BOSH (its mod_smacks fails on the BOSH session); without this,
// reconnection would wait out every attempt on it for ever.
const maxUnanswered = 2

// resumeAnswered notes whether the server answered a resumption of the
// session (answered), or the attempt ran out of time waiting.
func (sm *smState) resumeAnswered(answered bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if answered {
		sm.unanswered = 0
	} else if sm.unanswered < maxUnanswered {
		sm.unanswered++
	}
}

// acquire takes a slot for one more stanza. When none is free it asks
// the server for acks, unless a request is out already, and waits for a
// slot to be handed over. It gives up when ctx ends or gone closes.
func (sm *smState) acquire(ctx context.Context, gone <-chan struct{}) error {
	sm.mu.Lock()
	if sm.held < sm.maxUnacked && len(sm.waiters) == 0 {
		sm.held++
		sm.mu.Unlock()
		return nil
	}
	slot := make(chan struct{}, 1)
	sm.waiters = append(sm.waiters, slot)
	sm.waits++
	ask := !sm.asking
	sm.asking = true
	sm.mu.Unlock()
	if ask {
		sm.request()
	}
	var err error
	select {
	case <-slot:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-gone:
		err = errStreamGone
	}
	sm.mu.Lock()
	if i := slices.Index(sm.waiters, slot); i >= 0 {
		sm.waiters = slices.Delete(sm.waiters, i, i+1)
		sm.mu.Unlock()
		return err
	}
	// The slot was handed over as this gave up: it goes to the next.
	sm.releaseLocked(1)
	sm.mu.Unlock()
	return err
}

// tryAcquire takes up to n free slots without waiting, none while a
// sender waits for one, and returns how many it took.
func (sm *smState) tryAcquire(n int) int {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if len(sm.waiters) > 0 {
		return 0
	}
	n = min(n, sm.maxUnacked-sm.held)
	if n < 0 {
		n = 0
	}
	sm.held += n
	return n
}

// release gives back n slots.
func (sm *smState) release(n int) {
	if sm == nil {
		return
	}
	sm.mu.Lock()
	sm.releaseLocked(n)
	sm.mu.Unlock()
}

// releaseLocked is release for a caller that holds sm.mu: the slots go
// to the waiting senders first, one each, oldest first.
func (sm *smState) releaseLocked(n int) {
	sm.held -= n
	if len(sm.waiters) > 0 && sm.held > sm.maxUnacked/2 {
		return // the low-water mark: see held
	}
	for sm.held < sm.maxUnacked && len(sm.waiters) > 0 {
		sm.held++
		sm.waiters[0] <- struct{}{}
		sm.waiters[0] = nil
		sm.waiters = sm.waiters[1:]
	}
	if len(sm.waiters) == 0 {
		sm.waiters = nil
	}
}

// sent keeps st, which the caller (holding the write lock and a slot) is
// about to write. It reports whether an ack request should follow it:
// every RequestEvery stanzas, and as soon as more than half the window
// waits for an ack, in both cases while no request is out. One due
// while one is out goes once that one is answered (see ack): a server
// slower than the sender then gets one <r/> per answer it gives, not
// one per RequestEvery stanzas, each to be read back as an <a/>.
// When stream management was turned off meanwhile, st is not kept and its
// slot is given back; kept reports which. behind reports that, st
// included, more than an eighth of a window of minCorkWindow or more
// (maxCorkBehind at most) waits for acknowledgement: the server is
// behind the sender (see stream.corkLocked).
func (sm *smState) sent(st stanza.Stanza) (kept, request, behind bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.off {
		sm.releaseLocked(1)
		return false, false, false
	}
	sm.unacked = append(sm.unacked, st)
	sm.out++
	sm.unrequested++
	behind = sm.maxUnacked >= minCorkWindow && len(sm.unacked) > min(sm.maxUnacked/8, maxCorkBehind)
	// Past half the window, an ack is asked for at once (if none is out),
	// so that it comes back before a sender finds the window full.
	if !sm.asking && (sm.unrequested >= sm.requestEvery || len(sm.unacked) > sm.maxUnacked/2) {
		sm.unrequested = 0
		sm.asking = true
		sm.requests++
		if sm.timer != nil {
			sm.timer.Stop()
		}
		return true, true, behind
	}
	if sm.timer == nil {
		sm.timer = time.AfterFunc(sm.requestAfter, sm.request)
	} else if sm.unrequested == 1 {
		sm.timer.Reset(sm.requestAfter)
	}
	return true, false, behind
}

// requested notes that an <r/> is about to go out. fresh says it is the
// first on a stream that resumed the session: those written on the
// streams before will never be answered.
func (sm *smState) requested(fresh bool) {
	sm.mu.Lock()
	if fresh {
		sm.requests = 0
	}
	sm.requests++
	sm.unrequested = 0
	sm.asking = true
	if sm.timer != nil {
		sm.timer.Stop()
	}
	sm.mu.Unlock()
}

// ack takes the server's h: the stanzas it covers leave the queue and are
// returned. An h that acknowledges more than was sent is an error (the
// XEP's undefined-condition, "handled-count-too-high").
func (sm *smState) ack(h uint32) ([]stanza.Stanza, error) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.requests > 0 {
		sm.requests--
	}
	sm.asking = sm.requests > 0
	n := h - sm.acked // modular: right across the wrap
	if n > uint32(len(sm.unacked)) {
		return nil, fmt.Errorf("%w: the server acknowledged %d stanzas, %d were sent", errSMViolation, h, sm.out)
	}
	done := sm.unacked[:n:n]
	sm.unacked = sm.unacked[n:]
	if len(sm.unacked) == 0 {
		sm.unacked = nil // let the backing array go
		// Nothing is left to ask about: no request is due, and an idle
		// session keeps no timer.
		sm.unrequested = 0
		if sm.timer != nil {
			sm.timer.Stop()
			sm.timer = nil
		}
	}
	sm.acked = h
	sm.releaseLocked(int(n))
	due := len(sm.waiters) > 0 || sm.unrequested >= sm.requestEvery
	if due && len(sm.unacked) > 0 && sm.requests == 0 {
		// The server had not handled everything when it answered its
		// last request, and senders still wait for room (no stanza
		// will go out to carry another request), or a request came due
		// while this one was out. Ask again, off the reader (a write
		// may block). While requests are out, their
		// answers will come: asking on every <a/> would keep one <r/>
		// and one <a/> per answer in flight for as long as the window
		// stays full.
		sm.asking = true
		if sm.timer == nil {
			sm.timer = time.AfterFunc(0, sm.request)
		} else {
			sm.timer.Reset(0)
		}
	}
	return done, nil
}

// answered notes an <a/> on a stream: the server reads what the session
// sends. (The h of <resumed/> says nothing of the stream it came on.)
func (sm *smState) answered() {
	sm.mu.Lock()
	sm.unread = 0
	sm.mu.Unlock()
}

// unreadFor adds d, the life of a resumed stream that carried no <a/>, to
// the time the server has not answered, and returns the total.
func (sm *smState) unreadFor(d time.Duration) time.Duration {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.unread += d
	return sm.unread
}

// pending returns the stanzas not acknowledged yet, oldest first, keeping
// them: after a resume they are written again.
func (sm *smState) pending() []stanza.Stanza {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return append([]stanza.Stanza(nil), sm.unacked...)
}

// stop ends stream management for good (the server refused it, or the
// session is over) and returns what was never acknowledged.
func (sm *smState) stop() []stanza.Stanza {
	if sm == nil {
		return nil
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.off = true
	if sm.timer != nil {
		sm.timer.Stop()
	}
	left := sm.unacked
	sm.unacked = nil
	sm.releaseLocked(len(left))
	return left
}

// enabled takes the server's <enabled/>: from now on received stanzas are
// counted, and an id means the session can be resumed.
func (sm *smState) enabled(el *xmlstream.Element) {
	t := &el.Tokens[0]
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if r := attr(el, t, "resume"); r == "true" || r == "1" {
		sm.id = strings.Clone(attr(el, t, "id"))
		sm.location = strings.Clone(attr(el, t, "location"))
	}
}

// parseH reads the h attribute of <a/>, <resumed/> or <failed/>.
func parseH(el *xmlstream.Element) (h uint32, ok bool, err error) {
	v := attr(el, &el.Tokens[0], "h")
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, false, fmt.Errorf("%w: bad h %q", errSMViolation, v)
	}
	return uint32(n), true, nil
}

// OnAcked registers f to hear of every stanza the server acknowledged
// (Smack's addStanzaAcknowledgedListener; compare the stanza's id for
// its addStanzaIdAcknowledgedListener). Only streams with stream
// management acknowledge anything. f runs on the dispatcher, like the
// listeners, in the order the acknowledgements arrived. It gets the
// stanza that was given to Send, not a copy, shared with the other
// OnAcked listeners and the sender: read it, do not change it. The returned func
// removes it; it is safe to call more than once. A nil f panics.
func (c *Conn) OnAcked(f func(stanza.Stanza)) (remove func()) {
	mustListen("OnAcked", f == nil)
	return c.reg.acked.Add(f)
}

// OnUnacked registers f to hear of the stanzas Send accepted that the
// server may not have received and that will not be sent again: when a
// session ends with stanzas sent but not acknowledged (its stream was
// lost and could not be resumed) and no new session follows, or they are
// IQs (a new session sends messages and directed presence again, unless
// StreamManagement.NoResend), and when stanzas queued while the
// connection was down can no longer be sent (Close, or reconnection gave
// up). err says why. Nothing Send accepted is dropped without passing
// here or being acknowledged (OnAcked) — except
// on a stream without stream management, where a written stanza counts as
// delivered. f runs on the dispatcher, before the StateClosed it comes
// with. The returned func removes it; it is safe to call more than once.
// A nil f panics.
func (c *Conn) OnUnacked(f func(Unacked)) (remove func()) {
	mustListen("OnUnacked", f == nil)
	return c.reg.unacked.Add(f)
}

// Unacked is what an OnUnacked listener hears: stanzas Send accepted
// that the server may not have received and that will not be sent again.
type Unacked struct {
	// Stanzas are the stanzas, in the order they were sent: those given
	// to Send, not copies. The connection keeps none of them; every
	// OnUnacked listener gets the same slice, so read it, and Clone a
	// stanza before changing it (to send it again, say).
	Stanzas []stanza.Stanza
	// Err says why they will not be sent again.
	Err error
}
