package muc

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Room is one multi-user chat room on a connection (Smack's
// MultiUserChat): the user's presence in it, its occupants and subject as
// the room reported them, and the listeners for what happens in it. Get
// it from Client.Room. The zero Room is not usable. All methods are safe
// for concurrent use; Join, Create, Leave, ChangeNick and SetSubject on the
// same Room run one at a time, each waiting for the one before.
type Room struct {
	c   *xmpp.Conn
	jid jid.JID
	sem chan struct{} // held by the operation that waits for the room

	mu          sync.Mutex
	joined      bool
	nick        string
	password    string    // the one the room was entered with
	lastMessage time.Time // when the last groupchat message arrived
	rejoin      *rejoin   // set while the room waits to be entered again
	m           *Client   // the Client that made it
	subject     string
	occupants   map[string]Occupant
	renamed     map[string]bool // new nicknames announced by a 303, presence pending
	wait        *waiter         // the operation under way
	col         *xmpp.Collector // the room's stanzas, from Join until the user is out
	pulling     bool            // an operation takes from col, not the dispatcher
	seq         uint64          // the Seq of the last stanza applied
	epoch       uint64          // the sessions ended: a Seq counts within one
	deferred    []deferred      // events of stanzas applied before the dispatcher reached them
	reports     []func()        // OnRejoin reports of rejoins just ended

	onMessage  listeners.List[func(*stanza.Message)]
	onSubject  listeners.List[func(SubjectChange)]
	onDecline  listeners.List[func(Decline)]
	onOccupant listeners.List[func(OccupantEvent)]
	onExit     listeners.List[func(Exit)]
	onSelf     listeners.List[func(OccupantEvent)]
}

func newRoom(c *xmpp.Conn, room jid.JID) *Room {
	return &Room{c: c, jid: room, sem: make(chan struct{}, 1), occupants: map[string]Occupant{}, renamed: map[string]bool{}}
}

// JID returns the room's address (a bare JID).
func (r *Room) JID() jid.JID { return r.jid }

// Joined reports whether the user is in the room.
func (r *Room) Joined() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.joined
}

// Nick returns the user's nickname in the room, "" when not in it.
func (r *Room) Nick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.joined {
		return ""
	}
	return r.nick
}

// Subject returns the room's subject as last received.
func (r *Room) Subject() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subject
}

// Occupants returns the room's occupants, the user included, sorted by
// nickname. It is empty when the user is not in the room.
func (r *Room) Occupants() []Occupant {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.joined {
		return nil
	}
	all := make([]Occupant, 0, len(r.occupants))
	for _, o := range r.occupants {
		all = append(all, o)
	}
	slices.SortFunc(all, func(a, b Occupant) int { return cmp.Compare(a.Nick, b.Nick) })
	return all
}

// Occupant returns the occupant with the given nickname.
func (r *Room) Occupant(nick string) (Occupant, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.occupants[nick]
	return o, ok && r.joined
}

// OnMessage registers f for the room's groupchat messages (history
// included) and for the private messages of its occupants (type chat from
// room/nick) (Smack's addMessageListener). The returned func removes f;
// it is safe to call more than once. A nil f panics. Like every listener
// of a Room, f runs on the connection's dispatcher, in the order the
// stanzas arrived, and may call the Room's methods, those that wait for
// the room included (see the package documentation).
func (r *Room) OnMessage(f func(m *stanza.Message)) (remove func()) {
	mustListen("OnMessage", f == nil)
	return r.onMessage.Add(f)
}

// SubjectChange is what a subject listener receives: the room's new
// subject and who set it.
type SubjectChange struct {
	// Subject is the new subject; "" when the subject was cleared.
	Subject string
	// Nick is the nickname of who set it; "" when the room itself did.
	Nick string
	// Message is the message that carried the subject.
	Message *stanza.Message
}

// OnSubject registers f for subject changes (Smack's
// addSubjectUpdatedListener). The subject the room sends after entering
// is reported too. The returned func removes f; it is safe to call more
// than once. A nil f panics.
func (r *Room) OnSubject(f func(SubjectChange)) (remove func()) {
	mustListen("OnSubject", f == nil)
	return r.onSubject.Add(f)
}

