package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/chatstate"
	"github.com/gosmack/gosmack/correct"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/examples/internal/cli"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/me"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

const (
	// commandTimeout bounds one command's exchange with the server.
	commandTimeout = 20 * time.Second
	// rosterTimeout bounds the wait for the roster after login; without
	// it the client starts anyway and says so.
	rosterTimeout = 15 * time.Second
	// quitTimeout bounds leaving the rooms on the way out (Close has its
	// own bound, xmpp.Config.CloseTimeout).
	quitTimeout = 5 * time.Second
	// maxLine is the longest input line read.
	maxLine = 64 << 10
)

// mucUser is the <x/> that a room adds to its occupants' presence and to
// its mediated invitations; jabberConference is a direct invitation's
// (XEP-0249).
const (
	mucUser          = "http://jabber.org/protocol/muc#user"
	jabberConference = "jabber:x:conference"
)

// client is one terminal session: the connection, its managers, and the
// state of the conversation. Listeners run on the connection's dispatcher
// and only print (and update the fields under mu); commands run on the
// goroutine of run, one at a time.
type client struct {
	c      *xmpp.Conn
	roster *roster.Roster
	chats  *chat.Chats
	mucs   *muc.Client
	states *chatstate.Manager
	out    *printer

	loaded  chan struct{} // closed by the first roster fetch's end
	loadErr error         // that fetch's error; read after loaded is closed
	live    atomic.Bool   // roster changes are printed (after the first listing)
	quiet   atomic.Bool   // signing off: events are no longer printed
	avatars avatarSeen    // the last avatar hash printed for each contact
	marks   bookmarkWatch // which bookmark changes are another client's

	mu       sync.Mutex
	rooms    map[jid.JID]*muc.Room       // the rooms the user is in, by address
	hooked   map[jid.JID]bool            // the rooms whose listeners are registered
	lastFrom jid.JID                     // who last sent a chat message, for /reply
	typing   map[jid.JID]chatstate.State // the last chat state seen of each contact (bare JID)
	seen     correct.History             // the messages of each conversation, received and sent: what a correction may replace

	// lastSent is the id of the last message sent in each conversation
	// (by bare JID), which /correct replaces. Used by run's goroutine
	// alone.
	lastSent map[jid.JID]string

	// Used by run's goroutine alone.
	current jid.JID     // the current conversation: a contact or a room
	show    stanza.Show // the availability last set
	status  string      // the status text last set
}

// newClient builds the connection for cfg and attaches what a chat client
// needs, before it logs in so that nothing sent at login is missed: pings,
// service discovery and capabilities answered; message carbons; the
// roster (subscription requests left to the user); one-to-one chats;
// rooms; stable ids on the messages sent (XEP-0359) and chat states
// (XEP-0085); catching up from the message archive after a new session
// (XEP-0313); vCards and avatars, blocking, the small queries, file
// upload and client state (attachProfile). Output goes to w.
func newClient(cfg xmpp.Config, w io.Writer) *client {
	c := xmpp.New(cfg)
	ping.For(c)
	disco.For(c).SetIdentities(disco.Identity{Category: "client", Type: "console", Name: "gosmack chat"})
	caps.For(c)
	carbons.For(c) // what the user's other clients send and receive shows here too
	cl := &client{
		c:      c,
		roster: roster.For(c),
		chats:  chat.For(c),
		mucs:   muc.For(c),
		states: chatstate.For(c),
		out:    &printer{w: w},
		loaded: make(chan struct{}),
		rooms:  make(map[jid.JID]*muc.Room),
		hooked: make(map[jid.JID]bool),
		typing: make(map[jid.JID]chatstate.State),

		lastSent: make(map[jid.JID]string),
	}
	sid.For(c)
	// What arrived while a lost session was being replaced is fetched
	// from the archive; the Store is in memory (see the package doc).
	// Each new session's presence waits for the catch-up, so that the
	// server's offline messages come after it, those it showed already
	// dropped.
	archive := mam.For(c)
	archive.SetCatchUp(true)
	archive.OnArchived(func(a mam.Archived) {
		m := a.Message
		if len(m.Bodies) == 0 || m.Type == stanza.Groupchat || m.From.Bare() == c.JID().Bare() {
			return // the user's own, and what is not a one-to-one message
		}
		cl.out.print(tagChat, "%s", archivedText(a))
	})
	cl.chats.SetNormalMessages(true)
	cl.listen()
	cl.attachProfile()
	return cl
}

