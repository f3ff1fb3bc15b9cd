package xmpp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
)

// negotiate connects and logs in: the whole of Connect but starting the
// reader. With sess, a suspended session, it tries to resume sess first:
// resumeErr nil means it did; otherwise resumeErr says why not and s
// carries a new session.
func (c *Conn) negotiate(ctx context.Context, sess *session) (s *stream, resumeErr error, err error) {
	var first []target
	if sess != nil && sess.sm != nil {
		sess.sm.mu.Lock()
		if t, ok := c.cfg.otherHost(sess.sm.location); ok {
			first = []target{t} // XEP-0198: resume there
		}
		sess.sm.mu.Unlock()
	}
	resumeErr = errors.New("no session to resume")
	var pre *pipelinedAuth // the SASL exchange begun with the stream header, if any
	lead := func(s *stream, earlier Features) string {
		pre = c.pipelineAuth(s, earlier, sess)
		if pre == nil {
			return ""
		}
		return pre.out
	}
	login := func(ctx context.Context, s *stream, f Features) error {
		var err error
		resumeErr, err = c.login(ctx, s, f, sess, pre)
		return err
	}
	s, err = c.open(ctx, first, lead, login)
	if errors.Is(err, errRetry) {
		// SASL2 refused a FAST token (dropped now) or a request written
		// ahead: once more, on a new connection (sasl2.go).
		c.cfg.logDebug("logging in again", "why", err)
		c.forgetSASL2()
		s, err = c.open(ctx, first, lead, login)
	}
	return s, resumeErr, err
}

// open finds the server, connects, opens the stream and secures it as the
// configuration requires, then runs then (login, or account
// registration) on the stream. lead, when not nil, says what to write
// together with the header of the stream then runs on (see openConn). A
// see-other-host stream error on the way is followed once (RFC 6120
// section 4.9.3.19). ctx bounds all of it.
func (c *Conn) open(ctx context.Context, first []target, lead func(*stream, Features) string, then func(context.Context, *stream, Features) error) (*stream, error) {
	targets, err := c.cfg.resolve(ctx)
	if err != nil && len(first) == 0 {
		return nil, fmt.Errorf("xmpp: finding the server for %s: %w", c.cfg.JID.Domainpart(), err)
	}
	targets = append(first, targets...)
	redirected := false
	for {
		s, err := c.openTargets(ctx, targets, lead, then)
		var se *stanza.StreamError
		if err != nil && !redirected && errors.As(err, &se) && se.Condition == stanza.SeeOtherHost && se.OtherHost != "" {
			redirected = true
			c.cfg.logDebug("following see-other-host", "host", se.OtherHost)
			if t, ok := c.cfg.otherHost(se.OtherHost); ok {
				targets = []target{t}
				continue
			}
		}
		return s, err
	}
}

// otherHostAddr adds the default port to a see-other-host address that
// has none.
func otherHostAddr(h string) string {
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	return net.JoinHostPort(strings.Trim(h, "[]"), defaultPort)
}

// openTargets tries the targets in order until one accepts a connection
// and answers with a stream header; what happens on the stream after
// that is final.
func (c *Conn) openTargets(ctx context.Context, targets []target, lead func(*stream, Features) string, then func(context.Context, *stream, Features) error) (*stream, error) {
	var errs []error
	for _, t := range targets {
		conn, err := c.cfg.dial(ctx, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t, ctxErr(ctx, err)))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		s, err := c.openConn(ctx, conn, lead, then)
		var ns *noStreamError
		if errors.As(err, &ns) {
			conn.Close()
			errs = append(errs, fmt.Errorf("%s: %w", t, ns.err))
			continue
		}
		if err != nil {
			conn.Close()
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("xmpp: connecting to %s: %w", c.cfg.JID.Domainpart(), errors.Join(errs...))
}

// startTLSRequest asks the server to start TLS.
const startTLSRequest = "<starttls xmlns='" + nsTLS + "'/>"

// openConn negotiates on conn: stream, TLS, then then.
//
// It pipelines where every server accepts it: with TLS required, the
// STARTTLS request goes with the first stream header, since a server
// that does not offer STARTTLS is refused anyway. The header of the
// stream then runs on (after TLS, or the first one on direct TLS or
// without TLS) carries what lead returns for it, given the features of
// the stream before (zero when there was none).
func (c *Conn) openConn(ctx context.Context, conn net.Conn, lead func(*stream, Features) string, then func(context.Context, *stream, Features) error) (*stream, error) {
	s := newStream(&c.cfg, conn, c.cfg.JID.Domain(), newRecorder(&c.cfg))
	stop := watch(ctx, s.raw)
	defer stop()
	if lead == nil {
		lead = func(*stream, Features) string { return "" }
	}
	var after string
	pipeTLS := s.tls == nil && c.cfg.Security == TLSRequired
	switch {
	case pipeTLS:
		after = startTLSRequest
	case s.tls != nil || c.cfg.Security == TLSDisabled:
		after = lead(s, Features{}) // SASL runs on this stream
	}
	f, err := s.open(ctx, c.cfg.JID, after)
	if err != nil {
		if s.id == "" && ctx.Err() == nil {
			// No stream header came back: what answered does not speak
			// XMPP there (a BOSH manager's HTTP error, a wrong path).
			return nil, &noStreamError{err}
		}
		return nil, ctxErr(ctx, err)
	}
	if s.tls == nil && !isWebSocket(conn) { // no STARTTLS on a WebSocket
		switch {
		case c.cfg.Security == TLSDisabled:
			if f.startTLSRequired {
				s.closeStream()
				return nil, ErrTLSRequiredByServer
			}
		case f.startTLS:
			if err := c.startTLS(ctx, s, !pipeTLS); err != nil {
				return nil, ctxErr(ctx, err)
			}
			if f, err = s.open(ctx, c.cfg.JID, lead(s, f)); err != nil {
				return nil, ctxErr(ctx, err)
			}
		case c.cfg.Security == TLSRequired:
			s.closeStream()
			return nil, ErrTLSNotOffered
		}
	}
	c.event(StateChange{State: StateConnected})
	if err := then(ctx, s, f); err != nil {
		return nil, ctxErr(ctx, err)
	}
	return s, nil
}

// startTLS upgrades the stream (RFC 6120 section 5.4), sending the
// request unless it went with the stream header.
func (c *Conn) startTLS(ctx context.Context, s *stream, request bool) error {
	if request {
		if err := s.writeRaw(ctx, startTLSRequest); err != nil {
			return fmt.Errorf("xmpp: STARTTLS: %w", err)
		}
	}
	el, err := s.next()
	if err != nil {
		return fmt.Errorf("xmpp: STARTTLS: %w", err)
	}
	if n := el.Tokens[0].Name; n != (xmlstream.Name{Space: nsTLS, Local: "proceed"}) {
		return fmt.Errorf("xmpp: the server refused STARTTLS (<%s/>)", n.Local)
	}
	tc := tls.Client(s.conn, c.cfg.tlsConfig(false))
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("xmpp: TLS handshake: %w", err)
	}
	s.conn, s.tls = tc, tc
	return nil
}

