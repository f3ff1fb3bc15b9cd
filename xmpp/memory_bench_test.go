package xmpp_test

import (
	"context"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
)

// idleLogin is what the in-process server of BenchmarkIdleConnMemory
// plays: a plaintext login with PLAIN, bind, and the client's initial
// presence. Then the server goes quiet and keeps the socket.
const idleLogin = `C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
   <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>
C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{{*}}</auth>
S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
   <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind></stream:features>
C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>
S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/idle</jid></bind></iq>
C: <presence id='{{p}}'/>
S: <presence from='alice@localhost/idle' id='{{p}}'/>
`

// idleLoginSM is idleLogin with stream management offered and enabled,
// as Prosody and ejabberd do; the server acknowledges the presence.
var idleLoginSM = strings.NewReplacer(
	"<required/></bind>", "<required/></bind><sm xmlns='urn:xmpp:sm:3'/>",
	"</jid></bind></iq>\n", "</jid></bind></iq>\nC: <enable xmlns='urn:xmpp:sm:3' resume='true'/>\nS: <enabled xmlns='urn:xmpp:sm:3' id='idle-sm' resume='true'/>\n",
	"S: <presence from='alice@localhost/idle' id='{{p}}'/>\n", "S: <presence from='alice@localhost/idle' id='{{p}}'/><a xmlns='urn:xmpp:sm:3' h='1'/>\n",
).Replace(idleLogin)

// BenchmarkIdleConnMemory measures what an idle, authenticated connection
// holds, without and with stream management (as real servers offer it):
// heap and goroutine stacks, per connection, over b.N connections
// (run it with -benchtime 1000x or more) to an in-process server on
// loopback without TLS. The server keeps each accepted socket and no
// goroutine once the login is played; a baseline of as many bare socket
// pairs is measured in the same run, and half of it (the server's end) is
// subtracted, so the figure is the client's: its socket, its Conn, its
// reader goroutine and buffers.
func BenchmarkIdleConnMemory(b *testing.B) {
	b.Run("no stream management", func(b *testing.B) { benchmarkIdleConnMemory(b, idleLogin) })
	b.Run("stream management", func(b *testing.B) { benchmarkIdleConnMemory(b, idleLoginSM) })
}

func benchmarkIdleConnMemory(b *testing.B, login string) {
	if os.Getenv("GOSMACK_IDLE_HEAP") != "" {
		// Every allocation in the profile, not a sample of one per 512 KB.
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	tr, err := xmpptest.ParseTranscript("idle", strings.NewReader(login))
	if err != nil {
		b.Fatal(err)
	}
	n := b.N
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, n)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()

	// The baseline: n bare socket pairs.
	base := heapAndStacks()
	var pairs []net.Conn
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		pairs = append(pairs, c, <-accepted)
	}
	perPair := float64(heapAndStacks()-base) / float64(n)
	for _, c := range pairs {
		c.Close()
	}
	pairs = nil

	cfg := xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
		Addr: ln.Addr().String(), Security: xmpp.TLSDisabled, AllowPlainWithoutTLS: true,
	}
	servers := make([]net.Conn, 0, n)
	conns := make([]*xmpp.Conn, 0, n)
	b.ReportAllocs()
	b.ResetTimer()
	before := heapAndStacks()
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		played := make(chan struct{})
		go func() {
			s := <-accepted
			servers = append(servers, s)
			_ = xmpptest.Replay(b, tr, xmpptest.Server, s)
			close(played)
		}()
		c, err := xmpp.Dial(ctx, cfg)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		<-played
		conns = append(conns, c)
	}
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // let dispatchers that delivered the presence exit, and readers park (50 ms)
	after := heapAndStacks()
	if f := os.Getenv("GOSMACK_IDLE_HEAP"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		pprof.Lookup("heap").WriteTo(out, 0)
		out.Close()
	}
	perConn := float64(after-before)/float64(n) - perPair/2
	b.ReportMetric(perConn, "B/conn")
	b.ReportMetric(perPair/2, "B/socket")
	for _, s := range servers { // first, so that each Close sees the end at once
		s.Close()
	}
	for _, c := range conns {
		c.Close()
	}
}

// heapAndStacks returns the bytes of live heap and goroutine stacks after
// a full collection (stacks shrink at collections, so several are run).
func heapAndStacks() uint64 {
	var ms runtime.MemStats
	for range 4 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}