// listen registers the listeners that print what arrives.
func (cl *client) listen() {
	var once sync.Once
	cl.roster.OnChange(func(ch roster.Change) {
		if !cl.live.Load() || cl.quiet.Load() {
			return // the first fetch: run lists the roster after it
		}
		for _, k := range []struct {
			what string
			es   []roster.Entry
		}{{"added", ch.Added}, {"changed", ch.Updated}, {"removed", ch.Deleted}} {
			for _, e := range k.es {
				cl.out.print(tagRoster, "%s %s", k.what, entryText(e))
			}
		}
	})
	cl.roster.OnLoaded(func(l roster.Loaded) {
		first := false
		once.Do(func() {
			first = true
			cl.loadErr = l.Err
			close(cl.loaded)
		})
		if !first && l.Err != nil && !cl.quiet.Load() {
			cl.out.print(tagError, "loading the roster: %v", l.Err)
		}
	})
	cl.roster.OnPresenceChanged(func(p *stanza.Presence) {
		if cl.quiet.Load() || p.From == cl.c.JID() || cl.isRoomPresence(p) {
			return // this session's own presence, or a room's
		}
		cl.out.print(tagPresence, "%s: %s", clean(p.From.String()), presenceText(p))
	})
	cl.roster.OnSubscriptionRequest(func(req roster.SubscriptionRequest) {
		from := clean(req.From.String())
		cl.out.print(tagSubscribe, "%s asks to see your presence: /approve %s or /deny %s", from, from, from)
	})
	cl.chats.OnMessage(func(e chat.Incoming) {
		m := e.Message
		if cl.quiet.Load() || hasX(m.Extensions, jabberConference) {
			return // an invitation's text: OnInvitation tells it
		}
		if e.Carbon == carbons.Sent {
			// What the user wrote on another device: nobody to reply to.
			cl.out.print(tagChat, "%s", carbonText(e.Carbon, m))
			return
		}
		cl.mu.Lock()
		cl.lastFrom = m.From
		cl.typing[m.From.Bare()] = chatstate.Active // a message ends the typing
		cl.mu.Unlock()
		if e.Carbon == carbons.Received {
			cl.out.print(tagChat, "%s", carbonText(e.Carbon, m))
			return
		}
		_, corrects, err := cl.seen.Check(m)
		switch {
		case errors.Is(err, correct.ErrOtherSender):
			return // a correction of someone else's message: refused
		case corrects:
			cl.out.print(tagChat, "%s", correctedText(m))
			return
		}
		cl.seen.Add(m)
		if action, ok := me.Action(m.Body("")); ok {
			cl.out.print(tagChat, "%s", actionText(m.From, action))
			return
		}
		cl.out.print(tagChat, "%s", chatText(m))
	})
	cl.states.OnChatState(func(e chatstate.Event) {
		if cl.quiet.Load() || e.Message.Type == stanza.Groupchat {
			return
		}
		from := e.From.Bare()
		cl.mu.Lock()
		changed := cl.typing[from] != e.State
		cl.typing[from] = e.State
		cl.mu.Unlock()
		if s, ok := typingText(from, e.State); ok && changed {
			cl.out.print(tagTyping, "%s", s)
		}
	})
	cl.c.HandleMessage(stanza.IsMessage(stanza.MessageError), func(m *stanza.Message) {
		if cl.quiet.Load() {
			return
		}
		why := "error"
		if m.Error != nil {
			why = errorText(m.Error)
		}
		cl.out.print(tagError, "%s: message not delivered: %s", clean(m.From.String()), why)
	})
	cl.mucs.OnInvitation(func(inv muc.Invitation) {
		if cl.quiet.Load() {
			return
		}
		from := "someone"
		if !inv.From.IsZero() {
			from = clean(inv.From.String())
		}
		s := fmt.Sprintf("%s invites you to %s", from, clean(inv.Room.String()))
		if inv.Reason != "" {
			s += ": " + clean(inv.Reason)
		}
		if inv.Password != "" {
			s += " (the room's password: " + clean(inv.Password) + ")"
		}
		cl.out.print(tagInvite, "%s; to accept: /join %s", s, clean(inv.Room.String()))
	})
	cl.mucs.OnDecline(func(d muc.Decline) {
		if cl.quiet.Load() {
			return
		}
		who := "someone"
		if !d.From.IsZero() {
			who = clean(d.From.String())
		}
		s := fmt.Sprintf("%s declined your invitation to %s", who, clean(d.Room.String()))
		if d.Reason != "" {
			s += ": " + clean(d.Reason)
		}
		cl.out.print(tagInvite, "%s", s)
	})
}

