// Package cli is the command line every example shares: the flags that say
// which account to log in with and how to reach and trust its server, and
// the run loop that logs in, waits for SIGINT, SIGTERM or the end of the
// connection, and closes cleanly.
//
// An example's main is one call to Main:
//
//	func main() {
//		cli.Main("echobot", nil, func(ctx context.Context, cfg xmpp.Config) error {
//			c := xmpp.New(cfg)
//			// register listeners here, before logging in
//			if err := cli.Connect(ctx, c); err != nil {
//				return err
//			}
//			fmt.Println(cli.Online(c)) // online as alice@localhost/x via tcp
//			return cli.Wait(ctx, c)
//		})
//	}
//
// The flags (see Flags):
//
//	-jid alice@localhost   the account (required)
//	-password SECRET       or the XMPP_PASSWORD environment variable
//	-addr host:port        connect there, skipping the DNS SRV lookup
//	-direct-tls            -addr speaks TLS from the first byte (XEP-0368)
//	-websocket URL         connect over a WebSocket (wss://...) instead of TCP
//	-bosh URL              connect over BOSH (https://...) instead of TCP
//	-discover              find the WebSocket and BOSH endpoints in the
//	                       domain's host-meta (XEP-0156) and try them, then TCP
//	-ca FILE               PEM certificates to trust besides the system roots
//	-mechanism NAME        allow only this SASL mechanism
//	-v                     print every element sent and received to stderr
//	-record FILE           write the session as an xmpptest transcript
//	-token-file FILE       keep a FAST token (XEP-0484) there between runs
//
// Exit codes: 0 on success and after SIGINT or SIGTERM, 1 when the run
// fails (one line on stderr says why: "echobot: connecting as
// alice@localhost: ..."), 2 for a bad command line.
package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/xmpp"
)

// PasswordEnv is the environment variable that holds the password when
// -password is not given (or empty), so that it stays out of ps and the
// shell history.
const PasswordEnv = "XMPP_PASSWORD"

// ConnectTimeout bounds a login: finding the server, TLS, SASL and bind.
const ConnectTimeout = 30 * time.Second

// Flags are the values of the common flags, as parsed. Its zero value is
// an empty command line. Build the connection's configuration with Config.
type Flags struct {
	JID       string // -jid: the account, user@domain[/resource]
	Password  string // -password; empty means $XMPP_PASSWORD
	Addr      string // -addr host:port: skip the DNS SRV lookup
	DirectTLS bool   // -direct-tls: Addr speaks TLS from the first byte
	WebSocket string // -websocket URL: a WebSocket (RFC 7395) instead of TCP
	BOSH      string // -bosh URL: BOSH (XEP-0124, XEP-0206) instead of TCP
	Discover  bool   // -discover: the host-meta's WebSocket and BOSH endpoints, then TCP (xmpp.Config.Discover)
	CAFile    string // -ca FILE: PEM certificates to trust besides the system roots
	Mechanism string // -mechanism NAME: the only SASL mechanism allowed
	Verbose   bool   // -v: every element sent and received, on stderr
	Record    string // -record FILE: the session as an xmpptest transcript
	TokenFile string // -token-file FILE: the FAST token and installation id, kept between runs
}

// NewFlags defines the common flags on fs and returns the Flags that
// parsing fs fills in.
func NewFlags(fs *flag.FlagSet) *Flags {
	f := new(Flags)
	fs.StringVar(&f.JID, "jid", "", "the account to log in as, user@domain[/resource] (required)")
	fs.StringVar(&f.Password, "password", "", "the account's password (default $"+PasswordEnv+")")
	fs.StringVar(&f.Addr, "addr", "", "connect to `host:port`, skipping the DNS SRV lookup (the certificate is still checked against the JID's domain)")
	fs.BoolVar(&f.DirectTLS, "direct-tls", false, "-addr speaks TLS from the first byte (XEP-0368) rather than STARTTLS; needs -addr")
	fs.StringVar(&f.WebSocket, "websocket", "", "connect over a WebSocket (RFC 7395) at `URL`, wss://host[:port]/path, instead of -addr (the certificate is still checked against the JID's domain)")
	fs.BoolVar(&f.Discover, "discover", false, "find the WebSocket and BOSH endpoints in the domain's host-meta (XEP-0156) and try them in that order, then TCP; not with -addr, -websocket or -bosh")
	fs.StringVar(&f.BOSH, "bosh", "", "connect over BOSH (XEP-0206) at `URL`, https://host[:port]/path, instead of -addr (the certificate is still checked against the JID's domain)")
	fs.StringVar(&f.CAFile, "ca", "", "trust the PEM certificates in `FILE` besides the system roots")
	fs.StringVar(&f.Mechanism, "mechanism", "", "allow only this SASL mechanism (`NAME`: "+strings.Join(sasl.Preferred(), ", ")+")")
	fs.BoolVar(&f.Verbose, "v", false, "print every element sent and received to stderr (credentials included)")
	fs.StringVar(&f.Record, "record", "", "write the session to `FILE` as a transcript xmpptest can replay (credentials included)")
	fs.StringVar(&f.TokenFile, "token-file", "", "keep a FAST token (XEP-0484) and this installation's id in `FILE` (mode 0600): where the server offers FAST, the next run logs in with the token instead of the password")
	return f
}

