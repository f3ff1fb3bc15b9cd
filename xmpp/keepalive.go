package xmpp

import (
	"context"
	"errors"
	"sync"
	"time"
)

// clockStart is the origin of clock.
var clockStart = time.Now()

// clock reads a monotonic clock, never 0 (0 stands for "not set"): the
// one time base of a stream's watchdog, its ack requests and what its
// reader last heard.
func clock() time.Duration { return time.Since(clockStart) | 1 }

// watchdog notices a silent server. The reader notes when it last
// received anything; after KeepAlive of silence the watchdog probes (an
// ack request with stream management, a ping without), and when nothing
// at all arrives within KeepAliveTimeout after the probe the stream is
// dead. With stream management it is dead too when any ack request goes
// unanswered for KeepAliveTimeout, even while other data arrives: a server
// that keeps the stream open but no longer reads what the client sends
// is no better than a silent one. A dead stream is ended with ErrNoReply,
// and recovered as after any network failure. It is one timer per stream
// and no goroutine between checks.
type watchdog struct {
	c       *Conn
	s       *stream
	idle    time.Duration
	timeout time.Duration
	// mu guards the fields below. It is taken alone or under the write
	// lock (expectAnswer), takes no other lock, and check lets go of it
	// before it aborts or probes.
	mu       sync.Mutex
	t        *time.Timer
	due      time.Duration // when t fires, as clock() reads
	probedAt time.Duration // when the unanswered probe went out; 0 when none
	stopped  bool
}

func (c *Conn) startWatchdog(s *stream) {
	idle := orDefault(c.cfg.KeepAlive, defaultKeepAlive)
	if idle < 0 {
		return
	}
	w := &watchdog{c: c, s: s, idle: idle, timeout: orDefault(c.cfg.KeepAliveTimeout, defaultKeepAliveTimeout)}
	w.mu.Lock()
	w.t = time.AfterFunc(idle, w.check)
	w.due = clock() + idle
	w.mu.Unlock()
	s.watchdog.Store(w)
	if s.asked.Load() != 0 {
		w.expectAnswer() // asked before the watchdog was there
	}
}

func (w *watchdog) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.t.Stop()
	w.mu.Unlock()
}

// expectAnswer makes sure a check comes within KeepAliveTimeout: an ack
// request has just gone out.
func (w *watchdog) expectAnswer() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped && w.due-clock() > w.timeout {
		w.resetLocked(w.timeout)
	}
}

func (w *watchdog) resetLocked(d time.Duration) {
	w.t.Reset(d)
	w.due = clock() + d
}

func (w *watchdog) check() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	now, heard := clock(), w.s.lastHeard()
	var unanswered time.Duration // how long the oldest ack request has waited
	if asked := time.Duration(w.s.asked.Load()); asked != 0 {
		unanswered = now - asked
	}
	if w.probedAt != 0 && heard >= w.probedAt {
		w.probedAt = 0
	}
	if w.probedAt != 0 || unanswered >= w.timeout {
		w.stopped = true
		w.mu.Unlock()
		w.c.cfg.logDebug("no answer to the keep-alive probe or ack request: the stream is dead", "timeout", w.timeout)
		w.s.abort(ErrNoReply)
		return
	}
	next := w.idle - (now - heard)
	if unanswered > 0 {
		next = min(next, w.timeout-unanswered)
	}
	if next > 0 {
		w.resetLocked(next)
		w.mu.Unlock()
		return
	}
	w.probedAt = now
	w.resetLocked(w.timeout)
	w.mu.Unlock()
	w.probe()
}

// probe asks the server for any answer.
func (w *watchdog) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	s := w.s
	probe := "<iq type='get' id='keepalive-" + w.c.newID() + "'><ping xmlns='urn:xmpp:ping'/></iq>"
	if s.sess.sm.active() {
		probe = smRequest
	}
	if err := s.writeRaw(ctx, probe); err != nil && !errors.Is(err, ErrNotConnected) {
		s.abort(err)
	}
}
