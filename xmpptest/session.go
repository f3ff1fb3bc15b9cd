package xmpptest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Connect returns a connection logged in as account to a scripted server,
// which then plays tr: tr holds only what comes after the login (the
// steps of the code under test), so a test of a manager or of a user's
// listener reads as its own exchange.
//
//	tr, _ := xmpptest.ParseTranscript("ping", strings.NewReader(`
//	S: <iq type='get' id='p1' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
//	C: <iq type='result' id='p1' to='localhost'/>
//	`))
//	c := xmpptest.Connect(t, jid.MustParse("alice@localhost/r"), tr)
//	ping.New(c) // answers the server's ping; the script checks it
//
// The login is PLAIN on a plaintext in-memory stream, binding account's
// resource ("test" when it has none). No initial presence is sent unless
// an option clears Config.NoInitialPresence (then tr starts with the
// client's <presence/>). Options may change the Config; listeners and
// managers that must be in place before the first stanza arrives are
// attached by ConnectFunc's before. When the test ends, the script is given
// time to play to its end (up to ReplayTimeout), the connection is closed,
// and a transcript not played to its end fails the test.
func Connect(tb TB, account jid.JID, tr *Transcript, opts ...func(*xmpp.Config)) *xmpp.Conn {
	tb.Helper()
	return ConnectFunc(tb, account, tr, nil, opts...)
}

// ConnectFunc is Connect with a function that runs on the new Conn before
// it logs in, to register what must be in place when the first stanza
// arrives.
func ConnectFunc(tb TB, account jid.JID, tr *Transcript, before func(*xmpp.Conn), opts ...func(*xmpp.Config)) *xmpp.Conn {
	tb.Helper()
	return ConnectWith(tb, account, tr, Login{Before: before, Config: opts})
}

// Login says how Connect's scripted login goes. The zero Login is
// Connect's.
type Login struct {
	// Features are stream features the server offers after
	// authentication, besides bind: XML such as
	// "<ver xmlns='urn:xmpp:features:rosterver'/>". Managers that look
	// at c.Features() (roster versioning, stream management) see them.
	Features string
	// Before runs on the new Conn before it logs in.
	Before func(*xmpp.Conn)
	// Config change the Config before the Conn is made.
	Config []func(*xmpp.Config)
}

// ConnectWith is Connect with the login described by l.
func ConnectWith(tb TB, account jid.JID, tr *Transcript, l Login) *xmpp.Conn {
	tb.Helper()
	if account.Resourcepart() == "" {
		var err error
		if account, err = jid.New(account.Localpart(), account.Domainpart(), "test"); err != nil {
			tb.Fatalf("xmpptest: %v", err)
		}
	}
	full, err := ParseTranscript(tr.Name, strings.NewReader(loginTranscript(account, l.Features)))
	if err != nil {
		tb.Fatalf("xmpptest: %v", err)
	}
	full.Steps = append(full.Steps, tr.Steps...)
	cfg := xmpp.Config{
		JID:                  account.Bare(),
		Password:             "secret",
		Resource:             account.Resourcepart(),
		Addr:                 "xmpptest.invalid:5222",
		Security:             xmpp.TLSDisabled,
		AllowPlainWithoutTLS: true,
		NoInitialPresence:    true,
		Mechanisms:           []string{"PLAIN"},
		// The script is one connection: a lost stream stays lost.
		Reconnect: xmpp.Reconnect{Disabled: true},
	}
	conn, played := script(tb, full, nil)
	cfg.Dialer = dialerFunc(func(context.Context, string, string) (net.Conn, error) { return conn, nil })
	for _, o := range l.Config {
		o(&cfg)
	}
	c := xmpp.New(cfg)
	if l.Before != nil {
		l.Before(c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ReplayTimeout)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		tb.Fatalf("xmpptest: logging in to the scripted server: %v", err)
	}
	tb.Cleanup(func() {
		// Let the script play to its end before closing, so that what
		// the code under test still has to send is checked.
		select {
		case <-played:
		case <-time.After(ReplayTimeout):
		}
		c.Close()
	})
	return c
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// loginTranscript is the login Connect plays.
func loginTranscript(account jid.JID, features string) string {
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
		"S: <stream:features>" + features + "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>\n" +
		"C: <iq type='set' id='{{xmpptest-bind}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + account.Resourcepart() + "</resource></bind></iq>\n" +
		"S: <iq type='result' id='{{xmpptest-bind}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>" + account.String() + "</jid></bind></iq>\n"
}
