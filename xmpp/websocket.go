package xmpp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/internal/xmlstream"
)

// A WebSocket (RFC 6455) carrying an XMPP stream (RFC 7395), written
// with the standard library: golang.org/x/net/websocket would link
// net/http into every program that imports xmpp. wsConn is a net.Conn
// whose bytes are the stream as it is on TCP (see wsframing.go), so the
// stream, its reader and everything above work on it unchanged.

// ErrPlainWebSocket is returned for a ws:// URL (a WebSocket without
// TLS) while Config.Security is TLSRequired, the default.
var ErrPlainWebSocket = errors.New("xmpp: a ws:// URL is not encrypted; use wss://, or set Security to TLSIfPossible or TLSDisabled")

const (
	wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" // RFC 6455 section 1.3

	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsCloseFrame   = 0x8
	wsPing         = 0x9
	wsPong         = 0xA

	wsFin  = 0x80
	wsMask = 0x80

	// wsMaxResponse bounds the server's answer to the upgrade request.
	wsMaxResponse = 16 << 10
	// wsSlack is what a message may hold beyond MaxStanzaSize: white
	// space, and the framing of a stream error.
	wsSlack = 4 << 10
)

// wsConn is the client's end of a WebSocket that carries an XMPP stream.
// Reads and writes are the stream's bytes (wsframing.go); one goroutine
// reads (the stream's reader), and writes come one at a time (under the
// stream's write lock), besides the pongs the reader answers pings with.
type wsConn struct {
	conn net.Conn  // TLS over raw, or raw
	raw  net.Conn  // the socket, for deadlines and aborts
	tls  *tls.Conn // nil for ws://
	url  string
	max  int // the largest message taken, in bytes

	// Reading: the reader's alone.
	rbuf    []byte // what the server sent after its handshake answer, not read yet
	pending []byte // the stream bytes of the last message, not read yet
	msg     *[]byte
	hdr     [14]byte
	ended   bool // the server's close frame arrived

	// Writing: wmu orders frames. pong holds the payload of the last ping
	// not answered yet, under pmu, with pongDue set.
	wmu     sync.Mutex
	pmu     sync.Mutex
	pong    []byte
	pongDue atomic.Bool
	closed  atomic.Bool // our close frame went out
	// opened says the server opened the stream under way: set by the
	// reader at <open/>, cleared by a writer of a stream header (the
	// stream reads the answer to a header only once it is written).
	opened atomic.Bool
}

var _ net.Conn = (*wsConn)(nil)

// messages holds the buffers messages are read into, so that an idle
// connection holds none.
var messages = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// dialWebSocket opens a WebSocket to u with the xmpp subprotocol. wss://
// verifies the server's certificate as tlsConfig says (for the JID's
// domain unless TLS.ServerName says otherwise); ws:// is allowed only
// when Security is not TLSRequired. ctx bounds the connection, the TLS
// handshake and the upgrade.
func (c *Config) dialWebSocket(ctx context.Context, rawURL string) (net.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, which may hold a password.
		return nil, errors.New("xmpp: websocket URL: not a URL")
	}
	var port string
	switch u.Scheme {
	case "wss":
		port = "443"
	case "ws":
		if c.Security == TLSRequired {
			return nil, ErrPlainWebSocket
		}
		port = "80"
	default:
		return nil, fmt.Errorf("xmpp: websocket URL %q: the scheme is not ws or wss", u.Redacted())
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("xmpp: websocket URL %q: no host, or user information or a fragment", u.Redacted())
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	d := c.Dialer
	if d == nil {
		d = &net.Dialer{Resolver: c.Resolver}
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	w := &wsConn{conn: raw, raw: raw, url: rawURL, max: c.maxStanzaSize() + wsSlack}
	stop := watch(ctx, raw)
	defer stop()
	if u.Scheme == "wss" {
		tcfg := c.tlsConfig(false)
		if tcfg.NextProtos == nil {
			tcfg.NextProtos = []string{"http/1.1"} // the upgrade is HTTP/1.1's
		}
		tc := tls.Client(raw, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, ctxErr(ctx, err))
		}
		w.conn, w.tls = tc, tc
	}
	if err := w.upgrade(u, c.Rand); err != nil {
		raw.Close()
		return nil, ctxErr(ctx, err)
	}
	return w, nil
}