// Config builds the connection configuration the flags describe. With
// -record it creates the file and sets it as the Recorder; the returned
// closeFunc closes it (call it once the connection is closed) and is a
// no-op otherwise. The error says which flag is wrong.
func (f *Flags) Config() (cfg xmpp.Config, closeFunc func() error, err error) {
	closeFunc = func() error { return nil }
	if f.JID == "" {
		return cfg, closeFunc, errors.New("-jid is required")
	}
	if cfg.JID, err = jid.Parse(f.JID); err != nil {
		return cfg, closeFunc, fmt.Errorf("-jid %s: %w", f.JID, err)
	}
	cfg.Password = f.Password
	if cfg.Password == "" {
		cfg.Password = os.Getenv(PasswordEnv)
	}
	if f.DirectTLS && f.Addr == "" {
		// Without Addr, xmpp takes direct TLS from the SRV records and
		// would ignore the flag: refuse it rather than silently do so.
		return cfg, closeFunc, errors.New("-direct-tls needs -addr (without it, the DNS SRV records say which ports speak direct TLS)")
	}
	cfg.Addr, cfg.DirectTLS = f.Addr, f.DirectTLS
	if f.WebSocket != "" {
		if f.Addr != "" {
			return cfg, closeFunc, errors.New("-websocket and -addr: choose one")
		}
		if !strings.HasPrefix(f.WebSocket, "wss://") && !strings.HasPrefix(f.WebSocket, "ws://") {
			return cfg, closeFunc, fmt.Errorf("-websocket %s: not a ws:// or wss:// URL", f.WebSocket)
		}
		cfg.Addr = f.WebSocket // xmpp takes a WebSocket's URL in Addr
	}
	if f.BOSH != "" {
		if f.Addr != "" || f.WebSocket != "" {
			return cfg, closeFunc, errors.New("-bosh, -websocket and -addr: choose one")
		}
		if !strings.HasPrefix(f.BOSH, "https://") && !strings.HasPrefix(f.BOSH, "http://") {
			return cfg, closeFunc, fmt.Errorf("-bosh %s: not an http:// or https:// URL", f.BOSH)
		}
		cfg.Addr = f.BOSH // and a BOSH URL
	}
	if f.Discover {
		if cfg.Addr != "" {
			return cfg, closeFunc, errors.New("-discover finds where to connect: not with -addr, -websocket or -bosh")
		}
		cfg.Discover = true
	}
	if f.CAFile != "" {
		roots, err := loadRoots(f.CAFile)
		if err != nil {
			return cfg, closeFunc, fmt.Errorf("-ca %s: %w", f.CAFile, err)
		}
		cfg.TLS = &tls.Config{RootCAs: roots}
	}
	if f.Mechanism != "" {
		name := strings.ToUpper(f.Mechanism)
		if !slices.Contains(sasl.Preferred(), name) {
			return cfg, closeFunc, fmt.Errorf("-mechanism %s: not implemented (choose from %s)", f.Mechanism, strings.Join(sasl.Preferred(), ", "))
		}
		cfg.Mechanisms = []string{name}
	}
	if f.TokenFile != "" {
		store, err := xmpp.OpenTokenFile(f.TokenFile)
		if err != nil {
			return cfg, closeFunc, fmt.Errorf("-token-file: %w", err)
		}
		ua, err := store.UserAgent()
		if err != nil {
			return cfg, closeFunc, fmt.Errorf("-token-file: %w", err)
		}
		cfg.SASL2 = &xmpp.SASL2{UserAgent: ua, Tokens: store}
	}
	if f.Verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if f.Record != "" {
		// The transcript holds credentials (PLAIN carries the password):
		// readable by the owner only.
		file, err := os.OpenFile(f.Record, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return cfg, closeFunc, fmt.Errorf("-record: %w", err)
		}
		cfg.Recorder = file
		closeFunc = file.Close
	}
	return cfg, closeFunc, nil
}

