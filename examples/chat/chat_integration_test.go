//go:build integration

package main

import (
	"bufio"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// These tests run the chat binary as a person would: each instance under a
// pseudo-terminal of its own, typed at through the terminal's master side,
// its screen read from there, against Prosody and ejabberd.
//
// Other packages' integration tests use the same accounts at the same
// time, so each instance logs in with a resource of its own and is
// addressed by its full JID, and the room's name is unique.

// waitTimeout bounds each wait for a line on a terminal.
const waitTimeout = 20 * time.Second

// TestIntegrationChatTerminal: alice and bob log in, exchange a message
// each way (/msg to a full JID), meet in a new room (/join, the
// occupant events, a plain line and /say to the room), and /quit: both
// exit 0, and alice sees bob leave.
func TestIntegrationChatTerminal(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminal(t, bin, s) })
}

func chatTerminal(t *testing.T, bin string, s *testserver.Server) {
	id := uniqueID()
	alice := startTerminal(t, bin, s, "alice@"+s.Domain+"/chat-"+id, s.User(t, "alice").Password)
	bob := startTerminal(t, bin, s, "bob@"+s.Domain+"/chat-"+id, s.User(t, "bob").Password)
	alice.expect(t, `^\[info\] online as `+regexp.QuoteMeta(alice.jid)+`; /help lists the commands$`)
	bob.expect(t, `^\[info\] online as `+regexp.QuoteMeta(bob.jid)+`; `)
	alice.expect(t, `^\[roster\] `) // the roster is listed, whatever it holds
	bob.expect(t, `^\[roster\] `)

	// One message each way, to the other's full JID. (Not /reply: a test
	// running at the same time may write to bob's bare JID meanwhile.)
	alice.send(t, "/msg "+bob.jid+" hello bob, "+id)
	bob.expect(t, `^\[chat\] `+regexp.QuoteMeta(alice.jid+": hello bob, "+id)+`$`)
	bob.send(t, "/msg "+alice.jid+" hello alice, "+id)
	alice.expect(t, `^\[chat\] `+regexp.QuoteMeta(bob.jid+": hello alice, "+id)+`$`)

	// A room: alice creates it, bob joins, each sees the other.
	room := "chat-" + id + "@" + s.MUCDomain
	q := regexp.QuoteMeta(room)
	alice.send(t, "/join "+room+" Alice")
	alice.expect(t, `^\[room\] `+q+` \* you created the room and joined as Alice; occupants: Alice \(moderator\)$`)
	bob.send(t, "/join "+room+" Bob")
	bob.expect(t, `^\[room\] `+q+` \* you joined as Bob; occupants: Alice \(moderator\), Bob$`)
	alice.expect(t, `^\[room\] `+q+` \* Bob joined$`)

	// A plain line goes to the current conversation: the room just
	// joined. Both see the room's copy.
	bob.send(t, "hi everyone, "+id)
	alice.expect(t, `^\[room\] `+q+` <Bob> hi everyone, `+id+`$`)
	bob.expect(t, `^\[room\] `+q+` <Bob> hi everyone, `+id+`$`)
	alice.send(t, "/say "+room+" welcome, Bob")
	bob.expect(t, `^\[room\] `+q+` <Alice> welcome, Bob$`)
	bob.send(t, "/who")
	bob.expect(t, `^\[room\] `+q+` \* occupants: Alice \(moderator\), Bob$`)

	// /quit leaves the room: alice sees bob go.
	bob.send(t, "/quit")
	bob.expect(t, `^\[room\] `+q+` \* you left$`)
	alice.expect(t, `^\[room\] `+q+` \* Bob left$`)
	require.Equal(t, 0, bob.wait(t), "bob's exit code")
	alice.send(t, "/quit")
	alice.expect(t, `^\[info\] signing off$`)
	require.Equal(t, 0, alice.wait(t), "alice's exit code")
}

// TestIntegrationChatTerminalEnd: the end of input (Ctrl-D) and an
// interrupt (Ctrl-C) end a session as /quit does: exit 0. A bad command
// on the way is reported and the session goes on.
func TestIntegrationChatTerminalEnd(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminalEnd(t, bin, s) })
}

