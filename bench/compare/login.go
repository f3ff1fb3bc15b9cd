package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	goxmpp "github.com/xmppo/go-xmpp"

	msasl "mellium.im/sasl"
	mxmpp "mellium.im/xmpp"
	mjid "mellium.im/xmpp/jid"
	mstanza "mellium.im/xmpp/stanza"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// The login work: how long a login takes, in round trips, through a
// proxy written here that adds a fixed latency to each direction
// (-delay), so that a login's time divided by the round trip (twice the
// delay) is about the number of times the client waited for the server.
// The TCP handshake with the proxy is not delayed, so not counted; the
// TLS handshake is. Each library logs in to the running servers (their
// description files under -servers) as alice, through its public API,
// once, then -logins times more with what it kept (gosmack's Conn, and
// go-xmpp's FAST token), on each path it can take. A login ends when
// the library hands the session back with the initial presence written.

var (
	flagDelay   = flag.Duration("delay", 20*time.Millisecond, "login: latency the proxy adds in each direction")
	flagLogins  = flag.Int("logins", 5, "login: logins after the first, per path")
	flagServers = flag.String("servers", "/tmp/gosmack", "login: the folder of the running servers' description files (NAME/server.json)")
)

// serverInfo is what a running server's description file says.
type serverInfo struct {
	Name          string `json:"name"`
	Domain        string `json:"domain"`
	StartTLSAddr  string `json:"starttls_addr"`
	DirectTLSAddr string `json:"directtls_addr"`
	CAFile        string `json:"ca_file"`
	Users         []struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	} `json:"users"`
}

func readServer(name string) (serverInfo, error) {
	return readProsody(filepath.Join(*flagServers, name, "server.json"))
}

func (s serverInfo) password(user string) string {
	for _, u := range s.Users {
		if u.Name == user {
			return u.Password
		}
	}
	return ""
}

// loginTarget is one server and path to log in on, through the proxy.
type loginTarget struct {
	server   serverInfo
	direct   bool   // direct TLS (XEP-0368), else STARTTLS
	addr     string // the proxy's
	tls      *tls.Config
	user     string
	password string
}

// loginWay is one library on one kind of path: start returns a func
// that logs in once (and logs out, so that the next can start), keeping
// what the library keeps between logins.
type loginWay struct {
	lib   string
	path  string // how it logs in, for the table
	sasl2 bool   // needs a server with SASL2
	note  string
	start func(t loginTarget) (login func(ctx context.Context) (logout func(), note string, err error), err error)
}

var loginWays = []loginWay{
	{lib: "gosmack", path: "SASL, SCRAM", start: gosmackLogins(false, false)},
	{lib: "gosmack", path: "SASL2 + Bind2, SCRAM", sasl2: true, start: gosmackLogins(true, false)},
	{lib: "gosmack", path: "SASL2 + Bind2 + FAST", sasl2: true, start: gosmackLogins(true, true)},
	{lib: "mellium", path: "SASL, SCRAM", start: melliumLogins},
	{lib: "go-xmpp", path: "SASL, SCRAM", start: goxmppLogins(false, false)},
	{lib: "go-xmpp", path: "SASL2 + Bind2, SCRAM", sasl2: true, start: goxmppLogins(true, false)},
	{lib: "go-xmpp", path: "SASL2 + Bind2 + FAST", sasl2: true, start: goxmppLogins(true, true)},
}

func gosmackLogins(sasl2, fast bool) func(loginTarget) (func(context.Context) (func(), string, error), error) {
	return func(t loginTarget) (func(context.Context) (func(), string, error), error) {
		j, err := jid.New(t.user, t.server.Domain, "")
		if err != nil {
			return nil, err
		}
		cfg := xmpp.Config{JID: j, Password: t.password, Addr: t.addr, DirectTLS: t.direct, TLS: t.tls}
		cfg.Reconnect.Disabled = true
		switch {
		case !sasl2:
			cfg.SASL2 = &xmpp.SASL2{Disabled: true}
		case fast:
			cfg.SASL2 = &xmpp.SASL2{Tokens: new(xmpp.MemoryTokenStore)}
		}
		c := xmpp.New(cfg)
		return func(ctx context.Context) (func(), string, error) {
			if err := c.Connect(ctx); err != nil {
				return nil, "", err
			}
			return func() { c.Close() }, "", nil
		}, nil
	}
}

