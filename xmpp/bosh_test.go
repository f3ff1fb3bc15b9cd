package xmpp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests' BOSH connection manager: each connection the client dials
// is an in-memory pipe whose other end serves HTTP/1.1 requests with
// keep-alive; the one session they make plays a transcript through
// xmpptest.Script (the transcript is the stream as on TCP; the manager
// translates), holding one request (hold='1') and answering in rid
// order, with the answers it sent kept for a request sent again.

const nsBind = "http://jabber.org/protocol/httpbind"

// boshServer is the manager.
type boshServer struct {
	t  *testing.T
	tr *xmpptest.Transcript
	// fail, when it returns a status, answers a request with it and
	// the body instead of playing it.
	fail func(body string) (status int, resp string)
	// cut, when it returns true, closes the connection once the answer
	// to the request is ready, without sending it: the answer is lost.
	cut func(body string) bool
	// reorder answers two held requests with the later one first, once
	// two elements wait.
	reorder bool
	chunked bool // answers in chunked transfer encoding

	mu      sync.Mutex
	cond    *sync.Cond
	dials   int
	sc      net.Conn // the script, the server's side of the stream
	sid     string
	next    uint64 // the rid played next
	outq    []string
	ended   bool // the script's </stream:stream>
	done    bool // the test has ended
	held    []chan string
	cache   map[uint64]string
	bodies  []string // the client's bodies, in rid order
	conns   []net.Conn
	readers sync.WaitGroup
}

func newBOSHServer(t *testing.T, tr *xmpptest.Transcript) *boshServer {
	s := &boshServer{t: t, tr: tr, cache: map[uint64]string{}}
	s.cond = sync.NewCond(&s.mu)
	t.Cleanup(func() {
		s.mu.Lock()
		s.done = true
		for _, h := range s.held {
			h <- "<body xmlns='" + nsBind + "'/>"
		}
		s.held = nil
		s.cond.Broadcast()
		for _, c := range s.conns {
			c.Close()
		}
		if s.sc != nil {
			s.sc.Close()
		}
		s.mu.Unlock()
		s.readers.Wait()
	})
	return s
}

func (s *boshServer) DialContext(_ context.Context, _, addr string) (net.Conn, error) {
	if addr != "xmpp.localhost:80" {
		return nil, fmt.Errorf("dialled %s", addr)
	}
	client, server := xmpptest.Pipe()
	s.mu.Lock()
	s.dials++
	s.conns = append(s.conns, server)
	s.mu.Unlock()
	s.readers.Add(1)
	go s.serve(server)
	return client, nil
}

// serve answers the requests of one connection.
func (s *boshServer) serve(conn net.Conn) {
	defer s.readers.Done()
	defer conn.Close()
	br := bufio.NewReader(conn)
	for {
		tp := textproto.NewReader(br)
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		h, err := tp.ReadMIMEHeader()
		if err != nil {
			return
		}
		if line != "POST /http-bind HTTP/1.1" || h.Get("Host") != "xmpp.localhost" || h.Get("Content-Type") != "text/xml; charset=utf-8" {
			s.t.Errorf("request %q %v", line, h)
			return
		}
		n, _ := strconv.Atoi(h.Get("Content-Length"))
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return
		}
		body := string(b)
		status, resp := 200, ""
		if s.fail != nil {
			status, resp = s.fail(body)
		}
		if status == 0 || status == 200 && resp == "" {
			status, resp = 200, s.handle(body)
		}
		if s.cut != nil && s.cut(body) {
			return
		}
		var out string
		if s.chunked {
			out = fmt.Sprintf("HTTP/1.1 %d X\r\nTransfer-Encoding: chunked\r\n\r\n", status)
			for i := 0; i < len(resp); i += 7 {
				part := resp[i:min(i+7, len(resp))]
				out += fmt.Sprintf("%x;ext=1\r\n%s\r\n", len(part), part)
			}
			out += "0\r\nTrailer: x\r\n\r\n"
		} else {
			out = fmt.Sprintf("HTTP/1.1 %d X\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s", status, len(resp), resp)
		}
		if _, err := io.WriteString(conn, out); err != nil {
			return
		}
	}
}