// OnOccupant registers f for occupants joining, leaving, being kicked or
// banned, changing nickname, role, affiliation or presence, the user's own
// changes included (Occupant.Nick is then Nick()) (Smack's
// addParticipantStatusListener). Nothing is reported for the occupants
// already there when the user enters: read Occupants. The returned func
// removes f; it is safe to call more than once. A nil f panics.
func (r *Room) OnOccupant(f func(e OccupantEvent)) (remove func()) {
	mustListen("OnOccupant", f == nil)
	return r.onOccupant.Add(f)
}

// OnSelf registers f for changes of the user's own role or affiliation
// while in the room (Smack's UserStatusListener voiceGranted,
// moderatorRevoked, membershipGranted, ownershipRevoked and the like):
// the event's Kind is Changed, Old has the role and affiliation before and
// Occupant those after. The occupant listeners hear the same change. The
// user's removal is OnExit's. The returned func removes f; it is safe to
// call more than once. A nil f panics.
func (r *Room) OnSelf(f func(e OccupantEvent)) (remove func()) {
	mustListen("OnSelf", f == nil)
	return r.onSelf.Add(f)
}

// OnExit registers f for the user's removal from the room without having
// asked to leave: kicked, banned, the room destroyed, removed by an
// affiliation change, the connection lost, or found out by SelfPing. The
// returned func removes f; it is safe to call more than once. A nil f
// panics.
func (r *Room) OnExit(f func(e Exit)) (remove func()) {
	mustListen("OnExit", f == nil)
	return r.onExit.Add(f)
}

// OnDecline registers f for the invitations to this room that the user
// sent and the invitee declined (Smack's
// MultiUserChat.addInvitationRejectionListener); Client.OnDecline hears
// those of every room. The returned func removes f; it is safe to call
// more than once. A nil f panics.
func (r *Room) OnDecline(f func(Decline)) (remove func()) {
	mustListen("OnDecline", f == nil)
	return r.onDecline.Add(f)
}

