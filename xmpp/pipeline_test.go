package xmpp_test

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pipelining: what the client writes without waiting for the server. In
// these transcripts the scripted server reads every client line written
// before its own next line, so a client that waited where it pipelines
// would never get the answer it waits for. Which writes went out together
// is read from the Recorder, which records each write on one line.

// Pieces of the transcripts: alice@localhost logging in.
const (
	plHeader    = "C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n"
	plTLSHeader = "C: <?xml version='1.0'?><stream:stream to='localhost' from='alice@localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n"
	plStartTLS  = "C: <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
	plProceed   = "S: <?xml version='1.0'?><stream:stream from='localhost' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
		"S: <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>\n" +
		"S: <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
	plPLAIN   = "C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXNlY3JldA==</auth>\n"
	plSuccess = "S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\n"
	// plBound is the restart after SASL, bind and the initial presence.
	plBound = plTLSHeader +
		"S: <?xml version='1.0'?><stream:stream from='localhost' id='s3' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
		"S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>\n" +
		"C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>\n" +
		"S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>\n" +
		"C: <presence id='{{p}}'/>\n"
	plClose = "C: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
)

// plFeatures is the server's header and SASL offer after TLS.
func plFeatures(mechanisms ...string) string {
	var b strings.Builder
	b.WriteString("S: <?xml version='1.0'?><stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n")
	b.WriteString("S: <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>")
	for _, m := range mechanisms {
		b.WriteString("<mechanism>" + m + "</mechanism>")
	}
	b.WriteString("</mechanisms></stream:features>\n")
	return b.String()
}

// plAuth is an <auth/> whose initial response is captured as name.
func plAuth(mechanism, name string) string {
	return "C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism + "'>{{" + name + "}}</auth>\n"
}

// writes records what the client wrote, one write per entry.
type writes struct {
	mu  sync.Mutex
	all []string
}

func (w *writes) Write(b []byte) (int, error) {
	if line, ok := strings.CutPrefix(string(b), "C: "); ok {
		w.mu.Lock()
		w.all = append(w.all, line)
		w.mu.Unlock()
	}
	return len(b), nil
}

