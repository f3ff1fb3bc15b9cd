package blocking

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Blocking Command (XEP-0191): the feature a
// server that offers it announces.
const NS = "urn:xmpp:blocking"

// NSErrors is the namespace of the application error <blocked/> a server
// returns for a stanza sent to a blocked JID (see Blocked).
const NSErrors = "urn:xmpp:blocking:errors"

// fetchTimeout bounds the reading of the list at login, which no
// caller's context bounds.
const fetchTimeout = 30 * time.Second

var (
	listName    = xml.Name{Space: NS, Local: "blocklist"}
	blockName   = xml.Name{Space: NS, Local: "block"}
	unblockName = xml.Name{Space: NS, Local: "unblock"}
	itemName    = xml.Name{Space: NS, Local: "item"}
	blockedName = xml.Name{Space: NSErrors, Local: "blocked"}
)

// ErrNoJIDs is returned by Block and Unblock when given no JID: an
// unblock without items would empty the whole list (that is UnblockAll).
var ErrNoJIDs = errors.New("blocking: no JID given")

// Blocked reports whether err, from sending a stanza (a message's error
// reply, an IQ's), is the error a server returns for a stanza sent to a
// JID the user blocks: not-acceptable with <blocked
// xmlns='urn:xmpp:blocking:errors'/> (XEP-0191 section 3.4). Not every
// server adds <blocked/>: ejabberd 23.01, which blocks through its
// privacy lists, answers not-acceptable without it (with the text "Your
// active privacy list has denied the routing of this stanza."), for
// which Blocked is false.
func Blocked(err error) bool {
	var se *stanza.Error
	return errors.As(err, &se) && se.App != nil && se.App.Name == blockedName
}

// Event is what OnChange listeners hear: the server changed the block
// list (a push, XEP-0191 sections 3.3 and 3.5), whoever asked for the
// change: this client, another of the account's, or an administrator.
// The Manager fills Blocked for a block, Unblocked for an unblock, and
// All for an unblock of everything; the zero Event is never reported.
type Event struct {
	// Blocked are the JIDs added to the list, in the push's order.
	Blocked []jid.JID
	// Unblocked are the JIDs removed: those the push named, or, with
	// All, those the Manager's cache held (none when it held nothing).
	Unblocked []jid.JID
	// All is set when the whole list was emptied (UnblockAll).
	All bool
}

// Manager blocks and unblocks JIDs through the account's server, keeps
// the block list it reads and the server's pushes in a cache, and tells
// listeners about changes (Smack's BlockingCommandManager). For returns
// the one a connection has; its zero value is not usable. All methods
// are safe for concurrent use.
type Manager struct {
	c *xmpp.Conn

	// ctx ends with Close: it bounds the reading of the list at login.
	ctx    context.Context
	cancel context.CancelFunc

	changed listeners.List[func(Event)]

	mu      sync.Mutex
	closed  bool
	atLogin bool
	known   bool      // list holds the server's block list
	list    []jid.JID // in the server's order, no duplicates
	fills   uint64    // lists read so far: list is the last
	reached uint64    // the last fill whose reply's place the dispatcher has reached
	// pending are the changes this client asked for whose results were
	// read (after the list was) and whose places the dispatcher has not
	// reached yet: List shows them on top of list, in order, and each
	// goes into list at its place (applyPending), after the pushes read
	// before its result and before those read after it.
	pending []change
	changes uint64 // changes made so far: the last one's id
	// cleared holds, for each UnblockAll of this client's that emptied
	// the list before the server pushed it, what it took out: the push
	// reports that as its Unblocked.
	cleared [][]jid.JID

	closeOnce sync.Once
	detach    []func()
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's BlockingCommandManager.getInstanceFor), connected or not. From
// then on c handles the server's block list pushes. The block list is
// read at the first List, or at each login once SetFetchAtLogin(true) is
// set. The Manager stays attached across streams until Close; For after
// Close attaches a new one, with an empty cache.
//
// For panics when c has a handler for block list pushes registered by
// other means (xmpp.Conn.HandleIQ). It is safe for concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.detach = []func(){
		c.HandleIQ(stanza.Set, blockName, xmpp.IQHandlerFunc(m.push)),
		c.HandleIQ(stanza.Set, unblockName, xmpp.IQHandlerFunc(m.push)),
		c.OnState(m.onState),
	}
	return m
}

// SetFetchAtLogin sets whether the Manager reads the block list as soon
// as each new session starts, so that List answers from the cache and
// the server pushes changes from the start (it pushes only to the
// sessions that read the list). It takes effect at the next login; the
// default is false: the list is read at the first List.
func (m *Manager) SetFetchAtLogin(on bool) {
	m.mu.Lock()
	m.atLogin = on
	m.mu.Unlock()
}

