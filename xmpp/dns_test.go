package xmpp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS is an authoritative DNS server on 127.0.0.1 (UDP) for tests: it
// answers SRV and A queries from its zone, with an empty answer for a name
// it knows under another type and NXDOMAIN for a name it does not know.
type fakeDNS struct {
	addr string
	srv  map[string][]dnsmessage.SRVResource // "_xmpp-client._tcp.example.test."
	a    map[string][]net.IP                 // "xmpp.example.test."

	mu      sync.Mutex
	queries []string // "SRV _xmpp-client._tcp.example.test.", in order
}

// startFakeDNS serves the zone until the test ends. Names are fully
// qualified (trailing dot) and lower case.
func startFakeDNS(t *testing.T, srv map[string][]dnsmessage.SRVResource, a map[string][]net.IP) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	d := &fakeDNS{addr: pc.LocalAddr().String(), srv: srv, a: a}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := d.answer(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return d
}

// Resolver returns a pure-Go resolver that asks only this server.
func (d *fakeDNS) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "udp", d.addr)
		},
	}
}

// Queries returns the questions asked so far.
func (d *fakeDNS) Queries() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.queries)
}

// answer builds the response to one query, or nil for garbage.
func (d *fakeDNS) answer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	d.mu.Lock()
	d.queries = append(d.queries, strings.TrimPrefix(q.Type.String(), "Type")+" "+name)
	d.mu.Unlock()

	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	_, knownSRV := d.srv[name]
	_, knownA := d.a[name]
	if !knownSRV && !knownA {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil
	}
	rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch q.Type {
	case dnsmessage.TypeSRV:
		for _, r := range d.srv[name] {
			if b.SRVResource(rr, r) != nil {
				return nil
			}
		}
	case dnsmessage.TypeA:
		for _, ip := range d.a[name] {
			var a dnsmessage.AResource
			copy(a.A[:], ip.To4())
			if b.AResource(rr, a) != nil {
				return nil
			}
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

func srvRR(target string, port int, priority uint16) dnsmessage.SRVResource {
	return dnsmessage.SRVResource{Priority: priority, Weight: 0, Port: uint16(port), Target: dnsmessage.MustNewName(target)}
}

var loopbackIPs = []net.IP{net.IPv4(127, 0, 0, 1)}

// TestFakeDNS checks the test server itself with the resolver the
// connection uses.
func TestFakeDNS(t *testing.T) {
	d := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.": {srvRR("b.example.test.", 5222, 10), srvRR("a.example.test.", 5333, 0)},
		},
		map[string][]net.IP{"a.example.test.": loopbackIPs},
	)
	r := d.Resolver()
	ctx := ctxT(t)
	cname, recs, err := r.LookupSRV(ctx, "xmpp-client", "tcp", "example.test")
	require.NoError(t, err)
	assert.Equal(t, "_xmpp-client._tcp.example.test.", cname)
	require.Len(t, recs, 2)
	assert.Equal(t, &net.SRV{Target: "a.example.test.", Port: 5333, Priority: 0}, recs[0], "sorted by priority")
	assert.Equal(t, &net.SRV{Target: "b.example.test.", Port: 5222, Priority: 10}, recs[1])

	addrs, err := r.LookupHost(ctx, "a.example.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1"}, addrs)

	_, _, err = r.LookupSRV(ctx, "xmpps-client", "tcp", "example.test")
	var de *net.DNSError
	require.ErrorAs(t, err, &de)
	assert.True(t, de.IsNotFound, "NXDOMAIN")
}

// TestFakeDNSNumericTarget documents why the tests below use names and an
// A record rather than "127.0.0.1." as the SRV target: LookupSRV drops a
// target that is not a valid host name (all-numeric labels included) and
// reports an error with the records that remain.
func TestFakeDNSNumericTarget(t *testing.T) {
	d := startFakeDNS(t, map[string][]dnsmessage.SRVResource{
		"_xmpp-client._tcp.example.test.": {srvRR("127.0.0.1.", 5222, 0), srvRR("ok.example.test.", 5222, 1)},
	}, nil)
	_, recs, err := d.Resolver().LookupSRV(ctxT(t), "xmpp-client", "tcp", "example.test")
	require.Error(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "ok.example.test.", recs[0].Target)
}