// login authenticates, restarts the stream, and resumes sess when it can.
// Otherwise it binds a resource, establishes the legacy session where the
// server still requires it, and enables stream management when offered.
// pre is the SASL exchange begun with the stream header, if any.
func (c *Conn) login(ctx context.Context, s *stream, f Features, sess *session, pre *pipelinedAuth) (resumeErr, err error) {
	if pre != nil && pre.sasl2 != nil || pre == nil && c.useSASL2(f) {
		var a *sasl2Auth
		if pre != nil {
			a = pre.sasl2
		}
		return c.loginSASL2(ctx, s, f, sess, a) // sasl2.go
	}
	ahead := c.planAhead(s, sess)
	if err := c.authenticate(ctx, s, f, pre, ahead); err != nil {
		return nil, err
	}
	if ahead != nil && ahead.written {
		return c.loginAhead(ctx, s, sess, ahead)
	}
	// What may follow the restart (bind, or resume) depends on the
	// features it brings, unless an earlier login showed what they are
	// (planAhead).
	f, err = s.open(ctx, c.cfg.JID, "")
	if err != nil {
		return nil, err
	}
	c.noteRestart(s, f)
	resumeErr = errors.New("no session to resume")
	if sess != nil {
		if resumeErr, err = c.resume(ctx, s, f, sess, false); err != nil || resumeErr == nil {
			return resumeErr, err
		}
		c.cfg.logDebug("starting a new session", "why", resumeErr)
	}
	return resumeErr, c.bindSession(ctx, s, f, nil)
}

// The restart written ahead. After RFC 6120's SASL the client restarts
// the stream and binds (or resumes); a client that waits for <success/>
// and then for the new features spends two round trips there. A server
// that reads on from where the SASL exchange ended takes the new stream
// header, the bind request and <enable/> (or <resume/>) written with the
// client's last SASL message, and answers them right after <success/>:
// one round trip instead of three. Nothing tells whether a server is one
// of those, and neither of the servers the project tests against is:
// ejabberd 23.01 reads the header as a child of the stream that SASL
// ended and answers nothing; Prosody 0.12 answers all that came in the
// read that brought the SASL response, but hands what comes after to a
// parser that never saw a stream header, so the next stanza ends the
// stream (unsupported-stanza-type, or not-well-formed). So a Conn tries
// only when its last login over TLS showed, after SASL, features that
// fit (bind, and no legacy session), and the first time it writes
// ahead it checks that the stream still works after that read: the bind
// request goes ahead alone, then a ping to the server, in a write of its
// own, with <enable/>. A server that passes is trusted for the Conn's
// life (<enable/> and <resume/> go ahead too); one that answers the
// header or the ping with anything else, or not in time (aheadWait),
// never gets a restart written ahead by this Conn again, and the login
// starts again on a new connection (errRetry).
//
// The client writes this before it reads <success/>, so before it has
// checked SCRAM's server signature there: nothing in it is secret (the
// account's bare JID went in the first header, a resource name or a
// stream-management id gives nothing to one who cannot log in), it only
// goes on a TLS stream whose certificate was verified, and the signature
// is still checked on <success/>, before anything the server sends after
// it is read and before any stanza of the user's goes out.

// restartSeen is what the RFC 6120 logins of a Conn over TLS learned of
// the stream after SASL success, kept in sasl2State under its mu.
type restartSeen struct {
	fits     bool // the last one's features: bind, and no legacy session required
	sm       bool // and stream management
	verified bool // a restart written ahead worked, the stream after it too
	refused  bool // one did not: never again on this Conn
}

// aheadWait is how long a login waits, at least, for the server's answer
// to a restart written ahead once <success/> is in, and for the answer
// to the ping that checks the stream after it; four times as long as
// <success/> took to come when that is longer. A server that takes the
// restart sends its header with <success/> or right after it: it has the
// bytes already.
const aheadWait = time.Second

