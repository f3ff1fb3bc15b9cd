package xmpp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
)

// This file holds SASL2 (XEP-0388) with Bind2 (XEP-0386) and inline
// stream management (XEP-0198 in SASL2): one request that
// authenticates, binds (or resumes) and enables what the managers ask
// for. FAST tokens (XEP-0484) are in fast.go.

// Namespaces of SASL2 and what it carries inline.
const (
	nsSASL2 = "urn:xmpp:sasl:2"
	nsBind2 = "urn:xmpp:bind:0"
	nsFAST  = "urn:xmpp:fast:0"
)

// defaultTag is the Bind2 tag when SASL2.Tag is empty.
const defaultTag = "gosmack"

// SASL2 configures XEP-0388 authentication, which the connection uses
// whenever the server offers it (unless Disabled), with Bind2 (XEP-0386)
// and FAST tokens (XEP-0484). Its zero value (and a nil Config.SASL2)
// uses SASL2 with an installation id generated for the Conn, the tag
// "gosmack", no tasks and no FAST.
type SASL2 struct {
	// Disabled keeps to RFC 6120's SASL, resource binding and stream
	// management even when the server offers SASL2.
	Disabled bool
	// UserAgent is the id of this installation of the program (XEP-0388's
	// <user-agent id/>): a UUID, the same at every login. Servers tie
	// FAST tokens to it and derive the Bind2 resource from it, so that a
	// client comes back under the same full JID. Empty means one
	// generated for the Conn (Conn.UserAgent returns it): a program
	// should generate one once (Conn.UserAgent, or any UUID v4), keep
	// it with its settings, and set it here.
	UserAgent string
	// Software and Device, when set, describe the client to the server
	// (<software/>, <device/>), which may show them to the user among
	// their sessions; they go to nobody else.
	Software, Device string
	// Tag is the Bind2 tag, the client's name, from which the server
	// makes the resource (Prosody: tag~hash of UserAgent); empty means
	// "gosmack". With Config.Resource (or a resource in Config.JID) the
	// connection binds that resource with RFC 6120's bind instead of
	// Bind2.
	Tag string
	// Tasks are the tasks (<continue/>: a second factor, a password
	// change) the program can carry out. When the server asks for tasks
	// none of which is here, the login ends with an error matching
	// ErrTaskRequired.
	Tasks []Task
	// Tokens keeps FAST tokens between logins: with a store, the first
	// login asks for a token when the server offers FAST, and the next
	// ones authenticate with it instead of the password (falling back to
	// the password, and dropping the token, when the server refuses it).
	// Nil means no FAST. MemoryTokenStore and FileTokenStore are two.
	Tokens TokenStore
}

// Task carries out one XEP-0388 task, such as a second factor, that a
// server asks for after the SASL exchange (<continue/>). Name is the
// task's name, as the server lists it. Step first gets nil and returns
// the content of <next/>; then it gets the content of each <task-data/>
// the server sends and returns the content of the client's answer. An
// error aborts the login. A Task runs on the goroutine that logs in, one
// call at a time.
type Task interface {
	Name() string
	Step(data []stanza.Node) ([]stanza.Node, error)
}

// ErrTaskRequired means the server asked, in a SASL2 <continue/>, for
// tasks none of which is in Config.SASL2.Tasks; the error that wraps it
// names them. The connection aborts the login.
var ErrTaskRequired = errors.New("xmpp: the server requires an authentication task")

// errRetry asks for the login to start again on a new connection: the
// server refused a FAST token (dropped since) or an <authenticate/>
// written ahead that its offer no longer fit. A SASL2 stream that has
// failed an authentication does not take another on every server
// (Prosody keeps the mechanism chosen).
var errRetry = errors.New("xmpp: logging in again")

// sasl2Offer is XEP-0388's <authentication/> stream feature.
type sasl2Offer struct {
	mechanisms []string
	bind2      bool     // Bind2 offered
	bindInline []string // the features Bind2 enables inline (vars)
	sm         bool     // stream management resumption inline
	fast       []string // FAST mechanisms
}