// recordingDialer dials with a net.Dialer that resolves through the fake
// DNS server too (Config.Resolver is for the SRV lookups only), and
// records every address asked for.
type recordingDialer struct {
	d     net.Dialer
	fail  bool // fail every dial without trying
	mu    sync.Mutex
	addrs []string
}

func (r *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.addrs = append(r.addrs, addr)
	r.mu.Unlock()
	if r.fail {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("recording dialer: not dialing")}
	}
	return r.d.DialContext(ctx, network, addr)
}

func (r *recordingDialer) Addrs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.addrs)
}

// streamErrorTranscript is a server that answers the stream header with
// a host-unknown stream error carrying text, so that a test can tell
// which server the client reached. from is the from attribute the client
// puts on its header ("" before TLS).
func streamErrorTranscript(t *testing.T, domain, from, text string, pipelined ...string) *xmpptest.Transcript {
	t.Helper()
	if from != "" {
		from = " from='" + from + "'"
	}
	var with string // what the client writes with its header
	for _, p := range pipelined {
		with += "C: " + p + "\n"
	}
	tr, err := xmpptest.ParseTranscript(text, strings.NewReader(fmt.Sprintf(`C: <?xml version='1.0'?><stream:stream to='%[1]s'%[2]s version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
%[4]sS: <?xml version='1.0'?><stream:stream from='%[1]s' id='s1' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>%[3]s</text></stream:error></stream:stream>
C: </stream:stream>
`, domain, from, text, with)))
	require.NoError(t, err)
	return tr
}

// startTLSLine is the STARTTLS request, which a client that requires TLS
// writes with its first stream header.
const startTLSLine = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"

// scriptedListener accepts on 127.0.0.1 and plays tr on the first
// connection (after a TLS handshake when tlsConfig is set). It counts
// the connections it accepts.
type scriptedListener struct {
	ln       net.Listener
	port     int
	mu       sync.Mutex
	accepted int
	hello    *tls.ClientHelloInfo // the direct TLS ClientHello, if any
}

func listenScripted(t *testing.T, tr *xmpptest.Transcript, tlsConfig *tls.Config) *scriptedListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := &scriptedListener{ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
	if tlsConfig != nil {
		base := tlsConfig.Clone()
		base.NextProtos = []string{"xmpp-client"}
		cfg := base.Clone()
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			l.mu.Lock()
			l.hello = hello
			l.mu.Unlock()
			return base, nil
		}
		ln = tls.NewListener(ln, cfg)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		first := true
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.accepted++
			l.mu.Unlock()
			if !first || tr == nil {
				conn.Close()
				continue
			}
			first = false
			if tc, ok := conn.(*tls.Conn); ok {
				tc.SetDeadline(time.Now().Add(xmpptest.ReplayTimeout))
				if err := tc.Handshake(); err != nil {
					// The client refused the certificate: let it try
					// the next target, and the next connection replay.
					first = true
					conn.Close()
					continue
				}
				tc.SetDeadline(time.Time{})
			}
			xmpptest.Replay(t, tr, xmpptest.Server, conn)
			conn.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return l
}

func (l *scriptedListener) Accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted
}

// closedPort returns a port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

func joinPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

var exampleAlice = jid.MustParse("alice@example.test")

// TestSRVFallsThroughToNextTarget: the first target (priority 0) refuses
// the connection, the second (priority 10) is tried and what happens on
// its stream is final: here the stream error it sends.
func TestSRVFallsThroughToNextTarget(t *testing.T) {
	dead := closedPort(t)
	live := listenScripted(t, streamErrorTranscript(t, "example.test", "", "second target", startTLSLine), nil)
	dns := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.": {
				srvRR("dead.example.test.", dead, 0),
				srvRR("live.example.test.", live.port, 10),
			},
		},
		map[string][]net.IP{"dead.example.test.": loopbackIPs, "live.example.test.": loopbackIPs},
	)
	r := dns.Resolver()
	d := &recordingDialer{d: net.Dialer{Resolver: r}}
	cfg := xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: r, Dialer: d}

	err := xmpp.New(cfg).Connect(ctxT(t))
	var se *stanza.StreamError
	require.ErrorAs(t, err, &se, "the error comes from the second target's stream")
	assert.Equal(t, stanza.HostUnknown, se.Condition)
	assert.Equal(t, "second target", se.Text)
	assert.Equal(t, []string{joinPort("dead.example.test", dead), joinPort("live.example.test", live.port)}, d.Addrs())
	assert.Equal(t, 1, live.Accepted())
	assert.Contains(t, dns.Queries(), "SRV _xmpps-client._tcp.example.test.")
	assert.Contains(t, dns.Queries(), "SRV _xmpp-client._tcp.example.test.")
}

