package caps

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// DefaultNode is the node that identifies gosmack in the client's <c/>
// until Tracker.SetNode names another.
const DefaultNode = "https://github.com/gosmack/gosmack"

// DefaultHash is the algorithm of the client's own verification string
// until Tracker.SetHash names another: sha-1, which every implementation
// supports (XEP-0115 section 5.1).
const DefaultHash = "sha-1"

// Bounds of the lookups of received capabilities. They keep a flood of
// presence from costing more than a few requests at a time and a bounded
// amount of memory.
const (
	maxWorkers    = 2                // lookups running at once
	maxPending    = 256              // verification strings queued or running
	maxCandidates = 3                // JIDs kept per queued ver, to ask in turn
	maxEntities   = 16384            // JIDs whose ver is remembered
	maxFailed     = 1024             // (ver, JID) pairs that gave a bad answer
	maxNode       = 1024             // bytes of a caps node taken
	lookupTimeout = 30 * time.Second // each disco#info query of a lookup
	resendTimeout = 30 * time.Second // each presence sent again
)

// Tracker is entity capabilities (XEP-0115) on a connection (Smack's
// EntityCapsManager): it puts the verification string of the client's
// disco#info on every available presence the connection sends, answers
// the caps query for it, and tracks what contacts support from the <c/>
// of their presence, asking each verification string once and verifying
// the answer before caching it. Get the one of a connection with For; the
// zero Tracker is not usable. All methods are safe for concurrent use.
type Tracker struct {
	d      *disco.Client
	c      *xmpp.Conn
	logger *slog.Logger

	ctx    context.Context // ends with Close: lookups and resends stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	recompute sync.Mutex // serializes refresh

	mu         sync.Mutex
	node       string               // setting: the node of the client's <c/>
	hash       string               // setting: the algorithm of the client's ver
	cache      *Cache               // setting: where verified capabilities go
	closed     bool                 // by Close: own no longer changes
	own        Extension            // the client's <c/>, as refresh computed it last
	ownInfo    *disco.Info          // the info own.Ver stands for
	removeNode func()               // ends the answers for own's node#ver
	sent       Extension            // the <c/> of the last broadcast available presence of this stream; zero when none
	entities   map[jid.JID]key      // who announced which ver
	pending    map[key]*lookup      // queued or running lookups
	queue      []key                // lookups waiting for a worker, in order
	workers    int                  // running lookup goroutines
	failed     map[failure]struct{} // JIDs whose answer for a ver was refused
	removes    []func()
}

// lookup is one verification string to resolve, with the JIDs that
// announced it, asked one after the other until one answers with info
// that hashes to it.
type lookup struct {
	node  string
	cands []jid.JID
}

type failure struct {
	k key
	j jid.JID
}

