package pubsub

import (
	"context"
	"encoding/xml"
	"fmt"
	"strconv"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/rsm"
	"github.com/gosmack/gosmack/stanza"
)

// Node is one node of a pubsub service or of an account's PEP service
// (Smack's LeafNode): a handle made by Manager.Node or Manager.Create
// that sends the requests about the node. The zero Node is not usable.
// A Node is safe for concurrent use; its methods that send run on the
// caller's goroutine (they may be called from a listener): ctx bounds
// the wait for the reply, and when it ends they return ctx.Err() and a
// late reply is dropped; when the session ends first they return an
// error matching xmpp.ErrNotConnected. The service's error reply is
// returned as its *stanza.Error (errors.Is with &stanza.Error{Condition:
// stanza.ItemNotFound}); its pubsub condition, such as
// precondition-not-met, is in the error's application element.
type Node struct {
	m       *Manager
	service jid.JID
	name    string
}

// Service returns the JID of the service the node lives on: the zero JID
// for the account's own PEP service.
func (n Node) Service() jid.JID { return n.service }

// Name returns the node's name.
func (n Node) Name() string { return n.name }

// Item is one item of a node (XEP-0060): its id and its payload, one
// element of the application's namespace. The zero Item, published,
// lets the service choose the id and carries no payload.
type Item struct {
	// ID is the item's id; "" when publishing asks the service to
	// choose one.
	ID string
	// Publisher is the JID the service names as the item's publisher,
	// when it does (the publisher attribute); zero otherwise. It is
	// never set when publishing.
	Publisher jid.JID
	// Payload is the item's payload element; nil for none (a
	// notification without payload, a retrieval of ids).
	Payload *stanza.Node
}

// node returns the <item/> element, in namespace ns.
func (it *Item) node(ns string) stanza.Node {
	n := stanza.Node{Name: xml.Name{Space: ns, Local: "item"}}
	n.Attrs = appendAttr(n.Attrs, "id", it.ID)
	if it.Payload != nil {
		n.Nodes = []stanza.Node{*it.Payload}
	}
	return n
}

// parseItem reads an <item/> element: its id, its publisher (left zero
// when it is not a JID), its first child element as the payload.
func parseItem(n *stanza.Node) Item {
	it := Item{ID: n.Attr("id")}
	it.Publisher, _ = jid.Parse(n.Attr("publisher"))
	for k := range n.Nodes {
		if c := &n.Nodes[k]; !c.IsText() {
			it.Payload = c.Clone()
			break
		}
	}
	return it
}

// SubscriptionState is the state of a subscription (XEP-0060 section 4.2).
type SubscriptionState string

// The subscription states.
const (
	StateNone         SubscriptionState = "none"
	StatePending      SubscriptionState = "pending"
	StateSubscribed   SubscriptionState = "subscribed"
	StateUnconfigured SubscriptionState = "unconfigured"
)

// Subscription is one subscription to a node. The zero Subscription
// names no node and has no state.
type Subscription struct {
	// Node is the node subscribed to.
	Node string
	// JID is the subscribed JID (the account's bare JID for
	// Node.Subscribe).
	JID jid.JID
	// SubID is the subscription's id, when the service gives one; ""
	// otherwise.
	SubID string
	// State is the subscription's state; StateSubscribed once it is
	// active.
	State SubscriptionState
}

func parseSubscription(n *stanza.Node, node string) (Subscription, error) {
	s := Subscription{Node: n.Attr("node"), SubID: n.Attr("subid"), State: SubscriptionState(n.Attr("subscription"))}
	if s.Node == "" {
		s.Node = node
	}
	if v := n.Attr("jid"); v != "" {
		j, err := jid.Parse(v)
		if err != nil {
			return Subscription{}, fmt.Errorf("%w: subscription jid %q", ErrMalformed, v)
		}
		s.JID = j
	}
	return s, nil
}

// AffiliationType is an entity's affiliation with a node (XEP-0060
// section 4.1).
type AffiliationType string