// FetchAtLogin reports whether the Manager reads the block list at
// login.
func (m *Manager) FetchAtLogin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.atLogin
}

// OnChange registers f for the changes the server pushes to the block
// list (Smack's AllJidsUnblockedListener and JidsBlockedListener /
// JidsUnblockedListener in one). f runs on the connection's dispatcher
// goroutine, in wire order with the connection's other listeners, after
// the cache took the change, and in the order the OnChange listeners
// were registered; it may call List and the other methods. A nil f
// panics. The returned func removes exactly this registration; it is
// safe to call more than once. No listener is called once Close has
// begun, not even the rest of a delivery under way.
func (m *Manager) OnChange(f func(Event)) (remove func()) {
	if f == nil {
		panic("blocking: OnChange with a nil listener")
	}
	return m.changed.Add(f)
}

// Close detaches the Manager from its connection: its handlers and
// listeners are removed, the cache is dropped, and a reading of the list
// at login under way is abandoned; pushes are then answered
// service-unavailable, as any request nobody handles. It does
// not close the connection and changes nothing on the server. For then
// attaches a new Manager. Close is safe to call more than once, from any
// goroutine, listeners included.
func (m *Manager) Close() {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed, m.known, m.list, m.pending, m.cleared = true, false, nil, nil, nil
		m.mu.Unlock()
		m.cancel()
		m.changed.Clear()
		xmpp.Detach(m.c, m)
		for _, f := range m.detach {
			f()
		}
	})
}

// Supported asks the account's server whether it offers blocking
// (Smack's isSupportedByServer), through service discovery
// (disco.For(c).Supports). ctx bounds the request.
func (m *Manager) Supported(ctx context.Context) (bool, error) {
	ok, err := disco.For(m.c).Supports(ctx, m.c.JID().Domain(), NS)
	if err != nil {
		return false, fmt.Errorf("blocking: %w", err)
	}
	return ok, nil
}

// List returns the block list: from the cache when it holds the list,
// with the changes this client made (Block, Unblock, UnblockAll) as soon
// as their results are read, else read from the server (Smack's
// getBlockList), which fills the cache where the reply stood among the
// stanzas received, pushes before it already counted in the list and
// those after it applied on top. The slice is the caller's.
//
// List waits on the caller's goroutine: ctx bounds the request, and when
// it ends List returns ctx.Err() (a reply that comes later still fills
// the cache); when the session ends first the error matches
// xmpp.ErrNotConnected. An error reply is returned as an error wrapping
// its *stanza.Error. It may be called from a listener or IQ handler, and
// concurrently.
func (m *Manager) List(ctx context.Context) ([]jid.JID, error) {
	m.mu.Lock()
	if m.known {
		l := slices.Clone(m.list)
		for _, ch := range m.pending {
			l = apply(l, ch.e)
		}
		m.mu.Unlock()
		return l, nil
	}
	m.mu.Unlock()
	type outcome struct {
		list []jid.JID
		err  error
	}
	done := make(chan outcome, 1)
	if err := m.fetch(ctx, func(l []jid.JID, err error) { done <- outcome{l, err} }); err != nil {
		return nil, err
	}
	select {
	case o := <-done:
		return o.list, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch asks for the block list. The cache takes the list on the reader
// as the reply is read (SendIQFunc), and marks the reply's place among
// the stanzas received with Dispatch: until the dispatcher reaches it,
// the pushes it handles came before the reply and are in the list
// already, and a new session's start that it handles began before the
// reply was read, so the list is the new session's. Then f hears the
// outcome, on the reader too: it must not block.
func (m *Manager) fetch(ctx context.Context, f func([]jid.JID, error)) error {
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: listName}}
	err := m.c.SendIQFunc(ctx, iq, func(reply *stanza.IQ, err error) {
		if err != nil {
			f(nil, fmt.Errorf("blocking: reading the block list: %w", err))
			return
		}
		l, err := parseList(reply.Payload)
		if err != nil {
			f(nil, fmt.Errorf("blocking: reading the block list: %w", err))
			return
		}
		m.mu.Lock()
		closed := m.closed
		if !closed {
			m.fills++
			// The changes whose results came before are in l.
			m.known, m.list, m.pending, m.cleared = true, l, nil, nil
		}
		n := m.fills
		m.mu.Unlock()
		if !closed {
			m.c.Dispatch(func() { m.placed(n) })
		}
		f(slices.Clone(l), nil)
	})
	if err != nil {
		return fmt.Errorf("blocking: reading the block list: %w", err)
	}
	return nil
}

