package xmpp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SASL2 (XEP-0388), Bind2 (XEP-0386), inline stream management and FAST
// (XEP-0484), over streams without TLS unless said otherwise: PLAIN
// (allowed in writing) keeps the transcripts fixed.

const s2UA = "0b6f9d3e-4c1a-4e8b-9f2d-7a5c3e1b2d4f"

// s2Open is the stream header and the server's, before the features.
const s2Open = "C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
	"S: <stream:stream from='localhost' id='a1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n"

// s2Features offers SASL2 with PLAIN and inline (the content of
// <inline/>), and classic SASL too.
func s2Features(inline string) string {
	return "S: <stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism><inline>" + inline +
		"</inline></authentication><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>\n"
}

// s2Bind2 offers Bind2 with the inline features vars.
func s2Bind2(vars ...string) string {
	var b strings.Builder
	b.WriteString("<bind xmlns='urn:xmpp:bind:0'><inline>")
	for _, v := range vars {
		b.WriteString("<feature var='" + v + "'/>")
	}
	b.WriteString("</inline></bind>")
	return b.String()
}

// s2Auth is the client's <authenticate/> with PLAIN for alice and
// then more (FAST, resume, bind).
func s2Auth(more string) string {
	return "C: <authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>AGFsaWNlAGFsaWNlLXNlY3JldA==</initial-response>" +
		"<user-agent id='" + s2UA + "'/>" + more + "</authenticate>\n"
}

// s2Success is the server's <success/> for alice bound as full, with
// more inside, and the features that follow (no restart).
func s2Success(full, more, features string) string {
	return "S: <success xmlns='urn:xmpp:sasl:2'><authorization-identifier>" + full + "</authorization-identifier>" + more + "</success>\n" +
		"S: <stream:features>" + features + "</stream:features>\n"
}

const s2BindSM = "<bind xmlns='urn:xmpp:bind:0'><tag>gosmack</tag><enable xmlns='urn:xmpp:sm:3' resume='true'/></bind>"

// s2Conn is smConn (no TLS, PLAIN, no initial presence) with SASL2's
// user agent fixed, and opts.
func s2Conn(t *testing.T, d xmpp.Dialer, opts ...func(*xmpp.Config)) *xmpp.Conn {
	return smConn(t, d, append([]func(*xmpp.Config){func(cfg *xmpp.Config) {
		cfg.SASL2 = &xmpp.SASL2{UserAgent: s2UA}
	}}, opts...)...)
}

// TestSASL2Bind2Inline: one <authenticate/> authenticates, binds with
// Bind2 and enables stream management and, for a manager's InlineBind,
// carbons; <success/> carries the full JID and <enabled/>. No bind,
// <enable/> or carbons request follows; the session is resumable and
// acknowledged.
func TestSASL2Bind2Inline(t *testing.T) {
	text := s2Open + s2Features(s2Bind2("urn:xmpp:carbons:2", "urn:xmpp:csi:0", xmpp.NSStreamManagement)) +
		s2Auth("<bind xmlns='urn:xmpp:bind:0'><tag>gosmack</tag><enable xmlns='urn:xmpp:sm:3' resume='true'/><enable xmlns='urn:xmpp:carbons:2'/></bind>") +
		s2Success("alice@localhost/gosmack~x1",
			"<bound xmlns='urn:xmpp:bind:0'><enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/><enabled xmlns='urn:xmpp:carbons:2'/></bound>",
			"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind><sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/>") +
		msgLine("m1") + smClose(2)
	c := s2Conn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	var offered []string
	carbons := xml.Name{Space: "urn:xmpp:carbons:2", Local: "enable"}
	c.InlineBind(func(o []string) *stanza.Node {
		offered = o
		return &stanza.Node{Name: carbons}
	})
	c.InlineBind(func([]string) *stanza.Node { return nil })
	remove := c.InlineBind(func([]string) *stanza.Node { return &stanza.Node{Name: xml.Name{Space: "urn:example", Local: "x"}} })
	remove()
	remove()
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated")
	assert.Equal(t, []string{"urn:xmpp:carbons:2", "urn:xmpp:csi:0", xmpp.NSStreamManagement}, offered)
	assert.Equal(t, "alice@localhost/gosmack~x1", c.JID().String())
	assert.True(t, c.Features().BoundInline("urn:xmpp:carbons:2"))
	assert.False(t, c.Features().BoundInline("urn:xmpp:csi:0"))
	assert.True(t, c.Features().Has("urn:xmpp:csi:0", "csi"), "the features after success are the session's")
	sendAll(t, c, "m1")
	require.NoError(t, c.Close())
	e.expect(t, "acked:m1")
	closeID(t, e)
	e.expect(t, "state:closed")
}

