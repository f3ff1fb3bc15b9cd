package disco

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/listeners"
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

// Client is the account's own side of service discovery (Smack's
// ServiceDiscoveryManager): it answers disco#info and disco#items requests
// about the client, and asks other entities theirs. Get the one of a
// connection with For; the zero Client is not usable. All methods are
// safe for concurrent use.
type Client struct {
	c        *xmpp.Conn
	onChange listeners.List[func()]

	mu         sync.Mutex
	identities []Identity
	forms      []*dataform.Form
	items      []*Item
	nodes      map[string]*NodeHandler
	removes    []func() // what Close undoes; nil once closed
}

// For returns the service discovery attached to c, attaching it the first
// time (Smack's ServiceDiscoveryManager.getInstanceFor): from then on c
// answers disco#info and disco#items requests, and announces disco's two
// features (see xmpp.Conn.Announce). The client's identity is client/pc
// named "gosmack" until SetIdentities says otherwise. Attach it before
// Connect, so that it answers from the first stanza. For is safe for
// concurrent use; every call for c returns the same Client until it is
// closed.
func For(c *xmpp.Conn) *Client { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Client {
	d := &Client{c: c, identities: identities(nil), nodes: make(map[string]*NodeHandler)}
	d.removes = []func(){
		c.HandleIQ(stanza.Get, infoName, xmpp.IQHandlerFunc(d.answerInfo)),
		c.HandleIQ(stanza.Get, itemsName, xmpp.IQHandlerFunc(d.answerItems)),
		c.Announce(NSInfo),
		c.Announce(NSItems),
		c.OnAnnounce(d.tell), // it runs on the dispatcher already
	}
	return d
}

// SetIdentities sets the client's identities (XEP-0030 section 3.1): what
// its disco#info lists, and so what entity capabilities hash. None, or one
// zero Identity, means client/pc named "gosmack", the default. An
// identity that has only one of Category and Type, or two identities with
// the same category, type and language, panic: they are programmer
// errors, and entity capabilities would refuse them. It takes effect at
// once: the next answer lists them, and the OnChange listeners run.
func (d *Client) SetIdentities(ids ...Identity) {
	ids = identities(ids)
	d.mu.Lock()
	d.identities = ids
	d.mu.Unlock()
	d.changed()
}

// Identities returns the client's identities (see SetIdentities). The
// caller owns the result.
func (d *Client) Identities() []Identity {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.identities)
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

// Conn returns the connection the client is attached to.
func (d *Client) Conn() *xmpp.Conn { return d.c }

// Close detaches the client from its connection: it stops answering
// (requests then get service-unavailable), withdraws its features and
// forgets its change listeners; For then attaches a fresh one. A change
// listener running at that moment finishes. What was built on this Client
// keeps it (a caps.Tracker does): close that first. Close is safe to call
// more than once.
func (d *Client) Close() {
	xmpp.Detach(d.c, d)
	d.mu.Lock()
	removes := d.removes
	d.removes = nil
	d.mu.Unlock()
	d.onChange.Clear()
	for _, r := range slices.Backward(removes) {
		r()
	}
}

// OwnInfo returns what the client says about itself: its identities, its
// features (the connection's announced features: disco's own, and those
// of every attached manager, sorted) and its extended-info forms, in the
// order they were added. The caller owns the result.
func (d *Client) OwnInfo() *Info {
	info := &Info{Features: slices.Clone(d.c.Announced())}
	d.mu.Lock()
	defer d.mu.Unlock()
	info.Identities = slices.Clone(d.identities)
	for _, f := range d.forms {
		info.Forms = append(info.Forms, f.Clone())
	}
	return info
}

// AddForm adds an extended-info form (XEP-0128), such as
// urn:xmpp:dataforms:softwareinfo, to the client's disco#info, and runs
// the OnChange listeners; the returned func removes it, and runs them
// again (once, however often it is called). The form is copied; its type
// on the wire is result whatever f.Type says (see Info.MarshalNode). A
// form without a hidden FORM_TYPE, with several FORM_TYPE values, or with
// the FORM_TYPE of a form already added panics: entity capabilities could
// not hash it.
//
//	d.AddForm(dataform.New(dataform.TypeResult, "urn:xmpp:dataforms:softwareinfo",
//		dataform.Field{Var: "software", Values: []string{"Balcony"}}))
func (d *Client) AddForm(f dataform.Form) (remove func()) {
	ft := f.FormType()
	if ft == "" {
		panic("disco: AddForm: the form has no hidden FORM_TYPE field")
	}
	if slices.ContainsFunc(f.Field(dataform.FormTypeVar).Values, func(v string) bool { return v != ft }) {
		panic("disco: AddForm: the FORM_TYPE field has more than one value")
	}
	c := f.Clone()
	p := &c
	d.mu.Lock()
	for _, g := range d.forms {
		if g.FormType() == ft {
			d.mu.Unlock()
			panic("disco: AddForm: a form of type " + ft + " is already added")
		}
	}
	d.forms = append(d.forms, p)
	d.mu.Unlock()
	d.changed()
	return sync.OnceFunc(func() {
		d.mu.Lock()
		d.forms = slices.DeleteFunc(d.forms, func(q *dataform.Form) bool { return q == p })
		d.mu.Unlock()
		d.changed()
	})
}

// AddItem adds an item to the client's own disco#items (the answer without
// a node); the returned func removes it and is safe to call more than
// once. Items are not part of the client's info: OnChange does not run.
func (d *Client) AddItem(it Item) (remove func()) {
	p := &it
	d.mu.Lock()
	d.items = append(d.items, p)
	d.mu.Unlock()
	return sync.OnceFunc(func() {
		d.mu.Lock()
		d.items = slices.DeleteFunc(d.items, func(q *Item) bool { return q == p })
		d.mu.Unlock()
	})
}

// HandleNode makes the client answer requests for node with h; the
// returned func removes it, after which the node is item-not-found again,
// and is safe to call more than once. Registering an empty node, or one
// that already has a handler, panics.
func (d *Client) HandleNode(node string, h NodeHandler) (remove func()) {
	if node == "" {
		panic("disco: HandleNode: the empty node is the client itself")
	}
	p := &h
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.nodes[node] != nil {
		panic("disco: HandleNode: node " + node + " already has a handler")
	}
	d.nodes[node] = p
	return sync.OnceFunc(func() {
		d.mu.Lock()
		if d.nodes[node] == p {
			delete(d.nodes, node)
		}
		d.mu.Unlock()
	})
}

// OnChange registers f to run after the client's own info changes: a
// feature announced or withdrawn on the connection, a form added or
// removed, the identities set. Entity capabilities recompute their hash
// with it. f runs on the connection's dispatcher, once for each change,
// in order with the stanzas and events around it; OwnInfo returns the
// info as it is when f runs (a burst of changes is seen whole by the
// first call). The returned func removes exactly this registration and
// is safe to call more than once. A nil f panics.
func (d *Client) OnChange(f func()) (remove func()) {
	if f == nil {
		panic("disco: OnChange with a nil listener")
	}
	return d.onChange.Add(f)
}

// changed queues the OnChange listeners on the dispatcher after a change
// made off it, when there are any.
func (d *Client) changed() {
	if d.onChange.Len() > 0 {
		d.c.Dispatch(d.tell)
	}
}

// tell runs the OnChange listeners; it runs on the dispatcher.
func (d *Client) tell() {
	for f := range d.onChange.All() {
		f()
	}
}

// answerInfo answers a disco#info get: about the client, or about a node
// it handles.
func (d *Client) answerInfo(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	node := iq.Payload.Attr("node")
	var info *Info
	if node == "" {
		info = d.OwnInfo()
	} else {
		d.mu.Lock()
		h := d.nodes[node]
		d.mu.Unlock()
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
func (d *Client) answerItems(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	node := iq.Payload.Attr("node")
	var items []Item
	if node == "" {
		d.mu.Lock()
		for _, it := range d.items {
			items = append(items, *it)
		}
		d.mu.Unlock()
	} else {
		d.mu.Lock()
		h := d.nodes[node]
		d.mu.Unlock()
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
func (d *Client) Info(ctx context.Context, to jid.JID, node string) (*Info, error) {
	q := &stanza.Node{Name: infoName}
	q.Attrs = appendAttr(q.Attrs, "node", node)
	reply, err := d.query(ctx, to, q)
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
func (d *Client) Items(ctx context.Context, to jid.JID, node string) ([]Item, error) {
	q := &stanza.Node{Name: itemsName}
	q.Attrs = appendAttr(q.Attrs, "node", node)
	reply, err := d.query(ctx, to, q)
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
func (d *Client) Supports(ctx context.Context, to jid.JID, feature string) (bool, error) {
	info, err := d.Info(ctx, to, "")
	if err != nil {
		return false, err
	}
	return info.HasFeature(feature), nil
}

func (d *Client) query(ctx context.Context, to jid.JID, q *stanza.Node) (*stanza.Node, error) {
	iq := &stanza.IQ{Type: stanza.Get, Payload: q}
	iq.To = to
	reply, err := d.c.SendIQ(ctx, iq)
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