// Block asks the server to block the JIDs (Smack's blockContacts): from
// then on it drops what they send the account (messages, presences, IQ
// requests, which it answers service-unavailable) and returns what the
// account sends them with an error (see Blocked). A bare JID blocks
// everyone at that address, a domain a whole server. Once Block has
// returned, List shows the change (when the cache holds the list); the
// cache takes it where the server's answer stood among the stanzas
// received, so that a change pushed before the answer comes before it
// and one pushed after it on top. OnChange listeners hear the change
// when the server pushes it (XEP-0191 pushes it to the sessions that
// read the list).
//
// Block waits for the server's answer on the caller's goroutine: ctx
// bounds it, and an error reply is returned as an error wrapping its
// *stanza.Error. No JID is ErrNoJIDs. It may be called from a listener.
func (m *Manager) Block(ctx context.Context, jids ...jid.JID) error {
	if len(jids) == 0 {
		return ErrNoJIDs
	}
	return m.set(ctx, blockName, jids, "blocking")
}

// Unblock asks the server to unblock the JIDs (Smack's unblockContacts),
// as Block blocks them. No JID is ErrNoJIDs: UnblockAll empties the list.
func (m *Manager) Unblock(ctx context.Context, jids ...jid.JID) error {
	if len(jids) == 0 {
		return ErrNoJIDs
	}
	return m.set(ctx, unblockName, jids, "unblocking")
}

// UnblockAll asks the server to empty the block list (Smack's
// unblockAll), as Block blocks.
func (m *Manager) UnblockAll(ctx context.Context) error {
	return m.set(ctx, unblockName, nil, "unblocking all")
}

func (m *Manager) set(ctx context.Context, name xml.Name, jids []jid.JID, what string) error {
	e := eventFor(name, slices.Clone(jids)) // the caller's slice stays theirs
	iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: name, Nodes: items(jids)}}
	done := make(chan error, 1)
	err := m.c.SendIQFunc(ctx, iq, func(_ *stanza.IQ, err error) {
		if err == nil {
			m.made(e)
		}
		done <- err
	})
	if err == nil {
		select {
		case err = <-done:
		case <-ctx.Done():
			err = ctx.Err() // a result that comes later still changes the cache
		}
	}
	if err != nil {
		return fmt.Errorf("blocking: %s: %w", what, err)
	}
	return nil
}

// change is a change this client made to the list, by its id.
type change struct {
	id uint64
	e  Event
}

// made notes, on the reader as the result is read, that the server made
// the change e: it is pending until the dispatcher reaches its place. A
// cache that does not hold the list (or whose list is read after this)
// needs nothing: the list read then has the change.
func (m *Manager) made(e Event) {
	m.mu.Lock()
	if !m.known || m.closed {
		m.mu.Unlock()
		return
	}
	m.changes++
	n := m.changes
	m.pending = append(m.pending, change{n, e})
	m.mu.Unlock()
	m.c.Dispatch(func() { m.applyPending(n) })
}

// applyPending puts the pending change n into the list: the dispatcher
// has reached its place. A change dropped meanwhile (a new session, or
// Close) is gone.
func (m *Manager) applyPending(n uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, ch := range m.pending {
		if ch.id == n {
			if !ch.e.All {
				m.cleared = nil // its push came before this result
			} else if len(m.list) > 0 {
				m.cleared = append(m.cleared, m.list)
			}
			m.list = apply(m.list, ch.e)
			m.pending = slices.Delete(m.pending, i, i+1)
			return
		}
	}
}

// apply returns l with the change e made; l is not modified.
func apply(l []jid.JID, e Event) []jid.JID {
	switch {
	case e.All:
		return nil
	case e.Blocked != nil:
		in := set(l)
		l = slices.Clone(l)
		for _, j := range e.Blocked {
			if _, ok := in[j]; !ok {
				in[j] = struct{}{}
				l = append(l, j)
			}
		}
		return l
	}
	out := set(e.Unblocked)
	return slices.DeleteFunc(slices.Clone(l), func(j jid.JID) bool {
		_, ok := out[j]
		return ok
	})
}

func items(jids []jid.JID) []stanza.Node {
	if len(jids) == 0 {
		return nil
	}
	nodes := make([]stanza.Node, len(jids))
	for i, j := range jids {
		nodes[i] = stanza.Node{Name: itemName, Attrs: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: j.String()}}}
	}
	return nodes
}