// The affiliations.
const (
	AffiliationOwner       AffiliationType = "owner"
	AffiliationPublisher   AffiliationType = "publisher"
	AffiliationPublishOnly AffiliationType = "publish-only"
	AffiliationMember      AffiliationType = "member"
	AffiliationNone        AffiliationType = "none"
	AffiliationOutcast     AffiliationType = "outcast"
)

// Affiliation is the account's affiliation with one node. The zero
// Affiliation names no node and no affiliation.
type Affiliation struct {
	// Node is the node.
	Node string
	// Affiliation is what the account is to the node.
	Affiliation AffiliationType
}

// Access models of a node (the pubsub#access_model field).
const (
	AccessOpen      = "open"
	AccessPresence  = "presence"
	AccessRoster    = "roster"
	AccessAuthorize = "authorize"
	AccessWhitelist = "whitelist"
)

// Fields of the node configuration and publish-options forms that
// PublishOptions names.
const (
	VarAccessModel           = "pubsub#access_model"
	VarPersistItems          = "pubsub#persist_items"
	VarMaxItems              = "pubsub#max_items"
	VarSendLastPublishedItem = "pubsub#send_last_published_item"
)

// MaxItemsMax, as PublishOptions.MaxItems, asks for as many items as the
// service allows ("max").
const MaxItemsMax = -1

// PublishOptions are the preconditions of a publish (XEP-0060 section
// 7.1.5): the node must be configured so, or, when it does not exist
// yet, is created so. A service that cannot meet them refuses the
// publish with conflict and precondition-not-met. The zero
// PublishOptions sends none.
type PublishOptions struct {
	// AccessModel is pubsub#access_model (AccessOpen, AccessWhitelist...);
	// "" sends none.
	AccessModel string
	// PersistItems, when true, sends pubsub#persist_items true.
	PersistItems bool
	// MaxItems is pubsub#max_items: a number above 0, or MaxItemsMax;
	// 0 sends none.
	MaxItems int
	// SendLastPublishedItem is pubsub#send_last_published_item (never,
	// on_sub, on_sub_and_presence); "" sends none.
	SendLastPublishedItem string
	// Fields are further fields of the form, as the service defines
	// them.
	Fields []dataform.Field
}

// form returns the publish-options form, or nil for none.
func (o *PublishOptions) form() *dataform.Form {
	var fields []dataform.Field
	add := func(v, value string) {
		if value != "" {
			fields = append(fields, dataform.Field{Var: v, Values: []string{value}})
		}
	}
	add(VarAccessModel, o.AccessModel)
	if o.PersistItems {
		add(VarPersistItems, "true")
	}
	switch {
	case o.MaxItems > 0:
		add(VarMaxItems, strconv.Itoa(o.MaxItems))
	case o.MaxItems == MaxItemsMax:
		add(VarMaxItems, "max")
	}
	add(VarSendLastPublishedItem, o.SendLastPublishedItem)
	fields = append(fields, o.Fields...)
	if len(fields) == 0 {
		return nil
	}
	f := dataform.New(dataform.TypeSubmit, NSPublishOptions, fields...)
	return &f
}

// NodeConfig returns a configuration form to submit (to Manager.Create or
// Node.Configure) that sets the given fields, such as
// {Var: VarAccessModel, Values: []string{AccessOpen}}.
func NodeConfig(fields ...dataform.Field) dataform.Form {
	return dataform.New(dataform.TypeSubmit, NSNodeConfig, fields...)
}

// Create creates the node name on service (the zero JID: the account's
// own PEP service), configured by config when not nil (a submitted
// form, see NodeConfig; the service's defaults otherwise), and returns
// its handle (XEP-0060 sections 8.1.1 to 8.1.3). An empty name asks for
// an instant node, named by the service. ctx bounds the request as for
// Node's methods.
func (m *Manager) Create(ctx context.Context, service jid.JID, name string, config *dataform.Form) (Node, error) {
	create := stanza.Node{Name: xml.Name{Space: NS, Local: "create"}}
	create.Attrs = appendAttr(create.Attrs, "node", name)
	children := []stanza.Node{create}
	if config != nil {
		conf := stanza.Node{Name: xml.Name{Space: NS, Local: "configure"}}
		var err error
		if conf.Nodes, err = stanza.AppendExtension(nil, submitted(config)); err != nil {
			return Node{}, fmt.Errorf("pubsub: create: %w", err)
		}
		children = append(children, conf)
	}
	reply, err := m.request(ctx, stanza.Set, service, pubsubName, children...)
	if err != nil {
		return Node{}, fmt.Errorf("pubsub: create %q at %s: %w", name, describe(service), err)
	}
	if c := child(reply, NS, "create"); c != nil && c.Attr("node") != "" {
		name = c.Attr("node")
	}
	if name == "" {
		return Node{}, fmt.Errorf("%w: the service named no instant node", ErrMalformed)
	}
	return m.Node(service, name), nil
}