// mellium: NewSession over our own socket with SASL (it has no SASL2)
// and bind, as in libs.go; then the initial presence.
func melliumLogins(t loginTarget) (func(context.Context) (func(), string, error), error) {
	origin, err := mjid.New(t.user, t.server.Domain, "")
	if err != nil {
		return nil, err
	}
	location, err := mjid.New("", t.server.Domain, "")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (func(), string, error) {
		var conn net.Conn
		var err error
		if t.direct {
			conn, err = (&tls.Dialer{Config: t.tls}).DialContext(ctx, "tcp", t.addr)
		} else {
			conn, err = new(net.Dialer).DialContext(ctx, "tcp", t.addr)
		}
		if err != nil {
			return nil, "", err
		}
		features := []mxmpp.StreamFeature{
			mxmpp.SASL("", t.password, msasl.ScramSha256, msasl.ScramSha1, msasl.Plain),
			mxmpp.BindResource(),
		}
		var state mxmpp.SessionState
		if t.direct {
			state = mxmpp.Secure
		} else {
			features = append(features, mxmpp.StartTLS(t.tls))
		}
		s, err := mxmpp.NewSession(ctx, location, origin, conn, state, mxmpp.NewNegotiator(func(*mxmpp.Session, *mxmpp.StreamConfig) mxmpp.StreamConfig {
			return mxmpp.StreamConfig{Features: features}
		}))
		if err != nil {
			conn.Close()
			return nil, "", err
		}
		if err := s.Send(ctx, mstanza.Presence{Type: mstanza.AvailablePresence}.Wrap(nil)); err != nil {
			conn.Close()
			return nil, "", err
		}
		return func() { conn.Close() }, "", nil
	}, nil
}

// go-xmpp: Options.NewClient, which logs in and sends the initial
// presence. It takes SASL2 (and Bind2, with UserAgentSW) whenever the
// server offers it, so the classic path is measured on the servers
// without SASL2 only. FAST: the token of the last login goes in the next
// one's Options. NewClient takes no context and can wait for ever (its
// SCRAM with Prosody 0.12): after the context's end the login is given
// up, and tried again with PLAIN (said in the note).
func goxmppLogins(sasl2, fast bool) func(loginTarget) (func(context.Context) (func(), string, error), error) {
	return func(t loginTarget) (func(context.Context) (func(), string, error), error) {
		var token goxmpp.Fast
		var mechanism, note string
		return func(ctx context.Context) (func(), string, error) {
			for {
				o := goxmpp.Options{
					Host: t.addr, User: t.user + "@" + t.server.Domain, Password: t.password,
					NoTLS: !t.direct, StartTLS: !t.direct, TLSConfig: t.tls, Mechanism: mechanism,
				}
				if sasl2 {
					o.UserAgentSW, o.UserAgentID = "compare", "2b6ee5b4-8a37-4a1f-9e43-1f3f7b3c6a10"
				}
				if fast {
					o.Fast, o.FastToken, o.FastMechanism = true, token.Token, token.Mechanism
				}
				lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				c, err := goxmppNewClient(lctx, o)
				cancel()
				if err != nil && mechanism == "" && ctx.Err() == nil {
					mechanism, note = "PLAIN", "SCRAM failed ("+oneLine(err)+"): PLAIN"
					continue
				}
				if err != nil {
					return nil, note, err
				}
				if c.Fast.Token != "" {
					token = c.Fast
				}
				if fast && token.Token == "" {
					return func() { c.Close() }, strings.TrimPrefix(note+"; no FAST token", "; "), nil
				}
				return func() { c.Close() }, note, nil
			}
		}, nil
	}
}

// goxmppNewClient is o.NewClient, given up at the end of ctx.
func goxmppNewClient(ctx context.Context, o goxmpp.Options) (*goxmpp.Client, error) {
	if dl, ok := ctx.Deadline(); ok {
		o.DialTimeout = time.Until(dl)
	}
	type made struct {
		c   *goxmpp.Client
		err error
	}
	ch := make(chan made, 1)
	go func() {
		c, err := o.NewClient()
		ch <- made{c, err}
	}()
	select {
	case m := <-ch:
		return m.c, m.err
	case <-ctx.Done():
		go func() {
			if m := <-ch; m.c != nil {
				m.c.Close()
			}
		}()
		return nil, fmt.Errorf("no login after %v", 10*time.Second)
	}
}

// delayProxy forwards connections to target, holding each chunk of bytes
// for delay in each direction.
type delayProxy struct {
	ln     net.Listener
	target string
	delay  time.Duration
	wg     sync.WaitGroup
}