func chatTerminalEnd(t *testing.T, bin string, s *testserver.Server) {
	id := uniqueID()
	carol := startTerminal(t, bin, s, "carol@"+s.Domain+"/chat-"+id, s.User(t, "carol").Password)
	dave := startTerminal(t, bin, s, "dave@"+s.Domain+"/chat-"+id, s.User(t, "dave").Password)
	carol.expect(t, `^\[info\] online as `)
	dave.expect(t, `^\[info\] online as `)

	carol.send(t, "/frobnicate")
	carol.expect(t, `^\[error\] unknown command /frobnicate \(/help lists them\)$`)
	carol.send(t, "/help quit")
	carol.expect(t, `^\[help\] /quit: leave every room`)
	carol.keys(t, "\x04") // VEOF at the start of a line: the end of input
	carol.expect(t, `^\[info\] signing off$`)
	require.Equal(t, 0, carol.wait(t), "carol's exit code after Ctrl-D")

	dave.keys(t, "\x03") // VINTR: SIGINT to the terminal's foreground group
	// The terminal echoes ^C where the cursor is, before the line.
	dave.expect(t, `^(\^C)?\[info\] signing off$`)
	require.Equal(t, 0, dave.wait(t), "dave's exit code after Ctrl-C")
}

// TestIntegrationChatTerminalHistory: /history prints the last messages
// with a contact from the account's archive, oldest first, "me" for the
// account's own; and a joined room's from the room's archive, by
// nickname. Fresh accounts, so that no other test's messages are in
// their archives.
func TestIntegrationChatTerminalHistory(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminalHistory(t, bin, s) })
}

func chatTerminalHistory(t *testing.T, bin string, s *testserver.Server) {
	id := uniqueID()
	erin, erinPass := freshAccount(t, s, "erin-"+id)
	frank, frankPass := freshAccount(t, s, "frank-"+id)
	e := startTerminal(t, bin, s, erin+"/chat", erinPass)
	f := startTerminal(t, bin, s, frank+"/chat", frankPass)
	e.expect(t, `^\[info\] online as `)
	f.expect(t, `^\[info\] online as `)

	for _, text := range []string{"one", "two", "three"} {
		e.send(t, "/msg "+frank+" "+text)
		f.expect(t, `^\[chat\] `+regexp.QuoteMeta(erin)+`/chat: `+text+`$`)
	}
	f.send(t, "/msg "+erin+" four")
	e.expect(t, `^\[chat\] `+regexp.QuoteMeta(frank)+`/chat: four$`)

	stamp := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
	e.send(t, "/history "+frank+" 3")
	e.expectRun(t, `^\[history\] end \(3 messages\)$`,
		`^\[history\] `+stamp+` me: two$`,
		`^\[history\] `+stamp+` me: three$`,
		`^\[history\] `+stamp+` `+regexp.QuoteMeta(frank)+`: four$`)
	f.send(t, "/history "+erin)
	f.expectRun(t, `^\[history\] end \(4 messages\)$`,
		`^\[history\] `+stamp+` `+regexp.QuoteMeta(erin)+`: one$`,
		`^\[history\] `+stamp+` `+regexp.QuoteMeta(erin)+`: two$`,
		`^\[history\] `+stamp+` `+regexp.QuoteMeta(erin)+`: three$`,
		`^\[history\] `+stamp+` me: four$`)

	room := "history-" + id + "@" + s.MUCDomain
	q := regexp.QuoteMeta(room)
	e.send(t, "/join "+room+" Erin")
	e.expect(t, `^\[room\] `+q+` \* you created the room`)
	e.send(t, "first words")
	e.expect(t, `^\[room\] `+q+` <Erin> first words$`)
	f.send(t, "/join "+room+" Frank")
	f.expect(t, `^\[room\] `+q+` \* you joined as Frank`)
	f.send(t, "/say "+room+" hello Erin")
	e.expect(t, `^\[room\] `+q+` <Frank> hello Erin$`)
	e.send(t, "/history "+room)
	e.expectRun(t, `^\[history\] end \(2 messages\)$`,
		`^\[history\] `+stamp+` Erin: first words$`,
		`^\[history\] `+stamp+` Frank: hello Erin$`)

	f.send(t, "/quit")
	require.Equal(t, 0, f.wait(t), "frank's exit code")
	e.send(t, "/quit")
	require.Equal(t, 0, e.wait(t), "erin's exit code")
}

// freshAccount registers a new account on s and returns its bare JID and
// password.
func freshAccount(t *testing.T, s *testserver.Server, name string) (string, string) {
	t.Helper()
	j, err := jid.New(name, s.Domain, "")
	require.NoError(t, err)
	cfg := xmpp.Config{JID: j, Password: name + "-secret", Addr: s.StartTLSAddr, TLS: s.TLSConfig()}
	require.NoError(t, xmpp.CreateAccount(testserver.Context(t), cfg, nil), "%s: registering %s", s.Name, j)
	return j.String(), cfg.Password
}