// TestSASL2ClassicAfter: the server offers neither Bind2 nor inline
// stream management. SASL2 authenticates; the stream goes on without a
// restart to RFC 6120's bind and XEP-0198's <enable/>. The <success/>'s
// additional data goes to the mechanism (PLAIN ignores it).
func TestSASL2ClassicAfter(t *testing.T) {
	text := s2Open + s2Features("") + s2Auth("") +
		"S: <success xmlns='urn:xmpp:sasl:2'><additional-data>ZGF0YQ==</additional-data><authorization-identifier>alice@localhost</authorization-identifier></success>\n" +
		"S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>\n" +
		smBind + smClose(0)
	c := s2Conn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
	require.NoError(t, c.Connect(ctxT(t)))
	assert.Equal(t, "alice@localhost/r", c.JID().String())
	require.NoError(t, c.Close())
}

// TestSASL2Disabled: with Config.SASL2.Disabled, RFC 6120's SASL runs
// although SASL2 is offered.
func TestSASL2Disabled(t *testing.T) {
	text := s2Open + s2Features(s2Bind2()) +
		"C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXNlY3JldA==</auth>\n" +
		smLogin[strings.Index(smLogin, "S: <success"):] + smBind + smClose(0)
	c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) {
		cfg.Reconnect.Disabled = true
		cfg.SASL2 = &xmpp.SASL2{Disabled: true}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Close())
}

// TestSASL2Failure: SASL2's <failure/> is the same *sasl.Failure as RFC
// 6120's, with its text; the login is not retried.
func TestSASL2Failure(t *testing.T) {
	text := s2Open + s2Features(s2Bind2()) + s2Auth("<bind xmlns='urn:xmpp:bind:0'><tag>gosmack</tag></bind>") +
		"S: <failure xmlns='urn:xmpp:sasl:2'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><text xml:lang='en'>wrong password</text></failure>\n" +
		"C: </stream:stream>\n"
	c := s2Conn(t, conns(smScript(t, text)))
	err := c.Connect(ctxT(t))
	require.ErrorIs(t, err, &sasl.Failure{Condition: sasl.NotAuthorized, Text: "wrong password"})
}

// totpTask is a task (XEP-0388's example): it sends code1 in <next/>,
// and answers the server's task data with code2.
type totpTask struct{ got []string }

func (t *totpTask) Name() string { return "TOTP-EXAMPLE" }

func (t *totpTask) Step(data []stanza.Node) ([]stanza.Node, error) {
	code := "code1"
	if data != nil {
		t.got = append(t.got, data[0].InnerText())
		code = "code2"
	}
	return []stanza.Node{{Name: xml.Name{Space: "urn:totp:example", Local: "totp"}, Nodes: []stanza.Node{{Text: code}}}}, nil
}

// TestSASL2Task: the server asks for a task after the SASL exchange
// (<continue/>); the configured one runs: <next/>, task data both ways,
// then <success/>.
func TestSASL2Task(t *testing.T) {
	text := s2Open + s2Features("") + s2Auth("") +
		"S: <continue xmlns='urn:xmpp:sasl:2'><tasks><task>HOTP-EXAMPLE</task><task>TOTP-EXAMPLE</task></tasks><text>This account requires 2FA</text></continue>\n" +
		"C: <next xmlns='urn:xmpp:sasl:2' task='TOTP-EXAMPLE'><totp xmlns='urn:totp:example'>code1</totp></next>\n" +
		"S: <task-data xmlns='urn:xmpp:sasl:2'><totp xmlns='urn:totp:example'>challenge</totp></task-data>\n" +
		"C: <task-data xmlns='urn:xmpp:sasl:2'><totp xmlns='urn:totp:example'>code2</totp></task-data>\n" +
		"S: <success xmlns='urn:xmpp:sasl:2'><totp xmlns='urn:totp:example'>done</totp><authorization-identifier>alice@localhost</authorization-identifier></success>\n" +
		"S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>\n" +
		"C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>\n" +
		"S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>\n" +
		"C: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
	task := new(totpTask)
	c := s2Conn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) {
		cfg.Reconnect.Disabled = true
		cfg.SASL2.Tasks = []xmpp.Task{task}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	assert.Equal(t, []string{"challenge"}, task.got)
	require.NoError(t, c.Close())
}

// TestSASL2TaskRefused: the server asks for a task the configuration
// does not carry out: the client aborts, and Connect says which tasks
// were asked for.
func TestSASL2TaskRefused(t *testing.T) {
	text := s2Open + s2Features("") + s2Auth("") +
		"S: <continue xmlns='urn:xmpp:sasl:2'><tasks><task>HOTP-EXAMPLE</task></tasks></continue>\n" +
		"C: <abort xmlns='urn:xmpp:sasl:2'/>\n" +
		"S: <failure xmlns='urn:xmpp:sasl:2'><aborted xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>\n" +
		"C: </stream:stream>\n"
	c := s2Conn(t, conns(smScript(t, text)))
	err := c.Connect(ctxT(t))
	require.ErrorIs(t, err, xmpp.ErrTaskRequired)
	assert.ErrorIs(t, err, &sasl.Failure{Condition: sasl.Aborted})
	assert.Contains(t, err.Error(), "HOTP-EXAMPLE")
}