var (
	ridAttr   = regexp.MustCompile(`\brid='(\d+)'`)
	sidAttr   = regexp.MustCompile(`\bsid='([^']*)'`)
	bodyStart = regexp.MustCompile(`^<body [^>]*?(/?)>`)
)

// handle plays one request and returns its answer, once there is one.
func (s *boshServer) handle(body string) string {
	m := ridAttr.FindStringSubmatch(body)
	if m == nil {
		s.t.Errorf("a body without rid: %s", body)
		return "<body type='terminate' condition='bad-request' xmlns='" + nsBind + "'/>"
	}
	rid, _ := strconv.ParseUint(m[1], 10, 64)
	start := bodyStart.FindStringSubmatch(body)
	var payload string
	if start[1] == "" {
		payload = strings.TrimSuffix(body[len(start[0]):], "</body>")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.cache[rid]; ok {
		return r // XEP-0124 section 14: the answer again
	}
	create := s.sc == nil
	if create {
		s.next = rid
		s.sid = "s" + m[1]
		s.sc = xmpptest.Script(s.t, s.tr)
		s.readers.Add(1)
		go s.read(s.sc)
	} else if sid := sidAttr.FindStringSubmatch(body); sid == nil || sid[1] != s.sid {
		s.t.Errorf("a body without the sid: %s", body)
	}
	for s.next != rid {
		if s.done {
			return ""
		}
		s.cond.Wait()
	}
	s.bodies = append(s.bodies, body)
	header := "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	in := payload
	terminate := strings.Contains(start[0], "type='terminate'")
	switch {
	case create, strings.Contains(start[0], "xmpp:restart='true'"):
		in = header
	case terminate:
		in += "</stream:stream>"
	}
	s.sc.Write([]byte(in))
	s.next++
	s.cond.Broadcast()
	var resp string
	switch {
	case create:
		for len(s.outq) == 0 && !s.done {
			s.cond.Wait()
		}
		resp = "<body sid='" + s.sid + "' wait='60' requests='2' hold='1' polling='5' inactivity='60' ver='1.6' from='localhost' authid='bosh1' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='" + nsBind + "'>" + strings.Join(s.outq, "") + "</body>"
		s.outq = nil
	case terminate:
		for !s.ended && !s.done { // the script has played its end
			s.cond.Wait()
		}
		for _, h := range s.held {
			h <- "<body type='terminate' xmlns='" + nsBind + "'/>"
		}
		s.held = nil
		resp = "<body type='terminate' xmlns='" + nsBind + "'/>"
	default:
		ch := make(chan string, 1)
		s.held = append(s.held, ch)
		s.flush()
		s.mu.Unlock()
		resp = <-ch
		s.mu.Lock()
	}
	s.cache[rid] = resp
	return resp
}

// read takes what the script sends: elements for the next answers,
// framed for a body; the end of the stream.
func (s *boshServer) read(sc net.Conn) {
	defer s.readers.Done()
	scriptItems(sc, func(b []byte) error {
		item := string(b)
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case strings.HasPrefix(item, "<?xml"), strings.HasPrefix(item, "<stream:stream"):
		case item == "</stream:stream>":
			s.ended = true
		default:
			xmpp.WSFrameOut(b, func(parts ...[]byte) error {
				s.outq = append(s.outq, string(bytes.Join(parts, nil)))
				return nil
			})
		}
		s.flush()
		s.cond.Broadcast()
		return nil
	})
}

// flush answers held requests, under s.mu: all but the last at once,
// and the last when there is something to send.
func (s *boshServer) flush() {
	if s.reorder && len(s.held) == 2 && len(s.outq) >= 2 {
		older, newer := s.held[0], s.held[1]
		s.held = nil
		first, rest := s.outq[0], strings.Join(s.outq[1:], "")
		s.outq = nil
		newer <- "<body xmlns='" + nsBind + "'>" + rest + "</body>"
		s.reorder = false
		// The older answer goes a second later: in the test's bubble,
		// once the client has done all it can with the newer one.
		time.AfterFunc(time.Second, func() { older <- "<body xmlns='" + nsBind + "'>" + first + "</body>" })
		return
	}
	if s.reorder && len(s.held) == 2 {
		return // holding both until two elements wait
	}
	for len(s.held) > 1 || len(s.held) == 1 && (len(s.outq) > 0 || s.ended) {
		resp := "<body xmlns='" + nsBind + "'>" + strings.Join(s.outq, "") + "</body>"
		if s.ended && len(s.held) == 1 {
			resp = "<body type='terminate' xmlns='" + nsBind + "'>" + strings.Join(s.outq, "") + "</body>"
		}
		s.outq = nil
		s.held[0] <- resp
		s.held = s.held[1:]
	}
}