// restartAhead is a stream restart to write ahead, with what follows the
// header: planned before the SASL exchange, built (build) when it goes
// out.
type restartAhead struct {
	s       *stream
	resume  *session      // the session <resume/> asks for, after the header; nil: a bind request
	sm      bool          // the server offered stream management after SASL
	probe   bool          // not verified yet: the bind request alone, then the ping
	bind    *stanza.IQ    // the bind request, unless resume
	enable  string        // <enable/> after the bind request; "" when none
	written bool          // it went out
	sent    time.Time     // when
	rtt     time.Duration // from then to <success/>
}

// planAhead returns the restart to write ahead on s, after the SASL
// exchange, when the last login of this Conn showed that it fits (see
// restartSeen); nil otherwise.
func (c *Conn) planAhead(s *stream, sess *session) *restartAhead {
	if !c.cfg.RestartAhead || !overTLS(s) {
		return nil
	}
	st := sasl2Of(c)
	st.mu.Lock()
	seen := st.restart
	st.mu.Unlock()
	if !seen.fits || seen.refused {
		return nil
	}
	a := &restartAhead{s: s, sm: seen.sm, probe: !seen.verified}
	if sess != nil && seen.sm && sess.sm.resumable() {
		if a.probe {
			return nil // the check binds: not with a session to resume
		}
		a.resume = sess
	}
	return a
}

// overTLS reports whether s is TLS over TCP, the one transport whose
// restart is a stream header written on the same connection (a
// WebSocket's is an <open/> frame of its own).
func overTLS(s *stream) bool {
	_, ok := s.conn.(*tls.Conn)
	return ok
}

// build returns what a writes: the header of the restart, without the
// XML declaration (a server whose parser goes on from the SASL exchange
// reads it in the middle of the document), then <resume/>, or the bind
// request and <enable/>.
func (c *Conn) build(a *restartAhead) (string, error) {
	out := a.s.header(c.cfg.JID)
	if a.resume != nil {
		return out + a.resume.sm.resumeElement(), nil
	}
	a.bind = bindRequest(c.cfg.resource())
	a.bind.ID = c.newID()
	enc := xmlstream.Encoder{Inherited: stanza.NSClient}
	if err := wire.Encode(&enc, stanza.NSClient, a.bind); err != nil {
		return "", err
	}
	b, err := enc.Bytes()
	if err != nil {
		return "", err
	}
	if sm := &c.cfg.StreamManagement; a.sm && !a.probe && !sm.Disabled {
		a.enable = enableElement(sm)
	}
	return out + string(b) + a.enable, nil
}

// noteRestart keeps what the features after SASL on s say of a restart
// written ahead at the next login.
func (c *Conn) noteRestart(s *stream, f Features) {
	if !overTLS(s) {
		return // planAhead never writes one
	}
	st := sasl2Of(c)
	st.mu.Lock()
	st.restart.fits = f.bind && !(f.session && !f.sessionOptional)
	st.restart.sm = f.Has(NSStreamManagement, "sm")
	st.mu.Unlock()
}

// awaitAhead runs read, which reads the server's answer to what was
// written ahead, with a read deadline of aheadWait (or four times rtt).
// When read fails, but not for ctx, the server did not take it: the
// Conn never writes a restart ahead again, and the error says to log in
// again on a new connection (errRetry).
func (c *Conn) awaitAhead(ctx context.Context, s *stream, rtt time.Duration, read func() error) error {
	s.raw.SetReadDeadline(time.Now().Add(max(aheadWait, 4*rtt)))
	err := read()
	s.raw.SetReadDeadline(deadline(ctx))
	if err := ctx.Err(); err != nil {
		return err
	}
	if err != nil {
		st := sasl2Of(c)
		st.mu.Lock()
		st.restart.refused, st.restart.verified = true, false
		st.mu.Unlock()
		s.closeStream()
		return fmt.Errorf("%w: the server did not take the stream restart written ahead: %w", errRetry, err)
	}
	return nil
}

// loginAhead finishes a login whose restart a went out with the SASL
// exchange: it reads the server's new header and features, with the
// same reader (the server may have sent them with <success/>), then the
// answers to what followed the header (bindSession checks the stream
// when a is the first). Features that no longer fit (bind gone, a
// legacy session required) make the login start again, the old way.
func (c *Conn) loginAhead(ctx context.Context, s *stream, sess *session, a *restartAhead) (resumeErr, err error) {
	var f Features
	if err := c.awaitAhead(ctx, s, a.rtt, func() (err error) {
		f, err = s.readHeader()
		return err
	}); err != nil {
		return nil, err
	}
	c.noteRestart(s, f)
	if !f.bind || f.session && !f.sessionOptional {
		s.closeStream()
		return nil, fmt.Errorf("%w: the features after SASL no longer fit the restart written ahead", errRetry)
	}
	resumeErr = errors.New("no session to resume")
	if a.resume != nil {
		if resumeErr, err = c.resume(ctx, s, f, sess, true); err != nil || resumeErr == nil {
			return resumeErr, err
		}
		c.cfg.logDebug("starting a new session", "why", resumeErr)
		return resumeErr, c.bindSession(ctx, s, f, nil)
	}
	if sess != nil {
		resumeErr = errors.New("the session could not be resumed on this server")
	}
	return resumeErr, c.bindSession(ctx, s, f, a)
}