// placed records that the dispatcher reached the place of the nth
// list's reply.
func (m *Manager) placed(n uint64) {
	m.mu.Lock()
	m.reached = max(m.reached, n)
	m.mu.Unlock()
}

// onState forgets the cache when a new session starts, whose server
// pushes nothing to it before it reads the list again (a resumed session
// keeps it), and reads it then when asked to.
func (m *Manager) onState(sc xmpp.StateChange) {
	if sc.State != xmpp.StateAuthenticated {
		return
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	if m.reached == m.fills {
		// The list was read in an earlier session. (One read since
		// this session began is not reached yet, and is kept.)
		m.known, m.list, m.pending, m.cleared = false, nil, nil, nil
	}
	atLogin := m.atLogin
	m.mu.Unlock()
	if atLogin {
		// Errors only leave the cache empty: the first List asks again.
		ctx, cancel := context.WithTimeout(m.ctx, fetchTimeout)
		if m.fetch(ctx, func([]jid.JID, error) { cancel() }) != nil {
			cancel()
		}
	}
}

// push is the IQ handler for the server's pushes. Only the account's
// server may push: no from, or the account's bare JID.
func (m *Manager) push(_ context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	if !iq.From.IsZero() && iq.From != m.c.JID().Bare() {
		return nil, stanza.NewError(stanza.Cancel, stanza.ServiceUnavailable)
	}
	e, err := parsePush(iq.Payload)
	if err != nil {
		return nil, stanza.NewError(stanza.Modify, stanza.BadRequest)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil
	}
	if m.known && m.reached == m.fills {
		switch {
		case e.All && len(m.list) == 0 && len(m.cleared) > 0:
			// This client's UnblockAll, which emptied the list already.
			e.Unblocked, m.cleared = m.cleared[0], m.cleared[1:]
		case e.All:
			e.Unblocked = m.list
		default:
			m.cleared = nil // the pushes of the clears came before
		}
		m.list = apply(m.list, e)
	}
	m.mu.Unlock()
	for f := range m.changed.All() {
		m.mu.Lock()
		closed := m.closed
		m.mu.Unlock()
		if closed {
			break
		}
		f(e)
	}
	return nil, nil
}

// errMalformed says what is wrong with a payload.
type errMalformed string

func (e errMalformed) Error() string { return "blocking: " + string(e) }

// parseList reads a block list result: the JIDs of its items, in order,
// without repeats; items whose jid is missing or invalid are left out.
func parseList(q *stanza.Node) ([]jid.JID, error) {
	if q == nil || q.Name != listName {
		return nil, errMalformed("the result has no <blocklist/>")
	}
	l, _ := itemJIDs(q, false)
	return l, nil
}

// itemJIDs returns the JIDs of q's items, in order, without repeats. An
// item whose jid is missing or invalid is left out, or, when strict,
// an error.
func itemJIDs(q *stanza.Node, strict bool) ([]jid.JID, error) {
	var l []jid.JID
	seen := make(map[jid.JID]struct{})
	for i := range q.Nodes {
		n := &q.Nodes[i]
		if n.Name != itemName {
			continue
		}
		j, err := jid.Parse(n.Attr("jid"))
		if err != nil && strict {
			return nil, errMalformed("an item's jid: " + err.Error())
		}
		if _, dup := seen[j]; err != nil || dup {
			continue
		}
		seen[j] = struct{}{}
		l = append(l, j)
	}
	return l, nil
}

// set returns the JIDs of l as a set: lists run to thousands of JIDs, so
// membership is not looked up by scanning.
func set(l []jid.JID) map[jid.JID]struct{} {
	s := make(map[jid.JID]struct{}, len(l))
	for _, j := range l {
		s[j] = struct{}{}
	}
	return s
}

// parsePush reads a <block/> or <unblock/> push. A block names at least
// one JID; an unblock with none is an unblock of all. Every item must
// carry a valid JID: a push that cannot be applied whole is refused.
func parsePush(q *stanza.Node) (Event, error) {
	l, err := itemJIDs(q, true)
	if err != nil {
		return Event{}, err
	}
	if q.Name == blockName && l == nil {
		return Event{}, errMalformed("a block without items")
	}
	return eventFor(q.Name, l), nil
}

// eventFor is the change a <block/> or <unblock/> (name) of jids makes:
// an unblock of none is an unblock of all.
func eventFor(name xml.Name, jids []jid.JID) Event {
	switch {
	case name == blockName:
		return Event{Blocked: jids}
	case len(jids) == 0:
		return Event{All: true}
	}
	return Event{Unblocked: jids}
}
