package bookmarks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/private"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// ErrRoom: a bookmark without a room's address (the zero JID).
var ErrRoom = errors.New("bookmarks: a bookmark needs a room")

// Stores says where the account's server keeps bookmarks, as its
// service discovery tells (see Manager.Stores). The zero Stores names
// neither store.
type Stores struct {
	// PEP: XEP-0402 bookmarks in the account's PEP node NS, private
	// (XEP-0223: the server is a PEP service that takes
	// publish-options).
	PEP bool
	// Private: XEP-0048 bookmarks in private XML storage (XEP-0049),
	// read and written beside PEP when the server does not announce
	// NSCompat, and alone when it has no private PEP.
	Private bool
}

// Change is one change to the bookmarks the Manager knows: a bookmark
// added or edited, or one removed. The zero Change names no bookmark.
type Change struct {
	// Bookmark is the bookmark as it is now, or, when Removed, as it
	// was (only its Room when the Manager did not know it).
	Bookmark Bookmark
	// Removed says the bookmark is gone.
	Removed bool
}

// Manager is the account's room bookmarks on one connection (Smack's
// BookmarkManager): XEP-0402's in the account's PEP, with XEP-0048's in
// private XML storage read and written where the server does not keep
// the two in step; a cache of them, kept current by the PEP
// notifications of the account's own node; and, when turned on, the
// rooms bookmarked with autojoin entered at each login. Get the one of
// a connection with For; its zero value is not usable. All methods are
// safe for concurrent use, and may be called from listeners.
type Manager struct {
	c      *xmpp.Conn
	logger *slog.Logger

	mu       sync.Mutex
	cache    map[jid.JID]Bookmark
	stores   *Stores // the session's, once asked
	autojoin bool
	nick     string
	closed   bool
	removes  []func()
	onChange listeners.List[func(Change)]
	onJoin   listeners.List[func(AutojoinResult)]
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's BookmarkManager.getBookmarkManager), together with pep (and
// so caps and disco), whose listener on NS announces NS+"+notify": the
// server then sends the account's own bookmark notifications to this
// client. Attach it before Connect, so that the first presence carries
// that interest and the autojoin setting meets the first session. For
// is safe for concurrent use; after Close it attaches a fresh Manager.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, logger: c.Config().Logger, cache: map[jid.JID]Bookmark{}}
	m.removes = []func(){
		pep.For(c).OnEvent(NS, m.event),
		c.OnState(m.state),
	}
	return m
}

// Close detaches the Manager from its connection (For then attaches a
// fresh one): its listeners hear nothing more, the +notify interest is
// withdrawn, no autojoin starts. Requests and joins under way finish.
// Close is safe to call more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	removes := m.removes
	m.mu.Unlock()
	xmpp.Detach(m.c, m)
	for _, r := range removes {
		r()
	}
	m.onChange.Clear()
	m.onJoin.Clear()
}

// own returns the account's bare JID.
func (m *Manager) own() jid.JID {
	if j := m.c.JID(); !j.IsZero() {
		return j.Bare()
	}
	return m.c.Config().JID.Bare()
}

// Stores asks the account's server (disco#info of the account, once per
// session) where bookmarks are kept: PEP when it is a PEP service that
// takes publish-options (XEP-0223), and private XML storage too unless
// it announces NSCompat (then XEP-0048 clients see what XEP-0402 writes).
// A server without private PEP gets private storage alone. ctx bounds
// the request as for List.
func (m *Manager) Stores(ctx context.Context) (Stores, error) {
	m.mu.Lock()
	s := m.stores
	m.mu.Unlock()
	if s != nil {
		return *s, nil
	}
	info, err := disco.For(m.c).Info(ctx, jid.JID{}, "")
	if err != nil {
		return Stores{}, fmt.Errorf("bookmarks: stores: %w", err)
	}
	st := Stores{PEP: pep.SupportsPrivate(info)}
	st.Private = !st.PEP || !info.HasFeature(NSCompat)
	m.mu.Lock()
	m.stores = &st
	m.mu.Unlock()
	return st, nil
}