// probeAhead checks, after the first restart written ahead, that the
// stream still works: a ping to the server, written alone (after, when
// not empty, right after it), must have its answer, a result or an
// error. Then the Conn trusts the server with restarts written ahead.
func (c *Conn) probeAhead(ctx context.Context, s *stream, rtt time.Duration, after string) error {
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xmlstream.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	iq.To = s.jid.Domain()
	if err := c.awaitAhead(ctx, s, rtt, func() error {
		_, err := c.negotiationIQ(ctx, s, iq, after)
		if _, ok := errors.AsType[*stanza.Error](err); ok {
			return nil // an answer all the same
		}
		return err
	}); err != nil {
		return err
	}
	st := sasl2Of(c)
	st.mu.Lock()
	st.restart.verified = true
	st.mu.Unlock()
	return nil
}

// bindSession binds a resource, establishes the legacy session where the
// server still requires it, and enables stream management when offered.
// ahead, when not nil, is the bind request (and <enable/>) written
// already, with the stream header of the restart (loginAhead).
//
// <enable/> is written right after the bind request, without waiting for
// its result, when nothing can come between them: the server requires
// no legacy session. The server handles them in order, so the stream is
// bound when it reads <enable/>, and both answers come back in one round
// trip. When the bind of a resource the configuration names meets a
// conflict, the server has refused that <enable/> (the stream was not
// bound yet); it goes again with the bind request that lets the server
// choose. Either way <enabled/> is read before the initial presence
// goes out: a session the server made available and resumable must be
// one the client knows how to resume, or what the server routes to it
// meanwhile would wait there, out of reach, if the stream were lost
// before the client read <enabled/>.
func (c *Conn) bindSession(ctx context.Context, s *stream, f Features, ahead *restartAhead) error {
	if !f.bind {
		s.closeStream()
		return ErrNoBind
	}
	sm := &c.cfg.StreamManagement
	enable := !sm.Disabled && f.Has(NSStreamManagement, "sm")
	legacy := f.session && !f.sessionOptional // RFC 6121 dropped it; old servers still want it (RFC 3921bis)
	var after string
	var written *stanza.IQ
	if ahead != nil {
		after, written = ahead.enable, ahead.bind
	} else if enable && !legacy {
		after = enableElement(sm)
	}
	var err error
	if s.jid, err = c.bind(ctx, s, after, written); err != nil {
		return err
	}
	if ahead != nil && ahead.probe {
		if enable {
			after = enableElement(sm)
		}
		if err := c.probeAhead(ctx, s, ahead.rtt, after); err != nil {
			return err
		}
	}
	if legacy {
		iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: xmlstream.Name{Space: nsSession, Local: "session"}}}
		iq.To = s.jid.Domain()
		if _, err := c.negotiationIQ(ctx, s, iq, ""); err != nil {
			return fmt.Errorf("xmpp: session: %w", err)
		}
	}
	s.features = f
	if enable || after != "" {
		// Written ahead even if the server no longer offers it: its
		// answer is then a <failed/>, which enable reads.
		return c.enable(ctx, s, sm, after != "")
	}
	return nil
}

// enable enables stream management (XEP-0198 section 3), writing
// <enable/> unless it went with the bind request, and waits for the
// answer.
func (c *Conn) enable(ctx context.Context, s *stream, cfg *StreamManagement, written bool) error {
	if !written {
		if err := s.writeRaw(ctx, enableElement(cfg)); err != nil {
			return fmt.Errorf("xmpp: enabling stream management: %w", err)
		}
	}
	for {
		el, err := s.next()
		if err != nil {
			return fmt.Errorf("xmpp: enabling stream management: %w", err)
		}
		switch el.Tokens[0].Name {
		case smEnabledName:
			s.sm = newSMState(cfg)
			s.sm.enabled(el)
			return nil
		case smFailedName:
			c.cfg.logDebug("the server refused stream management", "condition", failureCondition(el))
			return nil
		}
		if !wire.IsStanza(el) {
			return fmt.Errorf("%w: <%s/> in answer to <enable/>", ErrUnexpected, el.Tokens[0].Name.Local)
		}
		if err := s.keepEarly(el); err != nil {
			return err
		}
	}
}

// resume asks the server to resume sess (XEP-0198 section 5), writing
// <resume/> unless it went out already (written: SASL2 wrote it after
// its request, and the server answers it whatever it offers). resumeErr
// says why it did not (the stream is still good for a new session); err
// is a failure of the stream itself.
func (c *Conn) resume(ctx context.Context, s *stream, f Features, sess *session, written bool) (resumeErr, err error) {
	switch {
	case written:
	case !sess.sm.resumable():
		return errors.New("the session is not resumable (stream management without resumption, or its last resumptions went unanswered)"), nil
	case !f.Has(NSStreamManagement, "sm"):
		return errors.New("the server no longer offers stream management"), nil
	default:
		if err := s.writeRaw(ctx, sess.sm.resumeElement()); err != nil {
			return nil, fmt.Errorf("xmpp: resuming: %w", err)
		}
	}
	el, err := s.next()
	if err != nil {
		var ne net.Error
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			// The attempt's time ran out (the read's deadline is its
			// deadline) without an answer.
			sess.sm.resumeAnswered(false)
		}
		return nil, fmt.Errorf("xmpp: resuming: %w", err)
	}
	if name := el.Tokens[0].Name; name != smResumedName && name != smFailedName {
		return nil, fmt.Errorf("%w: <%s/> in answer to <resume/>", ErrUnexpected, name.Local)
	}
	return c.resumed(s, sess, el)
}

