package vcard

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Bounds of what a Client keeps and waits for.
const (
	// maxEntities bounds the JIDs whose avatar hash is remembered; past
	// it, one is forgotten for each new one (and reported again when it
	// next shows its hash).
	maxEntities = 16384
	// fetchTimeout bounds the fetch of the user's own vCard at login,
	// and each presence sent again with a new hash.
	fetchTimeout = 30 * time.Second
)

var (
	updateName = xml.Name{Space: NSUpdate, Local: "x"}
	mucUser    = xml.Name{Space: "http://jabber.org/protocol/muc#user", Local: "x"}
)

// AvatarChange is what OnAvatarChange listeners hear: an entity's
// presence advertised an avatar hash (XEP-0153) other than the one the
// Client knew for it, or the first one the Client saw from it.
type AvatarChange struct {
	// From is who advertised it: a contact's bare JID, the user's own
	// bare JID (another client of the account), or a room occupant's
	// full JID.
	From jid.JID
	// Hash is the hex SHA-1 of the new avatar's image, which
	// Photo.Hash of From's vCard gives; "" when From has no avatar.
	Hash string
}

// Client reads and writes vCards (vcard-temp, XEP-0054) and keeps the
// user's avatar hash in presence up to date (vCard-based avatars,
// XEP-0153), on one connection: Smack's VCardManager. For returns the
// one a connection has; its zero value is not usable. Its methods are
// safe for concurrent use.
type Client struct {
	c      *xmpp.Conn
	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // fetches of the user's own vCard
	detach []func()

	changed listeners.List[func(AvatarChange)]

	closeOnce sync.Once

	mu        sync.Mutex
	closed    bool // Close ran: no fetch starts, no listener is called
	advertise bool
	own       string // the user's avatar hash, when ownKnown
	ownKnown  bool
	fetching  bool               // a fetch of the user's vCard runs
	sent      string             // the hash on the last available presence broadcast on this stream
	sentState sentState          // what that presence carried
	hashes    map[jid.JID]string // last hash advertised, by entity
}

// sentState is what the last broadcast available presence said of the
// user's avatar.
type sentState uint8

const (
	sentNone    sentState = iota // no available presence broadcast on this stream
	sentUnknown                  // <x/> without <photo/>: not known yet
	sentHash                     // <x><photo>sent</photo></x>
)

// For returns the Client attached to c, attaching one the first time
// (Smack's VCardManager.getInstanceFor), connected or not. From then on,
// unless SetAdvertise(false), every available presence c sends carries
// the user's avatar hash (XEP-0153), which the Client learns by fetching
// the user's vCard at each new session; and the hashes in others'
// presence are reported to OnAvatarChange listeners. The Client stays
// attached across streams until Close; For after Close attaches a new
// one. For is safe for concurrent use.
func For(c *xmpp.Conn) *Client { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	cl := &Client{c: c, ctx: ctx, cancel: cancel, advertise: true, hashes: make(map[jid.JID]string)}
	cl.detach = []func(){
		c.Intercept(cl.intercept),
		c.HandlePresence(nil, cl.received),
		c.OnState(cl.state),
	}
	return cl
}

// Close detaches cl from its connection: presence no longer carries the
// avatar hash, no listener is called once Close has begun (not even
// the rest of a delivery under way), and a fetch of the user's vCard
// under way is abandoned. It does not close the connection. Close
// returns once no goroutine of cl runs; it is safe to call more than
// once, from any goroutine, listeners included. Get and Set still work
// after Close.
func (cl *Client) Close() {
	cl.closeOnce.Do(func() {
		cl.mu.Lock()
		cl.closed = true // before Wait: no fetch is added after it
		cl.mu.Unlock()
		cl.cancel()
		cl.changed.Clear()
		xmpp.Detach(cl.c, cl)
		for _, f := range cl.detach {
			f()
		}
		cl.wg.Wait()
	})
}

// SetAdvertise turns the avatar hash in the user's presence (XEP-0153)
// on or off; it is on by default. Off, presence carries no
// vcard-temp:x:update, and no vCard is fetched at login. It takes effect
// from the next presence sent; turned on while connected, it fetches
// the user's vCard at once.
func (cl *Client) SetAdvertise(on bool) {
	cl.mu.Lock()
	cl.advertise = on
	cl.mu.Unlock()
	if on && !cl.c.JID().IsZero() {
		cl.fetchOwn()
	}
}

// Advertise reports whether the user's presence carries the avatar hash.
func (cl *Client) Advertise() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.advertise
}