// hasX reports whether nodes hold an <x/> in namespace space.
func hasX(nodes []stanza.Node, space string) bool {
	for i := range nodes {
		if nodes[i].Name.Space == space && nodes[i].Name.Local == "x" {
			return true
		}
	}
	return false
}

// isRoomPresence reports whether p comes from a room or its occupants:
// the rooms tell those ([room] lines), not the roster.
func (cl *client) isRoomPresence(p *stanza.Presence) bool {
	if hasX(p.Extensions, mucUser) {
		return true
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.hooked[p.From.Bare()]
}

// hook registers the listeners of room, once per room.
func (cl *client) hook(room *muc.Room) {
	addr := room.JID()
	cl.mu.Lock()
	done := cl.hooked[addr]
	cl.hooked[addr] = true
	cl.mu.Unlock()
	if done {
		return
	}
	room.OnMessage(func(m *stanza.Message) {
		if cl.quiet.Load() || len(m.Bodies) == 0 {
			return
		}
		cl.out.print(tagRoom, "%s", roomMessageText(addr, m))
	})
	room.OnOccupant(func(e muc.OccupantEvent) {
		if cl.quiet.Load() {
			return
		}
		cl.out.print(tagRoom, "%s", occupantText(addr, e))
	})
	room.OnSubject(func(e muc.SubjectChange) {
		if cl.quiet.Load() || (e.Subject == "" && e.Nick == "") {
			return // no subject, as rooms say on entering
		}
		s := fmt.Sprintf("%s * subject: %s", addr, clean(e.Subject))
		if e.Nick != "" {
			s += " (set by " + clean(e.Nick) + ")"
		}
		cl.out.print(tagRoom, "%s", s)
	})
	room.OnExit(func(e muc.Exit) {
		cl.mu.Lock()
		delete(cl.rooms, addr)
		cl.mu.Unlock()
		if !cl.quiet.Load() {
			cl.out.print(tagRoom, "%s", exitText(addr, e))
		}
	})
}

// room returns the joined room at addr, or nil.
func (cl *client) room(addr jid.JID) *muc.Room {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.rooms[addr]
}

// joined returns the rooms the user is in, sorted by address.
func (cl *client) joined() []*muc.Room {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	rooms := make([]*muc.Room, 0, len(cl.rooms))
	for _, r := range cl.rooms {
		rooms = append(rooms, r)
	}
	slices.SortFunc(rooms, func(a, b *muc.Room) int { return strings.Compare(a.JID().String(), b.JID().String()) })
	return rooms
}

// run logs in, lists the roster, and executes the lines read from in until
// /quit, the end of in, ctx's end (a signal) or the end of the connection.
// It returns nil after a clean exit, and why otherwise.
func (cl *client) run(ctx context.Context, in io.Reader) error {
	if err := cli.Connect(ctx, cl.c); err != nil {
		return err
	}
	cl.out.print(tagInfo, "%s; /help lists the commands", cli.Online(cl.c))
	cl.waitRoster(ctx)
	lines := readLines(in, cl.out)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return cl.quit()
			}
			cl.acted()
			cmd, err := parseLine(line)
			if err != nil {
				cl.out.print(tagError, "%v", err)
				continue
			}
			if cmd.name == "quit" {
				return cl.quit()
			}
			cl.execute(ctx, cmd)
		case <-ctx.Done():
			return cl.quit()
		case <-cl.c.Done():
			cl.quiet.Store(true)
			cl.c.Close() // nothing to close: releases what is left
			if err := cl.c.Err(); err != nil {
				return fmt.Errorf("connection lost: %w", err)
			}
			return errors.New("connection closed by the server")
		}
	}
}

// readLines reads in line by line on a goroutine of its own, and closes
// the channel at the end of the input (or after a read error, which it
// prints). The goroutine ends with the input; a process that exits first
// leaves it blocked in Read, which is harmless.
func readLines(in io.Reader, out *printer) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), maxLine)
		for sc.Scan() {
			lines <- sc.Text()
		}
		if err := sc.Err(); err != nil {
			out.print(tagError, "reading the input: %v", err)
		}
	}()
	return lines
}