// smFailure is the server's <failed/> in answer to <resume/>.
type smFailure struct{ condition string }

func (e *smFailure) Error() string {
	if e.condition == "" {
		return "the server refused to resume the session"
	}
	return "the server refused to resume the session: " + e.condition
}

// failureCondition returns the name of the first child of <failed/>.
func failureCondition(el *xmlstream.Element) string {
	for _, t := range el.Tokens[1:] {
		if t.Kind == xmlstream.StartElement {
			return t.Name.Local
		}
	}
	return ""
}

// saslConfig is the sasl.Config for this connection.
func (c *Conn) saslConfig() *sasl.Config {
	var sc sasl.Config
	sc.Username = c.cfg.JID.Localpart()
	c.mu.Lock() // ChangePassword writes it
	sc.Password = c.cfg.Password
	c.mu.Unlock()
	sc.Authzid = c.cfg.Authzid
	sc.Token = c.cfg.Token
	sc.External = c.cfg.TLS != nil && (len(c.cfg.TLS.Certificates) > 0 || c.cfg.TLS.GetClientCertificate != nil)
	sc.Mechanisms = c.cfg.Mechanisms
	sc.AllowPlainWithoutTLS = c.cfg.AllowPlainWithoutTLS
	sc.MinIterations = c.cfg.MinIterations
	sc.MaxIterations = c.cfg.MaxIterations
	sc.Cache = c.cfg.SaltCache
	if c.cfg.Rand != nil {
		sc.Rand = c.cfg.Rand
	}
	return &sc
}

// saslOffer is what a server offered for SASL, as far as choosing a
// mechanism and its first message goes: one bit per mechanism package
// sasl implements (offerMechanisms) and per channel-binding type it
// knows (offerBindings), and one each for another SCRAM -PLUS mechanism
// (it changes SCRAM's GS2 flag) and another binding type (the list is
// not empty). Two offers with the same bits make sasl.Select choose
// alike, whatever their order (Prosody changes it from one stream to the
// next). Sixteen bits: the Conn keeps one in the room its small fields
// leave (TestConnSize). Zero means nothing known.
type saslOffer uint16

var (
	offerMechanisms = sasl.Preferred()
	offerBindings   = []string{sasl.TLSExporter, sasl.TLSUnique, sasl.TLSServerEndPoint}
)

const (
	otherPlus    = "SCRAM-OTHER-PLUS" // stands for the -PLUS mechanisms sasl lacks
	otherBinding = "other"            // stands for the binding types sasl lacks
)

func init() {
	if len(offerMechanisms)+len(offerBindings)+2 > 16 {
		panic("xmpp: saslOffer has too few bits")
	}
}

// offerOf is what f offers.
func offerOf(f Features) saslOffer {
	var o saslOffer
	plus := len(offerMechanisms)
	bind := plus + 1
	for _, m := range f.mechanisms {
		if i := slices.Index(offerMechanisms, m); i >= 0 {
			o |= 1 << i
		} else if strings.HasPrefix(m, "SCRAM-") && strings.HasSuffix(m, "-PLUS") {
			o |= 1 << plus
		}
	}
	for _, b := range f.bindings {
		if i := slices.Index(offerBindings, b); i >= 0 {
			o |= 1 << (bind + i)
		} else {
			o |= 1 << (bind + len(offerBindings))
		}
	}
	if o&(1<<plus-1) == 0 {
		return 0 // no mechanism sasl implements: nothing to choose from
	}
	return o
}

// stream is the offer as sasl.Select reads it.
func (o saslOffer) stream() sasl.Stream {
	var st sasl.Stream
	plus := len(offerMechanisms)
	bind := plus + 1
	for i, m := range offerMechanisms {
		if o&(1<<i) != 0 {
			st.Mechanisms = append(st.Mechanisms, m)
		}
	}
	if o&(1<<plus) != 0 {
		st.Mechanisms = append(st.Mechanisms, otherPlus)
	}
	for i, b := range append(offerBindings[:len(offerBindings):len(offerBindings)], otherBinding) {
		if o&(1<<(bind+i)) != 0 {
			st.Bindings = append(st.Bindings, b)
		}
	}
	return st
}

// pipelinedAuth is a SASL exchange begun with the stream header, before
// the server's features: its <auth/> and the offer it was chosen from.
type pipelinedAuth struct {
	s     *stream // the stream it was written on
	offer saslOffer
	m     sasl.Mechanism
	out   string     // the <auth/>
	sasl2 *sasl2Auth // instead, SASL2's <authenticate/> (sasl2.go)
}

// pipelineAuth begins the SASL exchange for the stream s is about to
// open, when the mechanisms the server offers are known: from the last
// login of this Conn (kept in memory), or else from earlier, the features
// of the stream before TLS. It returns nil when they are not known, or
// no mechanism fits them.
func (c *Conn) pipelineAuth(s *stream, earlier Features, sess *session) *pipelinedAuth {
	if a := c.pipelineSASL2(s, sess); a != nil {
		return &pipelinedAuth{s: s, out: a.out, sasl2: a}
	}
	c.mu.Lock()
	offer := c.offer
	c.mu.Unlock()
	if offer == 0 {
		offer = offerOf(earlier)
	}
	if offer == 0 {
		return nil
	}
	m, err := sasl.Select(c.saslConfig(), c.saslStream(s, offer.stream()))
	if err != nil {
		return nil
	}
	resp, err := m.Step(nil)
	if err != nil {
		return nil // the exchange that follows the features says why
	}
	return &pipelinedAuth{s: s, offer: offer, m: m, out: authElement(m, resp)}
}