// s2InlineSM offers Bind2 with stream management, and resumption inline.
var s2InlineSM = s2Features(s2Bind2(xmpp.NSStreamManagement) + "<sm xmlns='urn:xmpp:sm:3'/>")

// s2Login binds alice@localhost/r with Bind2 and stream management
// enabled inline (id some-long-sm-id).
var s2Login = s2Open + s2InlineSM + s2Auth(s2BindSM) +
	s2Success("alice@localhost/r", "<bound xmlns='urn:xmpp:bind:0'><enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/></bound>",
		"<sm xmlns='urn:xmpp:sm:3'/>")

// TestSASL2InlineResume: the stream drops; the reconnection resumes the
// session inside <authenticate/> (with a Bind2 request for the case it
// fails): <resumed/> in <success/> acknowledges m1, m2 is sent again,
// and nothing is bound.
func TestSASL2InlineResume(t *testing.T) {
	first := s2Login + msgLine("m1") + msgLine("m2") + serverMsg("s1")
	second := s2Open + s2InlineSM +
		s2Auth("<resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>"+s2BindSM) +
		s2Success("alice@localhost", "<resumed xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>", "<sm xmlns='urn:xmpp:sm:3'/>") +
		msgLine("m2") +
		"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
		"S: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
		smClose(3)
	hold := make(chan struct{})
	d := &heldDialer{conns: []net.Conn{smScript(t, first), smScript(t, second)}, hold: map[int]chan struct{}{1: hold}}
	c := s2Conn(t, d)
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1", "m2")
	e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
	close(hold)
	e.expect(t, "acked:m1", "state:resumed", "acked:m2")
	assert.Equal(t, "alice@localhost/r", c.JID().String())
	require.NoError(t, c.Close())
	closeID(t, e)
	e.expect(t, "state:closed")
}

// TestSASL2InlineResumeFailed: the server no longer has the session:
// <failed/> in <success/>, and Bind2 binds a new one, with stream
// management enabled; m2 goes out again on it.
func TestSASL2InlineResumeFailed(t *testing.T) {
	first := s2Login + msgLine("m1") + msgLine("m2") + serverMsg("s1")
	second := s2Open + s2InlineSM +
		s2Auth("<resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>"+s2BindSM) +
		s2Success("alice@localhost/r2",
			"<failed xmlns='urn:xmpp:sm:3' h='1'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"+
				"<bound xmlns='urn:xmpp:bind:0'><enabled xmlns='urn:xmpp:sm:3' id='sm-2' resume='true'/></bound>",
			"<sm xmlns='urn:xmpp:sm:3'/>") +
		msgLine("m2") +
		"S: <a xmlns='urn:xmpp:sm:3' h='1'/>\n" +
		smClose(2)
	hold := make(chan struct{})
	d := &heldDialer{conns: []net.Conn{smScript(t, first), smScript(t, second)}, hold: map[int]chan struct{}{1: hold}}
	c := s2Conn(t, d)
	e := watch(c)
	closed := stateErrs(c, xmpp.StateClosed)
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1", "m2")
	e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
	close(hold)
	e.expect(t, "acked:m1", "state:closed", "state:authenticated", "acked:m2")
	assert.ErrorIs(t, <-closed, xmpp.ErrResumeFailed)
	assert.Equal(t, "alice@localhost/r2", c.JID().String())
	require.NoError(t, c.Close())
	closeID(t, e)
}

// htProof is the base64 of HMAC-SHA-256(token, label || cb).
func htProof(token, label string, cb []byte) []byte {
	h := hmac.New(sha256.New, []byte(token))
	h.Write([]byte(label))
	h.Write(cb)
	return h.Sum(nil)
}

// htAuth is the client's <authenticate/> with token over mechanism,
// the channel-binding data cb, then more.
func htAuth(mechanism, token string, cb []byte, more string) string {
	ir := base64.StdEncoding.EncodeToString(append([]byte("alice\x00"), htProof(token, "Initiator", cb)...))
	return "C: <authenticate xmlns='urn:xmpp:sasl:2' mechanism='" + mechanism + "'><initial-response>" + ir + "</initial-response>" +
		"<user-agent id='" + s2UA + "'/><fast xmlns='urn:xmpp:fast:0'/>" + more + "</authenticate>\n"
}

