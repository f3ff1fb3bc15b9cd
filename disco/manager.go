package disco

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NodeHandler answers the requests for one node of the client (XEP-0030
// sections 3.2 and 4.2): an ad-hoc commands list, a caps node, anything
// the application publishes. Both funcs run on the connection's
// dispatcher, with a context that ends with the stream, and may send and
// wait; iq is the request (its From tells who asks). A *stanza.Error they
// return is sent back as it is; another error becomes
// internal-server-error.
type NodeHandler struct {
	// Info returns the node's identities, features and forms; the reply
	// carries the requested node whatever Info sets. A nil Info answers
	// item-not-found.
	Info func(ctx context.Context, iq *stanza.IQ) (*Info, error)
	// Items returns the node's items. A nil Items answers with no items.
	Items func(ctx context.Context, iq *stanza.IQ) ([]Item, error)
}

// Manager is the client's service discovery (Smack's
// ServiceDiscoveryManager): it answers disco#info and disco#items
// requests about the client and asks other entities. Create one per Conn
// with New. All methods are safe for concurrent use.
type Manager struct {
	c          *xmpp.Conn
	identities []Identity

	mu       sync.Mutex
	forms    []*dataform.Form
	items    []*Item
	nodes    map[string]*NodeHandler
	onChange []*func()

	removes []func() // what Close undoes
}

// New attaches service discovery to c: it answers disco#info and
// disco#items requests, and announces its own two features on c (see
// xmpp.Conn.Announce). The client's identities are ids; none, or one zero
// Identity, means client/pc named "gosmack". An identity that has only
// one of Category and Type, or two identities with the same category,
// type and language, panic: they are programmer errors, and entity
// capabilities would refuse them.
//
// Attach it once per Conn, before Connect: a second Manager on the same
// Conn panics (two handlers for the same requests).
func New(c *xmpp.Conn, ids ...Identity) *Manager {
	m := &Manager{c: c, identities: identities(ids), nodes: make(map[string]*NodeHandler)}
	m.removes = append(m.removes,
		c.HandleIQ(stanza.Get, infoName, xmpp.IQHandlerFunc(m.answerInfo)),
		c.HandleIQ(stanza.Get, itemsName, xmpp.IQHandlerFunc(m.answerItems)),
		c.OnAnnounce(m.changed),
		c.Announce(NSInfo),
		c.Announce(NSItems),
	)
	return m
}

func identities(ids []Identity) []Identity {
	if len(ids) == 0 {
		ids = []Identity{{}}
	}
	ids = slices.Clone(ids)
	for k := range ids {
		id := &ids[k]
		switch {
		case id.Category == "" && id.Type == "":
			id.Category, id.Type = "client", "pc"
			if id.Name == "" {
				id.Name = "gosmack"
			}
		case id.Category == "" || id.Type == "":
			panic(fmt.Sprintf("disco: identity %+v needs both a category and a type", *id))
		}
		for _, prev := range ids[:k] {
			if prev.Category == id.Category && prev.Type == id.Type && prev.Lang == id.Lang {
				panic(fmt.Sprintf("disco: two identities %s/%s with language %q", id.Category, id.Type, id.Lang))
			}
		}
	}
	return ids
}

// Conn returns the connection the manager is attached to.
func (m *Manager) Conn() *xmpp.Conn { return m.c }

// Close detaches the manager: it stops answering (requests then get
// service-unavailable), withdraws its features and forgets its change
// listeners. It is safe to call more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	removes := m.removes
	m.removes = nil
	m.onChange = nil
	m.mu.Unlock()
	for _, r := range removes {
		r()
	}
}

// OwnInfo returns what the client says about itself: its identities, its
// features (the connection's announced features: disco's own, and those
// of every attached manager, sorted) and its extended-info forms, in the
// order they were added. The caller owns the result.
func (m *Manager) OwnInfo() *Info {
	info := &Info{Identities: slices.Clone(m.identities), Features: slices.Clone(m.c.Announced())}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.forms {
		info.Forms = append(info.Forms, f.Clone())
	}
	return info
}