// TestSRVAllTargetsFail: when no target accepts, the error names each
// target tried, in order.
func TestSRVAllTargetsFail(t *testing.T) {
	p1, p2 := closedPort(t), closedPort(t)
	dns := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.":  {srvRR("one.example.test.", p1, 5)},
			"_xmpps-client._tcp.example.test.": {srvRR("two.example.test.", p2, 7)},
		},
		map[string][]net.IP{"one.example.test.": loopbackIPs, "two.example.test.": loopbackIPs},
	)
	r := dns.Resolver()
	d := &recordingDialer{d: net.Dialer{Resolver: r}}
	err := xmpp.New(xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: r, Dialer: d}).Connect(ctxT(t))
	require.Error(t, err)
	assert.Equal(t, []string{joinPort("one.example.test", p1), joinPort("two.example.test", p2)}, d.Addrs())
	assert.Contains(t, err.Error(), joinPort("one.example.test", p1))
	assert.Contains(t, err.Error(), joinPort("two.example.test", p2))
	var oe *net.OpError
	assert.ErrorAs(t, err, &oe, "the dial errors are kept")
}

// TestSRVDirectTLSFirst: on equal priority the _xmpps-client target is
// tried first (XEP-0368), with TLS from the first byte, ALPN
// "xmpp-client", SNI and certificate verification for the XMPP domain,
// not for the SRV target's name.
func TestSRVDirectTLSFirst(t *testing.T) {
	srvTLS, cliTLS := xmpptest.TLSConfigs(t, "example.test") // not tls.example.test
	direct := listenScripted(t, streamErrorTranscript(t, "example.test", "alice@example.test", "direct TLS"), srvTLS)
	starttls := listenScripted(t, nil, nil)
	dns := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.":  {srvRR("plain.example.test.", starttls.port, 5)},
			"_xmpps-client._tcp.example.test.": {srvRR("tls.example.test.", direct.port, 5)},
		},
		map[string][]net.IP{"plain.example.test.": loopbackIPs, "tls.example.test.": loopbackIPs},
	)
	r := dns.Resolver()
	d := &recordingDialer{d: net.Dialer{Resolver: r}}
	cfg := xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: r, Dialer: d, TLS: &tls.Config{RootCAs: cliTLS.RootCAs}}

	err := xmpp.New(cfg).Connect(ctxT(t))
	var se *stanza.StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "direct TLS", se.Text, "the direct TLS target answered")
	assert.Equal(t, []string{joinPort("tls.example.test", direct.port)}, d.Addrs())
	assert.Equal(t, 0, starttls.Accepted(), "the STARTTLS target was not needed")
	direct.mu.Lock()
	hello := direct.hello
	direct.mu.Unlock()
	require.NotNil(t, hello)
	assert.Equal(t, "example.test", hello.ServerName, "SNI is the XMPP domain")
	assert.Equal(t, []string{"xmpp-client"}, hello.SupportedProtos)
}