// waitRoster waits for the first roster fetch, lists the roster, and from
// then on has roster changes printed.
func (cl *client) waitRoster(ctx context.Context) {
	t := time.NewTimer(rosterTimeout)
	defer t.Stop()
	select {
	case <-cl.loaded:
		if cl.loadErr != nil {
			cl.out.print(tagError, "loading the roster: %v", cl.loadErr)
		}
	case <-t.C:
		cl.out.print(tagError, "no roster within %s; /roster shows what has come", rosterTimeout)
	case <-ctx.Done():
	case <-cl.c.Done():
	}
	cl.printRoster()
	cl.live.Store(true)
}

// printRoster lists the contacts with their presence.
func (cl *client) printRoster() {
	entries := cl.roster.Entries()
	if len(entries) == 0 {
		cl.out.print(tagRoster, "no contacts: /add JID adds one")
		return
	}
	for _, e := range entries {
		cl.out.print(tagRoster, "%s: %s", entryText(e), presenceText(cl.roster.Presence(e.JID)))
	}
}

// quit leaves the rooms, signs off and closes the connection.
func (cl *client) quit() error {
	ctx, cancel := context.WithTimeout(context.Background(), quitTimeout)
	defer cancel()
	for _, room := range cl.joined() {
		if err := room.Leave(ctx, ""); err != nil && !errors.Is(err, muc.ErrNotJoined) {
			cl.out.print(tagError, "leaving %s: %v", room.JID(), err)
		} else {
			cl.out.print(tagRoom, "%s * you left", room.JID())
		}
	}
	cl.quiet.Store(true)
	cl.out.print(tagInfo, "signing off")
	return cl.c.Close()
}

// execute runs one command (not /quit, which run handles) and prints what
// came of it.
func (cl *client) execute(ctx context.Context, cmd command) {
	ctx, cancel := context.WithTimeout(ctx, cmd.timeout())
	defer cancel()
	if err := cl.do(ctx, cmd); err != nil {
		if cmd.name == "" {
			cl.out.print(tagError, "%s", clean(err.Error()))
		} else {
			cl.out.print(tagError, "/%s: %s", cmd.name, clean(err.Error()))
		}
	}
}

// do runs one command.
func (cl *client) do(ctx context.Context, cmd command) error {
	switch cmd.name {
	case "":
		if cmd.text == "" {
			return nil // a blank line
		}
		if cl.current.IsZero() {
			return errors.New("no current conversation: /msg JID TEXT or /join ROOM@SERVICE first")
		}
		return cl.send(ctx, cl.current, cmd.text)
	case "help":
		for _, line := range helpLines(cmd.text) {
			cl.out.print(tagHelp, "%s", line)
		}
	case "roster":
		cl.printRoster()
	case "msg":
		if err := cl.send(ctx, cmd.to, cmd.text); err != nil {
			return err
		}
		cl.current = cmd.to
	case "to":
		cl.current = cmd.to
		if cl.room(cmd.to) != nil {
			cl.out.print(tagInfo, "now talking in %s", cmd.to)
		} else {
			cl.out.print(tagInfo, "now talking to %s", cmd.to)
		}
	case "reply":
		cl.mu.Lock()
		to := cl.lastFrom
		cl.mu.Unlock()
		if to.IsZero() {
			return errors.New("nobody has sent you a chat message yet")
		}
		// Through the contact's chat, which is locked to the resource
		// that wrote last.
		id, err := cl.chats.Chat(to).Send(ctx, cmd.text)
		if err != nil {
			return err
		}
		cl.current = to.Bare()
		cl.lastSent[to.Bare()] = id
		sent := &stanza.Message{Bodies: []stanza.Text{{Value: cmd.text}}}
		sent.To, sent.ID = to, id
		cl.seen.Add(sent)
	case "me":
		if cl.current.IsZero() {
			return errors.New("no current conversation: /msg JID TEXT or /join ROOM@SERVICE first")
		}
		return cl.send(ctx, cl.current, me.Body(cmd.text))
	case "correct":
		return cl.correct(ctx, cmd.text)
	case "add":
		if err := cl.roster.Set(ctx, roster.Entry{JID: cmd.to, Name: cmd.text}); err != nil {
			return err
		}
		if err := cl.roster.Subscribe(ctx, cmd.to); err != nil {
			return err
		}
		cl.out.print(tagInfo, "added %s and asked to see its presence", cmd.to)
	case "remove":
		if err := cl.roster.Remove(ctx, cmd.to); err != nil {
			return err
		}
		cl.out.print(tagInfo, "removed %s", cmd.to)
	case "approve":
		if err := cl.roster.Approve(ctx, cmd.to); err != nil {
			return err
		}
		cl.out.print(tagInfo, "%s may now see your presence", cmd.to)
	case "deny":
		if err := cl.roster.Deny(ctx, cmd.to); err != nil {
			return err
		}
		cl.out.print(tagInfo, "%s may not see your presence", cmd.to)
	case "presence":
		return cl.setPresence(ctx, cmd.show, cmd.text)
	case "status":
		return cl.setPresence(ctx, cl.show, cmd.text)
	case "join":
		return cl.join(ctx, cmd.to, cmd.text)
	case "say":
		room := cl.room(cmd.to)
		if room == nil {
			return fmt.Errorf("you are not in %s: /join it first", cmd.to)
		}
		if err := room.Send(ctx, cmd.text); err != nil {
			return err
		}
		cl.current = cmd.to
	case "who":
		room, err := cl.roomOrCurrent(cmd.to)
		if err != nil {
			return err
		}
		cl.out.print(tagRoom, "%s * occupants: %s", room.JID(), occupantsText(room.Occupants()))
	case "rooms":
		rooms := cl.joined()
		if len(rooms) == 0 {
			cl.out.print(tagInfo, "you are in no room")
		}
		for _, r := range rooms {
			cl.out.print(tagInfo, "in %s as %s", r.JID(), clean(r.Nick()))
		}
	case "invite":
		room := cl.room(cmd.to)
		if room == nil {
			return fmt.Errorf("you are not in %s: /join it first", cmd.to)
		}
		if err := room.Invite(ctx, cmd.who, cmd.text); err != nil {
			return err
		}
		cl.out.print(tagInfo, "invited %s to %s", cmd.who, cmd.to)
	case "history":
		return cl.history(ctx, cmd.to, cmd.n)
	case "leave":
		room, err := cl.roomOrCurrent(cmd.to)
		if err != nil {
			return err
		}
		err = room.Leave(ctx, "")
		cl.mu.Lock()
		delete(cl.rooms, room.JID())
		cl.mu.Unlock()
		if cl.current == room.JID() {
			cl.current = jid.JID{}
		}
		if err != nil && !errors.Is(err, muc.ErrNotJoined) {
			return err
		}
		cl.out.print(tagRoom, "%s * you left", room.JID())
	default:
		return cl.doMore(ctx, cmd)
	}
	return nil
}

