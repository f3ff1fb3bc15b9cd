//go:build integration

package main

import (
	"bufio"
	"encoding/xml"
	"fmt"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/chatstate"
	"github.com/gosmack/gosmack/correct"
	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
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
	id := testserver.Unique("")
	alice := startTerminal(t, bin, s, "alice@"+s.Domain+"/chat-"+id, s.User(t, "alice").Password)
	bob := startTerminal(t, bin, s, "bob@"+s.Domain+"/chat-"+id, s.User(t, "bob").Password)
	alice.expect(t, `^\[info\] online as `+regexp.QuoteMeta(alice.jid)+` via tcp; /help lists the commands$`)
	bob.expect(t, `^\[info\] online as `+regexp.QuoteMeta(bob.jid)+` via tcp; `)
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
	id := testserver.Unique("")
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

// TestIntegrationChatTerminalCarbons: alice runs two terminals (laptop
// and phone), bob one, each on an account made for the test. What the
// laptop writes to bob shows on the phone as "me (laptop) -> bob"; what
// bob writes to the laptop shows on the phone as "bob (to laptop)". A
// carbon bob forges to the phone is never shown; his plain message after
// it is.
func TestIntegrationChatTerminalCarbons(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminalCarbons(t, bin, s) })
}

func chatTerminalCarbons(t *testing.T, bin string, s *testserver.Server) {
	id := testserver.Unique("")
	aliceCfg, bobCfg := s.NewAccount(t, "carbons-alice"), s.NewAccount(t, "carbons-bob")
	alice := aliceCfg.JID.String()
	laptop := startTerminal(t, bin, s, alice+"/laptop", aliceCfg.Password)
	phone := startTerminal(t, bin, s, alice+"/phone", aliceCfg.Password)
	bob := startTerminal(t, bin, s, bobCfg.JID.String()+"/desk", bobCfg.Password)
	for _, tm := range []*terminal{laptop, phone, bob} {
		tm.expect(t, `^\[info\] online as `)
		// Carbons are asked for before the roster: once the roster is
		// listed, the server has enabled them.
		tm.expect(t, `^\[roster\] `)
	}

	laptop.send(t, "/msg "+bob.jid+" from the laptop "+id)
	bob.expect(t, `^\[chat\] `+regexp.QuoteMeta(laptop.jid+": from the laptop "+id)+`$`)
	phone.expect(t, `^\[chat\] `+regexp.QuoteMeta("me (laptop) -> "+bob.jid+": from the laptop "+id)+`$`)
	bob.send(t, "/msg "+laptop.jid+" to the laptop "+id)
	laptop.expect(t, `^\[chat\] `+regexp.QuoteMeta(bob.jid+": to the laptop "+id)+`$`)
	phone.expect(t, `^\[chat\] `+regexp.QuoteMeta(bob.jid+" (to laptop): to the laptop "+id)+`$`)

	// A forged carbon: bob's own client writes a <sent/> copy of a
	// message "from alice's laptop" to the phone, then a plain line.
	forgerCfg := bobCfg
	forgerCfg.Resource = "forger"
	forger := testserver.Login(t, forgerCfg, nil)
	forged := &stanza.Message{Type: stanza.Chat, Extensions: []stanza.Node{{
		Name: xml.Name{Space: carbons.NS, Local: "sent"},
		Nodes: []stanza.Node{{Name: xml.Name{Space: "urn:xmpp:forward:0", Local: "forwarded"}, Nodes: []stanza.Node{{
			Name:  xml.Name{Space: "jabber:client", Local: "message"},
			Attrs: []xml.Attr{{Name: xml.Name{Local: "from"}, Value: laptop.jid}, {Name: xml.Name{Local: "to"}, Value: bob.jid}, {Name: xml.Name{Local: "type"}, Value: "chat"}},
			Nodes: []stanza.Node{{Name: xml.Name{Space: "jabber:client", Local: "body"}, Nodes: []stanza.Node{{Text: "forged " + id}}}},
		}}}},
	}}}
	forged.To = jid.MustParse(phone.jid)
	require.NoError(t, forger.Send(testserver.Context(t), forged))
	after := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "after the forgery " + id}}}
	after.To = forged.To
	require.NoError(t, forger.Send(testserver.Context(t), after))
	phone.expect(t, `^\[chat\] `+regexp.QuoteMeta(bobCfg.JID.String()+"/forger: after the forgery "+id)+`$`)
	require.NotContains(t, phone.transcript(), "forged "+id, "a forged carbon was shown")

	for _, tm := range []*terminal{laptop, phone, bob} {
		tm.send(t, "/quit")
		require.Equal(t, 0, tm.wait(t), "%s's exit code", tm.jid)
	}
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
	line, ok := tm.await(pattern, waitTimeout)
	if ok {
		return line
	}
	tm.mu.Lock()
	closed := tm.closed
	tm.mu.Unlock()
	if closed {
		select {
		case <-tm.proc.Done():
		case <-time.After(waitTimeout):
		}
		t.Fatalf("%s: the terminal closed (exit: %v) without a line matching %q", tm.jid, tm.proc.Err(), pattern)
	}
	t.Fatalf("%s: no line matching %q within %s", tm.jid, pattern, waitTimeout)
	return ""
}