// For returns the entity capabilities attached to c, attaching them the
// first time (Smack's EntityCapsManager.getInstanceFor), together with
// service discovery (disco.For), which they build on: from then on every
// available presence c sends carries <c/> (attach before Connect, so that
// the initial presence does too), the client announces the caps feature,
// and received presence with caps is resolved in the background. The
// settings start as DefaultNode, DefaultHash and a Cache of the Tracker's
// own. For is safe for concurrent use; every call for c returns the same
// Tracker until it is closed.
func For(c *xmpp.Conn) *Tracker { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Tracker {
	d := disco.For(c)
	t := &Tracker{
		d: d, c: c, node: DefaultNode, hash: DefaultHash, cache: new(Cache),
		logger:   c.Config().Logger,
		entities: make(map[jid.JID]key),
		pending:  make(map[key]*lookup),
		failed:   make(map[failure]struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.removes = []func(){
		c.Announce(NS),
		d.OnChange(t.update),
		c.Intercept(t.intercept),
		c.HandlePresence(stanza.IsPresence(stanza.Available, stanza.Unavailable), t.received),
		c.OnState(t.state),
	}
	t.refresh()
	return t
}

// Close detaches the Tracker from its connection: presence is no longer
// annotated, the caps feature is withdrawn, the caps node is no longer
// answered, and running lookups are cancelled; Close waits for them to
// end. For then attaches a fresh Tracker. Service discovery stays
// attached, and the Cache keeps its entries. Close is safe to call more
// than once.
func (t *Tracker) Close() {
	xmpp.Detach(t.c, t)
	// Closed first: withdrawing the caps feature below changes the
	// client's info, and an update already queued on the dispatcher
	// would otherwise compute and cache a ver for the info without it.
	t.recompute.Lock()
	t.mu.Lock()
	t.closed = true
	removes := t.removes
	t.removes = nil
	removeNode := t.removeNode
	t.removeNode = nil
	t.mu.Unlock()
	t.recompute.Unlock()
	for _, r := range slices.Backward(removes) {
		r()
	}
	if removeNode != nil {
		removeNode()
	}
	t.mu.Lock() // received starts goroutines under mu, after checking ctx
	t.cancel()
	t.mu.Unlock()
	t.wg.Wait()
}

// SetNode sets the URI that names the software in the client's <c/>
// (XEP-0115 section 4); "" means DefaultNode. It takes effect at once:
// the next available presence carries it, and when one was broadcast on
// this stream, it is sent again from the dispatcher with the new node.
func (t *Tracker) SetNode(node string) {
	if node == "" {
		node = DefaultNode
	}
	t.mu.Lock()
	t.node = node
	t.mu.Unlock()
	t.c.Dispatch(t.update)
}

// Node returns the node of the client's <c/> (see SetNode).
func (t *Tracker) Node() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.node
}

// SetHash sets the algorithm of the client's own verification string, one
// of Hashes; "" means DefaultHash. Another name panics: it is a
// programmer error. It takes effect as SetNode does. Contacts' caps are
// read whatever algorithm they use.
func (t *Tracker) SetHash(name string) {
	if name == "" {
		name = DefaultHash
	}
	if hashes[name] == nil {
		panic("caps: unsupported hash algorithm " + name)
	}
	t.mu.Lock()
	t.hash = name
	t.mu.Unlock()
	t.c.Dispatch(t.update)
}

// Hash returns the algorithm of the client's verification string (see
// SetHash).
func (t *Tracker) Hash() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.hash
}

// SetCache makes the Tracker keep verified capabilities in cache; nil
// means a new Cache of its own. Give the Trackers of several connections
// the same Cache to share what they learn (the Cache checks every entry,
// so one connection cannot poison another's). It takes effect at once
// for Supports, Info and the lookups that end after it; the client's own
// capabilities are added to cache. What was learnt stays in the old
// Cache: an entity whose ver cache lacks is looked up at its next
// presence.
func (t *Tracker) SetCache(cache *Cache) {
	if cache == nil {
		cache = new(Cache)
	}
	t.mu.Lock()
	t.cache = cache
	own, info := t.own, t.ownInfo
	t.mu.Unlock()
	if info != nil {
		_ = cache.Add(own.Hash, own.Ver, info)
	}
}

// Cache returns the Cache the Tracker keeps verified capabilities in (see
// SetCache).
func (t *Tracker) Cache() *Cache {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cache
}

// Ver returns the verification string of the client's info as it is now,
// with the algorithm Hash names: what the next available presence
// carries.
func (t *Tracker) Ver() string { return t.refresh().Ver }

// Info returns what the entity j (a full JID, as its presence came) is
// known to support, from the verification string of its last presence
// and the Cache, without sending anything. It returns false while j has
// announced no caps, announced a ver not yet resolved, or answered with
// info that did not match it. The info is shared: do not change it. For
// an entity without caps, ask with disco.Client.Info.
func (t *Tracker) Info(j jid.JID) (*disco.Info, bool) {
	t.mu.Lock()
	k, ok := t.entities[j]
	cache := t.cache
	t.mu.Unlock()
	if !ok {
		return nil, false
	}
	info := cache.Get(k.hash, k.ver)
	return info, info != nil
}

// Supports reports whether the entity j supports feature (a namespace
// such as "urn:xmpp:receipts"), from its caps, without a round trip: known
// is false when its capabilities are not known (see Info), and then
// supported is false too.
func (t *Tracker) Supports(j jid.JID, feature string) (supported, known bool) {
	info, ok := t.Info(j)
	if !ok {
		return false, false
	}
	return info.HasFeature(feature), true
}

// refresh computes the client's <c/> from its info as it is now and the
// settings and, when it changed, answers the caps query for the new ver
// (and no longer for the old one) and puts the info in the Cache, so that
// contacts running the same software with the same features need no
// query. It returns the <c/>. It runs on any goroutine: the sending one
// (intercept), the dispatcher (update), a user's (Ver); it takes locks
// but never waits for the network.
func (t *Tracker) refresh() Extension {
	t.recompute.Lock()
	defer t.recompute.Unlock()
	t.mu.Lock()
	node, hashName, cache, own, closed := t.node, t.hash, t.cache, t.own, t.closed
	t.mu.Unlock()
	info := t.d.OwnInfo()
	ver, err := Ver(info, hashName)
	if err != nil {
		// disco.Client refuses what would make its info ill-formed, so
		// this does not happen; if it did, the old ver stays.
		if t.logger != nil {
			t.logger.Error("caps: the client's own info cannot be hashed", "error", err)
		}
		return own
	}
	next := Extension{Hash: hashName, Node: node, Ver: ver}
	if next == own || closed {
		return own
	}
	t.mu.Lock()
	old := t.removeNode
	t.removeNode = nil
	t.mu.Unlock()
	if old != nil {
		old()
	}
	// Answer the caps query (node#ver) with the info the ver stands for.
	remove := t.d.HandleNode(node+"#"+ver, disco.NodeHandler{
		Info: func(context.Context, *stanza.IQ) (*disco.Info, error) { return info, nil },
	})
	_ = cache.Add(hashName, ver, info)
	t.mu.Lock()
	t.own, t.ownInfo, t.removeNode = next, info, remove
	t.mu.Unlock()
	return next
}

// update follows a change of the client's info or of a setting, on the
// dispatcher: it computes the client's <c/> again and, when it differs
// from the one on the last available presence broadcast on this stream,
// sends that presence again with it (XEP-0115 section 6.1). Changes queued
// together are seen whole by the first update, so a burst of them costs
// one presence.
func (t *Tracker) update() {
	own := t.refresh()
	t.mu.Lock()
	resend := !t.closed && t.sent != (Extension{}) && t.sent != own
	t.mu.Unlock()
	if !resend {
		return
	}
	p, ok := t.c.LastPresence()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, resendTimeout)
	defer cancel()
	if err := t.c.Send(ctx, p); err != nil {
		t.debug("sending presence with the new ver", "error", err)
	}
}

