package main

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"os"

	gosrc "gosrc.io/xmpp"
	gosrcstanza "gosrc.io/xmpp/stanza"

	goxmpp "github.com/xmppo/go-xmpp"

	msasl "mellium.im/sasl"
	"mellium.im/xmlstream"
	mxmpp "mellium.im/xmpp"
	mjid "mellium.im/xmpp/jid"
	mstanza "mellium.im/xmpp/stanza"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// target is where and as whom a library logs in.
type target struct {
	addr     string      // host:port
	tls      *tls.Config // nil: plaintext, PLAIN without TLS
	user     string      // localpart
	domain   string
	password string
	resource string
	// mechanism, when set, is the SASL mechanism for go-xmpp: with
	// Prosody its SCRAM (default or SCRAM-SHA-1) fails with "Invalid
	// channel binding value", so it uses PLAIN there.
	mechanism string
}

func (t target) bare() string { return t.user + "@" + t.domain }

// client is a logged-in connection of one library, as its public API
// offers it: initial presence sent, its receiver running and handing
// every received message's body to the onBody given to login.
type client interface {
	send(ctx context.Context, to, body string) error
	close()
}

// library is one library under comparison.
type library struct {
	name  string
	peer  bool // not gosmack: the ratios are to the best peer
	login func(ctx context.Context, t target, onBody func(string)) (client, error)
}

var libraries = []library{
	{name: "gosmack", login: gosmackLogin(false)},
	{name: "gosmack-nosm", login: gosmackLogin(true)},
	{name: "mellium", peer: true, login: melliumLogin},
	{name: "gosrc", peer: true, login: gosrcLogin},
	{name: "go-xmpp", peer: true, login: goxmppLogin},
}

func findLibrary(name string) (library, error) {
	for _, l := range libraries {
		if l.name == name {
			return l, nil
		}
	}
	return library{}, fmt.Errorf("no library %q", name)
}

// gosmack: Dial's parts, a message listener registered before Connect.
// noSM turns stream management off (it is on by default).
func gosmackLogin(noSM bool) func(context.Context, target, func(string)) (client, error) {
	return func(ctx context.Context, t target, onBody func(string)) (client, error) {
		j, err := jid.New(t.user, t.domain, "")
		if err != nil {
			return nil, err
		}
		cfg := xmpp.Config{JID: j, Password: t.password, Resource: t.resource, Addr: t.addr, TLS: t.tls}
		if t.tls == nil {
			cfg.Security, cfg.AllowPlainWithoutTLS = xmpp.TLSDisabled, true
		}
		cfg.StreamManagement.Disabled = noSM
		c := xmpp.New(cfg)
		c.HandleMessage(nil, func(m *stanza.Message) { onBody(m.Body("")) })
		if err := c.Connect(ctx); err != nil {
			return nil, err
		}
		return gosmackClient{c}, nil
	}
}

type gosmackClient struct{ c *xmpp.Conn }

func (g gosmackClient) send(ctx context.Context, to, body string) error {
	j, err := jid.Parse(to)
	if err != nil {
		return err
	}
	return g.c.Send(ctx, &stanza.Message{Common: stanza.Common{To: j}, Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}})
}

func (g gosmackClient) close() { g.c.Close() }

// mellium: NewSession over our own socket (its DialClientSession looks
// up SRV records), the features of its echobot example, Serve on a
// goroutine with a handler that decodes each message as the example
// does. A plaintext target is declared Secure, or its SASL would refuse.
func melliumLogin(ctx context.Context, t target, onBody func(string)) (client, error) {
	origin, err := mjid.New(t.user, t.domain, t.resource)
	if err != nil {
		return nil, err
	}
	location, err := mjid.New("", t.domain, "")
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	features := []mxmpp.StreamFeature{
		mxmpp.SASL("", t.password, msasl.ScramSha256, msasl.ScramSha1, msasl.Plain),
		mxmpp.BindResource(),
	}
	var state mxmpp.SessionState
	if t.tls != nil {
		features = append(features, mxmpp.StartTLS(t.tls))
	} else {
		state = mxmpp.Secure
	}
	s, err := mxmpp.NewSession(ctx, location, origin, conn, state, mxmpp.NewNegotiator(func(*mxmpp.Session, *mxmpp.StreamConfig) mxmpp.StreamConfig {
		sc := mxmpp.StreamConfig{Features: features}
		if os.Getenv("COMPARE_DEBUG") != "" {
			sc.TeeIn, sc.TeeOut = os.Stderr, os.Stderr
		}
		return sc
	}))
	if err != nil {
		conn.Close()
		return nil, err
	}
	go serveMellium(s, mxmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		if start.Name.Local != "message" {
			return nil
		}
		// Decoding into a struct (xml.NewTokenDecoder(r).DecodeElement,
		// as mellium's echobot example does) fails with v0.22 on these
		// messages: "unexpected end element </message>" (the start comes
		// in jabber:client, its end in no namespace). The body is read
		// from the tokens instead, which costs less.
		body, err := melliumBody(r)
		if err != nil {
			return nil
		}
		onBody(body)
		return nil
	}))
	if err := s.Send(ctx, mstanza.Presence{Type: mstanza.AvailablePresence}.Wrap(nil)); err != nil {
		s.Close()
		conn.Close()
		return nil, err
	}
	return melliumClient{s}, nil
}