// send sends text to a contact (a chat message) or to a joined room, and
// remembers its id for /correct.
func (cl *client) send(ctx context.Context, to jid.JID, text string) error {
	return cl.sendMessage(ctx, to, &stanza.Message{Bodies: []stanza.Text{{Value: text}}}, true)
}

// sendMessage sends m to a contact or a joined room (a private message to
// an occupant when to has a nick), and when remember is set, keeps its id
// as the last sent in the conversation.
func (cl *client) sendMessage(ctx context.Context, to jid.JID, m *stanza.Message, remember bool) error {
	if room := cl.room(to.Bare()); room != nil {
		if nick := to.Resourcepart(); nick != "" {
			if len(m.Extensions) > 0 {
				return errors.New("not in a private message")
			}
			return room.SendPrivate(ctx, nick, m.Body(""))
		}
		if err := room.SendMessage(ctx, m); err != nil {
			return err
		}
	} else {
		// Through the contact's conversation, in its thread: to a full
		// JID, that resource; to a bare JID, the resource the contact
		// last wrote from, else the bare JID.
		if _, err := cl.chats.Chat(to).SendMessage(ctx, m); err != nil {
			return err
		}
	}
	if remember {
		cl.lastSent[to.Bare()] = m.ID
		cl.seen.Add(m) // so that nobody else may correct it
	}
	return nil
}

// correct replaces the last message sent in the current conversation
// with text (XEP-0308). The correction names the first message, so a
// second /correct replaces it again.
func (cl *client) correct(ctx context.Context, text string) error {
	if cl.current.IsZero() {
		return errors.New("no current conversation: /msg JID TEXT or /join ROOM@SERVICE first")
	}
	id := cl.lastSent[cl.current.Bare()]
	if id == "" || cl.current.Resourcepart() != "" && cl.room(cl.current.Bare()) != nil {
		return fmt.Errorf("you have sent nothing to %s to correct", cl.current)
	}
	m := &stanza.Message{Bodies: []stanza.Text{{Value: text}}}
	correct.Replace(m, id)
	return cl.sendMessage(ctx, cl.current, m, false)
}