func htSuccess(token string, cb []byte) string {
	return "<additional-data>" + base64.StdEncoding.EncodeToString(htProof(token, "Responder", cb)) + "</additional-data>"
}

const s2Bind = "<bind xmlns='urn:xmpp:bind:0'><tag>gosmack</tag></bind>"

// s2Bound is a Bind2 success without stream management, and the close.
func s2Bound(more string) string {
	return s2Success("alice@localhost/r", more+"<bound xmlns='urn:xmpp:bind:0'/>", "") +
		"C: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
}

// fastConn is s2Conn with the store, and every mechanism allowed (the
// server offers only PLAIN for passwords).
func fastConn(t *testing.T, d xmpp.Dialer, store xmpp.TokenStore) *xmpp.Conn {
	return s2Conn(t, d, func(cfg *xmpp.Config) {
		cfg.Mechanisms = nil
		cfg.Reconnect.Disabled = true
		cfg.SASL2.Tokens = store
	})
}

// TestFASTTokenRequestUseRotate: with a store, the first login asks for
// a token with the strongest FAST mechanism the connection can bind for
// (none without TLS: HT-SHA-256-NONE) and keeps the server's; the next
// login authenticates with it, checks the server's proof, and keeps the
// new token the server rotates to.
func TestFASTTokenRequestUseRotate(t *testing.T) {
	fast := s2Bind2() + "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism><mechanism>HT-SHA-256-EXPR</mechanism></fast>"
	first := s2Open + s2Features(fast) +
		s2Auth("<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>"+s2Bind) +
		s2Bound("<token xmlns='urn:xmpp:fast:0' token='secret-token:fast-1' expiry='2030-01-02T03:04:05Z'/>")
	second := s2Open + s2Features(fast) +
		htAuth("HT-SHA-256-NONE", "secret-token:fast-1", nil, s2Bind) +
		s2Bound(htSuccess("secret-token:fast-1", nil)+"<token xmlns='urn:xmpp:fast:0' token='secret-token:fast-2' expiry='2030-02-02T03:04:05Z'/>")
	store := new(xmpp.MemoryTokenStore)
	c := fastConn(t, conns(smScript(t, first), smScript(t, second)), store)
	require.NoError(t, c.Connect(ctxT(t)))
	tok, err := store.Load()
	require.NoError(t, err)
	assert.Equal(t, xmpp.FASTToken{Mechanism: sasl.HTSHA256None, Secret: "secret-token:fast-1", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}, tok)
	require.NoError(t, c.Close())
	require.NoError(t, c.Connect(ctxT(t)))
	tok, _ = store.Load()
	assert.Equal(t, "secret-token:fast-2", tok.Secret)
	assert.Equal(t, sasl.HTSHA256None, tok.Mechanism, "a rotated token keeps its mechanism")
	require.NoError(t, c.Close())
}

// TestFASTRefused: the server refuses the stored token. It is dropped,
// and the login starts again on a new connection with the password,
// asking for a new token.
func TestFASTRefused(t *testing.T) {
	fast := s2Bind2() + "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast>"
	first := s2Open + s2Features(fast) +
		htAuth("HT-SHA-256-NONE", "secret-token:old", nil, s2Bind) +
		"S: <failure xmlns='urn:xmpp:sasl:2'><credentials-expired xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>\n" +
		"C: </stream:stream>\n"
	second := s2Open + s2Features(fast) +
		s2Auth("<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>"+s2Bind) +
		s2Bound("<token xmlns='urn:xmpp:fast:0' token='secret-token:new' expiry='2030-01-02T03:04:05Z'/>")
	store := new(xmpp.MemoryTokenStore)
	require.NoError(t, store.Save(xmpp.FASTToken{Mechanism: sasl.HTSHA256None, Secret: "secret-token:old"}))
	c := fastConn(t, conns(smScript(t, first), smScript(t, second)), store)
	require.NoError(t, c.Connect(ctxT(t)))
	tok, _ := store.Load()
	assert.Equal(t, "secret-token:new", tok.Secret)
	require.NoError(t, c.Close())
}

// TestFASTBadProof: the server accepts the token but cannot prove it
// knows it: the login fails as a SCRAM login with a bad signature does.
func TestFASTBadProof(t *testing.T) {
	fast := s2Bind2() + "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast>"
	text := s2Open + s2Features(fast) +
		htAuth("HT-SHA-256-NONE", "secret-token:t", nil, s2Bind) +
		"S: <success xmlns='urn:xmpp:sasl:2'>" + htSuccess("secret-token:other", nil) + "<authorization-identifier>alice@localhost/r</authorization-identifier><bound xmlns='urn:xmpp:bind:0'/></success>\n" +
		"C: </stream:stream>\n"
	store := new(xmpp.MemoryTokenStore)
	require.NoError(t, store.Save(xmpp.FASTToken{Mechanism: sasl.HTSHA256None, Secret: "secret-token:t"}))
	c := fastConn(t, conns(smScript(t, text)), store)
	assert.ErrorIs(t, c.Connect(ctxT(t)), sasl.ErrServerSignature)
}