// together reports whether one write carried all of parts.
func (w *writes) together(parts ...string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range w.all {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// switchWriter writes to the writes of the login under way.
type switchWriter struct{ w atomic.Pointer[writes] }

func (s *switchWriter) Write(b []byte) (int, error) { return s.w.Load().Write(b) }

// pipelined logs in over STARTTLS to the scripted servers, one per
// login: Connect, Close, Connect again. It returns the writes of each.
func pipelined(t *testing.T, cfgf func(*xmpp.Config), transcripts ...string) []*writes {
	t.Helper()
	return pipelinedN(t, cfgf, len(transcripts), transcripts...)
}

// pipelinedN is pipelined with logins Connects: a login that connects
// twice plays two transcripts, one after the other.
func pipelinedN(t *testing.T, cfgf func(*xmpp.Config), logins int, transcripts ...string) []*writes {
	t.Helper()
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	var cs []net.Conn
	for i, text := range transcripts {
		tr, err := xmpptest.ParseTranscript(t.Name()+"/"+itoa(i+1), strings.NewReader(text))
		require.NoError(t, err)
		cs = append(cs, xmpptest.ScriptTLS(t, tr, srv))
	}
	cfg := xmpp.Config{
		JID:       jid.MustParse("alice@localhost"),
		Password:  "alice-secret",
		Addr:      "scripted.invalid:5222",
		TLS:       cli,
		Dialer:    conns(cs...),
		Reconnect: xmpp.Reconnect{Disabled: true},
	}
	if cfgf != nil {
		cfgf(&cfg)
	}
	sw := new(switchWriter)
	cfg.Recorder = sw
	var ws []*writes
	c := xmpp.New(cfg)
	for range logins {
		w := new(writes)
		ws = append(ws, w)
		sw.w.Store(w)
		require.NoError(t, c.Connect(ctxT(t)))
		require.NoError(t, c.Close())
	}
	return ws
}

// TestPipelinedStartTLSAndAuth: the STARTTLS request goes with the first
// stream header; the first login learns the SASL offer, and the second
// writes its <auth/> with the stream header after TLS.
func TestPipelinedStartTLSAndAuth(t *testing.T) {
	first := plHeader + plStartTLS + plProceed + plTLSHeader + plFeatures("PLAIN") + plPLAIN + plSuccess + plBound + plClose
	second := plHeader + plStartTLS + plProceed + plTLSHeader + plPLAIN + plFeatures("PLAIN") + plSuccess + plBound + plClose
	ws := pipelined(t, nil, first, second)
	for i, w := range ws {
		assert.True(t, w.together("<stream:stream", "<starttls"), "login %d: the STARTTLS request without the header", i+1)
	}
	assert.False(t, ws[0].together("<stream:stream", "<auth"), "first login: the offer was not known")
	assert.True(t, ws[1].together("from='alice@localhost'", "<auth"), "second login: <auth/> without the header")
}

// TestPipelinedAuthNoLongerOffered: the mechanism the last login used
// (X-OAUTH2) is no longer offered. The server refuses the <auth/> that
// went with the header, and the client starts again from the features:
// PLAIN.
func TestPipelinedAuthNoLongerOffered(t *testing.T) {
	first := plHeader + plStartTLS + plProceed + plTLSHeader + plFeatures("X-OAUTH2", "PLAIN") + plAuth("X-OAUTH2", "x1") + plSuccess + plBound + plClose
	second := plHeader + plStartTLS + plProceed + plTLSHeader + plAuth("X-OAUTH2", "x2") + plFeatures("PLAIN") +
		"S: <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>\n" +
		plPLAIN + plSuccess + plBound + plClose
	ws := pipelined(t, func(cfg *xmpp.Config) { cfg.Token = "t0ken" }, first, second)
	assert.True(t, ws[1].together("from='alice@localhost'", "mechanism='X-OAUTH2'"))
}

// TestPipelinedAuthWithdrawn: the offer changed (PLAIN was added) though
// the mechanism chosen from the old one is still there. The server
// challenges the <auth/> that went with the header; the client aborts it
// and starts again from the features, which choose OAUTHBEARER again.
func TestPipelinedAuthWithdrawn(t *testing.T) {
	first := plHeader + plStartTLS + plProceed + plTLSHeader + plFeatures("OAUTHBEARER") + plAuth("OAUTHBEARER", "o1") + plSuccess + plBound + plClose
	second := plHeader + plStartTLS + plProceed + plTLSHeader + plAuth("OAUTHBEARER", "o2") + plFeatures("OAUTHBEARER", "PLAIN") +
		"S: <challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=</challenge>\n" +
		"C: <abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\n" +
		"S: <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>\n" +
		plAuth("OAUTHBEARER", "o3") + plSuccess + plBound + plClose
	pipelined(t, func(cfg *xmpp.Config) { cfg.Token = "t0ken" }, first, second)
}

// TestPipelinedAuthAcceptedAnyway: the offer changed (OAUTHBEARER was
// added, which the client prefers), but the server accepts the X-OAUTH2
// <auth/> that went with the header: the login goes on with it.
func TestPipelinedAuthAcceptedAnyway(t *testing.T) {
	first := plHeader + plStartTLS + plProceed + plTLSHeader + plFeatures("X-OAUTH2") + plAuth("X-OAUTH2", "x1") + plSuccess + plBound + plClose
	second := plHeader + plStartTLS + plProceed + plTLSHeader + plAuth("X-OAUTH2", "x2") + plFeatures("X-OAUTH2", "OAUTHBEARER") +
		plSuccess + plBound + plClose
	pipelined(t, func(cfg *xmpp.Config) { cfg.Token = "t0ken" }, first, second)
}

// smBindEnable binds alice@localhost/r with <enable/> written right
// after the request: the scripted server reads both before it answers.
const smBindEnable = `C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>
C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>
S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>
`

// withPresence sends the initial presence, which smConn turns off.
func withPresence(cfg *xmpp.Config) { cfg.NoInitialPresence = false }

// TestSMEnableWithBind: <enable/> goes right after the bind request when
// the server picks the resource; the initial presence waits for
// <enabled/>, and is counted.
func TestSMEnableWithBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBindEnable +
			"S: <enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>\n" +
			"C: <presence id='{{p}}'/>\n" + msgLine("m1") + smClose(3)
		c := smConn(t, conns(smScript(t, text)), withPresence, func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1")
		e.expect(t, "state:authenticated")
		require.NoError(t, c.Close())
		closeID(t, e) // the initial presence
		e.expect(t, "acked:m1")
		closeID(t, e)
		e.expect(t, "state:closed")
	})
}

