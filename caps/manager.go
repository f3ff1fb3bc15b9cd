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
// when Config.Node is empty.
const DefaultNode = "https://github.com/gosmack/gosmack"

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

// Config configures a Manager. The zero Config works: sha-1, DefaultNode,
// a cache of the manager's own.
type Config struct {
	// Node is the URI that names the software in the client's <c/>
	// (XEP-0115 section 4); "" means DefaultNode.
	Node string
	// Hash is the algorithm of the client's own verification string (one
	// of Hashes); "" means sha-1, which every implementation supports.
	Hash string
	// Cache holds verified capabilities by verification string; nil
	// means a Cache of the manager's own. Pass the same Cache to the
	// managers of several connections to share what they learn.
	Cache *Cache
}

// Manager is entity capabilities (XEP-0115) on a connection (Smack's
// EntityCapsManager): it annotates the client's available presence with
// the verification string of its disco#info, answers the caps query for
// it, and learns what contacts support from the <c/> of their presence,
// asking each verification string once and verifying the answer before
// caching it. Create one per Conn with New. All methods are safe for
// concurrent use.
type Manager struct {
	d      *disco.Manager
	c      *xmpp.Conn
	node   string
	hash   string
	cache  *Cache
	logger *slog.Logger

	ctx    context.Context // ends with Close: lookups and resends stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	recompute sync.Mutex // serializes update

	mu          sync.Mutex
	ver         string
	removeNode  func()
	last        *stanza.Presence // the last broadcast available presence sent; nil when none
	resending   bool
	resendAgain bool
	entities    map[jid.JID]key      // who announced which ver
	pending     map[key]*lookup      // queued or running lookups
	queue       []key                // lookups waiting for a worker, in order
	workers     int                  // running lookup goroutines
	failed      map[failure]struct{} // JIDs whose answer for a ver was refused
	removes     []func()
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

// New attaches entity capabilities to the connection of d: from then on
// every available presence the connection sends carries <c/> (attach it
// before Connect, so that the initial presence does too), the client
// announces the caps feature, and received presence with caps is
// resolved in the background. It panics if cfg.Hash is not supported.
func New(d *disco.Manager, cfg Config) *Manager {
	if cfg.Hash == "" {
		cfg.Hash = "sha-1"
	}
	if hashes[cfg.Hash] == nil {
		panic("caps: unsupported hash algorithm " + cfg.Hash)
	}
	if cfg.Node == "" {
		cfg.Node = DefaultNode
	}
	if cfg.Cache == nil {
		cfg.Cache = new(Cache)
	}
	c := d.Conn()
	m := &Manager{
		d: d, c: c, node: cfg.Node, hash: cfg.Hash, cache: cfg.Cache,
		logger:   c.Config().Logger,
		entities: make(map[jid.JID]key),
		pending:  make(map[key]*lookup),
		failed:   make(map[failure]struct{}),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.removes = append(m.removes,
		d.OnChange(m.update),
		c.Intercept(m.intercept),
		c.HandlePresence(stanza.IsPresence(stanza.Available, stanza.Unavailable), m.received),
		c.OnState(m.state),
	)
	// Announcing the caps feature changes the info, which runs update.
	m.removes = append(m.removes, c.Announce(NS))
	m.update()
	return m
}

// Close detaches the manager: presence is no longer annotated, the caps
// feature is withdrawn, and running lookups are cancelled; Close waits
// for them to end. The shared Cache keeps its entries. It is safe to call
// more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	removes := m.removes
	m.removes = nil
	m.mu.Unlock()
	for _, r := range slices.Backward(removes) {
		r()
	}
	m.recompute.Lock()
	m.mu.Lock()
	if m.removeNode != nil {
		m.removeNode()
		m.removeNode = nil
	}
	m.mu.Unlock()
	m.recompute.Unlock()
	m.mu.Lock() // received and resend start goroutines under mu, after checking ctx
	m.cancel()
	m.mu.Unlock()
	m.wg.Wait()
}

// Ver returns the client's own current verification string.
func (m *Manager) Ver() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ver
}

// Node returns the node of the client's <c/>.
func (m *Manager) Node() string { return m.node }