// TestFASTExpired: a token past its expiry is dropped without being
// tried; the password logs in and asks for a new one.
func TestFASTExpired(t *testing.T) {
	fast := s2Bind2() + "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast>"
	text := s2Open + s2Features(fast) +
		s2Auth("<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>"+s2Bind) +
		s2Bound("")
	store := new(xmpp.MemoryTokenStore)
	require.NoError(t, store.Save(xmpp.FASTToken{Mechanism: sasl.HTSHA256None, Secret: "secret-token:t", Expiry: time.Now().Add(-time.Minute)}))
	c := fastConn(t, conns(smScript(t, text)), store)
	require.NoError(t, c.Connect(ctxT(t)))
	tok, _ := store.Load()
	assert.Empty(t, tok.Secret)
	require.NoError(t, c.Close())
}

// fastTLS logs in over STARTTLS to a scripted server playing the
// transcript made by text from the server's certificate, with the TLS
// version capped at max, and returns Connect's error.
func fastTLS(t *testing.T, max uint16, store xmpp.TokenStore, text func(cert []byte) string) error {
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	cli.MaxVersion = max
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(text(srv.Certificates[0].Leaf.Raw)))
	require.NoError(t, err)
	c := xmpp.New(xmpp.Config{
		JID:               jid.MustParse("alice@localhost"),
		Password:          "alice-secret",
		Addr:              "scripted.invalid:5222",
		TLS:               cli,
		Dialer:            conns(xmpptest.ScriptTLS(t, tr, srv)),
		Reconnect:         xmpp.Reconnect{Disabled: true},
		NoInitialPresence: true,
		SASL2:             &xmpp.SASL2{UserAgent: s2UA, Tokens: store},
	})
	t.Cleanup(func() { c.Close() })
	return c.Connect(ctxT(t))
}

// s2TLSFeatures is the server's header and SASL2 offer with FAST's
// mechanisms, after TLS.
func s2TLSFeatures(fast ...string) string {
	var b strings.Builder
	b.WriteString("S: <?xml version='1.0'?><stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n")
	b.WriteString("S: <stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism><inline>" + s2Bind2() + "<fast xmlns='urn:xmpp:fast:0'>")
	for _, m := range fast {
		b.WriteString("<mechanism>" + m + "</mechanism>")
	}
	b.WriteString("</fast></inline></authentication></stream:features>\n")
	return b.String()
}

// TestFASTEndPoint: over TLS, a token asked for and used with
// HT-SHA-256-ENDP binds the proofs to the hash of the server's
// certificate (RFC 5929's tls-server-end-point: SHA-256 here).
func TestFASTEndPoint(t *testing.T) {
	store := new(xmpp.MemoryTokenStore)
	require.NoError(t, store.Save(xmpp.FASTToken{Mechanism: sasl.HTSHA256EndPoint, Secret: "secret-token:e"}))
	err := fastTLS(t, 0, store, func(cert []byte) string {
		sum := sha256.Sum256(cert)
		return plHeader + plStartTLS + plProceed + plTLSHeader + s2TLSFeatures("HT-SHA-256-NONE", "HT-SHA-256-ENDP") +
			htAuth("HT-SHA-256-ENDP", "secret-token:e", sum[:], s2Bind) +
			s2Success("alice@localhost/r", htSuccess("secret-token:e", sum[:])+"<bound xmlns='urn:xmpp:bind:0'/>", "") +
			"C: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
	})
	require.NoError(t, err)
}