func (s *boshServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// boshURL is the URL of the tests' BOSH connection manager.
const boshURL = "http://xmpp.localhost/http-bind"

// serveBOSHSession serves tr over BOSH, in chunked encoding when chunked
// (TestTransportSession), and checks every body the client sent: the
// session creation request, rids one apart, the restart after SASL,
// stanzas in jabber:client, the terminate with the unavailable presence,
// at most two connections.
func serveBOSHSession(t *testing.T, tr *xmpptest.Transcript, chunked bool) (xmpp.Dialer, func()) {
	s := newBOSHServer(t, tr)
	s.chunked = chunked
	return s, func() {
		bodies := s.requests()
		require.NotEmpty(t, bodies)
		first := bodies[0]
		for _, a := range []string{"content='text/xml; charset=utf-8'", "hold='1'", "ver='1.6'", "wait='60'", "xmpp:version='1.0'", "xmlns:xmpp='urn:xmpp:xbosh'", "to='localhost'", "xml:lang='en'", "xmlns='" + nsBind + "'"} {
			assert.Contains(t, first, a)
		}
		assert.NotContains(t, first, "sid=")
		rid0, _ := strconv.ParseUint(ridAttr.FindStringSubmatch(first)[1], 10, 64)
		assert.Greater(t, rid0, uint64(0))
		var restarts, auth, msg, terminate int
		for i, b := range bodies {
			rid, _ := strconv.ParseUint(ridAttr.FindStringSubmatch(b)[1], 10, 64)
			assert.Equal(t, rid0+uint64(i), rid, "rids one apart, in order")
			switch {
			case strings.Contains(b, "xmpp:restart='true'"):
				restarts++
				assert.Contains(t, b, "to='localhost'")
				assert.True(t, strings.HasSuffix(b, "/>"), "a restart carries no payload: %s", b)
			case strings.Contains(b, "<auth "):
				auth++
			case strings.Contains(b, "<message xmlns='jabber:client' "):
				msg++
			case strings.Contains(b, "type='terminate'"):
				terminate++
				assert.Equal(t, len(bodies)-1, i, "the terminate comes last")
				assert.Contains(t, bodies[i-1]+b, "<presence xmlns='jabber:client' ", "the unavailable presence before")
			}
		}
		assert.Equal(t, []int{1, 1, 1, 1}, []int{restarts, auth, msg, terminate})
		s.mu.Lock()
		assert.LessOrEqual(t, s.dials, 2, "keep-alive: at most requests connections")
		s.mu.Unlock()
	}
}

// TestBOSHOutOfOrder: the manager answers the later of two requests
// first, and the earlier one once the client has taken that answer
// (a second later in a synctest bubble); the client reads the answers
// in rid order.
func TestBOSHOutOfOrder(t *testing.T) { synctest.Test(t, testBOSHOutOfOrder) }

func testBOSHOutOfOrder(t *testing.T) {
	tr := transcript(t, wsLogin+`C: <message to='bob@localhost/b' id='{{m}}' type='chat'><body>go</body></message>
S: <message from='bob@localhost/b' id='one' type='chat'><body>1</body></message>
S: <message from='bob@localhost/b' id='two' type='chat'><body>2</body></message>
`+closing)
	s := newBOSHServer(t, tr)
	c := xmpp.New(plainConfig(boshURL, s))
	got := make(chan *stanza.Message, 2)
	c.HandleMessage(nil, func(m *stanza.Message) { got <- m })
	require.NoError(t, c.Connect(ctxT(t)))
	time.Sleep(time.Second) // the bubble's clock: the empty request is held
	s.mu.Lock()
	require.Len(t, s.held, 1)
	s.reorder = true
	s.mu.Unlock()
	require.NoError(t, c.Send(ctxT(t), &stanza.Message{Common: stanza.Common{To: jid.MustParse("bob@localhost/b")}, Type: stanza.Chat, Bodies: []stanza.Text{{Value: "go"}}}))
	assert.Equal(t, "one", nextMessage(t, got).ID)
	assert.Equal(t, "two", nextMessage(t, got).ID)
	s.mu.Lock()
	assert.False(t, s.reorder, "the manager answered out of order")
	s.mu.Unlock()
	require.NoError(t, c.Close())
}

// TestBOSHCutConnection: the answer to the request that carries a
// message is lost with its TCP connection; the client sends the same
// rid and body again on a new connection, the manager answers it again
// (XEP-0124 section 14), and the session goes on: the message reached
// the server once.
func TestBOSHCutConnection(t *testing.T) {
	tr := transcript(t, wsLogin+`C: <message to='bob@localhost/b' id='{{m}}' type='chat'><body>once</body></message>
S: <message from='bob@localhost/b' id='back' type='chat'><body>ok</body></message>
`+closing)
	s := newBOSHServer(t, tr)
	var once sync.Once
	var cutBody string
	s.cut = func(body string) (cut bool) {
		if strings.Contains(body, "<body>once</body>") {
			once.Do(func() { cut, cutBody = true, body })
		}
		return cut
	}
	c := xmpp.New(plainConfig(boshURL, s))
	got := make(chan *stanza.Message, 2)
	c.HandleMessage(nil, func(m *stanza.Message) { got <- m })
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Send(ctxT(t), &stanza.Message{Common: stanza.Common{To: jid.MustParse("bob@localhost/b")}, Type: stanza.Chat, Bodies: []stanza.Text{{Value: "once"}}}))
	assert.Equal(t, "back", nextMessage(t, got).ID)
	require.NoError(t, c.Close())
	require.NotEmpty(t, cutBody, "a connection was cut")
	n := 0
	for _, b := range s.requests() {
		if strings.Contains(b, "<body>once</body>") {
			n++
			assert.Equal(t, cutBody, b)
		}
	}
	assert.Equal(t, 1, n, "played once")
	s.mu.Lock()
	assert.GreaterOrEqual(t, s.dials, 2)
	s.mu.Unlock()
}