// TestSMEnableWithBindFailed: the server refuses the <enable/> that went
// with the bind request; the session goes on without stream management
// (no ack request, not even at Close).
func TestSMEnableWithBindFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBindEnable +
			"S: <failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
			"C: <presence id='{{p}}'/>\n" + msgLine("m1") +
			"C: <presence id='{{u}}' type='unavailable'/>\nC: </stream:stream>\nS: </stream:stream>\n"
		c := smConn(t, conns(smScript(t, text)), withPresence, func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true })
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1")
		require.NoError(t, c.Close())
		e.expect(t, "state:authenticated", "state:closed")
	})
}

// TestSMEnableWithBindOfResource: with a resource asked for, <enable/>
// still goes right after the bind request. Bound: both are answered
// together. In use: the server refuses the bind, and then the <enable/>
// (the stream is not bound); the client asks the server to choose, with
// <enable/> again.
func TestSMEnableWithBindOfResource(t *testing.T) {
	const ask = "C: <iq type='set' id='{{b1}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>phone</resource></bind></iq>\n" +
		"C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\n"
	const enabled = "S: <enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>\n"
	for _, tc := range []struct{ name, text, jid string }{
		{"bound", ask +
			"S: <iq type='result' id='{{b1}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/phone</jid></bind></iq>\n" +
			enabled, "alice@localhost/phone"},
		{"conflict", ask +
			"S: <iq type='error' id='{{b1}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>\n" +
			"S: <failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>\n" +
			"C: <iq type='set' id='{{b2}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>\n" +
			"C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\n" +
			"S: <iq type='result' id='{{b2}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>\n" +
			enabled, "alice@localhost/r"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := smConn(t, conns(smScript(t, smLogin+tc.text+smClose(1))), func(cfg *xmpp.Config) {
					cfg.Resource = "phone"
					cfg.Reconnect.Disabled = true
				})
				e := watch(c)
				require.NoError(t, c.Connect(ctxT(t)))
				e.expect(t, "state:authenticated")
				assert.Equal(t, tc.jid, c.JID().String())
				require.NoError(t, c.Close())
				closeID(t, e)
				e.expect(t, "state:closed")
			})
		})
	}
}

// The restart written ahead: SCRAM-SHA-1 logins of alice, whose nonces
// come from onesReader, so that the scripted server's messages can be
// computed; the client's are captured.

// scramLogin is what a scripted server needs of one SCRAM-SHA-1 login:
// its challenge and its success, with the server's signature.
type scramLogin struct{ challenge, success string }

func newSCRAMLogin(t *testing.T) scramLogin {
	t.Helper()
	m, err := sasl.New("SCRAM-SHA-1", &sasl.Config{Username: "alice", Password: "alice-secret", Rand: onesReader{}}, sasl.Stream{})
	require.NoError(t, err)
	first, err := m.Step(nil)
	require.NoError(t, err)
	bare := string(first[strings.Index(string(first), "n="):])
	nonce := bare[strings.Index(bare, "r=")+2:] + "srv"
	salt := []byte("some salt")
	serverFirst := "r=" + nonce + ",s=" + base64.StdEncoding.EncodeToString(salt) + ",i=4096"
	// On TLS, with no -PLUS offered, the client says it could bind: y.
	finalNoProof := "c=" + base64.StdEncoding.EncodeToString([]byte("y,,")) + ",r=" + nonce
	salted, err := pbkdf2.Key(sha1.New, "alice-secret", salt, 4096, sha1.Size)
	require.NoError(t, err)
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha1.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	sig := mac(mac(salted, "Server Key"), bare+","+serverFirst+","+finalNoProof)
	return scramLogin{
		challenge: "S: <challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64.StdEncoding.EncodeToString([]byte(serverFirst)) + "</challenge>\n",
		success:   "S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64.StdEncoding.EncodeToString([]byte("v="+base64.StdEncoding.EncodeToString(sig))) + "</success>\n",
	}
}

