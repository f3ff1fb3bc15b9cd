package xmpp_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
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

func load(t *testing.T, name string) *xmpptest.Transcript {
	t.Helper()
	return xmpptest.MustLoadTranscript(t, filepath.Join("testdata", name))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// scripted returns a configuration for alice@localhost whose only
// connection goes to a scripted server playing tr over STARTTLS.
func scripted(t *testing.T, tr *xmpptest.Transcript) xmpp.Config {
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	return xmpp.Config{
		JID:      jid.MustParse("alice@localhost"),
		Password: "alice-secret",
		Addr:     "scripted.invalid:5222",
		TLS:      cli,
		Dialer:   conns(xmpptest.ScriptTLS(t, tr, srv)),
		// One scripted connection: nothing to reconnect to.
		Reconnect: xmpp.Reconnect{Disabled: true},
	}
}

// TestReplayRecorded replays sessions recorded live against Prosody and
// ejabberd (see TestIntegrationRecordAndReplay): STARTTLS, SCRAM-SHA-1,
// -256 and -512 and PLAIN, bind, presence, a ping, close. The scripted
// server checks every element the client sends, nonces and proofs
// included.
func TestReplayRecorded(t *testing.T) {
	for _, tc := range []struct{ file, mechanism string }{
		{"prosody-scram-sha-256.xmpp", "SCRAM-SHA-256"},
		{"prosody-scram-sha-1.xmpp", "SCRAM-SHA-1"},
		{"prosody-plain.xmpp", "PLAIN"},
		{"ejabberd-scram-sha-512.xmpp", "SCRAM-SHA-512"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			replayFixture(t, load(t, tc.file), tc.mechanism)
		})
	}
}

// TestLoginRoundTrips counts the round trips of a recorded login: each
// time the client must wait for the server before it can go on. RFC 6120
// needs seven for STARTTLS and a two-step SCRAM: stream, STARTTLS, stream
// again, two SASL steps, stream again, bind. Initial presence waits for
// nothing. The replay in TestReplayRecorded proves the client makes no
// others: the scripted server would see an element it does not expect.
func TestLoginRoundTrips(t *testing.T) {
	tr := load(t, "prosody-scram-sha-256.xmpp")
	trips := 0
	for i, st := range tr.Steps {
		if st.From == xmpptest.Server && i > 0 && tr.Steps[i-1].From == xmpptest.Client {
			trips++
		}
		if strings.Contains(st.XML, "urn:ietf:params:xml:ns:xmpp-bind'><jid>") {
			break
		}
	}
	assert.Equal(t, 7, trips)
}

// TestWrongServerSignature replays the recorded SCRAM login with the
// server's final signature changed: the client must refuse the
// "success" and close, since the server did not prove it knows the
// password.
func TestWrongServerSignature(t *testing.T) {
	tr := load(t, "prosody-scram-sha-256.xmpp")
	var steps []xmpptest.Step
	for _, st := range tr.Steps {
		if strings.HasPrefix(st.XML, "<success") {
			bad := base64.StdEncoding.EncodeToString([]byte("v=" + base64.StdEncoding.EncodeToString(make([]byte, 32))))
			st.XML = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + bad + "</success>"
			steps = append(steps, st, xmpptest.Step{From: xmpptest.Client, XML: "</stream:stream>"})
			break
		}
		steps = append(steps, st)
	}
	tr.Steps = steps
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	cli.MinVersion = tls.VersionTLS13
	cfg := fixtureConfig("SCRAM-SHA-256")
	cfg.Addr, cfg.TLS, cfg.Dialer = "scripted.invalid:5222", cli, conns(xmpptest.ScriptTLS(t, tr, srv))
	_, err := xmpp.Dial(ctxT(t), cfg)
	require.ErrorIs(t, err, sasl.ErrServerSignature)
}

func TestTLSStrippedRefused(t *testing.T) {
	cfg := scripted(t, load(t, "tls-stripped.xmpp"))
	_, err := xmpp.Dial(ctxT(t), cfg)
	require.ErrorIs(t, err, xmpp.ErrTLSNotOffered)
}

func TestPlainOnPlaintextRefused(t *testing.T) {
	cfg := scripted(t, load(t, "plain-refused.xmpp"))
	cfg.Security = xmpp.TLSIfPossible
	_, err := xmpp.Dial(ctxT(t), cfg)
	require.ErrorIs(t, err, sasl.ErrPlainWithoutTLS)
}

func TestStreamErrorDuringNegotiation(t *testing.T) {
	cfg := scripted(t, load(t, "stream-error.xmpp"))
	_, err := xmpp.Dial(ctxT(t), cfg)
	var se *stanza.StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, stanza.HostUnknown, se.Condition)
	assert.Equal(t, "no such domain here", se.Text)
}