// parseSASL2 reads <authentication xmlns='urn:xmpp:sasl:2'/> from the
// stream features; nil when it is not there. Each name counts only at
// its place: a mechanism directly in <authentication/>, <bind/>,
// <sm/> and <fast/> in its <inline/>, a feature in <bind/>'s <inline/>,
// a mechanism in <fast/>.
func parseSASL2(el *xmlstream.Element) *sasl2Offer {
	var o *sasl2Offer
	var path []xmlstream.Name // the elements we are in, below <stream:features/>
	var texts []string        // the text directly inside each of them
	at := func(names ...xmlstream.Name) bool { return slices.Equal(path, names) }
	auth := xmlstream.Name{Space: nsSASL2, Local: "authentication"}
	inline := xmlstream.Name{Space: nsSASL2, Local: "inline"}
	bind := xmlstream.Name{Space: nsBind2, Local: "bind"}
	bindInline := xmlstream.Name{Space: nsBind2, Local: "inline"}
	fast := xmlstream.Name{Space: nsFAST, Local: "fast"}
	for i := 1; i < len(el.Tokens)-1; i++ {
		t := &el.Tokens[i]
		switch t.Kind {
		case xmlstream.StartElement:
			path, texts = append(path, t.Name), append(texts, "")
			switch {
			case at(auth):
				if o == nil {
					o = new(sasl2Offer)
				}
			case o == nil:
			case at(auth, inline, bind):
				o.bind2 = true
			case at(auth, inline, xmlstream.Name{Space: NSStreamManagement, Local: "sm"}):
				o.sm = true
			case at(auth, inline, bind, bindInline, xmlstream.Name{Space: nsBind2, Local: "feature"}):
				if v := attr(el, t, "var"); v != "" {
					o.bindInline = append(o.bindInline, strings.Clone(v))
				}
			}
		case xmlstream.EndElement:
			if m := strings.TrimSpace(texts[len(texts)-1]); o != nil && m != "" {
				switch {
				case at(auth, xmlstream.Name{Space: nsSASL2, Local: "mechanism"}):
					o.mechanisms = append(o.mechanisms, strings.Clone(m))
				case at(auth, inline, fast, xmlstream.Name{Space: nsFAST, Local: "mechanism"}):
					o.fast = append(o.fast, strings.Clone(m))
				}
			}
			path, texts = path[:len(path)-1], texts[:len(texts)-1]
		case xmlstream.Text:
			if len(texts) > 0 {
				texts[len(texts)-1] += t.Text
			}
		}
	}
	return o
}

// sasl2State is a Conn's memory of its logins over TLS and its SASL2
// hooks, attached to it (Attach) so that a Conn that never logs in over
// TLS pays nothing for them.
type sasl2State struct {
	mu        sync.Mutex
	userAgent string      // generated when Config.SASL2 has none
	known     *sasl2Known // what the last SASL2 login learned; nil when none
	restart   restartSeen // what RFC 6120 logins learned of the restart (negotiate.go)
	inline    listeners.List[func(offered []string) *stanza.Node]
}

// sasl2Known is what a SASL2 login learned of the server, for the next
// login to write its <authenticate/> with the stream header.
type sasl2Known struct {
	offer    saslOffer // the SASL2 mechanisms and channel bindings
	o        *sasl2Offer
	bindings []string
	smAfter  bool // the features after success offered stream management
}

func sasl2Of(c *Conn) *sasl2State {
	return Attach(c, func(*Conn) *sasl2State { return new(sasl2State) })
}

// UserAgent returns the installation id the connection sends in SASL2's
// <user-agent/> (XEP-0388): Config.SASL2.UserAgent, or else one
// generated for this Conn at the first call (a UUID v4), the same for
// the Conn's life. A program that did not set one can keep this one and
// set it in the Config of its next runs. UserAgent is safe for
// concurrent use.
func (c *Conn) UserAgent() string {
	if ua := c.cfg.sasl2().UserAgent; ua != "" {
		return ua
	}
	st := sasl2Of(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.userAgent == "" {
		st.userAgent = newUUID()
	}
	return st.userAgent
}

// newUUID returns a random UUID (version 4, RFC 9562), from crypto/rand
// rather than Config.Rand: a replayed session's ids and nonces stay as
// recorded.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0xf])
	}
	return string(out)
}

// InlineBind registers f to add to the Bind2 request (XEP-0386) of each
// new session the element a manager enables there, such as carbons'
// <enable xmlns='urn:xmpp:carbons:2'/> or client state indication's
// <inactive xmlns='urn:xmpp:csi:0'/>, so that the session starts with
// it and no request follows the login. f gets the vars of the features
// the server enables inline (<inline><feature var/></inline>) and
// returns the element, or nil for none. When the server bound the session
// with that request, Features.BoundInline reports the element's
// namespace for the session, which a manager checks when the session
// starts (StateAuthenticated) instead of asking again; without SASL2 and
// Bind2, f is not called and the manager asks as usual.
//
// f runs on the goroutine that logs in (Connect's, or the reconnection's)
// before the request goes out; it must not block or call the Conn. The
// returned func removes exactly this registration and is safe to call
// more than once. A nil f panics.
func (c *Conn) InlineBind(f func(offered []string) *stanza.Node) (remove func()) {
	mustListen("InlineBind", f == nil)
	return sasl2Of(c).inline.Add(f)
}