// AddForm adds an extended-info form (XEP-0128), such as
// urn:xmpp:dataforms:softwareinfo, to the client's disco#info; the
// returned func removes it. A form without a hidden FORM_TYPE, with
// several FORM_TYPE values, or with the FORM_TYPE of a form already added
// panics: entity capabilities could not hash it.
func (m *Manager) AddForm(f dataform.Form) (remove func()) {
	ft := f.FormType()
	if ft == "" {
		panic("disco: AddForm: the form has no hidden FORM_TYPE field")
	}
	if slices.ContainsFunc(f.Field(dataform.FormTypeVar).Values, func(v string) bool { return v != ft }) {
		panic("disco: AddForm: the FORM_TYPE field has more than one value")
	}
	c := f.Clone()
	p := &c
	m.mu.Lock()
	for _, g := range m.forms {
		if g.FormType() == ft {
			m.mu.Unlock()
			panic("disco: AddForm: a form of type " + ft + " is already added")
		}
	}
	m.forms = append(m.forms, p)
	m.mu.Unlock()
	m.changed()
	return sync.OnceFunc(func() {
		m.mu.Lock()
		m.forms = slices.DeleteFunc(m.forms, func(q *dataform.Form) bool { return q == p })
		m.mu.Unlock()
		m.changed()
	})
}

// AddItem adds an item to the client's own disco#items (the answer without
// a node); the returned func removes it.
func (m *Manager) AddItem(it Item) (remove func()) {
	p := &it
	m.mu.Lock()
	m.items = append(m.items, p)
	m.mu.Unlock()
	return sync.OnceFunc(func() {
		m.mu.Lock()
		m.items = slices.DeleteFunc(m.items, func(q *Item) bool { return q == p })
		m.mu.Unlock()
	})
}

// HandleNode makes the client answer requests for node with h; the
// returned func removes it, after which the node is item-not-found again.
// Registering an empty node, or one that already has a handler, panics.
func (m *Manager) HandleNode(node string, h NodeHandler) (remove func()) {
	if node == "" {
		panic("disco: HandleNode: the empty node is the client itself")
	}
	p := &h
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nodes[node] != nil {
		panic("disco: HandleNode: node " + node + " already has a handler")
	}
	m.nodes[node] = p
	return sync.OnceFunc(func() {
		m.mu.Lock()
		if m.nodes[node] == p {
			delete(m.nodes, node)
		}
		m.mu.Unlock()
	})
}

// OnChange registers f to run after the client's own info changes: a
// feature announced or withdrawn on the connection, a form added or
// removed. Entity capabilities recompute their hash with it. f runs on
// the goroutine that made the change, after it was made; it must not
// block. The returned func removes it.
func (m *Manager) OnChange(f func()) (remove func()) {
	p := &f
	m.mu.Lock()
	m.onChange = append(m.onChange, p)
	m.mu.Unlock()
	return sync.OnceFunc(func() {
		m.mu.Lock()
		m.onChange = slices.DeleteFunc(m.onChange, func(q *func()) bool { return q == p })
		m.mu.Unlock()
	})
}

func (m *Manager) changed() {
	m.mu.Lock()
	fs := slices.Clone(m.onChange)
	m.mu.Unlock()
	for _, f := range fs {
		(*f)()
	}
}

