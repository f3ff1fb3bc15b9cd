package testserver

import (
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// Raw is a bare XMPP stream for integration tests that check a server, or a
// piece of gosmack that needs no connection (the SASL mechanisms), against
// the real thing: it writes what it is told and decodes top-level elements
// with encoding/xml. It is test tooling, not a client: no routing, no
// limits beyond a deadline, one goroutine.
type Raw struct {
	// Conn is the connection the stream runs on: the TCP connection, the
	// TLS connection over it once secured, or the WebSocket.
	Conn     net.Conn
	Features Features // the features of the last stream opened

	t      testing.TB
	header string // what opens a stream: a stream header, or RFC 7395's <open/>
	dec    *xml.Decoder
}

const (
	tcpHeader       = "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	tcpHeaderFrom   = "<?xml version='1.0'?><stream:stream from='%s' to='%s' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	webSocketHeader = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='%s' version='1.0'/>"
)

// Features is what a test reads from <stream:features/>.
type Features struct {
	// StartTLS is <starttls/>, nil when not offered; its Required is
	// non-nil when the server requires TLS.
	StartTLS *struct {
		Required *struct{} `xml:"required"`
	} `xml:"urn:ietf:params:xml:ns:xmpp-tls starttls"`
	// Mechanisms are the names of the SASL mechanisms offered, in order.
	Mechanisms []string `xml:"urn:ietf:params:xml:ns:xmpp-sasl mechanisms>mechanism"`
	// ChannelBindings are the types of XEP-0440's sasl-channel-binding.
	ChannelBindings []struct {
		Type string `xml:"type,attr"`
	} `xml:"urn:xmpp:sasl-cb:0 sasl-channel-binding>channel-binding"`
	// Register is non-nil when the server offers in-band registration
	// (XEP-0077).
	Register *struct{} `xml:"http://jabber.org/features/iq-register register"`
	// SASL2 is XEP-0388's <authentication/>, nil when not offered.
	SASL2 *struct {
		// Mechanisms are the SASL mechanisms offered, in order.
		Mechanisms []string `xml:"mechanism"`
		// Bind2 are the vars of the features Bind2 (XEP-0386) enables
		// inline; nil when Bind2 is not offered.
		Bind2 []struct {
			Var string `xml:"var,attr"`
		} `xml:"inline>bind>inline>feature"`
		// FAST are the mechanisms of FAST (XEP-0484) offered to this
		// stream's user.
		FAST []string `xml:"inline>fast>mechanism"`
	} `xml:"urn:xmpp:sasl:2 authentication"`
}

// Element is one top-level element as Raw decodes it.
type Element struct {
	// XMLName is the element's name.
	XMLName xml.Name
	// Attrs are the element's attributes, as encoding/xml reads them.
	Attrs []xml.Attr `xml:",any,attr"`
	// Inner is the element's content as received, undecoded XML.
	Inner string `xml:",innerxml"`
}

const rawDeadline = 15 * time.Second

// DialStartTLS connects to addr (s.StartTLSAddr unless given), opens a
// stream, upgrades it with STARTTLS using cfg (s.TLSConfig() when nil),
// and opens the stream again. The connection closes when the test ends.
func (s *Server) DialStartTLS(t testing.TB, addr string, cfg *tls.Config) *Raw {
	t.Helper()
	if addr == "" {
		addr = s.StartTLSAddr
	}
	r := s.dial(t, addr)
	r.Open()
	if r.Features.StartTLS == nil {
		t.Fatalf("%s: %s offers no STARTTLS", s.Name, addr)
	}
	r.Send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	if el := r.Next(); el.XMLName.Local != "proceed" {
		t.Fatalf("%s: STARTTLS answered with <%s/>", s.Name, el.XMLName.Local)
	}
	r.secure(s.tlsConfig(cfg))
	return r
}

// DialDirectTLS connects to s.DirectTLSAddr with TLS from the first byte
// (XEP-0368) and opens a stream.
func (s *Server) DialDirectTLS(t testing.TB, cfg *tls.Config) *Raw {
	t.Helper()
	r := s.dial(t, s.DirectTLSAddr)
	r.secure(s.tlsConfig(cfg))
	return r
}

// DialDirectTLSAs is DialDirectTLS with a stream header that names the
// user (from='user@domain'), as a client that knows its account writes
// it: a server may offer that user more (FAST tokens, XEP-0484).
func (s *Server) DialDirectTLSAs(t testing.TB, cfg *tls.Config, user string) *Raw {
	t.Helper()
	r := s.dial(t, s.DirectTLSAddr)
	r.header = fmt.Sprintf(tcpHeaderFrom, user+"@"+s.Domain, s.Domain)
	r.secure(s.tlsConfig(cfg))
	return r
}

func (s *Server) tlsConfig(cfg *tls.Config) *tls.Config {
	if cfg == nil {
		return s.TLSConfig()
	}
	return cfg
}

// secure runs a TLS handshake over r's connection and opens a stream on it.
func (r *Raw) secure(cfg *tls.Config) {
	r.t.Helper()
	tc := tls.Client(r.Conn, cfg)
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("TLS handshake: %v", err)
	}
	r.Conn = tc
	r.Open()
}