// BoundInline reports whether the session was bound with Bind2
// (XEP-0386) with a request that carried an element of namespace space
// from an InlineBind func, and the server accepted the request: for
// carbons (urn:xmpp:carbons:2) and client state indication
// (urn:xmpp:csi:0), that the session starts with them enabled or in
// that state.
func (f Features) BoundInline(space string) bool {
	return slices.Contains(f.inline, space)
}

var noSASL2 SASL2

// sasl2 returns the SASL2 settings, the defaults when there are none.
func (c *Config) sasl2() *SASL2 {
	if c.SASL2 == nil {
		return &noSASL2
	}
	return c.SASL2
}

// sasl2Auth is one SASL2 <authenticate/> and what it asked for.
type sasl2Auth struct {
	s      *stream
	m      sasl.Mechanism
	token  FASTToken // the token m authenticates with; zero unless FAST
	askFor string    // the FAST mechanism a token is asked for; "" when none
	resume bool      // <resume/> inline
	bind   bool      // Bind2
	smBind bool      // <enable/> for stream management in Bind2
	inline []string  // the namespaces of the managers' elements in Bind2
	// ahead is XEP-0198's <enable/> or <resume/>, written right after
	// the client's last message for the server to take once
	// authenticated: after the <authenticate/> of a mechanism that says
	// all in it, after SCRAM's final message (the answer to the first
	// challenge). aheadWritten says it went out.
	ahead        string
	aheadWritten bool
	offer        saslOffer // what the mechanism was chosen from
	stale        bool      // written ahead, from an offer that changed since
	out          string    // the <authenticate/>, and the <enable/> after it
}

// useSASL2 reports whether the login takes the SASL2 path on a stream
// with features f.
func (c *Conn) useSASL2(f Features) bool {
	return f.sasl2 != nil && len(f.sasl2.mechanisms) > 0 && !c.cfg.sasl2().Disabled
}

// pipelineSASL2 writes the <authenticate/> with the header of the stream
// s is about to open when the last SASL2 login of this Conn knows the
// server's offer; nil otherwise.
func (c *Conn) pipelineSASL2(s *stream, sess *session) *sasl2Auth {
	if s.tls == nil || c.cfg.sasl2().Disabled {
		return nil
	}
	st := sasl2Of(c)
	st.mu.Lock()
	k := st.known
	st.mu.Unlock()
	if k == nil {
		return nil
	}
	a, err := c.sasl2Request(s, k.o, k.bindings, sess, k.smAfter)
	if err != nil {
		return nil // the exchange that follows the features says why
	}
	return a
}