// uniqueID names this run's resources and room.
func uniqueID() string {
	return fmt.Sprintf("%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
}

// terminal is a chat process under a pseudo-terminal, and what it printed.
type terminal struct {
	jid    string
	proc   *progtest.Proc
	master *os.File

	mu      sync.Mutex
	lines   []string      // complete lines read from the terminal, without line ends
	changed chan struct{} // closed (and replaced) when lines grows or the terminal closes
	closed  bool          // the terminal's slave side is closed: no more lines
}

// startTerminal runs bin under a new pseudo-terminal as the session leader
// with the terminal as its controlling terminal, logged in as account on
// s (the password given through the environment, as a person would).
// The process is killed when the test ends if it still runs.
func startTerminal(t *testing.T, bin string, s *testserver.Server, account, password string) *terminal {
	t.Helper()
	master, slave := openPTY(t)
	defer slave.Close() // the child has it; the master sees EOF (EIO) once the child is gone
	tm := &terminal{jid: account, master: master, changed: make(chan struct{})}
	// Registered first, so that it runs after progtest has killed the
	// process.
	t.Cleanup(func() {
		master.Close()
		if t.Failed() {
			t.Logf("%s's terminal:\n%s", tm.jid, tm.transcript())
		}
	})
	cmd := exec.Command(bin, "-jid", account, "-addr", s.StartTLSAddr, "-ca", s.CAFile)
	cmd.Env = append(os.Environ(), "XMPP_PASSWORD="+password)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	tm.proc = progtest.StartCmd(t, cmd)
	go tm.read()
	return tm
}

// openPTY allocates a pseudo-terminal pair (pty(7)) with the standard
// library alone: the master from /dev/ptmx, unlocked, and the slave it
// names under /dev/pts.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	var n uint32
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		rc, err := master.SyscallConn()
		if err != nil {
			return err
		}
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
		}); err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
	var unlock int32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		master.Close()
		t.Fatalf("unlocking the pty: %v", err)
	}
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		master.Close()
		t.Fatalf("numbering the pty: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatalf("opening the pty's slave: %v", err)
	}
	return master, slave
}

// read collects the terminal's lines until it closes. The terminal turns
// "\n" into "\r\n" and echoes what is typed; both stay in the transcript
// (echoed commands do not start with a tag, so expect never takes them
// for output).
func (tm *terminal) read() {
	r := bufio.NewReader(tm.master)
	for {
		line, err := r.ReadString('\n')
		tm.mu.Lock()
		if line != "" && err == nil {
			tm.lines = append(tm.lines, strings.TrimRight(line, "\r\n"))
		}
		if err != nil {
			tm.closed = true
			if line != "" {
				tm.lines = append(tm.lines, line) // a partial last line
			}
		}
		close(tm.changed)
		tm.changed = make(chan struct{})
		tm.mu.Unlock()
		if err != nil {
			return // EIO once the child is gone, or the master closed
		}
	}
}

// expect waits up to waitTimeout for a line, among all the terminal
// printed, that matches pattern, and returns it.
func (tm *terminal) expect(t *testing.T, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		for _, l := range tm.lines {
			if re.MatchString(l) {
				tm.mu.Unlock()
				return l
			}
		}
		changed, closed := tm.changed, tm.closed
		tm.mu.Unlock()
		if closed {
			select {
			case <-tm.proc.Done():
			case <-deadline.C:
			}
			t.Fatalf("%s: the terminal closed (exit: %v) without a line matching %q", tm.jid, tm.proc.Err(), pattern)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("%s: no line matching %q within %s", tm.jid, pattern, waitTimeout)
		}
	}
}

// expectRun waits for a line matching last, as expect does, and checks
// that the lines just before it match before, in order.
func (tm *terminal) expectRun(t *testing.T, last string, before ...string) {
	t.Helper()
	end := tm.expect(t, last)
	tm.mu.Lock()
	i := slices.Index(tm.lines, end)
	lines := slices.Clone(tm.lines[max(0, i-len(before)):i])
	tm.mu.Unlock()
	require.Len(t, lines, len(before), "%s: the lines before %q", tm.jid, end)
	for k, pattern := range before {
		require.Regexp(t, pattern, lines[k], "%s: line %d before %q", tm.jid, len(before)-k, end)
	}
}

// send types line and Enter.
func (tm *terminal) send(t *testing.T, line string) {
	t.Helper()
	tm.keys(t, line+"\r")
}

// keys types s at the terminal, as keys: the terminal's line discipline
// turns "\r" into a line end, ^D into the end of input and ^C into SIGINT.
func (tm *terminal) keys(t *testing.T, s string) {
	t.Helper()
	_, err := tm.master.WriteString(s)
	require.NoError(t, err, "typing at %s's terminal", tm.jid)
}

// wait waits up to waitTimeout for the process to exit and returns its
// exit code.
func (tm *terminal) wait(t *testing.T) int {
	t.Helper()
	return tm.proc.Wait(t, waitTimeout)
}

// transcript is everything the terminal showed, for a failed test's log.
func (tm *terminal) transcript() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return strings.Join(tm.lines, "\n")
}