// List reads the account's bookmarks from the server, sorted by room:
// those of PEP (XEP-0402) and, where the server keeps them apart, those
// of private storage (XEP-0048) whose room PEP does not have (see
// Stores). The cache takes them, and the OnChange listeners hear what
// differs from what it held.
//
// ctx bounds the requests, which run on the caller's goroutine; when it
// ends List returns ctx.Err() and late replies are dropped. It may be
// called from a listener.
func (m *Manager) List(ctx context.Context) ([]Bookmark, error) {
	st, err := m.Stores(ctx)
	if err != nil {
		return nil, err
	}
	var list []Bookmark
	have := map[jid.JID]bool{}
	if st.PEP {
		page, err := pubsub.For(m.c).Node(jid.JID{}, NS).Items(ctx, pubsub.ItemsQuery{})
		switch {
		case errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}):
		case err != nil:
			return nil, fmt.Errorf("bookmarks: list: %w", err)
		default:
			for _, it := range page.Items {
				if b, ok := parseItem(it.ID, it.Payload); ok && !have[b.Room] {
					have[b.Room] = true
					list = append(list, b)
				}
			}
		}
	}
	if st.Private {
		storage, err := private.For(m.c).Get(ctx, storageName)
		if err != nil {
			return nil, fmt.Errorf("bookmarks: list: %w", err)
		}
		for _, b := range parseStorage(storage) {
			if !have[b.Room] {
				have[b.Room] = true
				list = append(list, b)
			}
		}
	}
	sortByRoom(list)
	m.mu.Lock()
	var changes []Change
	for room, old := range m.cache {
		if !have[room] {
			changes = append(changes, Change{Bookmark: old, Removed: true})
			delete(m.cache, room)
		}
	}
	for _, b := range list {
		if old, ok := m.cache[b.Room]; !ok || !equal(old, b) {
			changes = append(changes, Change{Bookmark: b.clone()})
			m.cache[b.Room] = b.clone()
		}
	}
	m.mu.Unlock()
	m.tell(changes)
	return list, nil
}

// Bookmarks returns the bookmarks the Manager knows, sorted by room,
// without asking the server: those List last read, as the account's
// own PEP notifications and this Manager's Add and Remove changed them
// since. It is empty before the first List (and stays so on a server
// without private PEP, which sends no notifications, until List).
func (m *Manager) Bookmarks() []Bookmark {
	m.mu.Lock()
	list := make([]Bookmark, 0, len(m.cache))
	for _, b := range m.cache {
		list = append(list, b.clone())
	}
	m.mu.Unlock()
	sortByRoom(list)
	return list
}

// Bookmark returns the bookmark of room (its bare JID) that the Manager
// knows, as Bookmarks does.
func (m *Manager) Bookmark(room jid.JID) (Bookmark, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.cache[room.Bare()]
	return b.clone(), ok
}

// Add adds b to the account's bookmarks, or replaces the bookmark of
// its room (its bare JID is used) whole: edit a Bookmark read from the
// Manager to keep its Extensions. In PEP it is published as private data
// (pep.Manager.PublishPrivate: whitelist access model, persistent,
// pubsub#max_items max and send_last_published_item never, or without
// these two where the server refuses them); a node that cannot be made
// private fails with pep.ErrNotPrivate, and then private storage is not
// written either. In private storage (see Stores) the XEP-0048 list is
// read, b's conference put in place of the room's, and written back
// with every other element kept; two clients doing so at once race, the
// last write winning.
//
// Once stored, the cache takes b and the OnChange listeners hear of it
// (the PEP notification that follows changes nothing more). ctx bounds
// the requests as for List.
func (m *Manager) Add(ctx context.Context, b Bookmark) error {
	if b.Room.IsZero() {
		return ErrRoom
	}
	b.Room = b.Room.Bare()
	st, err := m.Stores(ctx)
	if err != nil {
		return err
	}
	if st.PEP {
		opts := pubsub.PublishOptions{MaxItems: pubsub.MaxItemsMax, SendLastPublishedItem: "never"}
		if _, err := pep.For(m.c).PublishPrivate(ctx, NS, pubsub.Item{ID: b.Room.String(), Payload: b.conference()}, opts); err != nil {
			return fmt.Errorf("bookmarks: add %s: %w", b.Room, err)
		}
	}
	if st.Private {
		if err := m.editStorage(ctx, b.Room, &b); err != nil {
			return fmt.Errorf("bookmarks: add %s: %w", b.Room, err)
		}
	}
	m.apply([]Bookmark{b}, nil, false, false)
	return nil
}

