package xmpptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// NewConn returns a connection for account to a scripted server, not yet
// connected: the test attaches what it tests (managers, listeners) and
// then calls c.Connect itself, as a program would. The server logs
// account in and then plays tr, which holds only what comes after the
// login, so a test of a manager or of a listener reads as its own
// exchange:
//
//	tr, _ := xmpptest.ParseTranscript("ping", strings.NewReader(`
//	S: <iq type='get' id='p1' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
//	C: <iq type='result' id='p1' to='localhost'/>
//	`))
//	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/r"), tr)
//	ping.For(c) // answers the server's ping; the script checks it
//	require.NoError(t, c.Connect(t.Context()))
//
// The login is PLAIN on a plaintext in-memory stream, then binds
// account's resource ("test" when it has none). The stream features
// offered after authentication are bind alone, unless tr starts with the
// server's <stream:features/>: then those are offered too (roster
// versioning, stream management), with bind added, and the rest of tr
// follows the bind (starting with the client's <enable/> when it enables
// stream management).
//
//	S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
//	C: <iq type='get' id='{{r}}'><query xmlns='jabber:iq:roster' ver=''/></iq>
//
// The Config has NoInitialPresence set (so tr starts with the client's
// <presence/> only when a config func clears it) and reconnection
// disabled: the script is one connection, and a second dial fails. Each
// config func then changes the Config, in order, before the Conn is
// made; one may wrap Config.Dialer.
//
// When the test ends, the script is given time to play to its end (up to
// ReplayTimeout), the connection is closed, and a transcript not played
// to its end fails the test, as does a Conn that was never connected.
// NewConn must be called from the test's goroutine; the Conn is as safe
// for concurrent use as any.
func NewConn(tb TB, account jid.JID, tr *Transcript, config ...func(*xmpp.Config)) *xmpp.Conn {
	tb.Helper()
	if account.Resourcepart() == "" {
		var err error
		if account, err = jid.New(account.Localpart(), account.Domainpart(), "test"); err != nil {
			tb.Fatalf("xmpptest: %v", err)
		}
	}
	features, steps := loginFeatures(tr)
	full, err := ParseTranscript(tr.Name, strings.NewReader(loginTranscript(account, features)))
	if err != nil {
		tb.Fatalf("xmpptest: %v", err)
	}
	full.Steps = append(full.Steps, steps...)

	client, server := Pipe()
	played := make(chan struct{})
	var dialed atomic.Bool
	cfg := scriptedConfig(account)
	// The script is one connection: a lost stream stays lost.
	cfg.Reconnect = xmpp.Reconnect{Disabled: true}
	cfg.Dialer = dialerFunc(func(context.Context, string, string) (net.Conn, error) {
		if !dialed.CompareAndSwap(false, true) {
			return nil, errors.New("xmpptest: the scripted server takes one connection")
		}
		go func() {
			defer close(played)
			defer server.Close()
			_ = replay(tb, full, Server, server, nil)
		}()
		return client, nil
	})
	for _, f := range config {
		f(&cfg)
	}
	c := xmpp.New(cfg)
	tb.Cleanup(func() {
		if !dialed.Load() {
			c.Close()
			tb.Errorf("xmpptest: %s: the Conn was never connected, so its script did not play", tr.Name)
			return
		}
		// Let the script play to its end before closing, so that what
		// the code under test still has to send is checked.
		select {
		case <-played:
		case <-time.After(ReplayTimeout):
		}
		c.Close()
		client.Close()
		<-played
	})
	return c
}

// featuresStep is a transcript step that is the server's stream features.
var featuresStep = regexp.MustCompile(`^<stream:features(?:\s[^>]*)?(?:/>|>((?s:.*))</stream:features>)$`)

