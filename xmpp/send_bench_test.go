package xmpp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
)

// The send and receive paths against an in-process server on loopback
// TCP, with and without stream management: the server logs the client in
// (a transcript), then answers every <r/> at once with the count of
// messages it has read, as a server that keeps up does. Each benchmark
// reports the socket writes per message the client made (writes/msg).

// benchLoginNoSM is smLogin and smBind without stream management.
var benchLoginNoSM = strings.NewReplacer(
	"<sm xmlns='urn:xmpp:sm:3'/>", "",
	"C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\n", "",
	"S: <enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>\n", "",
).Replace(smLogin + smBind)

// countingConn counts the client's socket writes, and makes each take
// its dialer's slow longer.
type countingConn struct {
	net.Conn
	d *benchDialer
}

func (c countingConn) Write(p []byte) (int, error) {
	c.d.writes.Add(1)
	if slow := time.Duration(c.d.slow.Load()); slow > 0 {
		time.Sleep(slow)
	}
	return c.Conn.Write(p)
}

type benchDialer struct {
	writes atomic.Int64
	slow   atomic.Int64 // a time.Duration added to every write
}

func (d *benchDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, d: d}, nil
}

// benchServer is a connection logged in to an in-process server that
// acknowledges and counts what it reads; onLogin runs on the server's
// socket once the login is played (it may write to it).
type benchServer struct {
	c       *xmpp.Conn
	d       *benchDialer
	srv     net.Conn
	read    atomic.Int64 // messages the server has read
	acks    atomic.Int64 // <a/> the server has read
	readMsg chan struct{}
	done    chan struct{}
}

func newBenchServer(b *testing.B, sm bool, cfgs ...func(*xmpp.Config)) *benchServer {
	return newBenchServerTLS(b, sm, false, cfgs...)
}

// newBenchServerTLS is newBenchServer, over direct TLS (XEP-0368) when
// withTLS: writes/msg then counts the socket writes under TLS, about one
// TLS record each.
func newBenchServerTLS(b *testing.B, sm, withTLS bool, cfgs ...func(*xmpp.Config)) *benchServer {
	b.Helper()
	login := benchLoginNoSM
	if sm {
		login = smLogin + smBind
	}
	var srvTLS, cliTLS *tls.Config
	if withTLS {
		srvTLS, cliTLS = xmpptest.TLSConfigs(b, "localhost")
		// Over TLS the client says who it is in its stream headers.
		login = strings.ReplaceAll(login, "<stream:stream to='localhost'", "<stream:stream to='localhost' from='alice@localhost'")
	}
	tr, err := xmpptest.ParseTranscript("bench", strings.NewReader(login))
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	bs := &benchServer{d: &benchDialer{}, readMsg: make(chan struct{}, 1), done: make(chan struct{})}
	played := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			played <- err
			return
		}
		if srvTLS != nil {
			s = tls.Server(s, srvTLS)
		}
		bs.srv = s
		played <- xmpptest.Replay(b, tr, xmpptest.Server, s)
	}()
	cfg := xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
		Addr: ln.Addr().String(), Security: xmpp.TLSDisabled, AllowPlainWithoutTLS: true,
		Mechanisms: []string{"PLAIN"}, NoInitialPresence: true, Dialer: bs.d,
		Reconnect:    xmpp.Reconnect{Disabled: true},
		CloseTimeout: time.Second,
	}
	if withTLS {
		cfg.Security, cfg.DirectTLS, cfg.TLS = xmpp.TLSRequired, true, cliTLS
	}
	for _, f := range cfgs {
		f(&cfg)
	}
	bs.c = xmpp.New(cfg)
	if err := bs.c.Connect(b.Context()); err != nil {
		b.Fatal(err)
	}
	if err := <-played; err != nil {
		b.Fatal(err)
	}
	go bs.serve()
	b.Cleanup(func() {
		bs.c.Close()
		bs.srv.Close()
		<-bs.done
	})
	return bs
}

var (
	benchRequest = []byte("<r xmlns='urn:xmpp:sm:3'/>")
	benchMsgEnd  = []byte("</message>")
	benchEnd     = []byte("</stream:stream>")
	benchAck     = []byte("<a xmlns='urn:xmpp:sm:3' h=")
)

// serve reads what the client sends: it counts messages, answers each
// <r/> with their count, and the end of the stream with its own.
func (bs *benchServer) serve() {
	defer close(bs.done)
	buf := make([]byte, 64<<10)
	var pend []byte
	var n int64
	for {
		k, err := bs.srv.Read(buf)
		if err != nil {
			return
		}
		pend = append(pend, buf[:k]...)
		var out []byte
		for {
			i, j, e := bytes.Index(pend, benchMsgEnd), bytes.Index(pend, benchRequest), bytes.Index(pend, benchEnd)
			switch {
			case i >= 0 && (j < 0 || i < j) && (e < 0 || i < e):
				n++
				pend = pend[i+len(benchMsgEnd):]
				continue
			case j >= 0 && (e < 0 || j < e):
				out = append(out, "<a xmlns='urn:xmpp:sm:3' h='"...)
				out = strconv.AppendInt(out, n, 10)
				out = append(out, "'/>"...)
				pend = pend[j+len(benchRequest):]
				continue
			case e >= 0:
				bs.srv.Write(append(out, benchEnd...))
				bs.srv.Close()
				return
			}
			break
		}
		bs.acks.Add(int64(bytes.Count(pend, benchAck)))
		if i := bytes.LastIndex(pend, benchAck); i >= 0 {
			pend = pend[i+len(benchAck):]
		}
		if len(pend) > 32 {
			pend = append(pend[:0], pend[len(pend)-32:]...)
		}
		bs.read.Store(n)
		select {
		case bs.readMsg <- struct{}{}:
		default:
		}
		if len(out) > 0 {
			if _, err := bs.srv.Write(out); err != nil {
				return
			}
		}
	}
}