// sasl2Request chooses the mechanism (the FAST token when there is one
// that fits, else the strongest that sasl.Select finds) and writes the
// <authenticate/>: the initial response, the user agent, FAST's token
// request or use, <resume/> when sess can be resumed inline, and Bind2.
// smAfter says the server offers stream management after SASL2 success
// (known from an earlier login), so that a one-message mechanism's
// <enable/> can follow the request at once.
func (c *Conn) sasl2Request(s *stream, o *sasl2Offer, bindings []string, sess *session, smAfter bool) (*sasl2Auth, error) {
	cfg := c.cfg.sasl2()
	sc := c.saslConfig()
	st := c.saslStream(s, sasl.Stream{Mechanisms: o.mechanisms, Bindings: bindings})
	a := &sasl2Auth{s: s, offer: offerOf(Features{mechanisms: o.mechanisms, bindings: bindings})}
	if cfg.Tokens != nil && len(o.fast) > 0 {
		a.m, a.token = c.fastMechanism(cfg.Tokens, sc, o, st)
	}
	if a.m == nil {
		m, err := sasl.Select(sc, st)
		if err != nil {
			return nil, fmt.Errorf("xmpp: authentication: %w", err)
		}
		a.m = m
		if cfg.Tokens != nil {
			a.askFor = sasl.SelectHT(sc, o.fast, st)
		}
	}
	resp, err := a.m.Step(nil)
	if err != nil {
		return nil, fmt.Errorf("xmpp: %s: %w", a.m.Name(), err)
	}
	smCfg := &c.cfg.StreamManagement
	a.resume = sess != nil && o.sm && sess.sm.resumable()
	// Without inline resumption, a session to resume is resumed with
	// RFC 6120's stream after SASL2, so nothing may be bound here.
	a.bind = o.bind2 && c.cfg.resource() == "" && (sess == nil || a.resume || !sess.sm.resumable())
	a.smBind = a.bind && !smCfg.Disabled && slices.Contains(o.bindInline, NSStreamManagement)
	// What the server will be asked right after SASL2 success, when it
	// offered stream management there at the last login: written ahead,
	// after the client's last message.
	switch {
	case a.bind && !a.smBind && !smCfg.Disabled && smAfter:
		a.ahead = enableElement(smCfg)
	case sess != nil && !a.resume && !a.bind && smAfter && sess.sm.resumable():
		a.ahead = sess.sm.resumeElement()
	}
	if !oneMessage(a.m.Name()) && !strings.HasPrefix(a.m.Name(), "SCRAM-") {
		a.ahead = ""
	}

	enc := xmlstream.Encoder{Inherited: stanza.NSClient}
	enc.Start(xmlstream.Name{Space: nsSASL2, Local: "authenticate"}, xmlstream.Attr{Name: xmlstream.Name{Local: "mechanism"}, Value: a.m.Name()})
	leaf(&enc, nsSASL2, "initial-response", encode64(resp))
	enc.Start(xmlstream.Name{Space: nsSASL2, Local: "user-agent"}, xmlstream.Attr{Name: xmlstream.Name{Local: "id"}, Value: c.UserAgent()})
	if cfg.Software != "" {
		leaf(&enc, nsSASL2, "software", cfg.Software)
	}
	if cfg.Device != "" {
		leaf(&enc, nsSASL2, "device", cfg.Device)
	}
	enc.End()
	if a.token.Secret != "" {
		enc.Start(xmlstream.Name{Space: nsFAST, Local: "fast"})
		enc.End()
	}
	if a.askFor != "" {
		enc.Start(xmlstream.Name{Space: nsFAST, Local: "request-token"}, xmlstream.Attr{Name: xmlstream.Name{Local: "mechanism"}, Value: a.askFor})
		enc.End()
	}
	if a.resume {
		n := resumeNode(sess.sm)
		writeNode(&enc, &n)
	}
	if a.bind {
		enc.Start(xmlstream.Name{Space: nsBind2, Local: "bind"})
		leaf(&enc, nsBind2, "tag", cmpOr(cfg.Tag, defaultTag))
		if a.smBind {
			n := enableNode(smCfg)
			writeNode(&enc, &n)
		}
		for f := range sasl2Of(c).inline.All() {
			if n := f(slices.Clone(o.bindInline)); n != nil && !n.IsText() {
				writeNode(&enc, n)
				a.inline = append(a.inline, n.Name.Space)
			}
		}
		enc.End()
	}
	enc.End()
	b, err := enc.Bytes()
	if err != nil {
		return nil, fmt.Errorf("xmpp: SASL2: %w", err)
	}
	a.out = string(b)
	if a.ahead != "" && oneMessage(a.m.Name()) {
		a.out += a.ahead
		a.aheadWritten = true
	}
	return a, nil
}

// resumeNode is XEP-0198's <resume/> for sm, inline in SASL2.
func resumeNode(sm *smState) stanza.Node {
	sm.mu.Lock()
	id := sm.id
	sm.mu.Unlock()
	return stanza.Node{Name: xmlstream.Name{Space: NSStreamManagement, Local: "resume"}, Attrs: []xmlstream.Attr{
		{Name: xmlstream.Name{Local: "h"}, Value: strconv.FormatUint(uint64(sm.in.Load()), 10)},
		{Name: xmlstream.Name{Local: "previd"}, Value: id},
	}}
}