// loginFeatures splits tr into the stream features its first step offers
// after authentication, if it is the server's <stream:features/>, and the
// steps after the login.
func loginFeatures(tr *Transcript) (features string, steps []Step) {
	if len(tr.Steps) > 0 && tr.Steps[0].From == Server {
		if m := featuresStep.FindStringSubmatch(tr.Steps[0].XML); m != nil {
			return m[1], tr.Steps[1:]
		}
	}
	return "", tr.Steps
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// loginTranscript is the login NewConn plays.
func loginTranscript(account jid.JID, features string) string {
	return Login(account, features) + Bind(account)
}

// Login is a script's login of account, as the Conns of NewConn and
// NewReconnectingConn make it, up to the stream features the server
// offers after authentication: PLAIN (the credentials are not checked)
// on a plaintext stream to account's domain, then features, verbatim,
// with bind after them. In a script for NewReconnectingConn, Bind or a
// resumption follows it:
//
//	scripts := []string{
//		xmpptest.Login(alice, "<sm xmlns='urn:xmpp:sm:3'/>") + xmpptest.Bind(alice) + xmpptest.EnableSM + "...",
//		xmpptest.Login(alice, "<sm xmlns='urn:xmpp:sm:3'/>") + "C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>\n...",
//	}
func Login(account jid.JID, features string) string {
	domain := account.Domainpart()
	header := func(id string) string {
		return fmt.Sprintf("S: <stream:stream from='%s' id='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n", domain, id)
	}
	client := fmt.Sprintf("C: <stream:stream to='%s' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n", domain)
	return client + header("login-1") +
		"S: <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>\n" +
		"C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{{*}}</auth>\n" +
		"S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\n" +
		client + header("login-2") +
		"S: <stream:features>" + features + "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>\n"
}

// Bind is a script's binding of account's resource, the server giving
// account as the full JID.
func Bind(account jid.JID) string {
	return "C: <iq type='set' id='{{xmpptest-bind}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + account.Resourcepart() + "</resource></bind></iq>\n" +
		"S: <iq type='result' id='{{xmpptest-bind}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>" + account.String() + "</jid></bind></iq>\n"
}

// EnableSM is a script's enabling of stream management with resumption,
// as a Conn asks for it after Bind when the features offer it, the
// server naming the session sm-1.
const EnableSM = "C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\nS: <enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>\n"

// ScriptDialer returns an xmpp.Dialer for tests of reconnection, where
// each connection follows a script of its own: its nth dial returns a
// connection to a scripted server playing the server side of trs[n] (see
// Script, which also checks at cleanup that it was played to its end),
// and the dials after the last fail. It is safe for concurrent use.
func ScriptDialer(tb TB, trs ...*Transcript) xmpp.Dialer {
	return &scriptDialer{tb: tb, trs: trs}
}

type scriptDialer struct {
	tb    TB
	dials atomic.Int32
	trs   []*Transcript
}

func (d *scriptDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	n := int(d.dials.Add(1)) - 1
	if n >= len(d.trs) {
		return nil, errors.New("xmpptest: no more scripted connections")
	}
	return Script(d.tb, d.trs[n]), nil
}

// NewReconnectingConn returns a connection for account, not yet
// connected, whose nth connection plays the server side of scripts[n]
// whole, its login included (see ScriptDialer): for tests of what a
// manager does across resumptions and new sessions. The Config is
// NewConn's (PLAIN on a plaintext in-memory stream, NoInitialPresence,
// account's resource) with reconnection after a fixed second, so that a
// test in a testing/synctest bubble runs at once, and stream management
// that asks for acknowledgements only after an hour, so that no <r/>
// comes from a timer. Each config func then changes the Config, in
// order. Each script must be played to its end by the test's end (see
// Script). NewReconnectingConn must be called from the test's goroutine;
// the Conn is as safe for concurrent use as any.
func NewReconnectingConn(tb TB, account jid.JID, scripts []string, config ...func(*xmpp.Config)) *xmpp.Conn {
	tb.Helper()
	trs := make([]*Transcript, len(scripts))
	for i, script := range scripts {
		tr, err := ParseTranscript(fmt.Sprintf("connection %d", i+1), strings.NewReader(script))
		if err != nil {
			tb.Fatalf("xmpptest: %v", err)
		}
		trs[i] = tr
	}
	cfg := scriptedConfig(account)
	cfg.StreamManagement = xmpp.StreamManagement{RequestAfter: time.Hour}
	cfg.Reconnect = xmpp.Reconnect{Policy: xmpp.FixedDelay(time.Second)}
	cfg.Dialer = ScriptDialer(tb, trs...)
	for _, f := range config {
		f(&cfg)
	}
	return xmpp.New(cfg)
}

// scriptedConfig is the Config of a connection to a scripted server:
// PLAIN on a plaintext in-memory stream, account's resource, no initial
// presence.
func scriptedConfig(account jid.JID) xmpp.Config {
	return xmpp.Config{
		JID:                  account.Bare(),
		Password:             "secret",
		Resource:             account.Resourcepart(),
		Addr:                 "xmpptest.invalid:5222",
		Security:             xmpp.TLSDisabled,
		AllowPlainWithoutTLS: true,
		Mechanisms:           []string{"PLAIN"},
		NoInitialPresence:    true,
	}
}