// submitted returns f with type submit when it has none.
func submitted(f *dataform.Form) *dataform.Form {
	if f.Type != "" {
		return f
	}
	c := *f
	c.Type = dataform.TypeSubmit
	return &c
}

// Info asks for the node's disco#info (XEP-0060 section 5.3): its
// identity (pubsub/leaf or pubsub/collection) and, where the service
// gives it, its meta-data form (NSMetaData).
func (n Node) Info(ctx context.Context) (*disco.Info, error) {
	info, err := disco.For(n.m.c).Info(ctx, n.service, n.name)
	if err != nil {
		return nil, fmt.Errorf("pubsub: info of %s: %w", n, err)
	}
	return info, nil
}

// ItemIDs asks for the ids of the node's items (XEP-0060 section 5.5),
// through disco#items.
func (n Node) ItemIDs(ctx context.Context) ([]string, error) {
	items, err := disco.For(n.m.c).Items(ctx, n.service, n.name)
	if err != nil {
		return nil, fmt.Errorf("pubsub: item ids of %s: %w", n, err)
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.Name)
	}
	return ids, nil
}

// Config asks for the node's configuration form (XEP-0060 section 8.2),
// which the owner fills in (dataform.Form.Answer) and submits with
// Configure.
func (n Node) Config(ctx context.Context) (dataform.Form, error) {
	q := stanza.Node{Name: xml.Name{Space: NSOwner, Local: "configure"}, Attrs: nodeAttr(n.name)}
	reply, err := n.m.request(ctx, stanza.Get, n.service, ownerName, q)
	if err != nil {
		return dataform.Form{}, fmt.Errorf("pubsub: configuration of %s: %w", n, err)
	}
	var f dataform.Form
	conf := child(reply, NSOwner, "configure")
	if conf == nil {
		return dataform.Form{}, fmt.Errorf("%w: no configuration form for %s", ErrMalformed, n)
	}
	if ok, err := stanza.FindExtension(conf.Nodes, &f); !ok || err != nil {
		return dataform.Form{}, fmt.Errorf("%w: no configuration form for %s", ErrMalformed, n)
	}
	return f, nil
}

// Configure submits form, the node's new configuration (XEP-0060
// section 8.2.4): an answer to Config's form, or NodeConfig's. A form
// without a type is sent as submit.
func (n Node) Configure(ctx context.Context, form dataform.Form) error {
	q := stanza.Node{Name: xml.Name{Space: NSOwner, Local: "configure"}, Attrs: nodeAttr(n.name)}
	var err error
	if q.Nodes, err = stanza.AppendExtension(nil, submitted(&form)); err != nil {
		return fmt.Errorf("pubsub: configure %s: %w", n, err)
	}
	if _, err := n.m.request(ctx, stanza.Set, n.service, ownerName, q); err != nil {
		return fmt.Errorf("pubsub: configure %s: %w", n, err)
	}
	return nil
}

// Delete deletes the node (XEP-0060 section 8.4); its subscribers are
// told (Event of kind EventDelete).
func (n Node) Delete(ctx context.Context) error {
	return n.owner(ctx, "delete")
}

// Purge deletes every item of the node (XEP-0060 section 8.5); its
// subscribers are told (EventPurge).
func (n Node) Purge(ctx context.Context) error {
	return n.owner(ctx, "purge")
}

