package xmpp_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests' WebSocket server: each connection the client dials is an
// in-memory pipe whose other end does the WebSocket handshake, then plays
// a transcript through xmpptest.Script (the transcript is the stream as
// on TCP; the server translates) or runs a handler of the test's own.

// wsGUID is RFC 6455's.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsScript is what one connection does.
type wsScript struct {
	tr       *xmpptest.Transcript
	fragment bool            // send each message in fragments, a ping among them
	then     func(p *wsPeer) // after the transcript, or instead of it
	protocol string          // the subprotocol header line; "" is ejabberd's spelling
}

// wsDialer is a Dialer whose n-th dial gets the n-th script; it records
// the addresses dialled and the peers.
type wsDialer struct {
	t       *testing.T
	scripts []wsScript
	mu      sync.Mutex
	addrs   []string
	peers   []*wsPeer
}

func (d *wsDialer) DialContext(_ context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, addr)
	n := len(d.addrs) - 1
	if n >= len(d.scripts) {
		return nil, errors.New("no more scripted WebSocket connections")
	}
	client, server := xmpptest.Pipe()
	p := &wsPeer{t: d.t, conn: server, br: bufio.NewReader(server), done: make(chan struct{}), readDone: make(chan struct{})}
	d.peers = append(d.peers, p)
	sc := d.scripts[n]
	go p.serve(sc)
	d.t.Cleanup(func() {
		server.Close()
		<-p.done
	})
	return client, nil
}

func (d *wsDialer) peer(i int) *wsPeer {
	d.mu.Lock()
	defer d.mu.Unlock()
	require.Greater(d.t, len(d.peers), i, "connection %d was never dialled", i)
	return d.peers[i]
}

// wsPeer is the server's end of one connection.
type wsPeer struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	wmu  sync.Mutex
	done chan struct{}
	// readDone is closed when the client's side has ended (its close
	// frame, or the connection closed): every pong it sent is in pongs.
	readDone chan struct{}

	in      chan string // the client's messages, from its reader; closed at the end
	pending *string     // one taken from in by play that its script did not take

	mu    sync.Mutex
	msgs  []string // the client's messages, in order
	pongs []string
	pings int
}

func (p *wsPeer) serve(sc wsScript) {
	defer close(p.done)
	if err := p.handshake(sc.protocol); err != nil {
		p.t.Errorf("WebSocket handshake: %v", err)
		p.conn.Close()
		return
	}
	p.in = make(chan string)
	go func() {
		defer close(p.readDone)
		defer close(p.in)
		for {
			m, err := p.message()
			if err != nil {
				return
			}
			p.in <- m
		}
	}()
	if sc.tr != nil {
		p.play(sc.tr, sc.fragment)
	}
	if sc.then != nil {
		sc.then(p)
	}
}

func (p *wsPeer) handshake(protocol string) error {
	tp := textproto.NewReader(p.br)
	line, err := tp.ReadLine()
	if err != nil {
		return err
	}
	if line != "GET /xmpp-websocket HTTP/1.1" {
		return fmt.Errorf("request line %q", line)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return err
	}
	if h.Get("Sec-WebSocket-Protocol") != "xmpp" || h.Get("Sec-WebSocket-Version") != "13" ||
		!strings.EqualFold(h.Get("Upgrade"), "websocket") || h.Get("Host") == "" {
		return fmt.Errorf("request headers %v", h)
	}
	sum := sha1.Sum([]byte(h.Get("Sec-WebSocket-Key") + wsGUID))
	if protocol == "" {
		protocol = "Sec-Websocket-Protocol:xmpp" // ejabberd's, without a space
	}
	_, err = io.WriteString(p.conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+base64.StdEncoding.EncodeToString(sum[:])+"\r\n"+protocol+"\r\n\r\n")
	return err
}

