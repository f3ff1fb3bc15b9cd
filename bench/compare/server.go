package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
)

// The scripted server: a lenient XMPP server that answers what every
// client sends during a login (STARTTLS when asked to offer it, SASL
// PLAIN, resource binding, the old session IQ, any other IQ with an
// empty result) and then, in flood mode, writes the same pre-rendered
// messages to the client when it sends a message to floodJID. It runs in
// a process of its own (serve), so that what the measured process
// spends and holds is the client's alone.

const (
	benchDomain = "localhost"
	benchUser   = "bench"
	benchJID    = benchUser + "@" + benchDomain
	benchFull   = benchJID + "/compare"
	peerFull    = "peer@" + benchDomain + "/r"
	floodJID    = "flood@" + benchDomain // a message to it starts the flood
	messageBody = "The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 <&>!"
)

// floodBytes renders n chat messages of a 100-byte body to benchFull:
// the same bytes for every library.
func floodBytes(n int) []byte {
	var b bytes.Buffer
	var body strings.Builder
	xml.EscapeText(&body, []byte(messageBody))
	for i := range n {
		fmt.Fprintf(&b, "<message from='%s' to='%s' type='chat' id='m%07d'><body>%s</body></message>", peerFull, benchFull, i, body.String())
	}
	return b.Bytes()
}

type serverConfig struct {
	tls   *tls.Config // nil: no STARTTLS offered
	flood []byte      // written when the client asks (floodJID); nil: stay quiet
}

// serve accepts connections on ln until it fails, each on a goroutine.
func serve(ln net.Listener, cfg serverConfig) {
	var id atomic.Int64
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if err := serveConn(c, cfg, id.Add(1)); err != nil && err != io.EOF {
				fmt.Fprintln(os.Stderr, "server:", err)
			}
		}()
	}
}

type element struct {
	XMLName   xml.Name
	ID        string `xml:"id,attr"`
	To        string `xml:"to,attr"`
	Type      string `xml:"type,attr"`
	Mechanism string `xml:"mechanism,attr"`
	Inner     []byte `xml:",innerxml"`
}

func serveConn(c net.Conn, cfg serverConfig, id int64) error {
	var rw io.ReadWriter = c
	secure, authed, flooded := cfg.tls == nil, false, false
	restarts := 0
	for {
		// A new decoder for each stream: the client sends a new header
		// after STARTTLS and after SASL success, and waits for our answer
		// before, so nothing is buffered across.
		d := xml.NewDecoder(bufio.NewReader(rw))
		if err := readHeader(d); err != nil {
			return err
		}
		restarts++
		fmt.Fprintf(rw, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s%d-%d' from='%s' version='1.0' xml:lang='en'>", id, restarts, benchDomain)
		switch {
		case !secure:
			io.WriteString(rw, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")
		case !authed:
			io.WriteString(rw, "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
		default:
			io.WriteString(rw, "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></stream:features>")
		}
	stream:
		for {
			tok, err := d.Token()
			if err != nil {
				return err
			}
			var start xml.StartElement
			switch t := tok.(type) {
			case xml.StartElement:
				start = t
			case xml.EndElement: // </stream:stream>
				io.WriteString(rw, "</stream:stream>")
				return nil
			default:
				continue
			}
			var el element
			if err := d.DecodeElement(&el, &start); err != nil {
				return err
			}
			switch el.XMLName.Local {
			case "starttls":
				io.WriteString(rw, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
				tc := tls.Server(c, cfg.tls)
				if err := tc.Handshake(); err != nil {
					return err
				}
				rw, secure = tc, true
				break stream
			case "auth":
				io.WriteString(rw, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
				authed = true
				break stream
			case "iq":
				switch {
				case el.Type != "get" && el.Type != "set":
				case bytes.Contains(el.Inner, []byte("urn:ietf:params:xml:ns:xmpp-bind")):
					fmt.Fprintf(rw, "<iq type='result' id='%s'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>%s</jid></bind></iq>", escape(el.ID), benchFull)
				default:
					fmt.Fprintf(rw, "<iq type='result' id='%s'/>", escape(el.ID))
				}
			case "message":
				if cfg.flood != nil && !flooded && el.To == floodJID {
					flooded = true
					if _, err := rw.Write(cfg.flood); err != nil {
						return err
					}
				}
			}
		}
	}
}

func readHeader(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if s, ok := tok.(xml.StartElement); ok {
			if s.Name.Local != "stream" {
				return fmt.Errorf("expected a stream header, got <%s>", s.Name.Local)
			}
			return nil
		}
	}
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
