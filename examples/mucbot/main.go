// Command mucbot is a multi-user chat bot (XEP-0045). It logs in, enters
// the rooms named with -room, creating each as an instant room (the
// service's default configuration) when it does not exist, and enters
// every room it is invited to, by the room (a mediated invitation) or by
// a user (XEP-0249). In each room, a groupchat message that begins with
// its nickname, a colon and a space ("mucbot: hello") gets the rest of the
// message ("hello") said back to the room.
//
// It never answers itself, nor the room's history: it asks the room for no
// history on entering, and ignores the messages that carry a delay stamp
// (XEP-0203) should a room send some anyway, so that an old message is
// never answered twice. Private messages, messages without a body and
// messages not addressed to it are ignored. It answers pings (XEP-0199)
// and service discovery (XEP-0030) as a bot.
//
// Flags: those of every example (examples/internal/cli; run with -h for
// the list), and
//
//	-room ROOM@SERVICE   a room to enter at start; repeat for more rooms
//	-nick NAME           the nickname in every room (default: the
//	                     localpart of -jid)
//
// Output: a line "joined ROOM as NICK" on stdout for each room entered
// (the service may give another nickname than the one asked for), then,
// once the -room rooms are entered, "online as <full JID> via tcp"
// (websocket with -websocket, bosh with -bosh). Later lines tell the invitations
// ("invited to ROOM by JID"), the rooms entered after them, the rooms
// the bot was removed from ("removed from ROOM: kicked") and, on
// leaving, "left ROOM". A room of -room that cannot be entered
// (nickname in use, banned, members-only, ...) ends the program with one
// line on stderr and exit status 1, as does a failed login; a refused
// invitation is reported on stderr and the bot carries on.
//
// On SIGINT or SIGTERM it leaves every room (each leave waits for the
// room's answer, for a few seconds at most), closes the connection and
// exits 0. When the server ends the connection it exits 1.
//
// Against the local Prosody of scripts/servers/prosody.sh:
//
//	scripts/servers/prosody.sh start   # prints the CA path
//	XMPP_PASSWORD=alice-secret go run ./examples/mucbot \
//		-jid alice@localhost -addr 127.0.0.1:15222 -ca /tmp/gosmack/prosody/pki/ca.pem \
//		-room lobby@conference.localhost -nick bot
//
// then enter lobby@conference.localhost from any client and say
// "bot: hello".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/examples/internal/cli"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

const (
	// joinTimeout bounds entering one room, its creation included.
	joinTimeout = 30 * time.Second
	// replyTimeout bounds sending one answer.
	replyTimeout = 10 * time.Second
	// leaveTimeout bounds leaving the rooms at exit, all of them at once.
	leaveTimeout = 10 * time.Second
)

func main() {
	var rooms roomList
	var nick string
	cli.Main("mucbot", func(fs *flag.FlagSet) {
		fs.Var(&rooms, "room", "enter the room `ROOM@SERVICE` at start, creating it as an instant room when missing; repeat for more rooms")
		fs.StringVar(&nick, "nick", "", "the `NAME` to use in rooms (default: the localpart of -jid)")
	}, func(ctx context.Context, cfg xmpp.Config) error {
		return run(ctx, cfg, rooms, nick)
	})
}

// roomList is the value of the repeatable -room flag: bare room
// addresses, each once, in the order given.
type roomList []jid.JID

func (l *roomList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, j := range *l {
		s[i] = j.String()
	}
	return strings.Join(s, ",")
}

func (l *roomList) Set(s string) error {
	j, err := jid.Parse(s)
	if err != nil {
		return err
	}
	if j.Localpart() == "" || !j.IsBare() {
		return errors.New("want ROOM@SERVICE: a room name, an @ and the chat service, no /resource")
	}
	for _, have := range *l {
		if have == j {
			return nil
		}
	}
	*l = append(*l, j)
	return nil
}

func run(ctx context.Context, cfg xmpp.Config, rooms []jid.JID, nick string) error {
	if nick == "" {
		nick = cfg.JID.Localpart()
	}
	if nick == "" {
		return cli.Usagef("-nick is required when -jid has no localpart")
	}
	// A nickname is the resourcepart of the occupant's address.
	if _, err := cfg.JID.Domain().WithResource(nick); err != nil {
		return cli.Usagef("-nick %q: %v", nick, err)
	}

	c := xmpp.New(cfg)
	ping.For(c)
	disco.For(c).SetIdentities(disco.Identity{Category: "client", Type: "bot", Name: "gosmack mucbot"})
	b := &bot{ctx: ctx, c: c, m: muc.For(c), nick: nick, watched: map[jid.JID]bool{}}
	// Registered before logging in: invitations kept for the bot while it
	// was offline arrive right after login.
	b.m.OnInvitation(b.invited)
	if err := cli.Connect(ctx, c); err != nil {
		return err
	}
	for _, room := range rooms {
		jctx, cancel := context.WithTimeout(ctx, joinTimeout)
		err := b.enter(jctx, room, true, "")
		cancel()
		if ctx.Err() != nil {
			break // a signal during start-up: leave what was entered
		}
		if err != nil {
			b.leaveAll()
			c.Close()
			return err
		}
	}
	if ctx.Err() == nil {
		b.say("%s", cli.Online(c))
	}
	select {
	case <-ctx.Done():
		b.leaveAll()
	case <-c.Done():
	}
	return cli.Wait(ctx, c)
}