func (r *Room) acquire(ctx context.Context) error {
	for {
		select {
		case r.sem <- struct{}{}:
			return nil
		default:
		}
		r.mu.Lock()
		w := r.wait
		if w == nil || w.rejoin == nil || w.ended || r.pulling || r.col == nil {
			r.mu.Unlock()
			select {
			case r.sem <- struct{}{}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// An automatic rejoin holds the room, and its answer may be
		// behind this caller on the dispatcher: take it from the
		// Collector until the rejoin ends.
		wctx, wake := context.WithCancel(ctx)
		w.wake = wake
		r.pulling = true
		col, epoch := r.col, r.epoch
		r.mu.Unlock()
		for {
			st, err := col.Next(wctx)
			if err != nil {
				break
			}
			r.mu.Lock()
			r.collected(st, epoch)
			r.mu.Unlock()
		}
		wake()
		r.mu.Lock()
		r.pulling = false
		w.wake = nil
		ended := w.ended
		r.unfollow()
		r.mu.Unlock()
		if !ended { // ctx, or the session, ended first: the rejoin's timer ends it
			select {
			case r.sem <- struct{}{}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

func (r *Room) release() { <-r.sem }

// acquireJoined acquires the room, as acquire does, for an operation that
// needs the user in it, and locks r.mu: it returns with both held, or
// with neither and ctx's error, or ErrNotJoined wrapped with op ("muc:
// leave room@service: ...").
func (r *Room) acquireJoined(ctx context.Context, op string) error {
	if err := r.acquire(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	if !r.joined {
		r.mu.Unlock()
		r.release()
		return fmt.Errorf("muc: %s %s: %w", op, r.jid, ErrNotJoined)
	}
	return nil
}

// Join enters the room as nick (XEP-0045 section 7.2) and returns once the
// room has reflected the user's own presence; the occupants' presences
// come before it, so Occupants is complete when Join returns. The room's
// refusal is an error matching both the stanza error and one of
// ErrNickInUse, ErrRegistrationRequired, ErrBanned, ErrPassword,
// ErrRoomFull, ErrRoomLocked or ErrNotAcceptable. The service may give the
// user another nickname (status 210): see Nick.
//
// Join may be called from a listener (an invitation's, a message's): it
// waits on what the connection's reader collects for it, not on the
// dispatcher. The listeners hear the room's stanzas afterwards, in wire
// order, without events for the occupants already in the room.
//
// ctx bounds the wait; when it ends first Join returns its error and the
// room's late answer is ignored, though the room may have let the user in:
// Join again, which both Prosody and ejabberd answer as an entry (every
// occupant's presence, the user's own, the subject). Joining a room the
// user is in, as the Room knows, is ErrAlreadyJoined and sends nothing
// (Smack leaves and enters again; ChangeNick changes the nickname).
func (r *Room) Join(ctx context.Context, nick string, cfg JoinConfig) error {
	_, err := r.join(ctx, nick, cfg)
	return err
}

func (r *Room) join(ctx context.Context, nick string, cfg JoinConfig) (result, error) {
	to, err := r.jid.WithResource(nick)
	if err != nil {
		return result{}, fmt.Errorf("muc: join %s: nickname %q: %w", r.jid, nick, err)
	}
	if err := r.acquire(ctx); err != nil {
		return result{}, err
	}
	defer r.release()
	r.mu.Lock()
	if r.joined {
		r.mu.Unlock()
		return result{}, fmt.Errorf("muc: join %s: %w", r.jid, ErrAlreadyJoined)
	}
	r.password = cfg.Password
	r.rejoin = nil // entered by hand: nothing left to rejoin
	w := newWaiter(opJoin)
	w.nick = to.Resourcepart()
	clear(r.occupants)
	clear(r.renamed)
	r.mu.Unlock()
	p := &stanza.Presence{Extensions: []stanza.Node{cfg.node()}}
	p.To = to
	return r.await(ctx, w, p)
}

// Create creates the room and enters it as nick (XEP-0045 section 10.1),
// as its owner. With a nil configure it is an instant room: the default
// configuration is accepted with an empty submission. Otherwise it is a
// reserved room: the configuration form is fetched, configure fills in the
// answer (starting from the form's defaults), and the answer is submitted.
//
// When that configuration fails (configure returns an error, the room
// refuses the form or does not send it), Create destroys the new room and
// returns the error; the Room counts the user out, without an exit event.
// XEP-0045 asks a service to destroy a room whose first configuration is
// cancelled, but neither Prosody nor ejabberd does: Prosody keeps the room
// locked with its owner inside (others are refused item-not-found),
// ejabberd opens it to everyone with its default configuration. When ctx
// ends first, the room cannot be destroyed: the user is left in it
// (Joined reports true); Destroy it then.
//
// When the room already existed (no status 201), Create returns an error
// matching ErrRoomExists, and the user is in the room nonetheless, as an
// ordinary occupant: Leave if that is not wanted. Other errors are Join's;
// ctx bounds the whole exchange.
func (r *Room) Create(ctx context.Context, nick string, configure func(*dataform.Answer) error, cfg JoinConfig) error {
	res, err := r.join(ctx, nick, cfg)
	if err != nil {
		return err
	}
	if !res.codes[StatusCreated] {
		return fmt.Errorf("muc: create %s: %w", r.jid, ErrRoomExists)
	}
	if configure == nil {
		f := dataform.Form{Type: dataform.TypeSubmit}
		err = r.owner(ctx, "create", &f)
	} else {
		err = r.configure(ctx, configure, false)
	}
	if err == nil || ctx.Err() != nil {
		return err
	}
	if derr := r.destroyNew(ctx); derr != nil {
		return errors.Join(err, derr)
	}
	return err
}

// destroyNew destroys a room that Create made and could not configure,
// and counts the user out: the room's unavailable presence ends the
// destruction as a leave would, without an exit event.
func (r *Room) destroyNew(ctx context.Context) error {
	if err := r.acquire(ctx); err != nil {
		return err
	}
	defer r.release()
	r.mu.Lock()
	w := newWaiter(opLeave)
	w.nick = r.nick
	r.wait = w
	r.mu.Unlock()
	err := r.Destroy(ctx, "", jid.JID{})
	r.mu.Lock()
	if r.wait == w {
		r.wait = nil
	}
	if err == nil {
		r.reset() // the unavailable presence, if still to come, is ignored
		r.unfollow()
	}
	r.mu.Unlock()
	return err
}

// Config fetches the room's configuration form (XEP-0045 section 10.2;
// Smack's getConfigurationForm). Only an owner may.
func (r *Room) Config(ctx context.Context) (dataform.Form, error) {
	q := stanza.Node{Name: xml.Name{Space: NSOwner, Local: "query"}}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &q}
	iq.To = r.jid
	reply, err := r.c.SendIQ(ctx, iq)
	if err != nil {
		return dataform.Form{}, fmt.Errorf("muc: configuration form of %s: %w", r.jid, err)
	}
	var f dataform.Form
	if reply.Payload == nil {
		return f, fmt.Errorf("muc: configuration form of %s: %w", r.jid, dataform.ErrMalformed)
	}
	ok, err := stanza.FindExtension(reply.Payload.Nodes, &f)
	if err != nil {
		return f, fmt.Errorf("muc: configuration form of %s: %w", r.jid, err)
	}
	if !ok {
		return f, fmt.Errorf("muc: configuration form of %s: no form: %w", r.jid, dataform.ErrMalformed)
	}
	return f, nil
}

// Configure fetches the room's configuration form, lets configure fill in
// the answer and submits it (Smack's getConfigurationForm, then
// sendConfigurationForm). When configure returns an error, Configure sends
// a cancellation instead (the room keeps its configuration) and returns
// that error.
func (r *Room) Configure(ctx context.Context, configure func(*dataform.Answer) error) error {
	return r.configure(ctx, configure, true)
}

// configure is Configure; without cancel, an error from the func is
// returned and nothing is sent.
func (r *Room) configure(ctx context.Context, configure func(*dataform.Answer) error, cancel bool) error {
	form, err := r.Config(ctx)
	if err != nil {
		return err
	}
	a, err := form.Answer()
	if err != nil {
		return fmt.Errorf("muc: configure %s: %w", r.jid, err)
	}
	if err := configure(a); err != nil {
		if !cancel {
			return err
		}
		c := dataform.Cancel()
		if cerr := r.owner(ctx, "configure", &c); cerr != nil {
			return errors.Join(err, cerr)
		}
		return err
	}
	submit, err := a.Submit()
	if err != nil {
		return fmt.Errorf("muc: configure %s: %w", r.jid, err)
	}
	return r.owner(ctx, "configure", &submit)
}

// owner sends an owner query carrying ext as an IQ set and waits for the
// result.
func (r *Room) owner(ctx context.Context, op string, ext stanza.Extension) error {
	q := stanza.Node{Name: xml.Name{Space: NSOwner, Local: "query"}}
	var err error
	if q.Nodes, err = stanza.AppendExtension(nil, ext); err != nil {
		return fmt.Errorf("muc: %s %s: %w", op, r.jid, err)
	}
	return r.ownerQuery(ctx, op, q)
}

func (r *Room) ownerQuery(ctx context.Context, op string, q stanza.Node) error {
	iq := &stanza.IQ{Type: stanza.Set, Payload: &q}
	iq.To = r.jid
	if _, err := r.c.SendIQ(ctx, iq); err != nil {
		return fmt.Errorf("muc: %s %s: %w", op, r.jid, err)
	}
	return nil
}

// Destroy destroys the room (XEP-0045 section 10.9), as its owner, telling
// the occupants reason and, when not zero, the room that replaces it. The
// room then removes everyone, the user included: the exit listeners hear
// ExitDestroyed.
func (r *Room) Destroy(ctx context.Context, reason string, alternate jid.JID) error {
	d := stanza.Node{Name: xml.Name{Space: NSOwner, Local: "destroy"}}
	if !alternate.IsZero() {
		d.Attrs = []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: alternate.String()}}
	}
	if reason != "" {
		d.Nodes = []stanza.Node{{Name: xml.Name{Space: NSOwner, Local: "reason"}, Nodes: []stanza.Node{{Text: reason}}}}
	}
	return r.ownerQuery(ctx, "destroy", stanza.Node{Name: xml.Name{Space: NSOwner, Local: "query"}, Nodes: []stanza.Node{d}})
}

// Leave exits the room (XEP-0045 section 7.14) with an optional status
// text, and returns once the room has reflected the user's unavailable
// presence. When ctx ends first, Leave returns its error, and the Room
// counts the user out all the same. Leaving a room the user is not in is
// ErrNotJoined.
func (r *Room) Leave(ctx context.Context, status string) error {
	if err := r.acquireJoined(ctx, "leave"); err != nil {
		return err
	}
	defer r.release()
	w := newWaiter(opLeave)
	w.nick = r.nick
	to, _ := r.jid.WithResource(r.nick)
	r.mu.Unlock()
	p := &stanza.Presence{Type: stanza.Unavailable}
	if status != "" {
		p.Statuses = []stanza.Text{{Value: status}}
	}
	p.To = to
	_, err := r.await(ctx, w, p)
	if err != nil {
		r.mu.Lock()
		r.reset()
		r.mu.Unlock()
	}
	return err
}

// ChangeNick changes the user's nickname in the room (XEP-0045 section
// 7.6) and returns once the room has reflected the presence under the new
// one. A refusal is an error matching the stanza error and, for a taken
// nickname, ErrNickInUse; the user keeps the old nickname then.
func (r *Room) ChangeNick(ctx context.Context, nick string) error {
	to, err := r.jid.WithResource(nick)
	if err != nil {
		return fmt.Errorf("muc: change nickname in %s: nickname %q: %w", r.jid, nick, err)
	}
	if err := r.acquireJoined(ctx, "change nickname in"); err != nil {
		return err
	}
	defer r.release()
	w := newWaiter(opNick)
	w.nick, w.oldNick = to.Resourcepart(), r.nick
	r.mu.Unlock()
	p := &stanza.Presence{}
	p.To = to
	_, err = r.await(ctx, w, p)
	return err
}

// SetSubject changes the room's subject (XEP-0045 section 8.1) and returns
// once the room has reflected the change; the room's refusal (forbidden,
// when only moderators may) is the *stanza.Error of its error message.
func (r *Room) SetSubject(ctx context.Context, subject string) error {
	if err := r.acquireJoined(ctx, "set subject of"); err != nil {
		return err
	}
	defer r.release()
	w := newWaiter(opSubject)
	w.id = newID()
	w.from, _ = r.jid.WithResource(r.nick)
	r.mu.Unlock()
	m := &stanza.Message{Type: stanza.Groupchat, Subjects: []stanza.Text{{Value: subject}}}
	m.To, m.ID = r.jid, w.id
	_, err := r.await(ctx, w, m)
	return err
}

// Send sends a message with body to everyone in the room (XEP-0045 section
// 7.4). It returns once the message is written; the room reflects it to
// the OnMessage listeners. ctx bounds the write.
func (r *Room) Send(ctx context.Context, body string) error {
	m := &stanza.Message{Type: stanza.Groupchat, Bodies: []stanza.Text{{Value: body}}}
	m.To = r.jid
	return r.SendMessage(ctx, m)
}

// SendMessage sends m to the room as a groupchat message (its type and
// address are set), for messages with extensions. It needs the user in
// the room (ErrNotJoined).
func (r *Room) SendMessage(ctx context.Context, m *stanza.Message) error {
	if !r.Joined() {
		return fmt.Errorf("muc: send to %s: %w", r.jid, ErrNotJoined)
	}
	m.Type, m.To = stanza.Groupchat, r.jid
	if err := r.c.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: send to %s: %w", r.jid, err)
	}
	return nil
}

// SendPrivate sends a private message with body to the occupant nick
// (XEP-0045 section 7.5): type chat to room/nick, marked with
// <x xmlns='http://jabber.org/protocol/muc#user'/>.
func (r *Room) SendPrivate(ctx context.Context, nick, body string) error {
	to, err := r.jid.WithResource(nick)
	if err != nil {
		return fmt.Errorf("muc: private message in %s: nickname %q: %w", r.jid, nick, err)
	}
	if !r.Joined() {
		return fmt.Errorf("muc: private message in %s: %w", r.jid, ErrNotJoined)
	}
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}},
		Extensions: []stanza.Node{{Name: xml.Name{Space: NSUser, Local: "x"}}}}
	m.To = to
	if err := r.c.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: private message in %s: %w", r.jid, err)
	}
	return nil
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
