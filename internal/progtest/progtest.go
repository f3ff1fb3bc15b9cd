// Package progtest runs the example programs in their integration tests,
// as a user would: it builds an example's binary, starts it with its
// output captured, waits for a line it prints and for its exit, and kills
// it when the test ends if it still runs. It is for tests only; no program
// imports it.
//
//	bin := progtest.Build(t)
//	bot := progtest.Start(t, bin, []string{"XMPP_PASSWORD=" + password}, "-jid", account)
//	botJID := bot.WaitOnline(t, 30*time.Second)
//	// ... talk to the bot ...
//	bot.Signal(t, syscall.SIGTERM)
//	assert.Equal(t, 0, bot.Wait(t, 10*time.Second))
//
// The timeouts its functions take only bound how long a failing test
// takes: a test passes or fails on what a program printed and how it
// exited, never on how fast it did so.
package progtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
)

// pollInterval is how often WaitFor looks at a buffer again: a Buffer
// says nothing when it is written to.
const pollInterval = 20 * time.Millisecond

// Build builds the main package in the current directory (a test's
// directory is its package's) into t.TempDir() and returns the binary's
// path. The binary is named after the directory.
func Build(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(wd))
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Proc is a running program. Its methods may be called from the test's
// goroutine while the process runs; they fail the test with t.Fatalf, so
// call them from that goroutine only.
type Proc struct {
	// Stdout and Stderr hold what the process wrote there so far, when
	// they are testserver.Buffers (always so with Start); nil otherwise.
	Stdout, Stderr *testserver.Buffer

	cmd  *exec.Cmd
	name string        // the command line without the binary's directory, for messages
	done chan struct{} // closed when the process has exited
	err  error         // what cmd.Wait returned; read after done
}

// Start runs bin with args, its environment this process's plus env (a
// password belongs there, as a user would give it, not among the args),
// and stdout and stderr captured in p.Stdout and p.Stderr. The process
// is killed when the test ends if it still runs.
func Start(t testing.TB, bin string, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = new(testserver.Buffer), new(testserver.Buffer)
	return StartCmd(t, cmd)
}

// StartCmd starts cmd as the caller set it up, for a program whose
// standard files are not buffers (a terminal, say). The process is killed
// when the test ends if it still runs; cleanups the caller registered
// before StartCmd run after that.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	p.Stdout, _ = cmd.Stdout.(*testserver.Buffer)
	p.Stderr, _ = cmd.Stderr.(*testserver.Buffer)
	p.name = strings.Join(append([]string{filepath.Base(cmd.Path)}, cmd.Args[1:]...), " ")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", p.name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Done returns a channel that is closed when the process has exited and,
// for Start's, all its output is in p.Stdout and p.Stderr.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err returns what waiting for the process returned (an *exec.ExitError
// for a non-zero exit), or nil while it runs.
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Signal sends sig to the process.
func (p *Proc) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling %s: %v", p.name, err)
	}
}

// Wait waits for the process to exit and returns its exit code (-1 when a
// signal ended it). It fails the test when the process still runs after
// timeout, or when waiting failed otherwise than with an exit status.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case <-p.done:
	case <-deadline.C:
		t.Fatalf("%s: still running after %s%s", p.name, timeout, p.output())
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// WaitFor waits for buf (p.Stdout or p.Stderr) to hold a match for re
// and returns the match and its submatches, as FindStringSubmatch does;
// re sees everything written so far, so use (?m) and ^ $ for a line. It
// fails the test when the process exits without having written a match,
// or when there is none after timeout.
func (p *Proc) WaitFor(t testing.TB, buf *testserver.Buffer, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m
		}
		select {
		case <-tick.C:
		case <-p.done:
			// Everything the process wrote is in buf now: look once more.
			if m := re.FindStringSubmatch(buf.String()); m != nil {
				return m
			}
			t.Fatalf("%s exited (%v) without writing a match for %q%s", p.name, p.err, re, p.output())
		case <-deadline.C:
			t.Fatalf("%s: no match for %q within %s%s", p.name, re, timeout, p.output())
		}
	}
}

var onlineRE = regexp.MustCompile(`(?m)^online as (\S+) via (?:tcp|websocket|bosh)$`)

// WaitOnline waits, as WaitFor does, for the line "online as <full JID>
// via tcp|websocket|bosh" that echobot and mucbot print on stdout once they are ready, and
// returns the JID. It fails the test when that is not a full JID.
func (p *Proc) WaitOnline(t testing.TB, timeout time.Duration) jid.JID {
	t.Helper()
	m := p.WaitFor(t, p.Stdout, onlineRE, timeout)
	j, err := jid.Parse(m[1])
	if err != nil || j.Resourcepart() == "" {
		t.Fatalf("%s: %q is not a full JID (%v)", p.name, m[1], err)
	}
	return j
}

// output is the captured output for a failure message.
func (p *Proc) output() string {
	var b strings.Builder
	if p.Stdout != nil {
		b.WriteString("\nstdout: " + p.Stdout.String())
	}
	if p.Stderr != nil {
		b.WriteString("\nstderr: " + p.Stderr.String())
	}
	return b.String()
}