// Pieces of the transcripts of the restart written ahead.
const (
	raAuth     = "C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>{{a}}</auth>\n"
	raResponse = "C: <response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{{r}}</response>\n"
	// raAhead is the header of the restart written ahead: no XML
	// declaration.
	raAhead  = "C: <stream:stream to='localhost' from='alice@localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n"
	raBind   = "C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>\n"
	raEnable = "C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\n"
	raServer = "S: <?xml version='1.0'?><stream:stream from='localhost' id='s3' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n" +
		"S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind><sm xmlns='urn:xmpp:sm:3'/></stream:features>\n"
	raBound   = "S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>\n"
	raEnabled = "S: <enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>\n"
	raPing    = "C: <iq type='get' id='{{ping}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>\n"
	raPong    = "S: <iq type='result' id='{{ping}}' from='localhost'/>\n"
	raEnd     = "C: <presence id='{{p}}'/>\n" + "C: <presence id='{{u}}' type='unavailable'/>\nC: <r xmlns='urn:xmpp:sm:3'/>\nC: <a xmlns='urn:xmpp:sm:3' h='{{*}}'/>\nC: </stream:stream>\n" +
		"S: <a xmlns='urn:xmpp:sm:3' h='2'/>\nS: </stream:stream>\n"
)

// raClassic is a login with SCRAM that waits for <success/>, the header
// of the restart with the XML declaration, then bind and <enable/>.
// known: the <auth/> goes with the stream header (an earlier login
// learned the offer).
func raClassic(l scramLogin, known bool) string {
	out := plHeader + plStartTLS + plProceed + plTLSHeader
	if known {
		out += raAuth + plFeatures("SCRAM-SHA-1")
	} else {
		out += plFeatures("SCRAM-SHA-1") + raAuth
	}
	return out + l.challenge + raResponse + l.success + plTLSHeader + raServer + raBind + raEnable + raBound + raEnabled + raEnd
}

// raLogin is the beginning of a login after the first: the <auth/> with
// the header, SCRAM's final message, and what l says.
func raLogin(l scramLogin) string {
	return plHeader + plStartTLS + plProceed + plTLSHeader + raAuth + plFeatures("SCRAM-SHA-1") + l.challenge + raResponse
}

func raConfig(cfg *xmpp.Config) { cfg.Rand, cfg.RestartAhead = onesReader{}, true }

// TestRestartAheadOff: without Config.RestartAhead (the default) every
// login waits for <success/> and the new features.
func TestRestartAheadOff(t *testing.T) {
	l := newSCRAMLogin(t)
	ws := pipelined(t, func(cfg *xmpp.Config) { cfg.Rand = onesReader{} }, raClassic(l, false), raClassic(l, true), raClassic(l, true))
	for i, w := range ws {
		assert.False(t, w.together("<response", "<stream:stream"), "login %d: written ahead", i+1)
	}
}

// TestRestartAhead: the first login learns that the features after SASL
// are bind and stream management. The second writes the restart's header
// and the bind request with SCRAM's final message; the server answers
// them with <success/>, and a ping written alone, with <enable/> right
// after it (the script reads both before it answers), shows the stream
// still works. The third writes <enable/> ahead too: after
// TLS, two round trips.
func TestRestartAhead(t *testing.T) {
	l := newSCRAMLogin(t)
	probing := raLogin(l) + raAhead + raBind + l.success + raServer + raBound + raPing + raEnable + raPong + raEnabled + raEnd
	trusted := raLogin(l) + raAhead + raBind + raEnable + l.success + raServer + raBound + raEnabled + raEnd
	ws := pipelined(t, raConfig, raClassic(l, false), probing, trusted, trusted)
	assert.False(t, ws[0].together("<response", "<stream:stream"), "first login: nothing known")
	assert.True(t, ws[1].together("<response", "<stream:stream", "<bind"), "second login: not written ahead")
	assert.False(t, ws[1].together("<bind", "<enable"), "second login: <enable/> before the stream was checked")
	for _, w := range ws[2:] {
		assert.True(t, w.together("<response", "<stream:stream", "<bind", "<enable"), "trusted: not all written ahead")
	}
}