// Info returns what the entity j (a full JID, as its presence came) is
// known to support, from the verification string of its last presence
// and the cache, without sending anything. It returns false while j has
// announced no caps, announced a ver not yet resolved, or answered with
// info that did not match it. The info is shared: do not change it. For
// an entity without caps, ask with disco.Manager.Info.
func (m *Manager) Info(j jid.JID) (*disco.Info, bool) {
	m.mu.Lock()
	k, ok := m.entities[j]
	m.mu.Unlock()
	if !ok {
		return nil, false
	}
	info := m.cache.Get(k.hash, k.ver)
	return info, info != nil
}

// Supports reports whether the entity j supports feature (a namespace
// such as "urn:xmpp:receipts"), from its caps, without a round trip: known
// is false when its capabilities are not known (see Info), and then
// supported is false too.
func (m *Manager) Supports(j jid.JID, feature string) (supported, known bool) {
	info, ok := m.Info(j)
	if !ok {
		return false, false
	}
	return info.HasFeature(feature), true
}

// update recomputes the client's ver after its info changed and, when the
// ver is new and available presence was sent, sends that presence again
// so that contacts see the new ver (XEP-0115 section 6.1).
func (m *Manager) update() {
	m.recompute.Lock()
	defer m.recompute.Unlock()
	info := m.d.OwnInfo()
	ver, err := Ver(info, m.hash)
	if err != nil {
		// disco.Manager refuses what would make its info ill-formed, so
		// this does not happen; if it did, the old ver stays.
		if m.logger != nil {
			m.logger.Error("caps: the client's own info cannot be hashed", "error", err)
		}
		return
	}
	m.mu.Lock()
	if ver == m.ver || m.removes == nil && m.ver != "" {
		m.mu.Unlock()
		return
	}
	m.ver = ver
	old := m.removeNode
	m.removeNode = nil
	resend := m.last != nil
	m.mu.Unlock()
	if old != nil {
		old()
	}
	// Answer the caps query (node#ver) with the info the ver stands for.
	remove := m.d.HandleNode(m.node+"#"+ver, disco.NodeHandler{
		Info: func(context.Context, *stanza.IQ) (*disco.Info, error) { return info, nil },
	})
	m.mu.Lock()
	m.removeNode = remove
	m.mu.Unlock()
	// Contacts running the same software with the same features need no
	// query: the client knows what its own ver stands for.
	_ = m.cache.Add(m.hash, ver, info)
	if resend {
		m.resend()
	}
}

// intercept annotates outgoing available presence with the current ver,
// replacing any <c/> already there, and remembers the last broadcast
// one. It runs on the sending goroutine.
func (m *Manager) intercept(st stanza.Stanza) {
	p, ok := st.(*stanza.Presence)
	if !ok {
		return
	}
	switch p.Type {
	case stanza.Available:
		m.mu.Lock()
		ver := m.ver
		m.mu.Unlock()
		c := Extension{Hash: m.hash, Node: m.node, Ver: ver}
		n, _ := c.MarshalNode()
		exts := make([]stanza.Node, 0, len(p.Extensions)+1)
		for _, e := range p.Extensions {
			if e.Name != cName {
				exts = append(exts, e)
			}
		}
		p.Extensions = append(exts, n)
		if p.To.IsZero() {
			last := *p
			last.ID = ""
			last.Statuses = slices.Clone(p.Statuses)
			last.Extensions = slices.Clone(exts)
			m.mu.Lock()
			m.last = &last
			m.mu.Unlock()
		}
	case stanza.Unavailable:
		if p.To.IsZero() {
			m.mu.Lock()
			m.last = nil
			m.mu.Unlock()
		}
	}
}