// enableNode is XEP-0198's <enable/> as enableElement writes it, for
// Bind2.
func enableNode(cfg *StreamManagement) stanza.Node {
	n := stanza.Node{Name: xmlstream.Name{Space: NSStreamManagement, Local: "enable"}}
	if !cfg.NoResume {
		n.Attrs = append(n.Attrs, xmlstream.Attr{Name: xmlstream.Name{Local: "resume"}, Value: "true"})
		if cfg.ResumeTimeout > 0 {
			n.Attrs = append(n.Attrs, xmlstream.Attr{Name: xmlstream.Name{Local: "max"}, Value: strconv.Itoa(int(cfg.ResumeTimeout / time.Second))})
		}
	}
	return n
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// leaf writes <local xmlns=space>text</local>.
func leaf(enc *xmlstream.Encoder, space, local, text string) {
	enc.Start(xmlstream.Name{Space: space, Local: local})
	enc.Text(text)
	enc.End()
}

// oneMessage reports whether the mechanism says all it has in its
// initial response, so that the server decides at once and what the
// client writes after the request is read after the outcome.
func oneMessage(name string) bool {
	return sasl.IsHT(name) || name == "PLAIN"
}

// sasl2Result is what a successful SASL2 exchange brought.
type sasl2Result struct {
	authzid  jid.JID
	bound    bool
	enabled  *xmlstream.Element // <enabled/> or <failed/> of stream management in <bound/>
	resumed  *xmlstream.Element // <resumed/> or <failed/> in <success/>
	features Features           // the features after <success/>
}

// loginSASL2 logs in with SASL2 (XEP-0388): authenticates, binds with
// Bind2 or resumes inline where the server offers them, and otherwise
// finishes as the RFC 6120 path does (resume, bind, enable) on the
// stream that follows without a restart. pre is the <authenticate/>
// written with the stream header, if any.
func (c *Conn) loginSASL2(ctx context.Context, s *stream, f Features, sess *session, pre *sasl2Auth) (resumeErr, err error) {
	if f.sasl2 == nil {
		// Written ahead, to a server that no longer offers SASL2.
		s.closeStream()
		return nil, fmt.Errorf("%w: the server no longer offers SASL2", errRetry)
	}
	a := pre
	if a == nil || a.s != s {
		if a, err = c.sasl2Request(s, f.sasl2, f.bindings, sess, false); err != nil {
			s.closeStream()
			return nil, err
		}
		if err := s.writeRaw(ctx, a.out); err != nil {
			return nil, fmt.Errorf("xmpp: %s: %w", a.m.Name(), err)
		}
	} else if sasl.SetOffer(a.m, sasl.Stream{Mechanisms: f.sasl2.mechanisms, Bindings: f.bindings}); a.offer != offerOf(Features{mechanisms: f.sasl2.mechanisms, bindings: f.bindings}) {
		// Go on: the server may take it. If it does not, the login
		// starts again on a new connection, from the features.
		c.cfg.logDebug("the server's SASL2 offer changed", "mechanism", a.m.Name())
		c.forgetSASL2()
		a.stale = true
	}
	res, err := c.exchangeSASL2(ctx, s, a)
	if err != nil {
		return nil, err
	}
	c.rememberSASL2(f, res.features)
	f = res.features
	resumeErr = errors.New("no session to resume")
	if sess != nil && res.resumed != nil {
		if resumeErr, err = c.resumed(s, sess, res.resumed); err != nil || resumeErr == nil {
			return resumeErr, err
		}
		c.cfg.logDebug("starting a new session", "why", resumeErr)
	}
	if !res.bound {
		if sess != nil && res.resumed == nil {
			written := a.aheadWritten && strings.HasPrefix(a.ahead, "<resume")
			if resumeErr, err = c.resume(ctx, s, f, sess, written); err != nil || resumeErr == nil {
				return resumeErr, err
			}
			c.cfg.logDebug("starting a new session", "why", resumeErr)
		}
		return resumeErr, c.bindSession(ctx, s, f, nil)
	}
	if res.authzid.Resourcepart() == "" {
		s.closeStream()
		return nil, fmt.Errorf("%w: Bind2 bound %s, without a resource", ErrUnexpected, res.authzid)
	}
	if err := c.checkBound(res.authzid); err != nil {
		s.closeStream()
		return nil, err
	}
	s.jid = res.authzid
	f.inline = a.inline
	s.features = f
	sm := &c.cfg.StreamManagement
	switch {
	case res.enabled != nil && res.enabled.Tokens[0].Name == smEnabledName:
		s.sm = newSMState(sm)
		s.sm.enabled(res.enabled)
	case res.enabled != nil:
		c.cfg.logDebug("the server refused stream management", "condition", failureCondition(res.enabled))
	case a.aheadWritten || (!sm.Disabled && f.Has(NSStreamManagement, "sm")):
		// Written ahead even if the server no longer offers it: its
		// answer is then a <failed/>, which enable reads.
		return resumeErr, c.enable(ctx, s, sm, a.aheadWritten)
	}
	return resumeErr, nil
}

// resumed applies the server's <resumed/> or <failed/> of stream
// management (XEP-0198; inline in SASL2, or after <resume/>) to sess:
// resumeErr nil means the session goes on; otherwise it says why not.
func (c *Conn) resumed(s *stream, sess *session, el *xmlstream.Element) (resumeErr, err error) {
	sess.sm.resumeAnswered(true)
	h, ok, err := parseH(el)
	if err == nil && ok {
		var done []stanza.Stanza
		if done, err = sess.sm.ack(h); len(done) > 0 && c.reg.acked.Len() > 0 {
			c.ackedEvent(done)
		}
	}
	if err != nil {
		s.sendStreamError(&stanza.StreamError{Condition: stanza.StreamUndefined, Text: err.Error()})
		return nil, err
	}
	if el.Tokens[0].Name == smFailedName {
		return &smFailure{condition: failureCondition(el)}, nil
	}
	if !ok {
		return nil, fmt.Errorf("%w: <resumed/> without h", ErrUnexpected)
	}
	s.jid, s.features = sess.jid, sess.features
	return nil, nil
}

// rememberSASL2 keeps what the server offered, before and after a SASL2
// success, for the next login to write its request ahead; and forgets
// the RFC 6120 offer, which that login will not use.
func (c *Conn) rememberSASL2(before, after Features) {
	st := sasl2Of(c)
	st.mu.Lock()
	st.known = &sasl2Known{
		offer:    offerOf(Features{mechanisms: before.sasl2.mechanisms, bindings: before.bindings}),
		o:        before.sasl2,
		bindings: before.bindings,
		smAfter:  after.Has(NSStreamManagement, "sm"),
	}
	st.mu.Unlock()
	c.mu.Lock()
	c.offer = 0
	c.mu.Unlock()
}

// forgetSASL2 drops what the last SASL2 login learned.
func (c *Conn) forgetSASL2() {
	st := sasl2Of(c)
	st.mu.Lock()
	st.known = nil
	st.mu.Unlock()
}

// exchangeSASL2 runs the exchange a's <authenticate/> (written already)
// began: challenges, tasks, until <success/> and the features after it,
// or <failure/>.
func (c *Conn) exchangeSASL2(ctx context.Context, s *stream, a *sasl2Auth) (sasl2Result, error) {
	m := a.m
	fail := func(err error) (sasl2Result, error) {
		return sasl2Result{}, fmt.Errorf("xmpp: %s: %w", m.Name(), err)
	}
	finished := false // m.Finish accepted the additional data
	finish := func(el *xmlstream.Element) error {
		if finished {
			return nil
		}
		data, err := decode64(childText(el, nsSASL2, "additional-data"))
		if err == nil {
			err = m.Finish(data)
		}
		if err != nil {
			s.closeStream()
			return err
		}
		finished = true
		return nil
	}
	var task Task
	for {
		el, err := s.next()
		if err != nil {
			return fail(err)
		}
		name := el.Tokens[0].Name
		if name.Space != nsSASL2 {
			return fail(fmt.Errorf("%w: <%s/> during SASL2", ErrUnexpected, name.Local))
		}
		var out string
		switch name.Local {
		case "challenge":
			data, err := decode64(text(el))
			var resp []byte
			if err == nil {
				resp, err = m.Step(data)
			}
			if err != nil {
				return sasl2Result{}, c.abortSASL2(s, m, err)
			}
			out = "<response xmlns='" + nsSASL2 + "'>" + encode64(resp) + "</response>"
			if a.ahead != "" && !a.aheadWritten {
				out += a.ahead
				a.aheadWritten = true
			}
		case "success":
			if err := finish(el); err != nil {
				return fail(err)
			}
			res, err := c.succeededSASL2(s, a, el)
			if err != nil {
				return fail(err)
			}
			return res, nil
		case "failure":
			s.closeStream()
			ferr := parseFailure(el)
			if a.token.Secret != "" {
				c.dropToken(a.token, ferr)
				return fail(fmt.Errorf("%w: the FAST token was refused: %w", errRetry, ferr))
			}
			if a.stale {
				return fail(fmt.Errorf("%w: the request written ahead was refused: %w", errRetry, ferr))
			}
			return fail(ferr)
		case "continue":
			if err := finish(el); err != nil {
				return fail(err)
			}
			var names []string
			task, names = c.chooseTask(el)
			if task == nil {
				return sasl2Result{}, c.abortSASL2(s, m, fmt.Errorf("%w: %s", ErrTaskRequired, strings.Join(names, ", ")))
			}
			out, err = taskElement("next", task, nil)
			if err != nil {
				return sasl2Result{}, c.abortSASL2(s, m, err)
			}
		case "task-data":
			if task == nil {
				return fail(fmt.Errorf("%w: <task-data/> with no task under way", ErrUnexpected))
			}
			out, err = taskElement("task-data", task, elementNodes(el))
			if err != nil {
				return sasl2Result{}, c.abortSASL2(s, m, err)
			}
		default:
			return fail(fmt.Errorf("%w: <%s/> during SASL2", ErrUnexpected, name.Local))
		}
		if err := s.writeRaw(ctx, out); err != nil {
			return fail(err)
		}
	}
}

// chooseTask returns the first task of <continue/> that the
// configuration carries out, and the names of all it lists.
func (c *Conn) chooseTask(el *xmlstream.Element) (Task, []string) {
	var names []string
	depth, in := 0, false
	var name strings.Builder
	for _, t := range el.Tokens {
		switch t.Kind {
		case xmlstream.StartElement:
			depth++
			in = depth == 3 && t.Name == xmlstream.Name{Space: nsSASL2, Local: "task"}
			name.Reset()
		case xmlstream.EndElement:
			if in {
				names = append(names, strings.TrimSpace(name.String()))
			}
			in = false
			depth--
		case xmlstream.Text:
			if in {
				name.WriteString(t.Text)
			}
		}
	}
	for _, n := range names {
		for _, t := range c.cfg.sasl2().Tasks {
			if t.Name() == n {
				return t, names
			}
		}
	}
	return nil, names
}

// taskElement is <next task/> (local "next", in nil) or <task-data/>
// with what the task's Step returns for in.
func taskElement(local string, t Task, in []stanza.Node) (string, error) {
	nodes, err := t.Step(in)
	if err != nil {
		return "", fmt.Errorf("task %s: %w", t.Name(), err)
	}
	enc := xmlstream.Encoder{Inherited: stanza.NSClient}
	var attrs []xmlstream.Attr
	if local == "next" {
		attrs = append(attrs, xmlstream.Attr{Name: xmlstream.Name{Local: "task"}, Value: t.Name()})
	}
	enc.Start(xmlstream.Name{Space: nsSASL2, Local: local}, attrs...)
	for i := range nodes {
		writeNode(&enc, &nodes[i])
	}
	enc.End()
	b, err := enc.Bytes()
	if err != nil {
		return "", fmt.Errorf("task %s: %w", t.Name(), err)
	}
	return string(b), nil
}

// abortSASL2 ends an exchange the client cannot go on with: <abort/>,
// then the server's <failure/>.
func (c *Conn) abortSASL2(s *stream, m sasl.Mechanism, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout())
	defer cancel()
	var ferr error
	if s.writeRaw(ctx, "<abort xmlns='"+nsSASL2+"'/>") == nil {
		s.raw.SetReadDeadline(deadline(ctx))
		if el, err := s.next(); err == nil && el.Tokens[0].Name == (xmlstream.Name{Space: nsSASL2, Local: "failure"}) {
			ferr = parseFailure(el)
		}
	}
	s.closeStream()
	if ferr != nil {
		return fmt.Errorf("xmpp: %s: %w (%w)", m.Name(), cause, ferr)
	}
	return fmt.Errorf("xmpp: %s: %w", m.Name(), cause)
}