// TestFASTMechanismChoice: the token is asked for with the strongest
// mechanism the connection can bind for: HT-SHA-256-EXPR on TLS 1.3,
// where tls-unique does not exist; HT-SHA-256-UNIQ on TLS 1.2 when the
// server offers no -EXPR (Prosody). And a stored token is used with its
// own mechanism: with -EXPR, the proof depends on the connection's
// exporter, which this script cannot compute, so the server's proof
// fails (ErrServerSignature) after the client chose and sent it.
func TestFASTMechanismChoice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     uint16
		offered []string
		want    string
	}{
		{"TLS 1.3", 0, []string{"HT-SHA-256-NONE", "HT-SHA-256-UNIQ", "HT-SHA-256-EXPR"}, "HT-SHA-256-EXPR"},
		{"TLS 1.3 without -EXPR", 0, []string{"HT-SHA-256-NONE", "HT-SHA-256-UNIQ"}, "HT-SHA-256-NONE"},
		{"TLS 1.2", 0x0303, []string{"HT-SHA-256-NONE", "HT-SHA-256-UNIQ"}, "HT-SHA-256-UNIQ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := new(xmpp.MemoryTokenStore)
			err := fastTLS(t, tc.max, store, func([]byte) string {
				return plHeader + plStartTLS + plProceed + plTLSHeader + s2TLSFeatures(tc.offered...) +
					s2Auth("<request-token xmlns='urn:xmpp:fast:0' mechanism='"+tc.want+"'/>"+s2Bind) +
					s2Success("alice@localhost/r", "<token xmlns='urn:xmpp:fast:0' token='secret-token:n'/><bound xmlns='urn:xmpp:bind:0'/>", "") +
					"C: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
			})
			require.NoError(t, err)
			tok, _ := store.Load()
			assert.Equal(t, xmpp.FASTToken{Mechanism: tc.want, Secret: "secret-token:n"}, tok)
		})
	}
	for _, tc := range []struct {
		name string
		max  uint16
		mech string
	}{{"EXPR", 0, "HT-SHA-256-EXPR"}, {"UNIQ", 0x0303, "HT-SHA-256-UNIQ"}} {
		t.Run("use "+tc.name, func(t *testing.T) {
			store := new(xmpp.MemoryTokenStore)
			require.NoError(t, store.Save(xmpp.FASTToken{Mechanism: tc.mech, Secret: "secret-token:x"}))
			err := fastTLS(t, tc.max, store, func([]byte) string {
				return plHeader + plStartTLS + plProceed + plTLSHeader + s2TLSFeatures("HT-SHA-256-NONE", tc.mech) +
					"C: <authenticate xmlns='urn:xmpp:sasl:2' mechanism='" + tc.mech + "'><initial-response>{{ir}}</initial-response>" +
					"<user-agent id='" + s2UA + "'/><fast xmlns='urn:xmpp:fast:0'/>" + s2Bind + "</authenticate>\n" +
					"S: <success xmlns='urn:xmpp:sasl:2'>" + htSuccess("secret-token:x", nil) + "<authorization-identifier>alice@localhost/r</authorization-identifier><bound xmlns='urn:xmpp:bind:0'/></success>\n" +
					"C: </stream:stream>\n"
			})
			assert.ErrorIs(t, err, sasl.ErrServerSignature, "a proof without the channel binding passed")
		})
	}
}