// resend sends the last presence again on a goroutine of its own, one at
// a time: changes that come while it runs are folded into one more send.
func (m *Manager) resend() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resending {
		m.resendAgain = true
		return
	}
	if m.ctx.Err() != nil {
		return
	}
	m.resending = true
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			m.mu.Lock()
			var p *stanza.Presence
			if m.last != nil {
				cp := *m.last
				cp.Statuses = slices.Clone(cp.Statuses)
				cp.Extensions = slices.Clone(cp.Extensions)
				p = &cp
			}
			m.resendAgain = false
			m.mu.Unlock()
			if p != nil && m.ctx.Err() == nil {
				ctx, cancel := context.WithTimeout(m.ctx, resendTimeout)
				if err := m.c.Send(ctx, p); err != nil {
					m.debug("sending presence with the new ver", "error", err)
				}
				cancel()
			}
			m.mu.Lock()
			if !m.resendAgain {
				m.resending = false
				m.mu.Unlock()
				return
			}
			m.mu.Unlock()
		}
	}()
}

// state forgets what belongs to a stream when it ends: the presence sent
// and who announced what. The cache stays.
func (m *Manager) state(sc xmpp.StateChange) {
	if sc.State != xmpp.StateClosed {
		return
	}
	m.mu.Lock()
	m.last = nil
	clear(m.entities)
	clear(m.failed)
	m.mu.Unlock()
}

// received handles presence from others on the dispatcher: it remembers
// the ver each entity announces and queues a lookup for a ver not yet
// known. It never waits for the network.
func (m *Manager) received(p *stanza.Presence) {
	from := p.From
	if from.IsZero() || from == m.c.JID() {
		return
	}
	if p.Type == stanza.Unavailable {
		m.mu.Lock()
		delete(m.entities, from)
		m.mu.Unlock()
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
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entities[from]; !ok && len(m.entities) >= maxEntities {
		for j := range m.entities { // forget one, any one
			delete(m.entities, j)
			break
		}
	}
	m.entities[from] = k
	if m.cache.Get(k.hash, k.ver) != nil {
		return
	}
	if _, bad := m.failed[failure{k, from}]; bad {
		return
	}
	if l := m.pending[k]; l != nil {
		if len(l.cands) < maxCandidates && !slices.Contains(l.cands, from) {
			l.cands = append(l.cands, from)
		}
		return
	}
	if len(m.pending) >= maxPending {
		m.debug("too many caps lookups queued; ignoring", "from", from.String(), "ver", c.Ver)
		return
	}
	m.pending[k] = &lookup{node: c.Node, cands: []jid.JID{from}}
	m.queue = append(m.queue, k)
	if m.workers < maxWorkers && m.ctx.Err() == nil {
		m.workers++
		m.wg.Add(1)
		go m.work()
	}
}

// work resolves queued lookups until the queue is empty.
func (m *Manager) work() {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if len(m.queue) == 0 || m.ctx.Err() != nil {
			m.workers--
			m.mu.Unlock()
			return
		}
		k := m.queue[0]
		m.queue = m.queue[1:]
		l := m.pending[k]
		m.mu.Unlock()
		m.resolve(k, l)
	}
}

// resolve asks the entities that announced k, one after the other, for
// the info of node#ver, until one answers with info that hashes to ver;
// that info goes into the cache. An entity whose answer fails or does not
// match is not asked about k again (section 5.4, 3.9).
func (m *Manager) resolve(k key, l *lookup) {
	for i := 0; ; i++ {
		m.mu.Lock()
		if i >= len(l.cands) || m.ctx.Err() != nil {
			delete(m.pending, k)
			m.mu.Unlock()
			return
		}
		j := l.cands[i]
		m.mu.Unlock()
		ctx, cancel := context.WithTimeout(m.ctx, lookupTimeout)
		info, err := m.d.Info(ctx, j, l.node+"#"+k.ver)
		cancel()
		if err == nil {
			if err = m.cache.Add(k.hash, k.ver, info); err == nil {
				m.mu.Lock()
				delete(m.pending, k)
				m.mu.Unlock()
				return
			}
		}
		m.debug("caps lookup refused", "from", j.String(), "ver", k.ver, "error", err)
		if m.ctx.Err() != nil {
			continue // ends the loop above
		}
		m.mu.Lock()
		if len(m.failed) >= maxFailed {
			clear(m.failed)
		}
		m.failed[failure{k, j}] = struct{}{}
		m.mu.Unlock()
	}
}

func (m *Manager) debug(msg string, args ...any) {
	if m.logger != nil {
		m.logger.Debug("caps: "+msg, args...)
	}
}