// intercept puts the client's current <c/> on outgoing available
// presence, replacing any <c/> already there, and remembers what the last
// broadcast one carried. It runs on the sending goroutine.
func (t *Tracker) intercept(st stanza.Stanza) {
	p, ok := st.(*stanza.Presence)
	if !ok {
		return
	}
	switch p.Type {
	case stanza.Available:
		own := t.refresh()
		n, _ := own.MarshalNode()
		exts := make([]stanza.Node, 0, len(p.Extensions)+1)
		for _, e := range p.Extensions {
			if e.Name != cName {
				exts = append(exts, e)
			}
		}
		p.Extensions = append(exts, n)
		if p.To.IsZero() {
			t.mu.Lock()
			t.sent = own
			t.mu.Unlock()
		}
	case stanza.Unavailable:
		if p.To.IsZero() {
			t.mu.Lock()
			t.sent = Extension{}
			t.mu.Unlock()
		}
	}
}

// state forgets what belongs to a stream when it ends: what the presence
// sent carried, and who announced what. The Cache stays.
func (t *Tracker) state(sc xmpp.StateChange) {
	if sc.State != xmpp.StateClosed {
		return
	}
	t.mu.Lock()
	t.sent = Extension{}
	clear(t.entities)
	clear(t.failed)
	t.mu.Unlock()
}