// succeededSASL2 reads <success/>: the authorization identifier, Bind2's
// <bound/> and what it enabled, the inline resumption's outcome, a FAST
// token; then the stream features that follow it (no restart).
func (c *Conn) succeededSASL2(s *stream, a *sasl2Auth, el *xmlstream.Element) (sasl2Result, error) {
	var res sasl2Result
	authzid := strings.TrimSpace(childText(el, nsSASL2, "authorization-identifier"))
	for i, depth := 1, 1; i < len(el.Tokens); i++ {
		t := &el.Tokens[i]
		switch t.Kind {
		case xmlstream.EndElement:
			depth--
			continue
		case xmlstream.Text:
			continue
		}
		depth++
		switch {
		case depth == 2 && t.Name == xmlstream.Name{Space: nsBind2, Local: "bound"}:
			res.bound = true
		case depth == 3 && res.bound && (t.Name == smEnabledName || t.Name == smFailedName) && a.smBind && res.enabled == nil:
			res.enabled = subElement(el, i)
		case depth == 2 && (t.Name == smResumedName || t.Name == smFailedName) && a.resume && res.resumed == nil:
			res.resumed = subElement(el, i)
		case depth == 2 && t.Name == xmlstream.Name{Space: nsFAST, Local: "token"}:
			mech := a.askFor
			if a.token.Secret != "" {
				mech = a.token.Mechanism
			}
			c.saveToken(mech, attr(el, t, "token"), attr(el, t, "expiry"))
		}
	}
	if res.bound && !a.bind {
		return res, fmt.Errorf("%w: <bound/> without a Bind2 request", ErrUnexpected)
	}
	if authzid != "" {
		j, err := jid.Parse(strings.Clone(authzid))
		if err != nil {
			s.closeStream()
			return res, fmt.Errorf("%w: a bad authorization identifier: %w", ErrUnexpected, err)
		}
		res.authzid = j
	} else if res.bound {
		return res, fmt.Errorf("%w: Bind2 bound no JID", ErrUnexpected)
	}
	// Keep what is needed of the elements: the next read reuses el.
	res.enabled, res.resumed = cloneElement(res.enabled), cloneElement(res.resumed)
	next, err := s.next()
	if err != nil {
		return res, err
	}
	if next.Tokens[0].Name != (xmlstream.Name{Space: xmlstream.NSStream, Local: "features"}) {
		return res, fmt.Errorf("%w: <%s/> after SASL2 success, not the stream features", ErrUnexpected, next.Tokens[0].Name.Local)
	}
	res.features = parseFeatures(next)
	return res, nil
}