// frame reads one frame of the client's, which must be masked.
func (p *wsPeer) frame() (op byte, fin bool, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(p.br, h[:]); err != nil {
		return
	}
	if h[1]&0x80 == 0 {
		return 0, false, nil, errors.New("an unmasked frame from the client")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(p.br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(p.br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	var key [4]byte
	if err == nil {
		_, err = io.ReadFull(p.br, key[:])
	}
	if err != nil {
		return
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(p.br, payload); err != nil {
		return
	}
	for i := range payload {
		payload[i] ^= key[i&3]
	}
	return h[0] & 0x0F, h[0]&0x80 != 0, payload, nil
}

// next returns the client's next message, or false when it has ended.
func (p *wsPeer) next() (string, bool) {
	if m := p.pending; m != nil {
		p.pending = nil
		return *m, true
	}
	m, ok := <-p.in
	return m, ok
}

// message reads the client's next message, noting pongs; a close frame
// is io.EOF.
func (p *wsPeer) message() (string, error) {
	var m []byte
	for {
		op, fin, payload, err := p.frame()
		if err != nil {
			return "", err
		}
		switch op {
		case 0x8:
			return "", io.EOF
		case 0xA:
			p.mu.Lock()
			p.pongs = append(p.pongs, string(payload))
			p.mu.Unlock()
			continue
		case 0x1, 0x0:
		default:
			return "", fmt.Errorf("opcode %d from the client", op)
		}
		m = append(m, payload...)
		if fin {
			p.mu.Lock()
			p.msgs = append(p.msgs, string(m))
			p.mu.Unlock()
			return string(m), nil
		}
	}
}

// send writes one unmasked frame.
func (p *wsPeer) send(op byte, fin bool, payload string) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	b := []byte{op, 0}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b[1] = byte(n)
	case n <= 0xFFFF:
		b[1] = 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	_, err := p.conn.Write(append(b, payload...))
	return err
}

// sendMessage sends m as one text message, or in fragments of three
// bytes with a ping after the first.
func (p *wsPeer) sendMessage(m string, fragment bool) error {
	if !fragment || len(m) <= 3 {
		return p.send(0x1, true, m)
	}
	for i := 0; i < len(m); i += 3 {
		op := byte(0x0)
		if i == 0 {
			op = 0x1
		}
		if err := p.send(op, i+3 >= len(m), m[i:min(i+3, len(m))]); err != nil {
			return err
		}
		if i == 0 {
			p.mu.Lock()
			p.pings++
			n := p.pings
			p.mu.Unlock()
			if err := p.send(0x9, true, fmt.Sprintf("ping %d", n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// play bridges the client's messages to a scripted server playing tr,
// translating both ways, until the script ends.
func (p *wsPeer) play(tr *xmpptest.Transcript, fragment bool) {
	sc := xmpptest.Script(p.t, tr)
	stop := make(chan struct{})
	upDone := make(chan struct{})
	go func() {
		defer close(upDone)
		for {
			var m string
			select {
			case <-stop:
				return
			case mm, ok := <-p.in:
				if !ok {
					sc.Close()
					return
				}
				m = mm
			}
			b, err := xmpp.WSFrameIn([]byte(m))
			if err != nil {
				p.t.Errorf("the client's message %q: %v", m, err)
				sc.Close()
				return
			}
			if _, err := sc.Write(b); err != nil {
				p.pending = &m // the script has ended: it is the next step's
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-upDone
	}()
	scriptItems(sc, func(item []byte) error {
		return xmpp.WSFrameOut(item, func(parts ...[]byte) error {
			var m []byte
			for _, part := range parts {
				m = append(m, part...)
			}
			return p.sendMessage(string(m), fragment)
		})
	})
}

// scriptItems reads what a script sends and calls each with every
// item (stream header, element, end), until the script ends or each
// fails (the client has gone).
func scriptItems(sc io.Reader, each func(item []byte) error) {
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := sc.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for {
			i := len(buf) - len(strings.TrimLeft(string(buf), " \t\r\n"))
			end, ok := xmpp.WSItemEnd(buf, i)
			if !ok {
				break
			}
			if each(buf[i:end]) != nil {
				return
			}
			buf = buf[end:]
		}
		if err != nil {
			return
		}
	}
}

func (p *wsPeer) messages() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

// wsLogin is a login without TLS (ws://) with PLAIN, then bind; a
// server-chosen resource and no stream management.
const wsLogin = `C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='ws1' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>
C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXNlY3JldA==</auth>
S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='ws2' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>
C: <iq type='set' id='{{bind}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>
S: <iq type='result' id='{{bind}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/ws</jid></bind></iq>
`

// wsURL is the URL of the tests' WebSocket server.
const wsURL = "ws://xmpp.localhost/xmpp-websocket"

func transcript(t *testing.T, text string) *xmpptest.Transcript {
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(text))
	require.NoError(t, err)
	return tr
}

// serveWebSocketSession serves tr over one WebSocket, every message in
// fragments with a ping among them when fragment (TestTransportSession),
// and checks the framing of every message the client sent: <open/> for
// each stream header (the restart after SASL included), one element per
// message, stanzas in jabber:client, <close/> at the end; fragmented,
// every ping answered, in order.
func serveWebSocketSession(t *testing.T, tr *xmpptest.Transcript, fragment bool) (xmpp.Dialer, func()) {
	d := &wsDialer{t: t, scripts: []wsScript{{tr: tr, fragment: fragment}}}
	return d, func() {
		p := d.peer(0)
		<-p.done
		msgs := p.messages()
		require.Len(t, msgs, 7)
		open := `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0' xml:lang='en'/>`
		assert.Equal(t, open, msgs[0])
		assert.Equal(t, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXNlY3JldA==</auth>`, msgs[1])
		assert.Equal(t, open, msgs[2], "the restart after SASL")
		assert.True(t, strings.HasPrefix(msgs[3], `<iq xmlns='jabber:client' `), msgs[3])
		assert.True(t, strings.HasPrefix(msgs[4], `<message xmlns='jabber:client' `), msgs[4])
		assert.True(t, strings.HasPrefix(msgs[5], `<presence xmlns='jabber:client' `), msgs[5])
		assert.Equal(t, `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`, msgs[6])
		if !fragment {
			return
		}
		// The pong of the last ping may follow the script's end.
		select {
		case <-p.readDone:
		case <-time.After(5 * time.Second):
			t.Fatal("the client did not end its side of the WebSocket")
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		require.NotZero(t, p.pings)
		want := make([]string, p.pings)
		for i := range want {
			want[i] = fmt.Sprintf("ping %d", i+1)
		}
		assert.Equal(t, want, p.pongs, "every ping answered, in order")
	}
}

// TestWebSocketRefusesSplitElement: an element split across two
// messages breaks RFC 7395 section 3.3.3; the client ends the stream
// with not-well-formed and says why.
func TestWebSocketRefusesSplitElement(t *testing.T) {
	d := &wsDialer{t: t, scripts: []wsScript{{tr: transcript(t, wsLogin), then: func(p *wsPeer) {
		p.send(0x1, true, `<message from='bob@localhost/b' type='chat'><body>hel`)
		p.send(0x1, true, `lo</body></message>`)
		for {
			if _, ok := p.next(); !ok {
				return
			}
		}
	}}}}
	c := xmpp.New(plainConfig(wsURL, d))
	require.NoError(t, c.Connect(ctxT(t)))
	t.Cleanup(func() { c.Close() })
	wait(t, c.Done())
	require.Error(t, c.Err())
	assert.Contains(t, c.Err().Error(), "does not hold exactly one element")
	p := d.peer(0)
	<-p.done
	msgs := p.messages()
	require.GreaterOrEqual(t, len(msgs), 2)
	assert.Contains(t, msgs[len(msgs)-2], "<not-well-formed")
	assert.True(t, strings.HasPrefix(msgs[len(msgs)-2], `<stream:error xmlns:stream='http://etherx.jabber.org/streams'`), msgs[len(msgs)-2])
	assert.Equal(t, `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`, msgs[len(msgs)-1])
}

// TestWebSocketCutMidMessage: the server sends the first fragment of a
// message and closes the connection. The stream ends with an error
// that says so, and the connection comes back as it would on TCP.
func TestWebSocketCutMidMessage(t *testing.T) {
	d := &wsDialer{t: t, scripts: []wsScript{
		{tr: transcript(t, wsLogin), then: func(p *wsPeer) {
			p.send(0x1, false, `<message from='bob@localhost/b'><bo`)
			p.conn.Close()
		}},
		{tr: transcript(t, wsLogin+closing)},
	}}
	cfg := plainConfig(wsURL, d)
	cfg.Reconnect = xmpp.Reconnect{Policy: xmpp.FixedDelay(time.Millisecond)}
	c := xmpp.New(cfg)
	var mu sync.Mutex
	var states []xmpp.StateChange
	authenticated := make(chan struct{}, 2)
	c.OnState(func(sc xmpp.StateChange) {
		mu.Lock()
		states = append(states, sc)
		mu.Unlock()
		if sc.State == xmpp.StateAuthenticated {
			authenticated <- struct{}{}
		}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	t.Cleanup(func() { c.Close() })
	for range 2 {
		select {
		case <-authenticated:
		case <-time.After(5 * time.Second):
			t.Fatal("no new session after the cut")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var lost error
	for _, sc := range states {
		if sc.Err != nil {
			lost = sc.Err
			break
		}
	}
	require.Error(t, lost)
	assert.Contains(t, lost.Error(), "in the middle of a message")
	assert.ErrorIs(t, lost, io.ErrUnexpectedEOF)
	require.NoError(t, c.Close()) // before the server's end of the pipe closes
}

// TestWebSocketSeeOtherURI: <close see-other-uri/> in answer to <open/>
// sends the client to the other URL (RFC 7395 section 3.6.1), once.
func TestWebSocketSeeOtherURI(t *testing.T) {
	d := &wsDialer{t: t, scripts: []wsScript{
		{then: func(p *wsPeer) {
			if _, ok := p.next(); !ok {
				return
			}
			p.send(0x1, true, `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='ws://other.localhost:5280/xmpp-websocket'/>`)
			p.next()
		}},
		{tr: transcript(t, wsLogin+closing)},
	}}
	c := xmpp.New(plainConfig(wsURL, d))
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Close())
	d.mu.Lock()
	defer d.mu.Unlock()
	assert.Equal(t, []string{"xmpp.localhost:80", "other.localhost:5280"}, d.addrs)
}

// TestWebSocketRedirectNotURL: over a WebSocket, a see-other-host that
// is not a WebSocket URL is not followed: the login fails with the
// stream error.
func TestWebSocketRedirectNotURL(t *testing.T) {
	d := &wsDialer{t: t, scripts: []wsScript{{tr: transcript(t, `C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='ws1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>other.localhost:5222</see-other-host></stream:error>
C: </stream:stream>
`)}}}
	err := xmpp.New(plainConfig(wsURL, d)).Connect(ctxT(t))
	<-d.peer(0).done // the script has seen the client's </stream:stream>
	var se *stanza.StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, stanza.SeeOtherHost, se.Condition)
	assert.Len(t, d.addrs, 1)
}

// TestWebSocketHandshake: answers to the upgrade that the client must
// refuse, and frames that break RFC 6455 or RFC 7395.
func TestWebSocketHandshake(t *testing.T) {
	for _, tc := range []struct {
		name, protocol string
		then           func(p *wsPeer)
		want           string
	}{
		{name: "no subprotocol", protocol: "X-Nothing: here", want: "did not accept the xmpp subprotocol"},
		{name: "other subprotocol", protocol: "Sec-WebSocket-Protocol: mqtt", want: "did not accept the xmpp subprotocol"},
		{name: "binary message", then: func(p *wsPeer) {
			p.next()
			p.send(0x2, true, `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' version='1.0' from='localhost' id='x'/>`)
			p.next()
		}, want: "binary message"},
		{name: "masked frame", then: func(p *wsPeer) {
			p.next()
			p.conn.Write([]byte{0x81, 0x80 | 1, 0, 0, 0, 0, '<'})
			p.next()
		}, want: "masked frame"},
		{name: "two elements in a message", then: func(p *wsPeer) {
			p.next()
			p.send(0x1, true, `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' version='1.0' from='localhost' id='x'/><stream:features xmlns:stream='http://etherx.jabber.org/streams'/>`)
			p.next()
		}, want: "does not hold exactly one element"},
		{name: "close frame", then: func(p *wsPeer) {
			p.next()
			p.send(0x8, true, "\x03\xe8")
			p.next()
		}, want: "the server closed the connection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &wsDialer{t: t, scripts: []wsScript{{protocol: tc.protocol, then: tc.then}}}
			err := xmpp.New(plainConfig(wsURL, d)).Connect(ctxT(t))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