// answerInfo answers a disco#info get: about the client, or about a node
// it handles.
func (m *Manager) answerInfo(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	node := iq.Payload.Attr("node")
	var info *Info
	if node == "" {
		info = m.OwnInfo()
	} else {
		m.mu.Lock()
		h := m.nodes[node]
		m.mu.Unlock()
		if h == nil || h.Info == nil {
			return nil, stanza.NewError(stanza.Cancel, stanza.ItemNotFound)
		}
		var err error
		if info, err = h.Info(ctx, iq); err != nil {
			return nil, err
		}
		if info == nil {
			return nil, stanza.NewError(stanza.Cancel, stanza.ItemNotFound)
		}
		info = info.Clone()
		info.Node = node // XEP-0030 section 3.2: mirror the node
	}
	n, err := info.MarshalNode()
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// answerItems answers a disco#items get.
func (m *Manager) answerItems(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	node := iq.Payload.Attr("node")
	var items []Item
	if node == "" {
		m.mu.Lock()
		for _, it := range m.items {
			items = append(items, *it)
		}
		m.mu.Unlock()
	} else {
		m.mu.Lock()
		h := m.nodes[node]
		m.mu.Unlock()
		if h == nil {
			return nil, stanza.NewError(stanza.Cancel, stanza.ItemNotFound)
		}
		if h.Items != nil {
			var err error
			if items, err = h.Items(ctx, iq); err != nil {
				return nil, err
			}
		}
	}
	n := itemsNode(node, items)
	return &n, nil
}

// Info asks the entity to (a contact's full JID, a server, a MUC room;
// the zero JID asks the account, which the server answers) for its
// identities, features and forms, or those of one of its nodes (node ""
// asks about the entity itself). An error reply is returned as its
// *stanza.Error (item-not-found, service-unavailable...).
//
// Info waits for the reply on the caller's goroutine: ctx bounds the whole
// call, and when it ends Info returns ctx.Err() and a late reply is
// dropped. It may be called from a listener or handler (see
// xmpp.Conn.SendIQ). Nothing is cached: package caps does that for the
// entities that announce capabilities.
func (m *Manager) Info(ctx context.Context, to jid.JID, node string) (*Info, error) {
	q := &stanza.Node{Name: infoName}
	q.Attrs = appendAttr(q.Attrs, "node", node)
	reply, err := m.query(ctx, to, q)
	if err != nil {
		return nil, fmt.Errorf("disco: info from %s: %w", describe(to), err)
	}
	info := new(Info)
	if err := info.UnmarshalNode(*reply); err != nil {
		return nil, fmt.Errorf("disco: info from %s: %w", describe(to), err)
	}
	return info, nil
}

// Items asks the entity to for its items, or those of one of its nodes,
// as Info asks for info.
func (m *Manager) Items(ctx context.Context, to jid.JID, node string) ([]Item, error) {
	q := &stanza.Node{Name: itemsName}
	q.Attrs = appendAttr(q.Attrs, "node", node)
	reply, err := m.query(ctx, to, q)
	if err != nil {
		return nil, fmt.Errorf("disco: items from %s: %w", describe(to), err)
	}
	items, err := parseItems(reply)
	if err != nil {
		return nil, fmt.Errorf("disco: items from %s: %w", describe(to), err)
	}
	return items, nil
}

// Supports asks the entity to for its info and reports whether it lists
// feature (Smack's supportsFeature). It sends a request every time; for a
// contact that announces entity capabilities, package caps answers from
// its cache instead.
func (m *Manager) Supports(ctx context.Context, to jid.JID, feature string) (bool, error) {
	info, err := m.Info(ctx, to, "")
	if err != nil {
		return false, err
	}
	return info.HasFeature(feature), nil
}

func (m *Manager) query(ctx context.Context, to jid.JID, q *stanza.Node) (*stanza.Node, error) {
	iq := &stanza.IQ{Type: stanza.Get, Payload: q}
	iq.To = to
	reply, err := m.c.SendIQ(ctx, iq)
	if err != nil {
		return nil, err
	}
	if reply.Payload == nil {
		return nil, fmt.Errorf("%w: the result has no query", ErrMalformed)
	}
	return reply.Payload, nil
}

func describe(j jid.JID) string {
	if j.IsZero() {
		return "the account"
	}
	return j.String()
}

// For returns the service discovery attached to c, attaching one with the
// default identity (client/pc named "gosmack") the first time.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, func(c *xmpp.Conn) *Manager { return New(c) }) }