// TestTokenFile: a FileTokenStore keeps the token, and the installation
// id it belongs to, in a file only its owner reads, across opens; a
// damaged file is reported.
func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	f, err := xmpp.OpenTokenFile(path)
	require.NoError(t, err)
	assert.Equal(t, path, f.Path())
	tok, err := f.Load()
	require.NoError(t, err)
	assert.Zero(t, tok)
	want := xmpp.FASTToken{Mechanism: sasl.HTSHA256None, Secret: "secret-token:f", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	require.NoError(t, f.Save(want))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	g, err := xmpp.OpenTokenFile(path)
	require.NoError(t, err)
	tok, _ = g.Load()
	assert.True(t, want.Expiry.Equal(tok.Expiry))
	tok.Expiry = want.Expiry
	assert.Equal(t, want, tok)
	ua, err := g.UserAgent()
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f-]{36}$`, ua)
	require.NoError(t, g.Save(xmpp.FASTToken{}))
	g, err = xmpp.OpenTokenFile(path)
	require.NoError(t, err)
	again, err := g.UserAgent()
	require.NoError(t, err)
	assert.Equal(t, ua, again, "the installation id is kept with the token")
	g, err = xmpp.OpenTokenFile(path)
	require.NoError(t, err)
	tok, _ = g.Load()
	assert.Zero(t, tok)

	require.NoError(t, os.WriteFile(path, []byte("{"), 0o600))
	_, err = xmpp.OpenTokenFile(path)
	assert.ErrorIs(t, err, xmpp.ErrCorruptTokenFile)
	require.NoError(t, os.WriteFile(path, []byte(`{"format":9}`), 0o600))
	_, err = xmpp.OpenTokenFile(path)
	assert.ErrorIs(t, err, xmpp.ErrCorruptTokenFile)
	_, err = xmpp.OpenTokenFile(t.TempDir())
	assert.Error(t, err)
}

// TestUserAgent: without a configured id, a Conn generates a UUID v4
// once; a configured one is used as it is.
func TestUserAgent(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	ua := c.UserAgent()
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, ua)
	assert.Equal(t, ua, c.UserAgent())
	assert.NotEqual(t, ua, xmpp.New(xmpp.Config{}).UserAgent())
	assert.Equal(t, s2UA, xmpp.New(xmpp.Config{SASL2: &xmpp.SASL2{UserAgent: s2UA}}).UserAgent())
	assert.Panics(t, func() { c.InlineBind(nil) })
}

var _ = context.Background
var _ = errors.New

// TestSASL2Pipelined: the first login learns the server's SASL2 offer,
// and that it offers stream management after success (no inline
// stream management: Prosody 0.12). The second writes its
// <authenticate/> with the stream header after TLS, and <enable/> right
// after it (PLAIN says all in its one message), so that <enabled/> comes
// with <success/> and the initial presence follows at once.
func TestSASL2Pipelined(t *testing.T) {
	features := "S: <?xml version='1.0'?><stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
		"S: <stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism><inline>" + s2Bind2("urn:xmpp:csi:0") +
		"</inline></authentication></stream:features>\n"
	success := s2Success("alice@localhost/r", "<bound xmlns='urn:xmpp:bind:0'/>", "<sm xmlns='urn:xmpp:sm:3'/>")
	enabled := "S: <enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>\n"
	enable := "C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\n"
	end := "C: <presence id='{{p}}'/>\n" + smClose(2)
	first := plHeader + plStartTLS + plProceed + plTLSHeader + features + s2Auth(s2Bind) + success + enable + enabled + end
	second := plHeader + plStartTLS + plProceed + plTLSHeader + s2Auth(s2Bind) + enable + features + success + enabled + end
	ws := pipelined(t, func(cfg *xmpp.Config) { cfg.SASL2 = &xmpp.SASL2{UserAgent: s2UA} }, first, second)
	assert.False(t, ws[0].together("<stream:stream", "<authenticate"), "first login: the offer was not known")
	assert.True(t, ws[1].together("from='alice@localhost'", "<authenticate", "</authenticate><enable"), "second login: not written ahead")
}

// TestSASL2PipelinedStale: the request written ahead no longer fits: the
// server dropped PLAIN from SASL2 and refuses it. The login starts again
// on a new connection, from that one's features (here the server has
// no SASL2 at all any more).
func TestSASL2PipelinedStale(t *testing.T) {
	features := "S: <?xml version='1.0'?><stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
		"S: <stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism><inline>" + s2Bind2() + "</inline></authentication></stream:features>\n"
	end := "C: <presence id='{{p}}'/>\nC: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
	first := plHeader + plStartTLS + plProceed + plTLSHeader + features + s2Auth(s2Bind) +
		s2Success("alice@localhost/r", "<bound xmlns='urn:xmpp:bind:0'/>", "") + end
	second := plHeader + plStartTLS + plProceed + plTLSHeader + s2Auth(s2Bind) +
		strings.Replace(features, "<mechanism>PLAIN</mechanism>", "<mechanism>SCRAM-SHA-1</mechanism>", 1) +
		"S: <failure xmlns='urn:xmpp:sasl:2'><invalid-mechanism xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>\n" +
		"C: </stream:stream>\n"
	third := plHeader + plStartTLS + plProceed + plTLSHeader + plFeatures("PLAIN") + plPLAIN + plSuccess + plBound + plClose
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	var cs []net.Conn
	for i, text := range []string{first, second, third} {
		tr, err := xmpptest.ParseTranscript(t.Name()+"/"+itoa(i+1), strings.NewReader(text))
		require.NoError(t, err)
		cs = append(cs, xmpptest.ScriptTLS(t, tr, srv))
	}
	c := xmpp.New(xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret", Addr: "scripted.invalid:5222", TLS: cli,
		Dialer: conns(cs...), Reconnect: xmpp.Reconnect{Disabled: true}, SASL2: &xmpp.SASL2{UserAgent: s2UA},
	})
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Close())
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Close())
}

// onesReader is an endless source of 0x01 bytes: SCRAM nonces that a
// test can compute.
type onesReader struct{}

func (onesReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 1
	}
	return len(p), nil
}

// TestSASL2Downgrade: the server signs (XEP-0474, in SCRAM's
// server-first-message) an offer other than the one the client
// received, here with SCRAM-SHA-1-PLUS that someone stripped from the
// features: the client aborts, and the login fails with
// sasl.ErrDowngrade, not to be retried. With the right signature the
// login goes on.
func TestSASL2Downgrade(t *testing.T) {
	m, err := sasl.New("SCRAM-SHA-1", &sasl.Config{Username: "alice", Password: "alice-secret", Rand: onesReader{}}, sasl.Stream{})
	require.NoError(t, err)
	first, err := m.Step(nil)
	require.NoError(t, err)
	nonce := string(first[strings.Index(string(first), "r=")+2:])
	features := "S: <stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>SCRAM-SHA-1</mechanism></authentication></stream:features>\n"
	auth := "C: <authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-1'><initial-response>" + base64.StdEncoding.EncodeToString(first) +
		"</initial-response><user-agent id='" + s2UA + "'/></authenticate>\n"
	challenge := func(h string) string {
		sf := "r=" + nonce + "srv,s=QSXCR+Q6sek8bf92,i=4096,h=" + h
		return "S: <challenge xmlns='urn:xmpp:sasl:2'>" + base64.StdEncoding.EncodeToString([]byte(sf)) + "</challenge>\n"
	}
	signed := func(mechs ...string) string {
		sum := sha1Sum(strings.Join(mechs, "\x1e"))
		return base64.StdEncoding.EncodeToString(sum)
	}
	cfg := func(cfg *xmpp.Config) {
		cfg.Mechanisms = []string{"SCRAM-SHA-1"}
		cfg.Rand = onesReader{}
		cfg.Reconnect.Disabled = true
	}

	text := s2Open + features + auth + challenge(signed("SCRAM-SHA-1", "SCRAM-SHA-1-PLUS")) +
		"C: <abort xmlns='urn:xmpp:sasl:2'/>\n" +
		"S: <failure xmlns='urn:xmpp:sasl:2'><aborted xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>\n" +
		"C: </stream:stream>\n"
	c := s2Conn(t, conns(smScript(t, text)), cfg)
	err = c.Connect(ctxT(t))
	require.ErrorIs(t, err, sasl.ErrDowngrade)

	text = s2Open + features + auth + challenge(signed("SCRAM-SHA-1")) +
		"C: <response xmlns='urn:xmpp:sasl:2'>{{final}}</response>\n" +
		"S: <failure xmlns='urn:xmpp:sasl:2'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>\n" +
		"C: </stream:stream>\n"
	c = s2Conn(t, conns(smScript(t, text)), cfg)
	err = c.Connect(ctxT(t))
	require.ErrorIs(t, err, &sasl.Failure{Condition: sasl.NotAuthorized}, "the signed offer matched: the exchange went on")
}

func sha1Sum(s string) []byte {
	h := sha1.New()
	h.Write([]byte(s))
	return h.Sum(nil)
}

// TestSASL2ResumeAhead: the server has no inline stream management, but
// offered it after SASL2 success at the first login. The reconnection
// writes <authenticate/> (PLAIN: one message, no Bind2, as the session
// is to be resumed) with the stream header and <resume/> right after
// it; the server's answers come together.
func TestSASL2ResumeAhead(t *testing.T) {
	features := "S: <?xml version='1.0'?><stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
		"S: <stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism><inline>" + s2Bind2() + "</inline></authentication></stream:features>\n"
	first := plHeader + plStartTLS + plProceed + plTLSHeader + features + s2Auth(s2Bind) +
		s2Success("alice@localhost/r", "<bound xmlns='urn:xmpp:bind:0'/>", "<sm xmlns='urn:xmpp:sm:3'/>") +
		"C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\n" +
		"S: <enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>\n" +
		msgLine("m1")
	second := plHeader + plStartTLS + plProceed + plTLSHeader + s2Auth("") +
		"C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
		features + s2Success("alice@localhost", "", "<sm xmlns='urn:xmpp:sm:3'/>") +
		"S: <resumed xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
		"C: <r xmlns='urn:xmpp:sm:3'/>\n" +
		"S: <a xmlns='urn:xmpp:sm:3' h='1'/>\n" +
		smClose(2)
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	var cs []net.Conn
	for i, text := range []string{first, second} {
		tr, err := xmpptest.ParseTranscript(t.Name()+"/"+itoa(i+1), strings.NewReader(text))
		require.NoError(t, err)
		cs = append(cs, xmpptest.ScriptTLS(t, tr, srv))
	}
	hold := make(chan struct{})
	w := new(switchWriter)
	ws := []*writes{new(writes), new(writes)}
	w.w.Store(ws[0])
	c := xmpp.New(xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret", Addr: "scripted.invalid:5222", TLS: cli,
		Dialer:            &heldDialer{conns: cs, hold: map[int]chan struct{}{1: hold}},
		NoInitialPresence: true,
		StreamManagement:  xmpp.StreamManagement{RequestAfter: time.Hour},
		Reconnect:         xmpp.Reconnect{Policy: xmpp.FixedDelay(0)},
		SASL2:             &xmpp.SASL2{UserAgent: s2UA},
		Recorder:          w,
	})
	t.Cleanup(func() { c.Close() })
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	sendAll(t, c, "m1")
	e.expect(t, "state:authenticated", "state:disconnected")
	w.w.Store(ws[1])
	close(hold)
	e.expect(t, "acked:m1", "state:resumed")
	assert.True(t, ws[1].together("from='alice@localhost'", "<authenticate", "</authenticate><resume"), "not written ahead")
	// The ack request that follows <resumed/> goes out before Close.
	require.Eventually(t, func() bool { return ws[1].together("<r xmlns='urn:xmpp:sm:3'/>") }, 10*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	closeID(t, e)
	e.expect(t, "state:closed")
}