type melliumMessage struct {
	mstanza.Message
	Body string `xml:"body"`
}

type melliumClient struct{ s *mxmpp.Session }

func (m melliumClient) send(ctx context.Context, to, body string) error {
	j, err := mjid.Parse(to)
	if err != nil {
		return err
	}
	return m.s.Encode(ctx, melliumMessage{Message: mstanza.Message{To: j, Type: mstanza.ChatMessage}, Body: body})
}

func (m melliumClient) close() {
	m.s.Close()
	m.s.Conn().Close()
}

// gosrc.io/xmpp: a Router with a message route, NewClient, Connect (it
// sends the initial presence and starts its receiver and keep-alive
// goroutines).
func gosrcLogin(ctx context.Context, t target, onBody func(string)) (client, error) {
	router := gosrc.NewRouter()
	router.HandleFunc("message", func(_ gosrc.Sender, p gosrcstanza.Packet) {
		if m, ok := p.(gosrcstanza.Message); ok {
			onBody(m.Body)
		}
	})
	cfg := &gosrc.Config{
		TransportConfiguration: gosrc.TransportConfiguration{Address: t.addr, Domain: t.domain, TLSConfig: t.tls},
		Jid:                    t.bare() + "/" + t.resource,
		Credential:             gosrc.Password(t.password),
		Insecure:               t.tls == nil,
	}
	c, err := gosrc.NewClient(cfg, router, func(error) {})
	if err != nil {
		return nil, err
	}
	if err := c.Connect(); err != nil {
		return nil, err
	}
	return gosrcClient{c}, nil
}

type gosrcClient struct{ c *gosrc.Client }

func (g gosrcClient) send(_ context.Context, to, body string) error {
	return g.c.Send(gosrcstanza.Message{Attrs: gosrcstanza.Attrs{To: to, Type: gosrcstanza.MessageTypeChat}, Body: body})
}

func (g gosrcClient) close() { g.c.Disconnect() }

// xmppo/go-xmpp: Options.NewClient (it sends the initial presence), and
// a goroutine of ours calling Recv, as its users do.
func goxmppLogin(ctx context.Context, t target, onBody func(string)) (client, error) {
	o := goxmpp.Options{
		Host: t.addr, User: t.bare(), Password: t.password, Resource: t.resource,
		NoTLS: true, StartTLS: t.tls != nil, TLSConfig: t.tls,
		InsecureAllowUnencryptedAuth: t.tls == nil,
		Mechanism:                    t.mechanism,
	}
	if dl, ok := ctx.Deadline(); ok {
		o.DialTimeout = timeUntil(dl)
	}
	c, err := o.NewClient()
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			st, err := c.Recv()
			if err != nil {
				return
			}
			if m, ok := st.(goxmpp.Chat); ok {
				onBody(m.Text)
			}
		}
	}()
	return goxmppClient{c}, nil
}

type goxmppClient struct{ c *goxmpp.Client }

func (g goxmppClient) send(_ context.Context, to, body string) error {
	_, _, err := g.c.Send(goxmpp.Chat{Remote: to, Type: "chat", Text: body})
	return err
}

func (g goxmppClient) close() { g.c.Close() }

func serveMellium(s *mxmpp.Session, h mxmpp.Handler) {
	err := s.Serve(h)
	if os.Getenv("COMPARE_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, "mellium: Serve:", err)
	}
}

// melliumBody returns the text of the first <body/> among the tokens.
func melliumBody(r xml.TokenReader) (string, error) {
	var body []byte
	depth, inBody, seen := 0, false, false
	for {
		tok, err := r.Token()
		if err == io.EOF {
			return string(body), nil
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			inBody = !seen && t.Name.Local == "body"
		case xml.EndElement:
			depth--
			if inBody {
				inBody, seen = false, true
			}
		case xml.CharData:
			if inBody {
				body = append(body, t...)
			}
		}
	}
}