func (n Node) owner(ctx context.Context, op string) error {
	q := stanza.Node{Name: xml.Name{Space: NSOwner, Local: op}, Attrs: nodeAttr(n.name)}
	if _, err := n.m.request(ctx, stanza.Set, n.service, ownerName, q); err != nil {
		return fmt.Errorf("pubsub: %s %s: %w", op, n, err)
	}
	return nil
}

// Publish publishes item to the node (XEP-0060 section 7.1) under the
// preconditions opts (the zero PublishOptions: none) and returns the
// item's id: the one the service gave, else item.ID. Publishing with an
// id the node has replaces that item. On a PEP service, a node that
// does not exist is created by the publish, configured by opts.
func (n Node) Publish(ctx context.Context, item Item, opts PublishOptions) (string, error) {
	publish := stanza.Node{Name: xml.Name{Space: NS, Local: "publish"}, Attrs: nodeAttr(n.name)}
	publish.Nodes = []stanza.Node{item.node(NS)}
	children := []stanza.Node{publish}
	if f := opts.form(); f != nil {
		po := stanza.Node{Name: xml.Name{Space: NS, Local: "publish-options"}}
		var err error
		if po.Nodes, err = stanza.AppendExtension(nil, f); err != nil {
			return "", fmt.Errorf("pubsub: publish to %s: %w", n, err)
		}
		children = append(children, po)
	}
	reply, err := n.m.request(ctx, stanza.Set, n.service, pubsubName, children...)
	if err != nil {
		return "", fmt.Errorf("pubsub: publish to %s: %w", n, err)
	}
	if p := child(reply, NS, "publish"); p != nil {
		if it := p.Child(NS, "item"); it != nil && it.Attr("id") != "" {
			return it.Attr("id"), nil
		}
	}
	return item.ID, nil
}

// Retract deletes the item id from the node (XEP-0060 section 7.2);
// with notify, the subscribers are told (an EventItems with Retracted).
func (n Node) Retract(ctx context.Context, id string, notify bool) error {
	r := stanza.Node{Name: xml.Name{Space: NS, Local: "retract"}, Attrs: nodeAttr(n.name)}
	if notify {
		r.Attrs = append(r.Attrs, xml.Attr{Name: xml.Name{Local: "notify"}, Value: "true"})
	}
	r.Nodes = []stanza.Node{{Name: xml.Name{Space: NS, Local: "item"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}}}
	if _, err := n.m.request(ctx, stanza.Set, n.service, pubsubName, r); err != nil {
		return fmt.Errorf("pubsub: retract %q from %s: %w", id, n, err)
	}
	return nil
}

// Subscribe subscribes the account's bare JID to the node (XEP-0060
// section 6.1) and returns the subscription, whose State is
// StatePending while the node's owner has not approved it. Events then
// reach OnEvent's listeners.
func (n Node) Subscribe(ctx context.Context) (Subscription, error) {
	own := n.m.own()
	q := stanza.Node{Name: xml.Name{Space: NS, Local: "subscribe"}, Attrs: nodeAttr(n.name)}
	q.Attrs = append(q.Attrs, xml.Attr{Name: xml.Name{Local: "jid"}, Value: own.String()})
	reply, err := n.m.request(ctx, stanza.Set, n.service, pubsubName, q)
	if err != nil {
		return Subscription{}, fmt.Errorf("pubsub: subscribe to %s: %w", n, err)
	}
	s := Subscription{Node: n.name, JID: own, State: StateSubscribed}
	if c := child(reply, NS, "subscription"); c != nil {
		if s, err = parseSubscription(c, n.name); err != nil {
			return Subscription{}, fmt.Errorf("pubsub: subscribe to %s: %w", n, err)
		}
	}
	return s, nil
}

// Unsubscribe ends the account's subscription to the node (XEP-0060
// section 6.2); subID names which when there are several, "" otherwise.
func (n Node) Unsubscribe(ctx context.Context, subID string) error {
	q := stanza.Node{Name: xml.Name{Space: NS, Local: "unsubscribe"}, Attrs: nodeAttr(n.name)}
	q.Attrs = append(q.Attrs, xml.Attr{Name: xml.Name{Local: "jid"}, Value: n.m.own().String()})
	q.Attrs = appendAttr(q.Attrs, "subid", subID)
	if _, err := n.m.request(ctx, stanza.Set, n.service, pubsubName, q); err != nil {
		return fmt.Errorf("pubsub: unsubscribe from %s: %w", n, err)
	}
	return nil
}