// TestRestartAheadUnanswered: the server (as ejabberd 23.01 does) sends
// nothing after <success/>: its parser took the header as a child of the
// stream SASL ended. After aheadWait the client gives up on that
// connection and logs in again on a new one, the classic way, and the
// Conn never writes a restart ahead again.
func TestRestartAheadUnanswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newSCRAMLogin(t)
		dropped := raLogin(l) + raAhead + raBind + l.success + "C: </stream:stream>\n"
		ws := pipelinedN(t, raConfig, 3, raClassic(l, false), dropped, raClassic(l, true), raClassic(l, true))
		assert.True(t, ws[1].together("<response", "<stream:stream", "<bind"))
		assert.False(t, ws[2].together("<response", "<stream:stream"), "written ahead again")
	})
}

// TestRestartAheadBroken: the server (as Prosody 0.12 does) answers the
// restart and the bind written ahead, but the ping written after them
// ends the stream: its parser lost the stream header. The login starts
// again on a new connection, and the Conn never writes a restart ahead
// again.
func TestRestartAheadBroken(t *testing.T) {
	l := newSCRAMLogin(t)
	broken := raLogin(l) + raAhead + raBind + l.success + raServer + raBound + raPing + raEnable +
		"S: <stream:error><unsupported-stanza-type xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>\n" +
		"C: </stream:stream>\n"
	ws := pipelinedN(t, raConfig, 3, raClassic(l, false), broken, raClassic(l, true), raClassic(l, true))
	assert.False(t, ws[2].together("<response", "<stream:stream"), "written ahead again")
}

// TestRestartAheadResume: once the server has passed the check, a
// reconnection writes <resume/> ahead, after the restart's header, with
// SCRAM's final message, and the session is resumed in the answer to it.
func TestRestartAheadResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newSCRAMLogin(t)
		// The second login checks the stream; then the server goes away.
		probing := raLogin(l) + raAhead + raBind + l.success + raServer + raBound + raPing + raEnable + raPong + raEnabled +
			"C: <presence id='{{p}}'/>\n"
		resumed := raLogin(l) + raAhead + "C: <resume xmlns='urn:xmpp:sm:3' previd='some-long-sm-id' h='0'/>\n" + l.success + raServer +
			"S: <resumed xmlns='urn:xmpp:sm:3' previd='some-long-sm-id' h='1'/>\n" // then the server goes away again
		srv, cli := xmpptest.TLSConfigs(t, "localhost")
		var cs []net.Conn
		for i, text := range []string{raClassic(l, false), probing, resumed} {
			tr, err := xmpptest.ParseTranscript(t.Name()+"/"+itoa(i+1), strings.NewReader(text))
			require.NoError(t, err)
			cs = append(cs, xmpptest.ScriptTLS(t, tr, srv))
		}
		w := new(writes)
		c := xmpp.New(xmpp.Config{
			JID: jid.MustParse("alice@localhost"), Password: "alice-secret", Addr: "scripted.invalid:5222", TLS: cli,
			Dialer: conns(cs...), Rand: onesReader{}, Recorder: w, RestartAhead: true,
			Reconnect: xmpp.Reconnect{Policy: xmpp.FixedDelay(time.Second)},
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		require.NoError(t, c.Close())
		require.NoError(t, c.Connect(ctxT(t)))
		e.until(t, "state:resumed")
		c.Close() // the stream may be gone already: the script has ended
		assert.True(t, w.together("<response", "<stream:stream", "<resume"), "<resume/> not written ahead")
	})
}