// saslStream is st, the server's offer, with what the mechanisms know of
// s.
func (c *Conn) saslStream(s *stream, st sasl.Stream) sasl.Stream {
	if s.tls != nil {
		cs := s.tls.ConnectionState()
		st.TLS = &cs
	}
	return st
}

func authElement(m sasl.Mechanism, resp []byte) string {
	return "<auth xmlns='" + nsSASL + "' mechanism='" + m.Name() + "'>" + encode64(resp) + "</auth>"
}

// authenticate runs SASL (RFC 6120 section 6) and remembers what the
// server offered, for the next login to pipeline its <auth/>. pre is the
// exchange begun with the stream header, if any: it goes on when the
// server's features offer exactly what it was chosen from; otherwise it
// is withdrawn (see withdraw) and a new one starts from the features.
// ahead, when not nil, is written after the client's last SASL message
// (see exchange).
func (c *Conn) authenticate(ctx context.Context, s *stream, f Features, pre *pipelinedAuth, ahead *restartAhead) error {
	if len(f.mechanisms) == 0 {
		s.closeStream()
		return ErrNoSASL
	}
	var err error
	if pre != nil && pre.s == s {
		if pre.offer == offerOf(f) {
			sasl.SetOffer(pre.m, sasl.Stream{Mechanisms: f.mechanisms, Bindings: f.bindings}) // XEP-0474 checks what was received
			err = c.exchange(ctx, s, pre.m, "", ahead)
			c.remember(f, err)
			return err
		}
		c.cfg.logDebug("the server's SASL offer changed; starting again", "mechanism", pre.m.Name())
		done, err := c.withdraw(ctx, s, pre.m)
		if err != nil || done {
			c.remember(f, err)
			return err
		}
	}
	m, err := sasl.Select(c.saslConfig(), c.saslStream(s, sasl.Stream{Mechanisms: f.mechanisms, Bindings: f.bindings}))
	if err != nil {
		s.closeStream()
		return fmt.Errorf("xmpp: authentication: %w", err)
	}
	resp, err := m.Step(nil)
	if err != nil {
		s.closeStream()
		return fmt.Errorf("xmpp: %s: %w", m.Name(), err)
	}
	err = c.exchange(ctx, s, m, authElement(m, resp), ahead)
	c.remember(f, err)
	return err
}

// remember keeps the SASL offer of f after a successful login.
func (c *Conn) remember(f Features, err error) {
	if err != nil {
		return
	}
	c.mu.Lock()
	c.offer = offerOf(f)
	c.mu.Unlock()
}

// withdraw ends a pipelined exchange the server's features no longer
// fit. The server answers the <auth/> it read: a <failure/> (the
// mechanism is no longer offered) ends it; a <challenge/> is answered
// with <abort/> and the server's <failure/>. A <success/> (a mechanism
// without challenges that the server accepted all the same) is checked
// as any success, and done then says the login is authenticated.
func (c *Conn) withdraw(ctx context.Context, s *stream, m sasl.Mechanism) (done bool, err error) {
	for aborted := false; ; {
		el, err := s.next()
		if err != nil {
			return false, fmt.Errorf("xmpp: %s: %w", m.Name(), err)
		}
		name := el.Tokens[0].Name
		switch {
		case name.Space != nsSASL:
		case name.Local == "failure":
			return false, nil
		case name.Local == "challenge" && !aborted:
			if err := s.writeRaw(ctx, "<abort xmlns='"+nsSASL+"'/>"); err != nil {
				return false, fmt.Errorf("xmpp: %s: %w", m.Name(), err)
			}
			aborted = true
			continue
		case name.Local == "success" && !aborted:
			return true, c.succeeded(s, m, el)
		}
		return false, fmt.Errorf("%w: <%s/> during SASL", ErrUnexpected, name.Local)
	}
}

// succeeded checks the server's <success/>: mutual authentication.
func (c *Conn) succeeded(s *stream, m sasl.Mechanism, el *xmlstream.Element) error {
	data, err := decode64(text(el))
	if err == nil {
		err = m.Finish(data)
	}
	if err != nil {
		// The server said yes without proving it knew the
		// password: do not go on with it.
		s.closeStream()
		return fmt.Errorf("xmpp: %s: %w", m.Name(), err)
	}
	return nil
}

