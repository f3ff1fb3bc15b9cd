// Command compare measures gosmack beside mellium.im/xmpp, gosrc.io/xmpp
// and github.com/xmppo/go-xmpp, each through its public API, on the same
// work, and prints a table of ratios to the best of the three peers:
//
//	cd bench/compare && go run .
//
// Each measurement runs in a process of its own (this program, run
// again with -child), and the scripted server in another (-serve), so
// that a figure is one library's client alone. See BENCHMARKS.md for
// what each row measures. This is a module of its own: the library's
// go.mod does not require the peers, and go test ./... at the
// repository's root does not enter this folder.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

var (
	flagN       = flag.Int("n", 20000, "messages per round (receive path, through Prosody)")
	flagRounds  = flag.Int("rounds", 3, "rounds; the median is reported")
	flagIdle    = flag.Int("idle", 500, "connections per library for idle memory")
	flagWork    = flag.String("work", "receive,idle,prosody,login", "which work to measure, comma-separated")
	flagLibs    = flag.String("libs", "", "libraries, comma-separated (default: all)")
	flagProsody = flag.String("prosody", "/tmp/gosmack/prosody/server.json", "the running Prosody's description (server.json)")

	// A process run by the orchestrator.
	flagServe = flag.String("serve", "", "run the scripted server: plain or tls")
	flagFlood = flag.Int("flood", 0, "with -serve: messages to flood a client with when it asks")
	flagDir   = flag.String("dir", "", "with -serve and -child: where the test CA and key are")
	flagChild = flag.String("child", "", "run one measurement: receive, idle, xmltoken, send, recv")
	flagLib   = flag.String("lib", "", "with -child: the library")
	flagAddr  = flag.String("addr", "", "with -child: the server's address")
	flagTLS   = flag.Bool("tls", false, "with -child: STARTTLS")

	flagCPUProfile = flag.String("cpuprofile", "", "a directory where each library's process writes its CPU profile: LIB-receive.prof (receive work), LIB-send.prof and LIB-recv.prof (prosody work)")
)

func main() {
	flag.Parse()
	var err error
	switch {
	case *flagServe != "":
		err = runServer()
	case *flagChild != "":
		err = runChild()
	default:
		err = orchestrate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// result is what a child prints, one JSON line.
type result struct {
	Value float64 `json:"value"`
	Extra string  `json:"extra,omitempty"`
}

func emit(v float64, extra string) error {
	return json.NewEncoder(os.Stdout).Encode(result{v, extra})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func timeUntil(t time.Time) time.Duration { return time.Until(t) }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// row is one line of a table: a library's figure for one work.
type row struct {
	lib   string
	peer  bool
	value float64 // NaN: could not be measured
	note  string
}

type table struct {
	title, unit string
	rows        []row
}

func (t table) print(w io.Writer) {
	best := math.Inf(1)
	for _, r := range t.rows {
		if r.peer && !math.IsNaN(r.value) && r.value < best {
			best = r.value
		}
	}
	fmt.Fprintf(w, "\n%s (%s; ratio to the best peer, lower is better)\n\n", t.title, t.unit)
	fmt.Fprintf(w, "| library | %s | ratio | note |\n| --- | --- | --- | --- |\n", t.unit)
	for _, r := range t.rows {
		if math.IsNaN(r.value) {
			fmt.Fprintf(w, "| %s | - | - | %s |\n", r.lib, r.note)
			continue
		}
		ratio := "-"
		if !math.IsInf(best, 1) && best > 0 {
			ratio = fmt.Sprintf("%.2fx", r.value/best)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.lib, format(r.value), ratio, r.note)
	}
}

func format(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// self runs this program again with args and returns the result it
// printed.
func self(ctx context.Context, args ...string) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%v: %w: %s", args, err, lastLine(stderr.String()))
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("%v: %w: %q", args, err, out)
	}
	return r, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// startServer runs the scripted server in a process of its own and
// returns its address and a func that stops it.
func startServer(mode, dir string, flood int) (addr string, stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "-serve", mode, "-dir", dir, "-flood", fmt.Sprint(flood))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("the scripted server: %w", err)
	}
	return strings.TrimSpace(line), func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

func orchestrate() error {
	libs := libraries
	if *flagLibs != "" {
		libs = nil
		for name := range strings.SplitSeq(*flagLibs, ",") {
			l, err := findLibrary(name)
			if err != nil {
				return err
			}
			libs = append(libs, l)
		}
	}
	dir, err := os.MkdirTemp("", "compare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeCA(dir); err != nil {
		return err
	}
	fmt.Printf("gosmack beside its Go peers, measured %s; -n %d -rounds %d -idle %d\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), *flagN, *flagRounds, *flagIdle)
	works := strings.Split(*flagWork, ",")
	ctx := context.Background()
	for _, w := range works {
		var tables []table
		var err error
		switch w {
		case "receive":
			tables, err = orchestrateReceive(ctx, libs, dir)
		case "idle":
			tables, err = orchestrateIdle(ctx, libs, dir)
		case "prosody":
			tables, err = orchestrateProsody(ctx, libs)
		case "login":
			tables, err = orchestrateLogin(ctx)
		default:
			err = fmt.Errorf("no work %q", w)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		for _, t := range tables {
			t.print(os.Stdout)
		}
	}
	return nil
}

func runServer() error {
	cfg := serverConfig{}
	if *flagFlood > 0 {
		cfg.flood = floodBytes(*flagFlood)
	}
	if *flagServe == "tls" {
		tc, err := serverTLS(*flagDir)
		if err != nil {
			return err
		}
		cfg.tls = tc
	}
	ln, err := listen()
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	serve(ln, cfg)
	return nil
}

func runChild() error {
	var lib library
	if *flagLib != "" {
		var err error
		if lib, err = findLibrary(*flagLib); err != nil {
			return err
		}
	}
	ctx := context.Background()
	switch *flagChild {
	case "receive":
		return childReceive(ctx, lib)
	case "xmltoken":
		return childXMLToken()
	case "idle":
		return childIdle(ctx, lib)
	case "recv", "send":
		return childProsody(ctx, lib, *flagChild)
	}
	return fmt.Errorf("no child %q", *flagChild)
}

func scriptedTarget(dir string) (target, error) {
	t := target{addr: *flagAddr, user: benchUser, domain: benchDomain, password: "bench-secret", resource: "compare"}
	if *flagTLS {
		tc, err := clientTLS(filepath.Join(dir, "ca.pem"), benchDomain)
		if err != nil {
			return t, err
		}
		t.tls = tc
	}
	return t, nil
}