// bot is the state of one run: the rooms it listens to and the entries
// that invitations started.
type bot struct {
	ctx  context.Context // the run's: SIGINT and SIGTERM end it
	c    *xmpp.Conn
	m    *muc.Client
	nick string

	out sync.Mutex // one line at a time on stdout

	mu       sync.Mutex
	watched  map[jid.JID]bool // the rooms whose listeners are registered
	stopping bool             // leaveAll began: no more entries
	joins    sync.WaitGroup   // entries after invitations under way
}

// say prints one line on stdout.
func (b *bot) say(format string, args ...any) {
	b.out.Lock()
	defer b.out.Unlock()
	fmt.Printf(format+"\n", args...)
}

// enter enters room as b.nick with the password, if any, asking for no
// history. With create, a room that does not exist is created as an
// instant room; one that exists is simply entered. A room entered already
// is not an error.
func (b *bot) enter(ctx context.Context, room jid.JID, create bool, password string) error {
	r := b.m.Room(room)
	b.watch(r)
	cfg := muc.JoinConfig{Password: password, History: muc.History{None: true}}
	var err error
	if create {
		err = r.Create(ctx, b.nick, nil, cfg)
		if errors.Is(err, muc.ErrRoomExists) {
			err = nil // entered all the same
		}
	} else {
		err = r.Join(ctx, b.nick, cfg)
	}
	if errors.Is(err, muc.ErrAlreadyJoined) {
		return nil // an invitation and -room, or two invitations, raced
	}
	if err != nil {
		return err
	}
	b.say("joined %s as %s", room, r.Nick())
	return nil
}

// watch registers the bot's listeners on r, once per room.
func (b *bot) watch(r *muc.Room) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.watched[r.JID()] {
		return
	}
	b.watched[r.JID()] = true
	r.OnMessage(func(m *stanza.Message) { b.answer(r, m) })
	r.OnExit(func(e muc.Exit) {
		if e.Reason != muc.ExitDisconnected { // the connection's end is reported by itself
			b.say("removed from %s: %s", r.JID(), e.Reason)
		}
	})
}

// answer says back to the room the rest of a message addressed to the
// bot. It runs on the connection's dispatcher, one message at a time, so
// the answers go out in the order of the messages.
func (b *bot) answer(r *muc.Room, m *stanza.Message) {
	text, ok := addressed(m, r.Nick())
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, replyTimeout)
	defer cancel()
	if err := r.Send(ctx, text); err != nil && b.ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "mucbot: answering %s: %v\n", m.From, err)
	}
}

// addressed returns the text to answer m with when m is a live groupchat
// message from another occupant whose body begins with "nick: ", nick
// being the bot's nickname in the room (empty when it is not in it): the
// rest of the body, when that is more than white space.
func addressed(m *stanza.Message, nick string) (string, bool) {
	if m.Type != stanza.Groupchat || nick == "" {
		return "", false
	}
	from := m.From.Resourcepart()
	if _, delayed := delay.Of(m); from == "" || from == nick || delayed {
		return "", false // the room itself, the bot, or history
	}
	rest, ok := strings.CutPrefix(m.Body(""), nick+": ")
	if !ok || strings.TrimSpace(rest) == "" {
		return "", false
	}
	return rest, true
}

// invited enters the room of an invitation. It runs on the connection's
// dispatcher and waits there for the room, as Smack code does in an
// InvitationListener: Join waits on what the connection's reader collects
// for it, and the stanzas behind it wait their turn.
func (b *bot) invited(inv muc.Invitation) {
	b.mu.Lock()
	if b.stopping {
		b.mu.Unlock()
		return
	}
	b.joins.Add(1)
	b.mu.Unlock()
	defer b.joins.Done()
	from := inv.From
	if from.IsZero() {
		from = inv.Message.From
	}
	b.say("invited to %s by %s", inv.Room, from)
	if b.m.Room(inv.Room).Joined() {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, joinTimeout)
	defer cancel()
	if err := b.enter(ctx, inv.Room, false, inv.Password); err != nil && b.ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "mucbot: entering %s on invitation: %v\n", inv.Room, err)
	}
}

// leaveAll stops accepting invitations, waits for the entries under way
// (the run's context has ended, which ends them too) and leaves every
// room, all at once, each waiting for the room's answer.
func (b *bot) leaveAll() {
	b.mu.Lock()
	b.stopping = true
	b.mu.Unlock()
	b.joins.Wait()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), leaveTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range b.m.Rooms() {
		wg.Go(func() {
			if err := r.Leave(ctx, ""); err != nil {
				fmt.Fprintf(os.Stderr, "mucbot: leaving %s: %v\n", r.JID(), err)
				return
			}
			b.say("left %s", r.JID())
		})
	}
	wg.Wait()
}