// exchange runs the SASL exchange of m: it writes out (the <auth/>;
// empty when it went with the stream header), then answers challenges
// until the server's <success/> or <failure/>. ahead, when not nil, goes
// out with SCRAM's final message (the answer to the first challenge),
// the client's last: the server reads it once it has sent <success/>.
func (c *Conn) exchange(ctx context.Context, s *stream, m sasl.Mechanism, out string, ahead *restartAhead) error {
	challenges := 0
	for {
		if out != "" {
			if err := s.writeRaw(ctx, out); err != nil {
				return fmt.Errorf("xmpp: %s: %w", m.Name(), err)
			}
		}
		el, err := s.next()
		if err != nil {
			return fmt.Errorf("xmpp: %s: %w", m.Name(), err)
		}
		name := el.Tokens[0].Name
		if name.Space != nsSASL {
			return fmt.Errorf("%w: <%s/> during SASL", ErrUnexpected, name.Local)
		}
		switch name.Local {
		case "challenge":
			challenges++
			data, err := decode64(text(el))
			var resp []byte
			if err == nil {
				resp, err = m.Step(data)
			}
			if err != nil {
				return c.abortSASL(s, m, err)
			}
			out = "<response xmlns='" + nsSASL + "'>" + encode64(resp) + "</response>"
			if ahead != nil && !ahead.written && challenges == 1 && strings.HasPrefix(m.Name(), "SCRAM-") {
				if more, err := c.build(ahead); err == nil {
					out += more
					ahead.written, ahead.sent = true, time.Now()
				}
			}
		case "success":
			if ahead != nil && ahead.written {
				ahead.rtt = time.Since(ahead.sent)
			}
			return c.succeeded(s, m, el)
		case "failure":
			s.closeStream()
			return fmt.Errorf("xmpp: %s: %w", m.Name(), parseFailure(el))
		default:
			return fmt.Errorf("%w: <%s/> during SASL", ErrUnexpected, name.Local)
		}
	}
}

// abortSASL ends an exchange the client cannot go on with: <abort/>, then
// the server's <failure/> (RFC 6120 section 6.4.4).
func (c *Conn) abortSASL(s *stream, m sasl.Mechanism, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout())
	defer cancel()
	if s.writeRaw(ctx, "<abort xmlns='"+nsSASL+"'/>") == nil {
		s.raw.SetReadDeadline(deadline(ctx))
		_, _ = s.next()
	}
	s.closeStream()
	return fmt.Errorf("xmpp: %s: %w", m.Name(), cause)
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// parseFailure reads <failure/> (RFC 6120 section 6.5, and XEP-0388's):
// the condition is its first child element in the SASL namespace (or
// SASL2's) other than <text/>, the
// text the character data directly inside its first <text/>. Children in
// other namespaces are extensions, and say nothing of the failure.
func parseFailure(el *xmlstream.Element) *sasl.Failure {
	f := new(sasl.Failure)
	depth := 0
	inText, textSeen := false, false
	var text strings.Builder
	for i := range el.Tokens {
		t := &el.Tokens[i]
		switch t.Kind {
		case xmlstream.StartElement:
			depth++
			if depth != 2 || t.Name.Space != nsSASL && t.Name.Space != nsSASL2 { // SASL2's <text/> is its own
				continue
			}
			switch {
			case t.Name.Local == "text" && !textSeen:
				inText, textSeen = true, true
				f.Lang = attrNS(el, t, xmlstream.NSXML, "lang")
			case t.Name.Local != "text" && f.Condition == "":
				f.Condition = sasl.Condition(t.Name.Local)
			}
		case xmlstream.EndElement:
			if depth == 2 {
				inText = false
			}
			depth--
		case xmlstream.Text:
			if inText && depth == 2 {
				text.WriteString(t.Text)
			}
		}
	}
	f.Text = text.String()
	return f
}