// await waits up to d for a line, among all the terminal printed, that
// matches pattern, and returns it; false when none came before d or the
// terminal closed.
func (tm *terminal) await(pattern string, d time.Duration) (string, bool) {
	re := regexp.MustCompile(pattern)
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		for _, l := range tm.lines {
			if re.MatchString(l) {
				tm.mu.Unlock()
				return l, true
			}
		}
		changed, closed := tm.changed, tm.closed
		tm.mu.Unlock()
		if closed {
			return "", false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return "", false
		}
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

// TestIntegrationChatTerminalConversation: the conversation extensions
// between alice's terminal and a program on a new account (peer): the
// peer's typing shows once per change, its correction of its own message
// shows as corrected, its correction of alice's message is refused, its
// /me shows as an action, and alice's /correct and /me reach the peer as
// a correction of her last message and an action.
func TestIntegrationChatTerminalConversation(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatConversation(t, bin, s) })
}

func chatConversation(t *testing.T, bin string, s *testserver.Server) {
	id := testserver.Unique("")
	alice := startTerminal(t, bin, s, "alice@"+s.Domain+"/conv-"+id, s.User(t, "alice").Password)
	alice.expect(t, `^\[info\] online as `)
	aliceJID := jid.MustParse(alice.jid)

	cfg := s.NewAccount(t, "chatpeer")
	got := make(chan *stanza.Message, 16)
	peer := testserver.Login(t, cfg, func(c *xmpp.Conn) {
		chatstate.For(c)
		c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
			if len(m.Bodies) > 0 {
				got <- m
			}
		})
	})
	peerFull, peerBare := regexp.QuoteMeta(peer.JID().String()), regexp.QuoteMeta(peer.JID().Bare().String())
	next := func() *stanza.Message {
		t.Helper()
		select {
		case m := <-got:
			return m
		case <-testserver.Context(t).Done():
			t.Fatalf("%s: the peer got no message", s.Name)
			return nil
		}
	}
	say := func(m *stanza.Message) {
		t.Helper()
		m.Type, m.To = stanza.Chat, aliceJID
		require.NoError(t, peer.Send(testserver.Context(t), m))
	}
	body := func(text string) *stanza.Message { return &stanza.Message{Bodies: []stanza.Text{{Value: text}}} }

	// alice writes first: her client's <active/> tells the peer that she
	// supports chat states.
	alice.send(t, "/msg "+peer.JID().String()+" hello peer, "+id)
	first := next()
	assert.Equal(t, "hello peer, "+id, first.Body(""))
	st, ok := chatstate.Of(first)
	assert.True(t, ok && st == chatstate.Active, "%s: the message carries active", s.Name)

	original := body("a tpyo, " + id)
	say(original)
	alice.expect(t, `^\[chat\] `+peerFull+`: a tpyo, `+id+`$`)

	// Typing: composing twice (the second written by hand, as the
	// Manager sends no repetition), then paused.
	cs := chatstate.For(peer)
	sent, err := cs.SetState(testserver.Context(t), aliceJID, chatstate.Composing)
	require.NoError(t, err)
	require.True(t, sent, "%s: alice supports chat states", s.Name)
	again := &stanza.Message{}
	require.NoError(t, chatstate.Set(again, chatstate.Composing))
	say(again)
	_, err = cs.SetState(testserver.Context(t), aliceJID, chatstate.Paused)
	require.NoError(t, err)

	fix := body("a typo, " + id)
	correct.Replace(fix, original.ID)
	say(fix)
	spoof := body("spoofed, " + id)
	correct.Replace(spoof, first.ID) // alice's message, not the peer's
	say(spoof)
	say(body("/me waves, " + id))
	alice.expect(t, `^\[chat\] \* `+peerBare+` waves, `+id+`$`)
	alice.expect(t, `^\[typing\] `+peerBare+` is typing$`)
	alice.expect(t, `^\[typing\] `+peerBare+` paused$`)
	alice.expect(t, `^\[chat\] `+peerFull+` \(corrected\): a typo, `+id+`$`)
	assert.Equal(t, 1, alice.count(`^\[typing\] `+peerBare+` is typing$`), "%s: shown once", s.Name)
	assert.Zero(t, alice.count(`spoofed`), "%s: the correction of alice's message is refused", s.Name)

	// alice corrects her last message, and sends an action.
	alice.send(t, "/correct hello, peer, "+id)
	fixed := next()
	assert.Equal(t, "hello, peer, "+id, fixed.Body(""))
	replaced, ok := correct.Of(fixed)
	assert.True(t, ok)
	assert.Equal(t, first.ID, replaced, "%s: the correction names alice's last message", s.Name)
	alice.send(t, "/me waves back")
	assert.Equal(t, "/me waves back", next().Body(""))

	alice.send(t, "/quit")
	alice.expect(t, `^\[info\] signing off$`)
	require.Equal(t, 0, alice.wait(t), "alice's exit code")
}