// Remove removes the bookmark of room (its bare JID) from the account's
// bookmarks: the PEP item is retracted with notify (a room PEP does not
// have is no error), and the room's conference is taken out of private
// storage where that is used. The cache drops it and the OnChange
// listeners hear of it. ctx bounds the requests as for List.
func (m *Manager) Remove(ctx context.Context, room jid.JID) error {
	if room.IsZero() {
		return ErrRoom
	}
	room = room.Bare()
	st, err := m.Stores(ctx)
	if err != nil {
		return err
	}
	if st.PEP {
		err := pubsub.For(m.c).Node(jid.JID{}, NS).Retract(ctx, room.String(), true)
		if err != nil && !errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}) {
			return fmt.Errorf("bookmarks: remove %s: %w", room, err)
		}
	}
	if st.Private {
		if err := m.editStorage(ctx, room, nil); err != nil {
			return fmt.Errorf("bookmarks: remove %s: %w", room, err)
		}
	}
	m.apply(nil, []jid.JID{room}, false, false)
	return nil
}

// editStorage rewrites XEP-0048's list in private storage with room's
// conference replaced by b, or removed when b is nil.
func (m *Manager) editStorage(ctx context.Context, room jid.JID, b *Bookmark) error {
	s := private.For(m.c)
	storage, err := s.Get(ctx, storageName)
	if err != nil {
		return err
	}
	out, changed := edit(storage, room, b)
	if !changed {
		return nil
	}
	return s.Set(ctx, out)
}

// OnChange registers f to hear each change to the bookmarks the Manager
// knows (see Bookmarks): from the account's own PEP notifications, from
// this Manager's Add and Remove, and from what List found different. f
// runs on the connection's dispatcher: a notification's changes in
// order with the stanzas around it, the others queued when the change
// is made (xmpp.Conn.Dispatch). The returned func removes exactly this
// registration and is safe to call more than once. A nil f panics.
func (m *Manager) OnChange(f func(Change)) (remove func()) {
	if f == nil {
		panic("bookmarks: OnChange with a nil listener")
	}
	return m.onChange.Add(f)
}

// event takes a notification of a bookmarks node, on the dispatcher:
// only the account's own (from its bare JID, or without from, which
// pubsub reads as the account's); a contact's node of the same name, or
// anybody else's, is dropped.
func (m *Manager) event(e pubsub.Event) {
	if e.Service != m.own() {
		m.debug("dropped a bookmarks notification from another account", "from", e.Service)
		return
	}
	var set []Bookmark
	var gone []jid.JID
	all := false
	switch e.Kind {
	case pubsub.EventItems:
		for _, it := range e.Items {
			if b, ok := parseItem(it.ID, it.Payload); ok {
				set = append(set, b)
			}
		}
		for _, id := range e.Retracted {
			if room, ok := parseRoom(id); ok {
				gone = append(gone, room)
			}
		}
	case pubsub.EventPurge, pubsub.EventDelete:
		all = true
	}
	m.apply(set, gone, all, true)
}

// apply puts set into the cache and takes gone (every bookmark, with
// all) out of it, and tells the OnChange listeners what changed: at once
// when now (the caller is on the dispatcher), else through Dispatch.
func (m *Manager) apply(set []Bookmark, gone []jid.JID, all, now bool) {
	var changes []Change
	m.mu.Lock()
	if all {
		for _, b := range m.cache {
			gone = append(gone, b.Room)
		}
	}
	for _, room := range gone {
		if old, ok := m.cache[room]; ok {
			delete(m.cache, room)
			changes = append(changes, Change{Bookmark: old, Removed: true})
		}
	}
	for _, b := range set {
		if old, ok := m.cache[b.Room]; ok && equal(old, b) {
			continue
		}
		m.cache[b.Room] = b.clone()
		changes = append(changes, Change{Bookmark: b.clone()})
	}
	m.mu.Unlock()
	if now {
		m.deliver(changes)
	} else {
		m.tell(changes)
	}
}

// tell queues the changes for the listeners, for a caller that is not on
// the dispatcher.
func (m *Manager) tell(changes []Change) {
	if len(changes) > 0 {
		m.c.Dispatch(func() { m.deliver(changes) })
	}
}

func (m *Manager) deliver(changes []Change) {
	for _, ch := range changes {
		for f := range m.onChange.All() {
			f(ch)
		}
	}
}

func (m *Manager) debug(msg string, args ...any) {
	if m.logger != nil {
		m.logger.Debug("bookmarks: "+msg, args...)
	}
}

func sortByRoom(list []Bookmark) {
	slices.SortFunc(list, func(a, b Bookmark) int { return strings.Compare(a.Room.String(), b.Room.String()) })
}