// TestSRVDirectTLSWrongCertificate: a certificate valid for the SRV
// target's name but not for the XMPP domain is refused, and the client
// goes on to the next target (here the STARTTLS one).
func TestSRVDirectTLSWrongCertificate(t *testing.T) {
	srvTLS, cliTLS := xmpptest.TLSConfigs(t, "tls.example.test") // the target, not the domain
	direct := listenScripted(t, streamErrorTranscript(t, "example.test", "alice@example.test", "direct TLS"), srvTLS)
	starttls := listenScripted(t, streamErrorTranscript(t, "example.test", "", "STARTTLS", startTLSLine), nil)
	dns := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.":  {srvRR("plain.example.test.", starttls.port, 5)},
			"_xmpps-client._tcp.example.test.": {srvRR("tls.example.test.", direct.port, 5)},
		},
		map[string][]net.IP{"plain.example.test.": loopbackIPs, "tls.example.test.": loopbackIPs},
	)
	r := dns.Resolver()
	d := &recordingDialer{d: net.Dialer{Resolver: r}}
	cfg := xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: r, Dialer: d, TLS: &tls.Config{RootCAs: cliTLS.RootCAs}}

	err := xmpp.New(cfg).Connect(ctxT(t))
	var se *stanza.StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "STARTTLS", se.Text, "the STARTTLS target answered after the TLS handshake failed")
	assert.Equal(t, []string{joinPort("tls.example.test", direct.port), joinPort("plain.example.test", starttls.port)}, d.Addrs())
	assert.Equal(t, 1, direct.Accepted())
	assert.Equal(t, 1, starttls.Accepted())
}

// TestSRVDirectTLSSkippedWhenTLSDisabled: with TLS disabled the
// _xmpps-client records are not used, even at a better priority.
func TestSRVDirectTLSSkippedWhenTLSDisabled(t *testing.T) {
	starttls := listenScripted(t, streamErrorTranscript(t, "example.test", "", "plain"), nil)
	dns := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.":  {srvRR("plain.example.test.", starttls.port, 10)},
			"_xmpps-client._tcp.example.test.": {srvRR("tls.example.test.", closedPort(t), 0)},
		},
		map[string][]net.IP{"plain.example.test.": loopbackIPs, "tls.example.test.": loopbackIPs},
	)
	r := dns.Resolver()
	d := &recordingDialer{d: net.Dialer{Resolver: r}}
	err := xmpp.New(xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: r, Dialer: d, Security: xmpp.TLSDisabled}).Connect(ctxT(t))
	var se *stanza.StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "plain", se.Text)
	assert.Equal(t, []string{joinPort("plain.example.test", starttls.port)}, d.Addrs())
}

// TestSRVNoService: an SRV target "." says the domain offers no XMPP
// service (RFC 2782, RFC 6120 section 3.2.1): no connection is tried.
func TestSRVNoService(t *testing.T) {
	dns := startFakeDNS(t,
		map[string][]dnsmessage.SRVResource{"_xmpp-client._tcp.example.test.": {srvRR(".", 0, 0)}},
		nil,
	)
	d := &recordingDialer{fail: true}
	err := xmpp.New(xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: dns.Resolver(), Dialer: d}).Connect(ctxT(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "example.test")
	assert.Contains(t, err.Error(), "offers no XMPP service", "errNoService")
	assert.Empty(t, d.Addrs())
}

// TestSRVNoRecords: without SRV records (NXDOMAIN, or the name exists
// with no SRV) the client connects to the domain on 5222 (RFC 6120
// section 3.2.2).
func TestSRVNoRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  map[string][]dnsmessage.SRVResource
	}{
		{"NXDOMAIN", nil},
		{"empty answer", map[string][]dnsmessage.SRVResource{
			"_xmpp-client._tcp.example.test.":  {},
			"_xmpps-client._tcp.example.test.": {},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dns := startFakeDNS(t, tc.srv, nil)
			d := &recordingDialer{fail: true}
			err := xmpp.New(xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: dns.Resolver(), Dialer: d}).Connect(ctxT(t))
			require.Error(t, err)
			assert.Equal(t, []string{"example.test:5222"}, d.Addrs())
			assert.Contains(t, err.Error(), "example.test:5222")
			assert.ElementsMatch(t, []string{"SRV _xmpps-client._tcp.example.test.", "SRV _xmpp-client._tcp.example.test."}, dns.Queries())
		})
	}
}

// TestSRVDNSDown: a failed lookup counts as no records.
func TestSRVDNSDown(t *testing.T) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		return nil, errors.New("no DNS here")
	}}
	d := &recordingDialer{fail: true}
	err := xmpp.New(xmpp.Config{JID: exampleAlice, Password: "secret", Resolver: r, Dialer: d}).Connect(ctxT(t))
	require.Error(t, err)
	assert.Equal(t, []string{"example.test:5222"}, d.Addrs())
}