// Subscriptions asks for the account's subscriptions to the node (see
// Manager.Subscriptions).
func (n Node) Subscriptions(ctx context.Context) ([]Subscription, error) {
	return n.m.Subscriptions(ctx, n.service, n.name)
}

// Affiliations asks for the account's affiliation with the node (see
// Manager.Affiliations).
func (n Node) Affiliations(ctx context.Context) ([]Affiliation, error) {
	return n.m.Affiliations(ctx, n.service, n.name)
}

// ItemsQuery says which items Node.Items asks for. The zero ItemsQuery
// asks for all of them (as many as the service sends).
type ItemsQuery struct {
	// IDs asks for these items only (XEP-0060 section 6.5.8).
	IDs []string
	// Last asks for the most recent Last items (max_items, section
	// 6.5.7); 0 does not limit.
	Last int
	// Page asks for one page of the items (XEP-0059 paging, section
	// 6.5.4); nil asks for no paging.
	Page *rsm.Request
	// SubID names the subscription the request is made under, for a
	// service that asks for it; "" otherwise.
	SubID string
}

// Page is what Node.Items returns. The zero Page has no items and was
// not paged.
type Page struct {
	// Items are the items, in the service's order.
	Items []Item
	// Set says which page this is, when the service paged the answer
	// (XEP-0059); nil otherwise. Ask for the next page with
	// rsm.Request{After: Set.Last}.
	Set *rsm.Response
}

// Items retrieves the node's items (XEP-0060 section 6.5): all of them,
// those q names, the last q.Last, or a page.
func (n Node) Items(ctx context.Context, q ItemsQuery) (*Page, error) {
	items := stanza.Node{Name: xml.Name{Space: NS, Local: "items"}, Attrs: nodeAttr(n.name)}
	items.Attrs = appendAttr(items.Attrs, "subid", q.SubID)
	if q.Last > 0 {
		items.Attrs = append(items.Attrs, xml.Attr{Name: xml.Name{Local: "max_items"}, Value: strconv.Itoa(q.Last)})
	}
	for _, id := range q.IDs {
		items.Nodes = append(items.Nodes, stanza.Node{Name: xml.Name{Space: NS, Local: "item"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}})
	}
	children := []stanza.Node{items}
	if q.Page != nil {
		var err error
		if children, err = stanza.AppendExtension(children, q.Page); err != nil {
			return nil, fmt.Errorf("pubsub: items of %s: %w", n, err)
		}
	}
	reply, err := n.m.request(ctx, stanza.Get, n.service, pubsubName, children...)
	if err != nil {
		return nil, fmt.Errorf("pubsub: items of %s: %w", n, err)
	}
	page, err := parsePage(reply)
	if err != nil {
		return nil, fmt.Errorf("pubsub: items of %s: %w", n, err)
	}
	return page, nil
}

// parsePage reads the <pubsub/> of an items result.
func parsePage(reply *stanza.Node) (*Page, error) {
	page := new(Page)
	if reply == nil {
		return page, nil
	}
	if reply.Name != pubsubName {
		return nil, fmt.Errorf("%w: <%s xmlns='%s'/> is not a pubsub element", ErrMalformed, reply.Name.Local, reply.Name.Space)
	}
	if l := reply.Child(NS, "items"); l != nil {
		for k := range l.Nodes {
			if c := &l.Nodes[k]; c.Name.Space == NS && c.Name.Local == "item" {
				page.Items = append(page.Items, parseItem(c))
			}
		}
	}
	set := new(rsm.Response)
	if ok, err := stanza.FindExtension(reply.Nodes, set); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	} else if ok {
		page.Set = set
	}
	return page, nil
}

// String returns the node's name and service, for messages.
func (n Node) String() string {
	return fmt.Sprintf("node %q of %s", n.name, describe(n.service))
}

func nodeAttr(name string) []xml.Attr {
	return appendAttr(nil, "node", name)
}
