package xmpp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
)

// Reconnect configures automatic reconnection (Smack's
// ReconnectionManager). The zero value reconnects with ExponentialBackoff
// (one second doubling to two minutes, with jitter) for as long as it
// takes. A stream the server ends on purpose is not reconnected
// (conflict: another client took the resource; not-authorized, a
// policy violation...), with one exception: a conflict that ends a
// resumed stream within a minute of an attempt that failed while the
// session waited to be resumed. A server slower than Timeout may resume
// the session on the connection the client gave up on, and then end the
// next attempt's stream with a conflict; that one is retried, once for
// each failed attempt.
type Reconnect struct {
	// Disabled turns automatic reconnection off: a lost stream stays
	// lost until the user calls Connect (which resumes the session when
	// it can).
	Disabled bool
	// Policy says how long to wait before each attempt; nil means
	// ExponentialBackoff(time.Second, 2*time.Minute).
	Policy ReconnectPolicy
	// MaxAttempts, when positive, is how many attempts are made before
	// reconnection gives up.
	MaxAttempts int
	// Timeout bounds each attempt (finding the server, TLS, login and
	// resumption); zero means 30 seconds.
	Timeout time.Duration
}

// ReconnectPolicy returns how long to wait before the given attempt
// (1 for the first after the stream was lost). Smack's ReconnectionPolicy.
type ReconnectPolicy func(attempt int) time.Duration

// FixedDelay waits d before every attempt (Smack's FIXED_DELAY).
func FixedDelay(d time.Duration) ReconnectPolicy {
	return func(int) time.Duration { return d }
}

// ExponentialBackoff waits a random time between base and twice base
// before the first attempt, doubling the range each time up to max (Smack's
// RANDOM_INCREASING_DELAY, with the jitter that keeps many clients of a
// restarted server from coming back at the same instant).
func ExponentialBackoff(base, max time.Duration) ReconnectPolicy {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		return d/2 + rand.N(d/2+1) + base/2
	}
}

const defaultReconnectTimeout = 30 * time.Second

func defaultPolicy() ReconnectPolicy { return ExponentialBackoff(time.Second, 2*time.Minute) }

// ReconnectEvent is what reconnection listeners receive: once when an
// attempt is scheduled (Wait set), and once with its outcome.
type ReconnectEvent struct {
	// Attempt counts the attempts since the stream was lost, from 1.
	Attempt int
	// Wait, when the attempt is scheduled, is how long until it starts.
	Wait time.Duration
	// Done is set on the outcome of an attempt.
	Done bool
	// Err is why the attempt failed; nil when it succeeded.
	Err error
	// Resumed says the attempt resumed the session (stream management):
	// nothing was lost. A successful attempt without it started a new
	// session (StateAuthenticated).
	Resumed bool
	// GaveUp says reconnection stopped for good after this attempt: the
	// error is one not to retry (the server refused the login, another
	// client took the resource...) or MaxAttempts was reached.
	GaveUp bool
}

// OnReconnect registers f to hear about automatic reconnection (Smack's
// ReconnectionListener). f runs on the dispatcher, in order with the
// state changes. The returned func removes it; it is safe to call more
// than once. A nil f panics.
func (c *Conn) OnReconnect(f func(ReconnectEvent)) (remove func()) {
	mustListen("OnReconnect", f == nil)
	return c.reg.reconnect.Add(f)
}

// reconnector is one run of automatic reconnection.
type reconnector struct {
	gen    generation      // Conn.gen when it started
	ctx    context.Context // ends when Close stops it
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
}

func newReconnector(gen generation) *reconnector {
	ctx, cancel := context.WithCancel(context.Background())
	return &reconnector{gen: gen, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// reconnect tries again and again, as the policy says, until a stream is
// up, Close stops it, or the error is one not to retry.
func (c *Conn) reconnect(r *reconnector) {
	defer close(r.done)
	policy := c.cfg.Reconnect.Policy
	if policy == nil {
		policy = defaultPolicy()
	}
	timeout := orDefault(c.cfg.Reconnect.Timeout, defaultReconnectTimeout)
	for attempt := 1; ; attempt++ {
		wait := max(policy(attempt), 0)
		c.reconnectEvent(ReconnectEvent{Attempt: attempt, Wait: wait})
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return
		}
		ctx, cancel := context.WithTimeout(r.ctx, timeout)
		resumed, err := c.connect(ctx, r, r.gen)
		cancel()
		if r.ctx.Err() != nil {
			return // Close took over
		}
		if err == nil {
			c.reconnectEvent(ReconnectEvent{Attempt: attempt, Done: true, Resumed: resumed})
			return
		}
		c.cfg.logDebug("reconnection failed", "attempt", attempt, "error", err)
		if sess := c.session(); sess != nil && sess.sm.resumable() {
			sess.abandoned.Store(int64(clock()))
		}
		final := !retryable(err) || (c.cfg.Reconnect.MaxAttempts > 0 && attempt >= c.cfg.Reconnect.MaxAttempts)
		c.reconnectEvent(ReconnectEvent{Attempt: attempt, Done: true, Err: err, GaveUp: final})
		if final {
			c.giveUp(r, err)
			return
		}
	}
}

// retryable reports whether a stream that ended with err, or a login that
// failed with it, is worth trying again: network trouble and server
// restarts are; the server ending the session on purpose (another client
// took the resource, the password changed, a policy was broken) and
// configuration mistakes are not.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var se *stanza.StreamError
	if errors.As(err, &se) {
		switch se.Condition {
		case stanza.StreamConflict, stanza.StreamNotAuthorized, stanza.StreamPolicyViolation,
			stanza.HostUnknown, stanza.ImproperAddressing, stanza.InvalidFrom, stanza.InvalidNamespace,
			stanza.BadNamespacePrefix, stanza.UnsupportedEncoding, stanza.UnsupportedVersion:
			return false
		}
		return true
	}
	var sf *sasl.Failure
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	switch {
	case errors.As(err, &sf), errors.As(err, &ce), errors.As(err, &ue), errors.As(err, &he),
		errors.Is(err, ErrTLSNotOffered), errors.Is(err, ErrTLSRequiredByServer),
		errors.Is(err, ErrNoSASL), errors.Is(err, ErrNoBind), errors.Is(err, sasl.ErrNoMechanism),
		errors.Is(err, sasl.ErrPlainWithoutTLS), errors.Is(err, sasl.ErrServerSignature), errors.Is(err, sasl.ErrDowngrade),
		errors.Is(err, ErrWrongAccount), errors.Is(err, ErrTaskRequired):
		return false
	}
	return true
}