// childText returns the text of el's first child named local in space.
func childText(el *xmlstream.Element, space, local string) string {
	var b strings.Builder
	depth, in := 0, false
	found := false
	for _, t := range el.Tokens {
		switch t.Kind {
		case xmlstream.StartElement:
			depth++
			if depth == 2 && !found && t.Name == (xmlstream.Name{Space: space, Local: local}) {
				in, found = true, true
			}
		case xmlstream.EndElement:
			if depth == 2 {
				in = false
			}
			depth--
		case xmlstream.Text:
			if in && depth == 2 {
				b.WriteString(t.Text)
			}
		}
	}
	return b.String()
}

// subElement is the element that starts at token i of el, sharing its
// tokens and attributes.
func subElement(el *xmlstream.Element, i int) *xmlstream.Element {
	depth := 0
	for j := i; j < len(el.Tokens); j++ {
		switch el.Tokens[j].Kind {
		case xmlstream.StartElement:
			depth++
		case xmlstream.EndElement:
			depth--
			if depth == 0 {
				return &xmlstream.Element{Tokens: el.Tokens[i : j+1], Attrs: el.Attrs}
			}
		}
	}
	return nil
}

// cloneElement copies what the stream management parsers read of a
// sub-element (its tokens and attributes), out of the reader's buffers.
func cloneElement(el *xmlstream.Element) *xmlstream.Element {
	if el == nil {
		return nil
	}
	out := &xmlstream.Element{Tokens: slices.Clone(el.Tokens), Attrs: slices.Clone(el.Attrs)}
	for i := range out.Tokens {
		t := &out.Tokens[i]
		t.Name = xmlstream.Name{Space: strings.Clone(t.Name.Space), Local: strings.Clone(t.Name.Local)}
		t.Text = strings.Clone(t.Text)
	}
	for i := range out.Attrs {
		a := &out.Attrs[i]
		a.Name = xmlstream.Name{Space: strings.Clone(a.Name.Space), Local: strings.Clone(a.Name.Local)}
		a.Value = strings.Clone(a.Value)
	}
	return out
}