// loadRoots returns the system roots (an empty pool where there are none)
// plus the PEM certificates in file.
func loadRoots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in the file")
	}
	return roots, nil
}

// UsageError is an error in the command line: Main prints it and exits 2.
// Return one from run for a bad value of a program's own flag.
type UsageError struct {
	// Msg says what is wrong with the command line; Error returns it.
	Msg string
}

// Error returns the message, as the flag package prints it.
func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with the formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Main runs an example program named name and exits. It defines the
// common flags, lets define (when not nil) add the program's own, parses
// the command line, builds the configuration and calls run with it and a
// context that SIGINT or SIGTERM cancels. It exits 0 when run returns nil,
// 2 for a bad command line, and 1 otherwise, after printing run's error as
// one line "name: error" on stderr. The -record file is closed after run
// returns, so run must close its connection before returning (Wait does).
func Main(name string, define func(fs *flag.FlagSet), run func(ctx context.Context, cfg xmpp.Config) error) {
	os.Exit(runMain(name, os.Args[1:], os.Stderr, define, run))
}

// runMain is Main without the exit, writing its messages to stderr.
func runMain(name string, args []string, stderr io.Writer, define func(fs *flag.FlagSet), run func(ctx context.Context, cfg xmpp.Config) error) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s -jid user@domain [flags]\n", name)
		fs.PrintDefaults()
	}
	f := NewFlags(fs)
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // flag printed the error and the usage
	}
	if fs.NArg() > 0 {
		return usage(fs, name, Usagef("unexpected argument %q", fs.Arg(0)))
	}
	cfg, closeRecord, err := f.Config()
	if err != nil {
		return usage(fs, name, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = run(ctx, cfg)
	if cerr := closeRecord(); cerr != nil && err == nil {
		err = fmt.Errorf("-record: %w", cerr)
	}
	if err == nil {
		return 0
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return usage(fs, name, err)
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err.Error()))
	return 1
}

// usage reports a bad command line in one line; -h prints the flags.
func usage(fs *flag.FlagSet, name string, err error) int {
	fmt.Fprintf(fs.Output(), "%s: %s\n", name, oneLine(err.Error()))
	return 2
}

// oneLine keeps a message on one line: errors.Join, which xmpp uses for
// the targets it tried, separates with line breaks.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// Connect logs c in (xmpp.Conn.Connect), bounded by ConnectTimeout and by
// ctx. The error names the account: "connecting as alice@localhost: ...";
// when a signal cancelled ctx, it says so rather than "context canceled".
func Connect(ctx context.Context, c *xmpp.Conn) error {
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	err := c.Connect(cctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	} else if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no login within %s: %w", ConnectTimeout, err)
	}
	return fmt.Errorf("connecting as %s: %w", c.Config().JID, err)
}

// Online is the line an example prints once logged in: "online as
// <full JID> via <transport>", the transport being tcp, websocket or
// bosh.
func Online(c *xmpp.Conn) string {
	return fmt.Sprintf("online as %s via %s", c.JID(), c.Transport())
}

// Wait keeps c open until ctx ends (SIGINT or SIGTERM, in Main) or c's
// stream ends, then closes c. It returns nil when ctx ended, and the reason
// the stream ended otherwise.
func Wait(ctx context.Context, c *xmpp.Conn) error {
	select {
	case <-ctx.Done():
		return c.Close()
	case <-c.Done():
		c.Close() // nothing to close; harmless, and keeps the contract simple
		if err := c.Err(); err != nil {
			return fmt.Errorf("connection lost: %w", err)
		}
		return errors.New("connection closed")
	}
}