// OnAvatarChange registers f for the avatar hashes others advertise in
// their presence (XEP-0153), each reported when it differs from the one
// last seen from the same entity (the first one seen counts): a program
// fetches the new image with Get when it does not have it. f runs on the
// connection's dispatcher goroutine, in wire order with the connection's
// other listeners; it may call Get (the reply is routed by the reader).
// A nil f panics. The returned func removes exactly this registration;
// it is safe to call more than once.
func (cl *Client) OnAvatarChange(f func(AvatarChange)) (remove func()) {
	if f == nil {
		panic("vcard: OnAvatarChange with a nil listener")
	}
	return cl.changed.Add(f)
}

// AvatarHash returns the avatar hash j last advertised in presence ("":
// no avatar), and false when the Client has seen none from j. j is a
// bare JID, or a room occupant's full JID.
func (cl *Client) AvatarHash(j jid.JID) (hash string, ok bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	hash, ok = cl.hashes[j]
	return hash, ok
}

// Get fetches j's vCard; a zero j fetches the user's own. A vCard that
// does not exist (the server answers item-not-found, or an empty
// vCard) is returned as an empty VCard with no error. An error reply
// is returned as an error wrapping its *stanza.Error; a reply that is
// not a vCard as one wrapping ErrMalformed. Only a reply from j (or,
// for the user's own, the account's server) counts.
//
// Get waits for the reply on the caller's goroutine; ctx bounds it. It
// may be called from a listener.
func (cl *Client) Get(ctx context.Context, j jid.JID) (*VCard, error) {
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: vcardName}}
	iq.To = j
	reply, err := cl.c.SendIQ(ctx, iq)
	if errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}) {
		reply, err = &stanza.IQ{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vcard: get %s: %w", whose(j), err)
	}
	v := new(VCard)
	if reply.Payload != nil {
		if v, err = Parse(reply.Payload); err != nil {
			return nil, fmt.Errorf("vcard: get %s: %w", whose(j), err)
		}
	}
	if cl.isOwn(j) {
		cl.learned(v.Photo.Hash())
	}
	return v, nil
}

// Set replaces the user's vCard with v. When the photo's hash changed,
// the Client sends the user's presence again with the new one
// (XEP-0153), unless SetAdvertise(false). An error reply is returned as
// an error wrapping its *stanza.Error.
//
// Set waits for the reply on the caller's goroutine; ctx bounds it. It
// may be called from a listener.
func (cl *Client) Set(ctx context.Context, v *VCard) error {
	n := v.Node()
	iq := &stanza.IQ{Type: stanza.Set, Payload: &n}
	if _, err := cl.c.SendIQ(ctx, iq); err != nil {
		return fmt.Errorf("vcard: set: %w", err)
	}
	cl.learned(v.Photo.Hash())
	return nil
}

func whose(j jid.JID) string {
	if j.IsZero() {
		return "own vCard"
	}
	return j.String() + "'s vCard"
}

// isOwn reports whether j names the user's account.
func (cl *Client) isOwn(j jid.JID) bool {
	return j.IsZero() || j.Bare() == cl.c.JID().Bare()
}

// learned records the user's avatar hash and, when the last presence
// broadcast said otherwise, sends it again (XEP-0153 section 4.2).
func (cl *Client) learned(hash string) {
	cl.mu.Lock()
	cl.own, cl.ownKnown = hash, true
	resend := cl.advertise && (cl.sentState == sentUnknown || cl.sentState == sentHash && cl.sent != hash)
	cl.mu.Unlock()
	if !resend {
		return
	}
	p, ok := cl.c.LastPresence()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(cl.ctx, fetchTimeout)
	defer cancel()
	if err := cl.c.Send(ctx, p); err != nil {
		cl.logger().Debug("vcard: sending presence with the new avatar hash", "error", err)
	}
}