// TestBOSHBindingErrors: a terminate with a condition and an HTTP error
// each end the stream with a *BOSHError that says which.
func TestBOSHBindingErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		resp   string
		want   xmpp.BOSHError
		text   string
	}{
		{"terminate", 200, "<body type='terminate' condition='item-not-found' xmlns='" + nsBind + "'/>", xmpp.BOSHError{Condition: "item-not-found", Status: 200}, "ended the session: item-not-found"},
		{"404", 404, "", xmpp.BOSHError{Status: 404}, "HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newBOSHServer(t, transcript(t, wsLogin))
			var armed sync.Once
			s.fail = func(body string) (int, string) {
				code := 0
				if strings.Contains(body, "<message ") {
					armed.Do(func() { code = tc.status })
				}
				if code == 404 {
					return 404, "not found"
				}
				return code, tc.resp
			}
			c := xmpp.New(plainConfig(boshURL, s))
			require.NoError(t, c.Connect(ctxT(t)))
			t.Cleanup(func() { c.Close() })
			require.NoError(t, c.Send(ctxT(t), &stanza.Message{Common: stanza.Common{To: jid.MustParse("bob@localhost/b")}, Type: stanza.Chat}))
			wait(t, c.Done())
			var be *xmpp.BOSHError
			require.ErrorAs(t, c.Err(), &be)
			assert.Equal(t, tc.want, *be)
			assert.Contains(t, c.Err().Error(), tc.text)
		})
	}
}