// count returns how many lines the terminal printed that match pattern.
func (tm *terminal) count(pattern string) int {
	re := regexp.MustCompile(pattern)
	tm.mu.Lock()
	defer tm.mu.Unlock()
	n := 0
	for _, l := range tm.lines {
		if re.MatchString(l) {
			n++
		}
	}
	return n
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
	id := testserver.Unique("")
	erinCfg, frankCfg := s.NewAccount(t, "erin"), s.NewAccount(t, "frank")
	erin, erinPass := erinCfg.JID.String(), erinCfg.Password
	frank, frankPass := frankCfg.JID.String(), frankCfg.Password
	e := startTerminal(t, bin, s, erin+"/chat", erinPass)
	f := startTerminal(t, bin, s, frank+"/chat", frankPass)
	for _, tm := range []*terminal{e, f} {
		tm.expect(t, `^\[info\] online as `)
		tm.expect(t, `^\[roster\] `)
	}

	// The archive's catch-up lets frank's initial presence go after a
	// service discovery round trip, which may end after the roster is
	// listed. A first message to his bare JID could then race his
	// presence in the server: ejabberd 23.01 can store it as an offline
	// message after it has sent him those it had, where it stays until
	// his next login (seen about once in fifteen runs). So the first
	// goes to his full JID, delivered to his session whatever his
	// presence; a server may still mark it sent while he was away. The
	// next ones follow a message frank has received, so his presence is
	// there.
	for i, text := range []string{"one", "two", "three"} {
		to := frank
		if i == 0 {
			to = frank + "/chat"
		}
		e.send(t, "/msg "+to+" "+text)
		offline := ""
		if i == 0 {
			offline = `( \(sent while you were away\))?`
		}
		f.expect(t, `^\[chat\] `+regexp.QuoteMeta(erin)+`/chat: `+text+offline+`$`)
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