func (cl *Client) logger() *slog.Logger {
	if l := cl.c.Config().Logger; l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// state fetches the user's vCard at each new session, to learn the
// avatar hash before advertising it; and forgets what the ended
// stream's presence carried.
func (cl *Client) state(sc xmpp.StateChange) {
	switch sc.State {
	case xmpp.StateAuthenticated:
		cl.fetchOwn()
	case xmpp.StateClosed:
		cl.mu.Lock()
		cl.sentState, cl.sent = sentNone, ""
		cl.mu.Unlock()
	}
}

// fetchOwn fetches the user's vCard on a goroutine of its own, at most
// one at a time, when the hash is advertised.
func (cl *Client) fetchOwn() {
	cl.mu.Lock()
	if !cl.advertise || cl.fetching || cl.closed {
		cl.mu.Unlock()
		return
	}
	cl.fetching = true
	cl.wg.Add(1)
	cl.mu.Unlock()
	go func() {
		defer cl.wg.Done()
		defer func() {
			cl.mu.Lock()
			cl.fetching = false
			cl.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(cl.ctx, fetchTimeout)
		defer cancel()
		if _, err := cl.Get(ctx, jid.JID{}); err != nil {
			cl.logger().Debug("vcard: fetching the user's vCard for its avatar hash", "error", err)
		}
	}()
}

// intercept puts the user's avatar hash on outgoing available presence,
// replacing any vcard-temp:x:update already there: <photo/> with the
// hash, empty for no avatar, or no <photo/> while the hash is not known
// yet. It runs on the sending goroutine.
func (cl *Client) intercept(st stanza.Stanza) {
	p, ok := st.(*stanza.Presence)
	if !ok || (p.Type != stanza.Available && p.Type != stanza.Unavailable) {
		return
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if p.Type == stanza.Unavailable {
		if p.To.IsZero() {
			cl.sentState, cl.sent = sentNone, ""
		}
		return
	}
	if !cl.advertise {
		return
	}
	x := stanza.Node{Name: updateName}
	state := sentUnknown
	if cl.ownKnown {
		photo := stanza.Node{Name: xml.Name{Space: NSUpdate, Local: "photo"}}
		if cl.own != "" {
			photo.Nodes = []stanza.Node{{Text: cl.own}}
		}
		x.Nodes = []stanza.Node{photo}
		state = sentHash
	}
	exts := make([]stanza.Node, 0, len(p.Extensions)+1)
	for _, e := range p.Extensions {
		if e.Name != updateName {
			exts = append(exts, e)
		}
	}
	p.Extensions = append(exts, x)
	if p.To.IsZero() {
		cl.sentState, cl.sent = state, cl.own
	}
}

// received reads the avatar hash of others' available presence, on the
// dispatcher, and reports a change. A hash that is not 40 hex digits is
// ignored. A hash from another client of the user's account that is not
// the user's known one means the vCard changed there: it is fetched
// again (XEP-0153 section 4.3). A room occupant's hash is forgotten
// when it leaves: occupants come and go, and each has a JID of its own.
func (cl *Client) received(p *stanza.Presence) {
	if p.Type == stanza.Unavailable && hasChild(p, mucUser) {
		cl.mu.Lock()
		delete(cl.hashes, p.From)
		cl.mu.Unlock()
		return
	}
	if p.Type != stanza.Available {
		return
	}
	hash, ok := advertised(p)
	if !ok {
		return
	}
	from := p.From.Bare()
	if hasChild(p, mucUser) {
		from = p.From // an occupant: the room's bare JID is not who it is
	}
	if from.IsZero() {
		return
	}
	own := from == cl.c.JID().Bare()
	cl.mu.Lock()
	old, seen := cl.hashes[from]
	if seen && old == hash {
		cl.mu.Unlock()
		return
	}
	if !seen && len(cl.hashes) >= maxEntities {
		for k := range cl.hashes {
			delete(cl.hashes, k)
			break
		}
	}
	cl.hashes[from] = hash
	refetch := own && (!cl.ownKnown || cl.own != hash)
	cl.mu.Unlock()
	if refetch {
		cl.fetchOwn()
	}
	for f := range cl.changed.All() {
		if cl.isClosed() {
			return
		}
		f(AvatarChange{From: from, Hash: hash})
	}
}

func (cl *Client) isClosed() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.closed
}

// advertised returns the hash p's vcard-temp:x:update carries, and false
// when it carries none (no <x/>, no <photo/>: not known to the sender,
// or a malformed hash).
func advertised(p *stanza.Presence) (string, bool) {
	for i := range p.Extensions {
		x := &p.Extensions[i]
		if x.Name != updateName {
			continue
		}
		photo := x.Child(NSUpdate, "photo")
		if photo == nil {
			return "", false
		}
		hash := strings.ToLower(strings.TrimSpace(photo.InnerText()))
		if hash != "" && !isSHA1(hash) {
			return "", false
		}
		return hash, true
	}
	return "", false
}

func isSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func hasChild(p *stanza.Presence, name xml.Name) bool {
	for i := range p.Extensions {
		if p.Extensions[i].Name == name {
			return true
		}
	}
	return false
}