// TestBOSHBodyErrors: answers the client refuses.
func TestBOSHBodyErrors(t *testing.T) {
	for _, tc := range []struct{ resp, want string }{
		{"<html/>", "not a <body/>"},
		{"<body xmlns='" + nsBind + "'><message>", "no </body>"},
		{"<body xmlns='" + nsBind + "' type='odd'/>", "a body of type"},
	} {
		t.Run(tc.resp, func(t *testing.T) {
			s := newBOSHServer(t, transcript(t, wsLogin))
			s.fail = func(body string) (int, string) {
				if strings.Contains(body, "content=") {
					return 200, tc.resp
				}
				return 0, ""
			}
			err := xmpp.New(plainConfig(boshURL, s)).Connect(ctxT(t))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// FuzzBOSHBody feeds any answer to the body parser: it never panics,
// and what it takes is a body of the httpbind namespace whose content
// lies inside the input.
func FuzzBOSHBody(f *testing.F) {
	f.Add([]byte("<body sid='s' xmlns='" + nsBind + "'><message xmlns='jabber:client'/></body>"))
	f.Add([]byte("<?xml version='1.0'?><body type='terminate' condition='host-unknown' xmlns='" + nsBind + "'/>"))
	f.Add([]byte("<body xmlns:stream='http://etherx.jabber.org/streams' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='" + nsBind + "'><stream:features/></body>\n"))
	f.Add([]byte("<b:body xmlns:b='" + nsBind + "'></b:body>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _, inner, err := xmpp.ParseBOSHBody(b)
		if err != nil {
			return
		}
		if !strings.Contains(string(b), nsBind) {
			t.Fatalf("a body without its namespace: %q", b)
		}
		if !strings.Contains(string(b), string(inner)) {
			t.Fatalf("content %q not in %q", inner, b)
		}
	})
}

// TestBOSHURLNotInErrors: a BOSH or WebSocket URL with a password in it
// is refused without the password in the error.
func TestBOSHURLNotInErrors(t *testing.T) {
	for _, u := range []string{"https://user:hunter2@localhost/bosh", "https://user:hunter2@local host/%zz", "wss://user:hunter2@localhost/ws", "wss://user:hunter2@local host/%zz"} {
		cfg := xmpp.Config{JID: jid.MustParse("alice@localhost"), Password: "secret", Addr: u}
		cfg.Reconnect.Disabled = true
		err := xmpp.New(cfg).Connect(ctxT(t))
		require.Error(t, err, u)
		assert.NotContains(t, err.Error(), "hunter2", u)
	}
}

// TestBOSHBackpressure: a manager that answers every request at once with
// a body full of messages, to a client whose listener is stuck, gets no
// more requests once the reader has stopped taking answers (its backlog
// full): the answers do not pile up in memory, as on TCP a full socket
// holds the server back.
func TestBOSHBackpressure(t *testing.T) { synctest.Test(t, testBOSHBackpressure) }

func testBOSHBackpressure(t *testing.T) {
	tr := transcript(t, wsLogin) // then the manager floods (s.fail)
	s := newBOSHServer(t, tr)
	msg := "<message from='bob@localhost/b' to='alice@localhost/ws' type='chat'><body>" + strings.Repeat("x", 1000) + "</body></message>"
	flood := "<body xmlns='" + nsBind + "'>" + strings.Repeat(msg, 10) + "</body>"
	var flooding atomic.Bool
	var answers atomic.Int32
	s.fail = func(string) (int, string) {
		if !flooding.Load() {
			return 0, ""
		}
		answers.Add(1)
		return 200, flood
	}
	cfg := plainConfig(boshURL, s)
	cfg.MaxBacklog = 32 << 10
	c := xmpp.New(cfg)
	stuck := make(chan struct{})
	c.HandleMessage(nil, func(*stanza.Message) { <-stuck })
	require.NoError(t, c.Connect(ctxT(t)))
	time.Sleep(time.Second) // the bubble's clock: the empty request is held
	flooding.Store(true)
	s.mu.Lock()
	for _, h := range s.held {
		h <- flood
	}
	s.held = nil
	s.mu.Unlock()
	time.Sleep(5 * time.Second) // in the bubble: an empty request every 10 ms, were they sent
	synctest.Wait()
	// The backlog (32 KiB) takes about 3 answers of 10 KB; the reader
	// holds one more, and one or two are in flight.
	assert.Less(t, answers.Load(), int32(10), "the client kept asking for more while nothing was read")
	close(stuck)
	c.Close()
}