// received handles presence from others on the dispatcher: it remembers
// the ver each entity announces and queues a lookup for a ver not yet
// known. It never waits for the network.
func (t *Tracker) received(p *stanza.Presence) {
	from := p.From
	if from.IsZero() || from == t.c.JID() {
		return
	}
	if p.Type == stanza.Unavailable {
		t.mu.Lock()
		delete(t.entities, from)
		t.mu.Unlock()
		return
	}
	var c Extension
	if ok, err := stanza.FindExtension(p.Extensions, &c); !ok || err != nil {
		// No <c/>: the server may strip repeated ones (section 8.4), so
		// what the entity announced before still holds.
		return
	}
	// Legacy caps (no hash), unknown algorithms and values that cannot
	// be a digest are ignored.
	if c.Hash == "" || !validVer(c.Hash, c.Ver) || c.Node == "" || len(c.Node) > maxNode {
		return
	}
	k := key{c.Hash, c.Ver}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.entities[from]; !ok && len(t.entities) >= maxEntities {
		for j := range t.entities { // forget one, any one
			delete(t.entities, j)
			break
		}
	}
	t.entities[from] = k
	if t.cache.Get(k.hash, k.ver) != nil {
		return
	}
	if _, bad := t.failed[failure{k, from}]; bad {
		return
	}
	if l := t.pending[k]; l != nil {
		if len(l.cands) < maxCandidates && !slices.Contains(l.cands, from) {
			l.cands = append(l.cands, from)
		}
		return
	}
	if len(t.pending) >= maxPending {
		t.debug("too many caps lookups queued; ignoring", "from", from.String(), "ver", c.Ver)
		return
	}
	t.pending[k] = &lookup{node: c.Node, cands: []jid.JID{from}}
	t.queue = append(t.queue, k)
	if t.workers < maxWorkers && t.ctx.Err() == nil {
		t.workers++
		t.wg.Add(1)
		go t.work()
	}
}

// work resolves queued lookups until the queue is empty.
func (t *Tracker) work() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		if len(t.queue) == 0 || t.ctx.Err() != nil {
			t.workers--
			t.mu.Unlock()
			return
		}
		k := t.queue[0]
		t.queue = t.queue[1:]
		l := t.pending[k]
		t.mu.Unlock()
		t.resolve(k, l)
	}
}

// resolve asks the entities that announced k, one after the other, for
// the info of node#ver, until one answers with info that hashes to ver;
// that info goes into the cache. An entity whose answer fails or does not
// match is not asked about k again (section 5.4, 3.9).
func (t *Tracker) resolve(k key, l *lookup) {
	for i := 0; ; i++ {
		t.mu.Lock()
		if i >= len(l.cands) || t.ctx.Err() != nil {
			delete(t.pending, k)
			t.mu.Unlock()
			return
		}
		j := l.cands[i]
		t.mu.Unlock()
		ctx, cancel := context.WithTimeout(t.ctx, lookupTimeout)
		info, err := t.d.Info(ctx, j, l.node+"#"+k.ver)
		cancel()
		if err == nil {
			t.mu.Lock()
			cache := t.cache
			t.mu.Unlock()
			if err = cache.Add(k.hash, k.ver, info); err == nil {
				t.mu.Lock()
				delete(t.pending, k)
				t.mu.Unlock()
				return
			}
		}
		t.debug("caps lookup refused", "from", j.String(), "ver", k.ver, "error", err)
		if t.ctx.Err() != nil {
			continue // ends the loop above
		}
		t.mu.Lock()
		if len(t.failed) >= maxFailed {
			clear(t.failed)
		}
		t.failed[failure{k, j}] = struct{}{}
		t.mu.Unlock()
	}
}

func (t *Tracker) debug(msg string, args ...any) {
	if t.logger != nil {
		t.logger.Debug("caps: "+msg, args...)
	}
}
