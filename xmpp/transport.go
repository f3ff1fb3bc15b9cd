package xmpp

import (
	"crypto/tls"
	"net"
	"net/url"
	"strings"
)

// Transport is what carries a connection's streams.
type Transport uint8

const (
	// TransportTCP is a TCP connection, with STARTTLS or direct TLS
	// (RFC 6120, XEP-0368).
	TransportTCP Transport = iota
	// TransportWebSocket is a WebSocket (RFC 7395): Config.Addr is a
	// ws:// or wss:// URL.
	TransportWebSocket
	// TransportBOSH is BOSH (XEP-0124 and XEP-0206): Config.Addr is an
	// http:// or https:// URL.
	TransportBOSH
)

// String returns "tcp", "websocket" or "bosh".
func (t Transport) String() string {
	switch t {
	case TransportTCP:
		return "tcp"
	case TransportWebSocket:
		return "websocket"
	case TransportBOSH:
		return "bosh"
	}
	return "Transport(?)"
}

// Transport returns what carries the stream in use or, when there is
// none, what the configuration connects with. It is safe to call at any
// time from any goroutine.
func (c *Conn) Transport() Transport {
	if s := c.current(); s != nil {
		switch {
		case isWebSocket(s.conn):
			return TransportWebSocket
		case isBOSH(s.conn):
			return TransportBOSH
		}
		return TransportTCP
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.cfg.webSocket():
		return TransportWebSocket
	case c.cfg.bosh():
		return TransportBOSH
	}
	return TransportTCP
}

// webSocket reports whether Addr is a WebSocket's URL.
func (c *Config) webSocket() bool {
	scheme, _, ok := strings.Cut(c.Addr, "://")
	return ok && (strings.EqualFold(scheme, "wss") || strings.EqualFold(scheme, "ws"))
}

// transportConn is a connection that carries the stream over something
// else than one TCP socket (a WebSocket, a BOSH session): it gives the
// stream the TLS connection that secures it, nil if none, and the
// net.Conn whose deadlines and Close reach the bottom.
type transportConn interface {
	transport() (*tls.Conn, net.Conn)
}

// isWebSocket reports whether conn is a WebSocket (websocket.go).
func isWebSocket(conn net.Conn) bool {
	_, ok := conn.(*wsConn)
	return ok
}

// otherHost is where a redirection sends the connection: the
// see-other-host of a stream error, or the location XEP-0198 gives for
// resumption. On TCP that is a host, with or without a port. Over a
// WebSocket it must be a ws:// or wss:// URL (RFC 7395 section 3.6.1's
// see-other-uri, which the framing turns into see-other-host), and over
// BOSH an http:// or https:// URL; anything else is ignored (ok false),
// and the connection goes where it was configured to. A ws:// or
// http:// URL is dialled only where Security allows plaintext, as for
// Config.Addr.
func (c *Config) otherHost(h string) (t target, ok bool) {
	if h == "" {
		return target{}, false
	}
	if c.bosh() {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			c.logDebug("ignoring a redirection that is not a BOSH URL", "to", h)
			return target{}, false
		}
		return target{addr: h, bosh: true}, true
	}
	if !c.webSocket() {
		return target{addr: otherHostAddr(h)}, true
	}
	u, err := url.Parse(h)
	if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
		c.logDebug("ignoring a redirection that is not a WebSocket URL", "to", h)
		return target{}, false
	}
	return target{addr: h, webSocket: true}, true
}