// waitRead waits until the server has read n messages.
func (bs *benchServer) waitRead(b *testing.B, n int64) {
	for bs.read.Load() < n {
		select {
		case <-bs.readMsg:
		case <-time.After(10 * time.Second):
			b.Fatalf("the server read %d messages of %d", bs.read.Load(), n)
		}
	}
}

// benchMessage is a chat message of about 100 bytes of body.
func benchMessage() *stanza.Message {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: strings.Repeat("hello, bob ", 9)}}}
	m.To = jid.MustParse("bob@localhost/b")
	return m
}

func benchBoth(b *testing.B, f func(b *testing.B, sm bool)) {
	b.Run("no stream management", func(b *testing.B) { f(b, false) })
	b.Run("stream management", func(b *testing.B) { f(b, true) })
}

// BenchmarkSend: one goroutine sends b.N chat messages, one after the
// other; the time runs until the server has read them all.
func BenchmarkSend(b *testing.B) {
	benchBoth(b, func(b *testing.B, sm bool) {
		benchSends(b, newBenchServer(b, sm), func(send func() bool) {
			for range b.N {
				if !send() {
					return
				}
			}
		})
	})
}

// BenchmarkSendParallel: GOMAXPROCS×4 goroutines send b.N chat messages
// between them, a burst that coalescing writes can batch.
func BenchmarkSendParallel(b *testing.B) {
	benchParallel(b, func(b *testing.B, sm bool) *benchServer { return newBenchServer(b, sm) })
}

// benchParallel runs BenchmarkSendParallel's work on the servers mk makes.
func benchParallel(b *testing.B, mk func(b *testing.B, sm bool) *benchServer) {
	benchBoth(b, func(b *testing.B, sm bool) {
		b.SetParallelism(4)
		benchSends(b, mk(b, sm), func(send func() bool) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() && send() {
				}
			})
		})
	})
}

// BenchmarkSendParallelSlowLink is BenchmarkSendParallel on a link whose
// every socket write takes 100 µs more (a congested uplink, its socket
// buffer full): what waits for the socket goes out together.
func BenchmarkSendParallelSlowLink(b *testing.B) {
	benchParallel(b, func(b *testing.B, sm bool) *benchServer {
		bs := newBenchServer(b, sm)
		bs.d.slow.Store(int64(100 * time.Microsecond)) // the login went at full speed
		return bs
	})
}

// BenchmarkSendParallelTLS is BenchmarkSendParallel over TLS, where a
// write (a record to seal) holds the socket longer.
func BenchmarkSendParallelTLS(b *testing.B) {
	benchParallel(b, func(b *testing.B, sm bool) *benchServer { return newBenchServerTLS(b, sm, true) })
}

// benchSends times run, which sends b.N messages with send, until the
// server has read them all.
func benchSends(b *testing.B, bs *benchServer, run func(send func() bool)) {
	ctx := b.Context()
	send := func() bool {
		if err := bs.c.Send(ctx, benchMessage()); err != nil {
			b.Error(err)
			return false
		}
		return true
	}
	w0 := bs.d.writes.Load()
	b.ReportAllocs()
	b.ResetTimer()
	run(send)
	bs.waitRead(b, int64(b.N))
	b.StopTimer()
	b.ReportMetric(float64(bs.d.writes.Load()-w0)/float64(b.N), "writes/msg")
}

// BenchmarkReceive: the server sends b.N chat messages, with stream
// management an ack request after every fifth; the time runs until a
// listener has seen them all. The client answers the requests, some
// together when they come faster than the answers go out.
func BenchmarkReceive(b *testing.B) {
	benchBoth(b, func(b *testing.B, sm bool) {
		bs := newBenchServer(b, sm)
		var got atomic.Int64
		all := make(chan struct{})
		var once sync.Once
		n := int64(b.N)
		bs.c.HandleMessage(nil, func(*stanza.Message) {
			if got.Add(1) == n {
				once.Do(func() { close(all) })
			}
		})
		body := "' from='bob@localhost/b' to='alice@localhost/r'><body>" + strings.Repeat("hello, alice ", 8) + "</body></message>"
		w0 := bs.d.writes.Load()
		b.ReportAllocs()
		b.ResetTimer()
		go func() {
			var out []byte
			for i := range b.N {
				out = append(out, "<message type='chat' id='m"...)
				out = strconv.AppendInt(out, int64(i), 10)
				out = append(out, body...)
				if sm && i%5 == 4 {
					out = append(out, benchRequest...)
				}
				if len(out) > 4096 || i == b.N-1 {
					if _, err := bs.srv.Write(out); err != nil {
						return
					}
					out = out[:0]
				}
			}
		}()
		select {
		case <-all:
		case <-time.After(30 * time.Second):
			b.Fatalf("received %d of %d", got.Load(), n)
		}
		b.StopTimer()
		b.ReportMetric(float64(bs.d.writes.Load()-w0)/float64(b.N), "writes/msg")
	})
}

// BenchmarkAckRequest: the server asks for an ack and waits for the
// answer, b.N times, as Prosody does (one request out at a time): the
// cost of answering one <r/>, with answers not paced (otherwise each
// would wait for the 10 ms gap).
func BenchmarkAckRequest(b *testing.B) {
	xmpp.NoAnswerGap(b)
	bs := newBenchServer(b, true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := bs.srv.Write(benchRequest); err != nil {
			b.Fatal(err)
		}
		for bs.acks.Load() <= int64(i) {
			select {
			case <-bs.readMsg:
			case <-time.After(10 * time.Second):
				b.Fatalf("no answer to request %d", i)
			}
		}
	}
}