func attrNS(el *xmlstream.Element, t *xmlstream.Token, space, local string) string {
	for _, a := range el.TokenAttrs(t) {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func encode64(b []byte) string {
	if len(b) == 0 {
		return "=" // RFC 6120 section 6.4.2: an empty response
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decode64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "=" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64 from the server", sasl.ErrMalformed)
	}
	return b, nil
}

// bind binds a resource (RFC 6120 section 7): the one configured, or one
// the server chooses. When the server says the configured one is in use,
// it asks the server to choose instead.
//
// after, when not empty (<enable/>), is written right after each
// request, without waiting for its result; a request that fails with a
// conflict has the server's <failed/> answer to it follow. written,
// when not nil, is the first request, written already (with after).
func (c *Conn) bind(ctx context.Context, s *stream, after string, written *stanza.IQ) (jid.JID, error) {
	res := c.cfg.resource()
	for {
		var reply *stanza.IQ
		var err error
		if written != nil {
			reply, err = c.awaitIQ(s, written)
			written = nil
		} else {
			reply, err = c.negotiationIQ(ctx, s, bindRequest(res), after)
		}
		if err != nil {
			if res != "" && errors.Is(err, &stanza.Error{Condition: stanza.Conflict}) {
				if after != "" {
					if err := c.enableRefused(s); err != nil {
						return jid.JID{}, err
					}
				}
				c.cfg.logDebug("resource in use, letting the server choose", "resource", res)
				res = ""
				continue
			}
			return jid.JID{}, fmt.Errorf("xmpp: bind: %w", err)
		}
		j, err := boundJID(reply)
		if err == nil {
			err = c.checkBound(j)
		}
		if err != nil {
			s.closeStream()
			return jid.JID{}, err
		}
		return j, nil
	}
}

// bindRequest asks to bind res, or a resource the server chooses when
// res is empty.
func bindRequest(res string) *stanza.IQ {
	payload := &stanza.Node{Name: xmlstream.Name{Space: nsBind, Local: "bind"}}
	if res != "" {
		payload.Nodes = []stanza.Node{{Name: xmlstream.Name{Space: nsBind, Local: "resource"}, Nodes: []stanza.Node{{Text: res}}}}
	}
	return &stanza.IQ{Type: stanza.Set, Payload: payload}
}

// enableRefused reads the server's answer to an <enable/> written after a
// bind request that failed: a <failed/> (XEP-0198 section 3: no stream
// management before binding).
func (c *Conn) enableRefused(s *stream) error {
	for {
		el, err := s.next()
		if err != nil {
			return fmt.Errorf("xmpp: bind: %w", err)
		}
		switch name := el.Tokens[0].Name; {
		case name == smFailedName:
			return nil
		case !wire.IsStanza(el):
			return fmt.Errorf("%w: <%s/> in answer to <enable/> before binding", ErrUnexpected, name.Local)
		}
		if err := s.keepEarly(el); err != nil {
			return err
		}
	}
}

// boundJID reads the full JID from the server's answer to a bind request.
func boundJID(reply *stanza.IQ) (jid.JID, error) {
	var n *stanza.Node
	if reply.Payload != nil {
		n = reply.Payload.Child(nsBind, "jid")
	}
	if n == nil {
		return jid.JID{}, fmt.Errorf("%w: bind result without a JID", ErrUnexpected)
	}
	j, err := jid.Parse(strings.Clone(strings.TrimSpace(n.InnerText()))) // not a view of the reply
	if err != nil {
		return jid.JID{}, fmt.Errorf("xmpp: bind: the server bound an invalid JID: %w", err)
	}
	if j.Resourcepart() == "" {
		return jid.JID{}, fmt.Errorf("%w: the server bound %s, without a resource", ErrUnexpected, j)
	}
	return j, nil
}

// checkBound checks that the server bound the account that logged in: the
// bare JID of Config.Authzid when set, else Config.JID's. From then on the
// bound JID is the account the connection trusts the server to speak for
// (see replyFrom), so another one ends the login. When the configured JID
// is a domain alone (ANONYMOUS, or EXTERNAL with a certificate naming the
// account), the server picks the account: any one on that domain will do.
// JIDs are canonical, so comparing them compares the addresses.
func (c *Conn) checkBound(j jid.JID) error {
	want := c.cfg.JID.Bare()
	if c.cfg.Authzid != "" {
		a, err := jid.Parse(c.cfg.Authzid)
		if err != nil {
			return fmt.Errorf("xmpp: bind: Config.Authzid %q is not a JID: %w", c.cfg.Authzid, err)
		}
		want = a.Bare()
	}
	got := j.Bare()
	if got.Localpart() != "" && (got == want || (want.Localpart() == "" && got.Domain() == want)) {
		return nil
	}
	return fmt.Errorf("%w: the server bound %s for %s", ErrWrongAccount, got, want)
}

// negotiationIQ sends iq, and after (when not empty) right after it,
// and reads until the reply to iq, before the reader goroutine runs.
// Stanzas that arrive meanwhile are kept for the listeners.
func (c *Conn) negotiationIQ(ctx context.Context, s *stream, iq *stanza.IQ, after string) (*stanza.IQ, error) {
	iq.ID = c.newID()
	if _, _, err := s.send(ctx, nil, iq, nil); err != nil {
		return nil, err
	}
	if after != "" {
		if err := s.writeRaw(ctx, after); err != nil {
			return nil, err
		}
	}
	return c.awaitIQ(s, iq)
}

// awaitIQ reads until the reply to iq, written already, keeping the
// stanzas that arrive meanwhile for the listeners.
func (c *Conn) awaitIQ(s *stream, iq *stanza.IQ) (*stanza.IQ, error) {
	for {
		el, err := s.next()
		if err != nil {
			return nil, err
		}
		if !wire.IsStanza(el) {
			return nil, fmt.Errorf("%w: <%s/>", ErrUnexpected, el.Tokens[0].Name.Local)
		}
		st, derr := wire.Decode(el)
		if r, ok := st.(*stanza.IQ); ok && derr == nil && r.ID == iq.ID &&
			(r.Type == stanza.Result || r.Type == stanza.IQError) && replyFrom(iq.To, r.From, c.cfg.JID) {
			return iqResult(r)
		}
		if derr == nil {
			if err := s.keepEarly(el); err != nil {
				return nil, err
			}
		}
	}
}

// earlyStanza is a stanza received during negotiation, kept for the
// listeners, and its bytes on the wire.
type earlyStanza struct {
	st   stanza.Stanza
	size int
}

// keepEarly keeps a stanza that arrived during negotiation for the
// listeners; stream management does not count it. An IQ result or error
// is dropped: no request of the user's was out yet, and a reply to it
// must never be answered (RFC 6120 section 8.2.3). What is kept is
// bounded as the dispatcher's queue is (maxQueued, Config.MaxBacklog).
func (s *stream) keepEarly(el *xmlstream.Element) error {
	st, err := wire.Decode(el)
	if err != nil {
		return nil // malformed: dropped, as the reader would
	}
	if iq, ok := st.(*stanza.IQ); ok && iq.Type != stanza.Get && iq.Type != stanza.Set {
		s.cfg.logDebug("dropping an IQ reply received during login", "id", iq.ID, "from", iq.From.String())
		return nil
	}
	if backlogFull(len(s.early), s.earlySize, len(el.Raw), s.cfg.maxBacklog()) {
		return fmt.Errorf("%w: more than %d stanzas or %d bytes before the login ended", ErrUnexpected, maxQueued, s.cfg.maxBacklog())
	}
	s.early = append(s.early, earlyStanza{st, len(el.Raw)})
	s.earlySize += len(el.Raw)
	return nil
}

// noStreamError is a connection that was made but never answered with
// a stream header: openTargets tries the next target.
type noStreamError struct{ err error }

func (e *noStreamError) Error() string { return e.err.Error() }
func (e *noStreamError) Unwrap() error { return e.err }