// elementNodes returns the content of el (the children of its top
// element) as Nodes, copied out of the reader's buffers.
func elementNodes(el *xmlstream.Element) []stanza.Node {
	var stack []*stanza.Node
	root := &stanza.Node{}
	stack = append(stack, root)
	for i := 1; i < len(el.Tokens)-1; i++ {
		t := &el.Tokens[i]
		top := stack[len(stack)-1]
		switch t.Kind {
		case xmlstream.StartElement:
			n := stanza.Node{Name: xmlstream.Name{Space: strings.Clone(t.Name.Space), Local: strings.Clone(t.Name.Local)}}
			for _, a := range el.TokenAttrs(t) {
				n.Attrs = append(n.Attrs, xmlstream.Attr{Name: xmlstream.Name{Space: strings.Clone(a.Name.Space), Local: strings.Clone(a.Name.Local)}, Value: strings.Clone(a.Value)})
			}
			top.Nodes = append(top.Nodes, n)
			stack = append(stack, &top.Nodes[len(top.Nodes)-1])
		case xmlstream.EndElement:
			stack = stack[:len(stack)-1]
		case xmlstream.Text:
			top.Nodes = append(top.Nodes, stanza.Node{Text: strings.Clone(t.Text)})
		}
	}
	return root.Nodes
}

// expired reports whether a token's expiry has passed.
func expired(t FASTToken, now time.Time) bool {
	return !t.Expiry.IsZero() && !now.Before(t.Expiry)
}