// roomOrCurrent returns the joined room at addr, or the current
// conversation's when addr is zero.
func (cl *client) roomOrCurrent(addr jid.JID) (*muc.Room, error) {
	if addr.IsZero() {
		addr = cl.current
		if addr.IsZero() || !addr.IsBare() || cl.room(addr) == nil {
			return nil, errors.New("the current conversation is not a room: name the room")
		}
	}
	room := cl.room(addr)
	if room == nil {
		return nil, fmt.Errorf("you are not in %s", addr)
	}
	return room, nil
}

// join enters the room at addr as nick (the account's user name when
// empty), creating it as an instant room when it does not exist.
func (cl *client) join(ctx context.Context, addr jid.JID, nick string) error {
	if nick == "" {
		nick = roomNick(cl.c.JID())
	}
	room := cl.mucs.Room(addr)
	cl.hook(room)
	err := room.Create(ctx, nick, nil, muc.JoinConfig{})
	created := err == nil
	switch {
	case errors.Is(err, muc.ErrAlreadyJoined):
		cl.current = addr
		cl.out.print(tagInfo, "already in %s, as %s; now talking in it", addr, clean(room.Nick()))
		return nil
	case errors.Is(err, muc.ErrRoomExists):
		err = nil
	}
	if room.Joined() {
		cl.mu.Lock()
		cl.rooms[addr] = room
		cl.mu.Unlock()
		cl.current = addr
	}
	if err != nil {
		return err
	}
	how := "you joined"
	if created {
		how = "you created the room and joined"
	}
	cl.out.print(tagRoom, "%s", joinedText(room, how))
	if cl.show != "" || cl.status != "" {
		return cl.roomPresence(ctx, room)
	}
	return nil
}

// setPresence broadcasts the availability and status, and tells the joined
// rooms.
func (cl *client) setPresence(ctx context.Context, show stanza.Show, status string) error {
	if err := cl.roster.SetPresence(ctx, show, status, 0); err != nil {
		return err
	}
	cl.show, cl.status = show, status
	var errs []error
	for _, room := range cl.joined() {
		errs = append(errs, cl.roomPresence(ctx, room))
	}
	p := &stanza.Presence{Show: show}
	if status != "" {
		p.Statuses = []stanza.Text{{Value: status}}
	}
	cl.out.print(tagInfo, "you are now %s", presenceText(p))
	return errors.Join(errs...)
}

// roomPresence sends the current availability and status to room: a
// room sees only the presence sent to it (directed presence).
func (cl *client) roomPresence(ctx context.Context, room *muc.Room) error {
	to, err := room.JID().WithResource(room.Nick())
	if err != nil {
		return err
	}
	p := &stanza.Presence{Show: cl.show}
	if cl.status != "" {
		p.Statuses = []stanza.Text{{Value: cl.status}}
	}
	if err := cl.roster.SendDirected(ctx, to, p); err != nil {
		return fmt.Errorf("telling %s: %w", room.JID(), err)
	}
	return nil
}

// history prints the last n archived messages with a contact, or of a
// joined room, oldest first: from the account's archive (the messages
// exchanged with who) or from the room's. Archived messages without a
// body (chat states, receipts) are not counted.
func (cl *client) history(ctx context.Context, who jid.JID, n int) error {
	archive, q := jid.JID{}, mam.Query{With: who, Max: n, Latest: true}
	room := cl.room(who)
	if room != nil {
		archive, q.With = who, jid.JID{}
	}
	m := mam.For(cl.c)
	var got []mam.Result
	for len(got) < n {
		page, err := m.Query(ctx, archive, q)
		if err != nil {
			return err
		}
		var bodies []mam.Result
		for _, r := range page.Results {
			if len(r.Message.Bodies) > 0 {
				bodies = append(bodies, r)
			}
		}
		got = append(bodies, got...)
		if page.Complete || len(page.Results) == 0 {
			break
		}
		q = page.Previous()
	}
	got = got[max(0, len(got)-n):]
	me := cl.c.JID().Bare()
	for _, r := range got {
		from := r.Message.From.Bare().String()
		switch {
		case room != nil:
			from = r.Message.From.Resourcepart()
		case r.Message.From.Bare() == me:
			from = "me"
		}
		cl.out.print(tagHistory, "%s %s: %s", r.Stamp.UTC().Format(time.RFC3339), clean(from), clean(r.Message.Body("")))
	}
	cl.out.print(tagHistory, "end (%d messages)", len(got))
	return nil
}