func (s *Server) dial(t testing.TB, addr string) *Raw {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(rawDeadline)); err != nil {
		t.Fatal(err)
	}
	return &Raw{Conn: conn, t: t, header: fmt.Sprintf(tcpHeader, s.Domain)}
}

// DialWebSocket connects to url (s.WebSocketTLSURL unless given) with the
// "xmpp" subprotocol (RFC 7395) and opens a stream.
func (s *Server) DialWebSocket(t testing.TB, url string, cfg *tls.Config) *Raw {
	t.Helper()
	if url == "" {
		url = s.WebSocketTLSURL
	}
	wc, err := websocket.NewConfig(url, "https://"+s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	wc.Protocol = []string{"xmpp"}
	wc.TlsConfig = s.tlsConfig(cfg)
	wc.Dialer = &net.Dialer{Timeout: 5 * time.Second}
	ws, err := websocket.DialConfig(wc)
	if err != nil {
		t.Fatalf("%s: WebSocket %s: %v", s.Name, url, err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.SetDeadline(time.Now().Add(rawDeadline)); err != nil {
		t.Fatal(err)
	}
	r := &Raw{Conn: ws, t: t, header: fmt.Sprintf(webSocketHeader, s.Domain)}
	r.Open()
	return r
}

// Open sends a stream header (or <open/> on a WebSocket) and reads up to and including the stream
// features, which it keeps in r.Features.
func (r *Raw) Open() {
	r.t.Helper()
	r.Send("%s", r.header)
	r.dec = xml.NewDecoder(r.Conn)
	for {
		tok, err := r.dec.Token()
		if err != nil {
			r.t.Fatalf("reading the stream up to <stream:features/>: %v", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name != (xml.Name{Space: "http://etherx.jabber.org/streams", Local: "features"}) {
			continue
		}
		r.Features = Features{}
		if err := r.dec.DecodeElement(&r.Features, &start); err != nil {
			r.t.Fatalf("decoding <stream:features/>: %v", err)
		}
		return
	}
}

// Send writes format, formatted with args, to the stream.
func (r *Raw) Send(format string, args ...any) {
	r.t.Helper()
	if _, err := fmt.Fprintf(r.Conn, format, args...); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// Next decodes the next top-level element.
func (r *Raw) Next() Element {
	r.t.Helper()
	for {
		tok, err := r.dec.Token()
		if err == io.EOF {
			r.t.Fatal("the server closed the stream")
		}
		if err != nil {
			r.t.Fatalf("reading: %v", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			var el Element
			if err := r.dec.DecodeElement(&el, &start); err != nil {
				r.t.Fatalf("decoding <%s/>: %v", start.Name.Local, err)
			}
			return el
		}
		if _, ok := tok.(xml.EndElement); ok {
			r.t.Fatal("the server closed the stream")
		}
	}
}
