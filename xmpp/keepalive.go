package xmpp

import (
	"context"
	"errors"
	"sync"
	"time"
)

// watchdog notices a silent server. The reader notes when it last
// received anything; after KeepAlive of silence the watchdog probes (an
// ack request with stream management, a ping without), and when nothing
// at all arrives within KeepAliveTimeout after the probe the stream is
// dead: it is ended with ErrNoReply, and recovered as after any network
// failure. It is one timer per stream and no goroutine between checks.
type watchdog struct {
	c        *Conn
	s        *session
	idle     time.Duration
	timeout  time.Duration
	mu       sync.Mutex
	t        *time.Timer
	probedAt time.Duration // when the unanswered probe went out; 0 when none
	stopped  bool
}

func (c *Conn) startWatchdog(s *session) {
	idle := orDefault(c.cfg.KeepAlive, defaultKeepAlive)
	if idle < 0 {
		return
	}
	w := &watchdog{c: c, s: s, idle: idle, timeout: orDefault(c.cfg.KeepAliveTimeout, defaultKeepAliveTimeout)}
	w.mu.Lock()
	w.t = time.AfterFunc(idle, w.check)
	w.mu.Unlock()
	s.watchdog = w
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

func (w *watchdog) check() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	now, heard := w.s.sinceBorn(), w.s.lastHeard()
	if w.probedAt > 0 {
		if heard < w.probedAt {
			w.stopped = true
			w.mu.Unlock()
			w.c.cfg.logDebug("no answer to the keep-alive probe: the stream is dead", "timeout", w.timeout)
			w.s.abort(ErrNoReply)
			return
		}
		w.probedAt = 0
	}
	if silent := now - heard; silent < w.idle {
		w.t.Reset(w.idle - silent)
		w.mu.Unlock()
		return
	}
	w.probedAt = now
	w.t.Reset(w.timeout)
	w.mu.Unlock()
	w.probe()
}

// probe asks the server for any answer.
func (w *watchdog) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	s := w.s
	x := "<iq type='get' id='keepalive-" + w.c.newID() + "'><ping xmlns='urn:xmpp:ping'/></iq>"
	if s.x.sm.active() {
		x = smRequest
	}
	if err := s.writeRaw(ctx, x); err != nil && !errors.Is(err, ErrNotConnected) {
		s.abort(err)
	}
}