func startDelayProxy(target string, delay time.Duration) (*delayProxy, error) {
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	p := &delayProxy{ln: ln, target: target, delay: delay}
	p.wg.Go(p.serve)
	return p, nil
}

func (p *delayProxy) addr() string { return p.ln.Addr().String() }

func (p *delayProxy) close() {
	p.ln.Close()
	p.wg.Wait()
}

func (p *delayProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		var once sync.Once
		end := func() { once.Do(func() { c.Close(); s.Close() }) }
		p.wg.Go(func() { p.pipe(s, c); end() })
		p.wg.Go(func() { p.pipe(c, s); end() })
	}
}

// pipe copies src to dst, each chunk delay after it was read, in order.
func (p *delayProxy) pipe(dst, src net.Conn) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	chunks := make(chan chunk, 1024)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{buf[:n], time.Now().Add(p.delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	for range chunks { // let the reader end
	}
}

// loginFigures are one way's logins on one server and path, in round
// trips: the first, the second, and the median of those after.
type loginFigures struct {
	first, second, later float64
	note                 string
	err                  error
}

func measureLogins(w loginWay, t loginTarget, logins int) loginFigures {
	rtt := 2 * *flagDelay
	var f loginFigures
	login, err := w.start(t)
	if err != nil {
		f.err = err
		return f
	}
	var trips []float64
	for range logins + 1 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t0 := time.Now()
		logout, note, err := login(ctx)
		d := time.Since(t0)
		if note != "" {
			f.note = note
		}
		cancel()
		if err != nil {
			f.err = err
			return f
		}
		trips = append(trips, float64(d)/float64(rtt))
		fmt.Fprintf(os.Stderr, "  %.2f\n", trips[len(trips)-1])
		logout()
		time.Sleep(100 * time.Millisecond) // let the server end the session
	}
	f.first, f.second = trips[0], trips[1]
	if len(trips) > 2 {
		f.later = median(trips[2:])
	} else {
		f.later = trips[1]
	}
	return f
}

func orchestrateLogin(ctx context.Context) ([]table, error) {
	var out strings.Builder
	fmt.Fprintf(&out, "\nLogin time ÷ round trip (%v added each way, %v round trip; TCP handshake not counted; TLS 1.3; %d logins after the first)\n\n",
		*flagDelay, 2**flagDelay, *flagLogins)
	out.WriteString("| server | transport | library | path | first login | second | later (median) | note |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, name := range []string{"prosody", "ejabberd", "prosody-sasl2"} {
		s, err := readServer(name)
		if err != nil {
			fmt.Fprintf(&out, "| %s | - | - | - | - | - | - | not running: %v |\n", name, err)
			continue
		}
		// The description says nothing of SASL2: the second Prosody of
		// scripts/servers (prosody-sasl2.sh) is the one with it.
		hasSASL2 := name == "prosody-sasl2"
		for _, direct := range []bool{false, true} {
			transport, addr := "STARTTLS", s.StartTLSAddr
			if direct {
				transport, addr = "direct TLS", s.DirectTLSAddr
			}
			tc, err := clientTLS(s.CAFile, s.Domain)
			if err != nil {
				return nil, err
			}
			tc.MinVersion = tls.VersionTLS13
			for _, w := range loginWays {
				if w.sasl2 && !hasSASL2 || hasSASL2 && w.lib == "go-xmpp" && !w.sasl2 {
					continue // go-xmpp takes SASL2 whenever offered
				}
				p, err := startDelayProxy(addr, *flagDelay)
				if err != nil {
					return nil, err
				}
				t := loginTarget{server: s, direct: direct, addr: p.addr(), tls: tc.Clone(), user: "alice", password: s.password("alice")}
				fmt.Fprintf(os.Stderr, "login: %s %s %s %s\n", name, transport, w.lib, w.path)
				f := measureLogins(w, t, *flagLogins)
				p.close()
				path := w.path
				if f.err != nil {
					fmt.Fprintf(&out, "| %s | %s | %s | %s | - | - | - | failed: %s |\n", name, transport, w.lib, path, oneLine(f.err))
					continue
				}
				fmt.Fprintf(&out, "| %s | %s | %s | %s | %.1f | %.1f | %.1f | %s |\n", name, transport, w.lib, path, f.first, f.second, f.later, strings.TrimPrefix(w.note+"; "+f.note, "; "))
			}
		}
	}
	io.WriteString(os.Stdout, out.String())
	return nil, nil
}

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