// upgrade asks the server to switch to the WebSocket protocol (RFC 6455
// section 4.1) with the xmpp subprotocol (RFC 7395 section 3.2), and
// checks its answer.
func (w *wsConn) upgrade(u *url.URL, random io.Reader) error {
	if random == nil {
		random = rand.Reader
	}
	var nonce [16]byte
	if _, err := io.ReadFull(random, nonce[:]); err != nil {
		return fmt.Errorf("xmpp: websocket: %w", err)
	}
	key := base64.StdEncoding.EncodeToString(nonce[:])
	path := u.RequestURI()
	req := "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: xmpp\r\n\r\n"
	if strings.ContainsAny(path+u.Host, "\r\n") {
		return errors.New("xmpp: websocket: a line break in the URL")
	}
	if _, err := io.WriteString(w.conn, req); err != nil {
		return fmt.Errorf("xmpp: websocket upgrade: %w", err)
	}
	br := bufio.NewReader(&io.LimitedReader{R: w.conn, N: wsMaxResponse})
	tp := textproto.NewReader(br)
	status, err := tp.ReadLine()
	if err != nil {
		return fmt.Errorf("xmpp: websocket upgrade: %w", err)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return fmt.Errorf("xmpp: websocket upgrade: %w", err)
	}
	proto, code, _ := strings.Cut(status, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") || !strings.HasPrefix(code, "101") {
		return fmt.Errorf("xmpp: websocket upgrade: the server answered %q", status)
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	switch {
	case !strings.EqualFold(h.Get("Upgrade"), "websocket"):
		return errors.New("xmpp: websocket upgrade: the answer does not upgrade to websocket")
	case !headerHas(h.Values("Connection"), "upgrade"):
		return errors.New("xmpp: websocket upgrade: the answer's Connection header lacks upgrade")
	case h.Get("Sec-Websocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]):
		return errors.New("xmpp: websocket upgrade: wrong Sec-WebSocket-Accept")
	case strings.TrimSpace(h.Get("Sec-Websocket-Protocol")) != "xmpp":
		// textproto's canonical key covers ejabberd's spelling,
		// Sec-Websocket-Protocol.
		return errors.New("xmpp: websocket upgrade: the server did not accept the xmpp subprotocol")
	case h.Get("Sec-Websocket-Extensions") != "":
		return errors.New("xmpp: websocket upgrade: the server chose an extension nobody asked for")
	}
	if n := br.Buffered(); n > 0 {
		w.rbuf = make([]byte, n)
		br.Read(w.rbuf)
	}
	return nil
}

// maxStanzaSize is MaxStanzaSize with its default, as the stream
// reader applies it.
func (c *Config) maxStanzaSize() int {
	if c.MaxStanzaSize <= 0 {
		return 1 << 20
	}
	return c.MaxStanzaSize
}

// headerHas reports whether a comma-separated header lists token.
func headerHas(values []string, token string) bool {
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}

// readFull reads len(p) bytes of frames, taking first what came with the
// handshake's answer.
func (w *wsConn) readFull(p []byte) error {
	if len(w.rbuf) > 0 {
		n := copy(p, w.rbuf)
		if w.rbuf = w.rbuf[n:]; len(w.rbuf) == 0 {
			w.rbuf = nil
		}
		p = p[n:]
	}
	if len(p) == 0 {
		return nil
	}
	_, err := io.ReadFull(w.conn, p)
	return err
}

// Read reads the stream: the message under way, then the next ones,
// translated (frameIn).
func (w *wsConn) Read(p []byte) (int, error) {
	for len(w.pending) == 0 {
		w.release()
		if w.ended {
			return 0, io.EOF
		}
		m, err := w.readMessage()
		if err != nil {
			return 0, err
		}
		var opened bool
		if w.pending, opened, err = frameIn(m, w.opened.Load()); err != nil {
			return 0, err
		}
		if opened {
			w.opened.Store(true)
		}
	}
	n := copy(p, w.pending)
	w.pending = w.pending[n:]
	return n, nil
}

// release gives the message buffer back.
func (w *wsConn) release() {
	if w.msg != nil {
		if cap(*w.msg) <= 64<<10 {
			*w.msg = (*w.msg)[:0]
			messages.Put(w.msg)
		}
		w.msg = nil
	}
	w.pending = nil
}

// readMessage reads the next data message whole, answering pings on the
// way. A close frame ends the stream: io.EOF between messages, an
// error inside one.
func (w *wsConn) readMessage() ([]byte, error) {
	inMessage := false
	for {
		if err := w.readFull(w.hdr[:2]); err != nil {
			if inMessage && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, w.readErr(inMessage, err)
		}
		b0, b1 := w.hdr[0], w.hdr[1]
		op := b0 & 0x0F
		if b0&0x70 != 0 || b1&wsMask != 0 {
			return nil, w.protocolError("reserved bits or a masked frame from the server")
		}
		n := uint64(b1 & 0x7F)
		switch n {
		case 126:
			if err := w.readFull(w.hdr[2:4]); err != nil {
				return nil, w.readErr(inMessage, err)
			}
			n = uint64(binary.BigEndian.Uint16(w.hdr[2:4]))
		case 127:
			if err := w.readFull(w.hdr[2:10]); err != nil {
				return nil, w.readErr(inMessage, err)
			}
			n = binary.BigEndian.Uint64(w.hdr[2:10])
		}
		if op >= wsCloseFrame {
			if n > 125 || b0&wsFin == 0 {
				return nil, w.protocolError("a control frame longer than 125 bytes or fragmented")
			}
			var payload [125]byte
			if err := w.readFull(payload[:n]); err != nil {
				return nil, w.readErr(inMessage, err)
			}
			switch op {
			case wsPing:
				if err := w.answerPing(payload[:n]); err != nil {
					return nil, err
				}
			case wsCloseFrame:
				w.ended = true
				w.closeFrame(payload[:min(n, 2)])
				if inMessage {
					return nil, fmt.Errorf("xmpp: websocket: the server closed the WebSocket in the middle of a message: %w", io.ErrUnexpectedEOF)
				}
				return nil, io.EOF
			case wsPong:
			default:
				return nil, w.protocolError(fmt.Sprintf("unknown opcode %d", op))
			}
			continue
		}
		switch {
		case op == wsBinary:
			return nil, w.protocolError("a binary message (RFC 7395 section 3.3.3: text only)")
		case op == wsText && inMessage, op == wsContinuation && !inMessage:
			return nil, w.protocolError("a fragment out of place")
		case op != wsText && op != wsContinuation:
			return nil, w.protocolError(fmt.Sprintf("unknown opcode %d", op))
		}
		if !inMessage {
			inMessage = true
			w.msg = messages.Get().(*[]byte)
		}
		have := uint64(len(*w.msg))
		if n > uint64(w.max) || have+n > uint64(w.max) {
			return nil, &xmlstream.Error{Condition: xmlstream.PolicyViolation, Msg: fmt.Sprintf("a WebSocket message larger than the limit (%d bytes)", w.max)}
		}
		m := append(*w.msg, make([]byte, n)...)
		*w.msg = m
		if err := w.readFull(m[have:]); err != nil {
			return nil, w.readErr(true, err)
		}
		if b0&wsFin != 0 {
			return m, nil
		}
	}
}

// readErr says what a failed read means.
func (w *wsConn) readErr(inMessage bool, err error) error {
	if inMessage && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) {
		return fmt.Errorf("xmpp: websocket: the connection ended in the middle of a message: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// protocolError ends the WebSocket with a protocol error (status 1002).
func (w *wsConn) protocolError(msg string) error {
	w.writeClose(1002)
	return errors.New("xmpp: websocket: the server broke the protocol: " + msg)
}

// closeFrame answers the server's close frame with ours, echoing its
// status (RFC 6455 section 5.5.1).
func (w *wsConn) closeFrame(status []byte) {
	code := uint16(1000)
	if len(status) == 2 {
		code = binary.BigEndian.Uint16(status)
	}
	w.writeClose(code)
}

// writeClose sends our close frame, once, if no write is under way:
// the reader never waits for a writer.
func (w *wsConn) writeClose(code uint16) {
	if w.closed.Load() || !w.wmu.TryLock() {
		return
	}
	defer w.wmu.Unlock()
	if w.closed.Swap(true) {
		return
	}
	var status [2]byte
	binary.BigEndian.PutUint16(status[:], code)
	// No deadline of its own: the stream's deadlines, and its aborts,
	// which close the socket, bound it.
	w.conn.Write(appendFrame(nil, wsCloseFrame, status[:]))
}

// answerPing sends a pong with the ping's payload: at once when no write
// is under way, or else right after it, by the writer.
func (w *wsConn) answerPing(payload []byte) error {
	w.pmu.Lock()
	w.pong = append(w.pong[:0], payload...)
	w.pmu.Unlock()
	w.pongDue.Store(true)
	return w.flushPongs()
}

// flushPongs writes the pong due, if any, unless a writer holds the
// lock; that writer then does it after its own write.
func (w *wsConn) flushPongs() error {
	for w.pongDue.Load() && w.wmu.TryLock() {
		err := w.writePong()
		w.wmu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// writePong writes the pong due, under wmu.
func (w *wsConn) writePong() error {
	if !w.pongDue.Swap(false) || w.closed.Load() {
		return nil
	}
	w.pmu.Lock()
	f := appendFrame(nil, wsPong, w.pong)
	w.pmu.Unlock()
	_, err := w.conn.Write(f)
	return err
}

// Write sends what the stream wrote, b, as messages (frameOut), in one
// write to the socket. It returns len(b) or an error.
func (w *wsConn) Write(b []byte) (int, error) {
	bp := batches.Get().(*[]byte)
	defer putBatch(bp)
	out := (*bp)[:0]
	var part []byte
	err := frameOut(b, func(parts ...[]byte) error {
		if bytes.HasPrefix(parts[0], []byte("<open ")) {
			w.opened.Store(false) // a new stream: the server's <open/> comes next
		}
		if len(parts) == 1 {
			out = appendFrame(out, wsText, parts[0])
			return nil
		}
		part = part[:0]
		for _, p := range parts {
			part = append(part, p...)
		}
		out = appendFrame(out, wsText, part)
		return nil
	})
	*bp = out
	if err != nil {
		return 0, err
	}
	w.wmu.Lock()
	if w.closed.Load() {
		w.wmu.Unlock()
		return 0, net.ErrClosed
	}
	_, err = w.conn.Write(out)
	if err == nil && w.pongDue.Load() {
		err = w.writePong()
	}
	w.wmu.Unlock()
	if err != nil {
		return 0, err
	}
	if err := w.flushPongs(); err != nil {
		return 0, err
	}
	return len(b), nil
}

// appendFrame appends a final, masked frame (RFC 6455 section 5.2).
func appendFrame(dst []byte, op byte, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, wsFin|op)
	switch {
	case n < 126:
		dst = append(dst, wsMask|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, wsMask|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, wsMask|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], mrand.Uint32()) // ChaCha8: unpredictable, as section 5.3 asks
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	for i := range dst[start:] {
		dst[start+i] ^= key[i&3]
	}
	return dst
}

// Close sends a close frame when no write is under way, and closes the
// socket.
func (w *wsConn) Close() error {
	w.writeClose(1000)
	return w.raw.Close()
}

func (w *wsConn) LocalAddr() net.Addr                { return w.raw.LocalAddr() }
func (w *wsConn) RemoteAddr() net.Addr               { return w.raw.RemoteAddr() }
func (w *wsConn) SetDeadline(t time.Time) error      { return w.raw.SetDeadline(t) }
func (w *wsConn) SetReadDeadline(t time.Time) error  { return w.raw.SetReadDeadline(t) }
func (w *wsConn) SetWriteDeadline(t time.Time) error { return w.raw.SetWriteDeadline(t) }

// transport gives the stream the TLS connection and the socket.
func (w *wsConn) transport() (*tls.Conn, net.Conn) { return w.tls, w.raw }