// TestSeeOtherHost: the first server redirects, the client follows once
// to the address given, and still verifies the certificate against the
// XMPP domain.
func TestSeeOtherHost(t *testing.T) {
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	d := conns(xmpptest.Script(t, load(t, "see-other-host.xmpp")), xmpptest.ScriptTLS(t, load(t, "starttls-plain-bind-conflict.xmpp"), srv))
	cfg := xmpp.Config{JID: jid.MustParse("alice@localhost"), Password: "alice-secret", Resource: "phone", Addr: "first.example:5222", TLS: cli, Dialer: d}
	c, err := xmpp.Dial(ctxT(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, []string{"first.example:5222", "other.example:5333"}, d.addrs)
	require.NoError(t, c.Close())
}

// TestSeeOtherHostFollowedOnce: a second redirect is an error, not a loop.
func TestSeeOtherHostFollowedOnce(t *testing.T) {
	_, cli := xmpptest.TLSConfigs(t, "localhost")
	d := conns(xmpptest.Script(t, load(t, "see-other-host.xmpp")), xmpptest.Script(t, load(t, "see-other-host.xmpp")))
	cfg := xmpp.Config{JID: jid.MustParse("alice@localhost"), Password: "alice-secret", Addr: "first.example:5222", TLS: cli, Dialer: d}
	_, err := xmpp.Dial(ctxT(t), cfg)
	require.ErrorIs(t, err, &stanza.StreamError{Condition: stanza.SeeOtherHost})
	assert.Len(t, d.addrs, 2)
}

// TestBindConflict: the resource asked for is in use; the server picks
// another and the connection reports it.
func TestBindConflict(t *testing.T) {
	cfg := scripted(t, load(t, "starttls-plain-bind-conflict.xmpp"))
	cfg.Resource = "phone"
	c, err := xmpp.Dial(ctxT(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, "alice@localhost/4f2a", c.JID().String())
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close twice")
}

func TestLegacySession(t *testing.T) {
	c, err := xmpp.Dial(ctxT(t), scripted(t, load(t, "legacy-session.xmpp")))
	require.NoError(t, err)
	assert.Equal(t, "alice@localhost/r1", c.JID().String())
	require.NoError(t, c.Close())
}

// TestMechanisms runs a login over STARTTLS with each mechanism that needs
// no server-side secret (the SCRAM ones are in TestReplayRecorded), each
// offered alone among obsolete ones the client must pass over.
func TestMechanisms(t *testing.T) {
	srvTLS, cliTLS := xmpptest.TLSConfigs(t, "localhost")
	clientCert := srvTLS.Certificates[0] // any certificate makes EXTERNAL possible
	for _, tc := range []struct {
		mechanism string
		cfg       func(*xmpp.Config)
		initial   string // what <auth/> carries
	}{
		{"PLAIN", func(*xmpp.Config) {}, "\x00alice\x00alice-secret"},
		{"X-OAUTH2", func(c *xmpp.Config) { c.Password, c.Token = "", "tok3n" }, "\x00alice\x00tok3n"},
		{"OAUTHBEARER", func(c *xmpp.Config) { c.Password, c.Token = "", "tok3n" }, "n,,\x01auth=Bearer tok3n\x01\x01"},
		{"EXTERNAL", func(c *xmpp.Config) { c.Password = ""; c.TLS.Certificates = []tls.Certificate{clientCert} }, ""},
		{"ANONYMOUS", func(c *xmpp.Config) { c.JID, c.Password = jid.MustParse("localhost"), "" }, ""},
	} {
		t.Run(tc.mechanism, func(t *testing.T) {
			from := " from='alice@localhost'"
			if tc.mechanism == "ANONYMOUS" {
				from = ""
			}
			initial := "="
			if tc.initial != "" {
				initial = base64.StdEncoding.EncodeToString([]byte(tc.initial))
			}
			tr, err := xmpptest.ParseTranscript(tc.mechanism, strings.NewReader(loginTranscript(from, tc.mechanism, initial)))
			require.NoError(t, err)
			cfg := xmpp.Config{
				JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
				Addr: "scripted.invalid:5222", TLS: cliTLS.Clone(), NoInitialPresence: true,
				Dialer: conns(xmpptest.ScriptTLS(t, tr, srvTLS)),
			}
			tc.cfg(&cfg)
			c, err := xmpp.Dial(ctxT(t), cfg)
			require.NoError(t, err)
			require.NoError(t, c.Close())
		})
	}
}

// loginTranscript is a STARTTLS login offering mechanism among obsolete
// ones, then a close with no initial presence.
func loginTranscript(from, mechanism, initial string) string {
	return fmt.Sprintf(`C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>
C: <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
S: <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
C: <?xml version='1.0'?><stream:stream to='localhost'%[1]s version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>DIGEST-MD5</mechanism><mechanism>%[2]s</mechanism><mechanism>CRAM-MD5</mechanism></mechanisms></stream:features>
C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='%[2]s'>%[3]s</auth>
S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
C: <?xml version='1.0'?><stream:stream to='localhost'%[1]s version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='s3' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>
C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>
S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>
C: <presence id='{{p}}' type='unavailable'/>
C: </stream:stream>
S: </stream:stream>
`, from, mechanism, initial)
}

// TestSASLFailure: the server's <failure/> is a *sasl.Failure with its
// condition and text.
func TestSASLFailure(t *testing.T) {
	text := strings.Replace(loginTranscript(" from='alice@localhost'", "PLAIN", base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice-secret"))),
		"S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
		"S: <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text xml:lang='en'>wrong password</text></failure>\nC: </stream:stream>\n#", 1)
	text = text[:strings.Index(text, "\n#")+1]
	tr, err := xmpptest.ParseTranscript("failure", strings.NewReader(text))
	require.NoError(t, err)
	cfg := scripted(t, tr)
	_, err = xmpp.Dial(ctxT(t), cfg)
	require.ErrorIs(t, err, &sasl.Failure{Condition: sasl.NotAuthorized, Text: "wrong password"})
	var f *sasl.Failure
	require.True(t, errors.As(err, &f))
	assert.Equal(t, "en", f.Lang)
}

// TestBindAccount: the server must bind the account that logged in, or
// the identity asked for with an authzid: a JID of another account, of
// the domain alone, or on another domain ends the login, since the
// connection would then trust that address as the server speaking for
// the account. JIDs are compared in canonical form. An anonymous login
// takes the account the server makes up, on the domain.
func TestBindAccount(t *testing.T) {
	for _, tc := range []struct {
		name    string
		account string
		authzid string
		bound   string
		ok      bool
	}{
		{"the account", "alice@localhost", "", "alice@localhost/r", true},
		{"the account, not canonical", "alice@localhost", "", "ALICE@LocalHost/r", true},
		{"another account", "alice@localhost", "", "romeo@localhost/r", false},
		{"the domain alone", "alice@localhost", "", "localhost/r", false},
		{"another domain", "alice@localhost", "", "alice@example.com/r", false},
		{"the authzid", "alice@localhost", "juliet@localhost", "juliet@localhost/r", true},
		{"the authzid's bare JID", "alice@localhost", "Juliet@localhost/balcony", "juliet@localhost/r", true},
		{"the account, not the authzid", "alice@localhost", "juliet@localhost", "alice@localhost/r", false},
		{"anonymous", "localhost", "", "a7f3@localhost/r", true},
		{"anonymous, the domain alone", "localhost", "", "localhost/r", false},
		{"anonymous, another domain", "localhost", "", "a7f3@example.com/r", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, mechanism, initial := " from='alice@localhost'", "PLAIN", base64.StdEncoding.EncodeToString([]byte(tc.authzid+"\x00alice\x00alice-secret"))
			if tc.account == "localhost" {
				from, mechanism, initial = "", "ANONYMOUS", "="
			}
			text := strings.Replace(loginTranscript(from, mechanism, initial),
				"<jid>alice@localhost/r</jid>", "<jid>"+tc.bound+"</jid>", 1)
			if !tc.ok {
				// The client ends the stream at once.
				text = text[:strings.Index(text, "C: <presence")] + "C: </stream:stream>\n"
			}
			tr, err := xmpptest.ParseTranscript(tc.name, strings.NewReader(text))
			require.NoError(t, err)
			cfg := scripted(t, tr)
			cfg.JID, cfg.Authzid, cfg.NoInitialPresence = jid.MustParse(tc.account), tc.authzid, true
			c, err := xmpp.Dial(ctxT(t), cfg)
			if !tc.ok {
				require.ErrorIs(t, err, xmpp.ErrWrongAccount)
				assert.ErrorContains(t, err, "bound "+tc.bound[:strings.Index(tc.bound, "/")]+" for")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, strings.ToLower(tc.bound), c.JID().String())
			require.NoError(t, c.Close())
		})
	}
}

// TestEarlyIQ: IQ results and errors that arrive during negotiation (here
// with ids nobody waits for, between the bind request and its result, or
// between <enable/> and <enabled/>) are dropped, never answered (RFC 6120
// section 8.2.3: two entities answering each other's errors would loop);
// a get in the same place is kept and answered service-unavailable once
// the session is up, after the initial presence.
func TestEarlyIQ(t *testing.T) {
	const early = `S: <iq type='result' id='stray-result' from='localhost'/>
S: <iq type='error' id='stray-error' from='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='get' id='early-get' from='localhost'><query xmlns='urn:example:unknown'/></iq>
`
	for _, tc := range []struct{ name, before string }{
		{"bind", "S: <iq type='result' id='{{b}}'>"},
		{"enable", "S: <enabled "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := strings.Index(smBind, tc.before)
			text := smLogin + smBind[:i] + early + smBind[i:] +
				"C: <presence id='{{p}}'/>\n" +
				"C: <iq type='error' id='early-get' to='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>\n" +
				smClose(3)
			answered := make(chan struct{})
			c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) {
				cfg.NoInitialPresence = false
				cfg.Recorder = lineWatcher{prefix: "C: <iq", contains: "'early-get'", seen: answered}
			})
			require.NoError(t, c.Connect(ctxT(t)))
			wait(t, answered)
			require.NoError(t, c.Close())
		})
	}
}
