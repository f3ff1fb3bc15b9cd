package disco

import (
	"encoding/xml"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Namespaces of service discovery (XEP-0030).
const (
	NSInfo  = "http://jabber.org/protocol/disco#info"
	NSItems = "http://jabber.org/protocol/disco#items"
)

var (
	infoName  = xml.Name{Space: NSInfo, Local: "query"}
	itemsName = xml.Name{Space: NSItems, Local: "query"}
	formName  = xml.Name{Space: dataform.NS, Local: "x"}
	langAttr  = xml.Name{Space: stanza.NSXML, Local: "lang"}
)

// ErrMalformed is wrapped by the errors for a disco payload that cannot be
// read: a query element of the wrong name, an item without a valid JID.
var ErrMalformed = errors.New("disco: malformed payload")

// Identity is one identity of an entity (XEP-0030 section 3.1): what kind
// of entity it is (Category and Type, from the XMPP Registrar's registry,
// e.g. "client"/"pc", "server"/"im", "conference"/"text"), with an
// optional human-readable Name in the language Lang (xml:lang). The zero
// Identity, given to Client.SetIdentities, stands for client/pc.
type Identity struct {
	// Category is the category attribute, such as "client" or "server".
	Category string
	// Type is the type attribute, the kind of entity within Category.
	Type string
	// Name is the name attribute; "" when absent.
	Name string
	// Lang is the xml:lang attribute, the language of Name; "" when absent.
	Lang string
}

// Info is what an entity says about itself, or about one of its nodes, in
// a disco#info result (XEP-0030 section 3): its identities, the features
// it supports, and extended information forms (XEP-0128). It is also the
// payload itself (a stanza.Extension for <query
// xmlns='http://jabber.org/protocol/disco#info'/>). The zero Info is an
// empty answer about the entity itself.
type Info struct {
	// Node is the node asked about; "" for the entity itself.
	Node string
	// Identities are the <identity/> elements, in order.
	Identities []Identity
	// Features are the var attributes of the <feature/> elements, in
	// order: namespaces and other protocol names.
	Features []string
	// Forms are the extended information forms (XEP-0128), data forms
	// of package dataform, normally of type result, with their fields as
	// received, FORM_TYPE included (Form finds one by it).
	Forms []dataform.Form
}

// HasFeature reports whether the info lists feature. Every entity
// supports disco#info itself (XEP-0030 section 3.1 asks to infer it when
// an entity forgets to list it), so that feature is always reported.
func (i *Info) HasFeature(feature string) bool {
	return feature == NSInfo || slices.Contains(i.Features, feature)
}

// HasIdentity reports whether the info has an identity of the given
// category and type.
func (i *Info) HasIdentity(category, typ string) bool {
	return slices.ContainsFunc(i.Identities, func(id Identity) bool { return id.Category == category && id.Type == typ })
}

// Form returns the extended-info form with the given FORM_TYPE, or nil.
func (i *Info) Form(formType string) *dataform.Form {
	for k := range i.Forms {
		if i.Forms[k].FormType() == formType {
			return &i.Forms[k]
		}
	}
	return nil
}

// Clone returns a deep copy of i.
func (i *Info) Clone() *Info {
	c := &Info{Node: i.Node, Identities: slices.Clone(i.Identities), Features: slices.Clone(i.Features)}
	if i.Forms != nil {
		c.Forms = make([]dataform.Form, len(i.Forms))
		for k := range i.Forms {
			c.Forms[k] = i.Forms[k].Clone()
		}
	}
	return c
}

// ExtensionName is <query xmlns='http://jabber.org/protocol/disco#info'/>.
func (*Info) ExtensionName() xml.Name { return infoName }

// MarshalNode returns the query element: the identities in order, then the
// features, then the forms.
func (i *Info) MarshalNode() (stanza.Node, error) {
	n := stanza.Node{Name: infoName}
	n.Attrs = appendAttr(n.Attrs, "node", i.Node)
	n.Nodes = make([]stanza.Node, 0, len(i.Identities)+len(i.Features)+len(i.Forms))
	for _, id := range i.Identities {
		el := stanza.Node{Name: xml.Name{Space: NSInfo, Local: "identity"}}
		el.Attrs = appendAttr(el.Attrs, "category", id.Category)
		el.Attrs = appendAttr(el.Attrs, "type", id.Type)
		el.Attrs = appendAttr(el.Attrs, "name", id.Name)
		if id.Lang != "" {
			el.Attrs = append(el.Attrs, xml.Attr{Name: langAttr, Value: id.Lang})
		}
		n.Nodes = append(n.Nodes, el)
	}
	for _, f := range i.Features {
		n.Nodes = append(n.Nodes, stanza.Node{
			Name:  xml.Name{Space: NSInfo, Local: "feature"},
			Attrs: []xml.Attr{{Name: xml.Name{Local: "var"}, Value: f}},
		})
	}
	for k := range i.Forms {
		f := &i.Forms[k]
		if f.Type == "" {
			// An extended-info form is a result (XEP-0128).
			c := *f
			c.Type = dataform.TypeResult
			f = &c
		}
		fn, err := f.MarshalNode()
		if err != nil {
			return stanza.Node{}, err
		}
		n.Nodes = append(n.Nodes, fn)
	}
	return n, nil
}

// UnmarshalNode reads a disco#info query. It keeps what it finds as it
// is, duplicates included (package caps refuses those); children it does
// not know are skipped.
func (i *Info) UnmarshalNode(n stanza.Node) error {
	if n.Name != infoName {
		return fmt.Errorf("%w: <%s xmlns='%s'/> is not a disco#info query", ErrMalformed, n.Name.Local, n.Name.Space)
	}
	*i = Info{Node: n.Attr("node")}
	for k := range n.Nodes {
		c := &n.Nodes[k]
		switch {
		case c.Name.Space == NSInfo && c.Name.Local == "identity":
			id := Identity{Category: c.Attr("category"), Type: c.Attr("type"), Name: c.Attr("name")}
			for _, a := range c.Attrs {
				if a.Name == langAttr {
					id.Lang = a.Value
				}
			}
			i.Identities = append(i.Identities, id)
		case c.Name.Space == NSInfo && c.Name.Local == "feature":
			i.Features = append(i.Features, c.Attr("var"))
		case c.Name == formName:
			var f dataform.Form
			if err := f.UnmarshalNode(*c); err != nil {
				return err
			}
			i.Forms = append(i.Forms, f)
		}
	}
	return nil
}

// Item is one item of a disco#items result (XEP-0030 section 4): an
// entity with its JID, or a node of an entity (JID and Node), with an
// optional human-readable Name.
type Item struct {
	// JID is the jid attribute, the item's address.
	JID jid.JID
	// Node is the node attribute; "" when the item is the entity itself.
	Node string
	// Name is the name attribute; "" when absent.
	Name string
}

// itemsNode returns the disco#items query for node with items.
func itemsNode(node string, items []Item) stanza.Node {
	n := stanza.Node{Name: itemsName}
	n.Attrs = appendAttr(n.Attrs, "node", node)
	n.Nodes = make([]stanza.Node, 0, len(items))
	for _, it := range items {
		el := stanza.Node{Name: xml.Name{Space: NSItems, Local: "item"}}
		el.Attrs = appendAttr(el.Attrs, "jid", it.JID.String())
		el.Attrs = appendAttr(el.Attrs, "node", it.Node)
		el.Attrs = appendAttr(el.Attrs, "name", it.Name)
		n.Nodes = append(n.Nodes, el)
	}
	return n
}

// parseItems reads a disco#items query. An item without a valid JID is an
// error: it cannot be addressed.
func parseItems(n *stanza.Node) ([]Item, error) {
	if n.Name != itemsName {
		return nil, fmt.Errorf("%w: <%s xmlns='%s'/> is not a disco#items query", ErrMalformed, n.Name.Local, n.Name.Space)
	}
	items := make([]Item, 0, len(n.Nodes))
	for k := range n.Nodes {
		c := &n.Nodes[k]
		if c.Name.Space != NSItems || c.Name.Local != "item" {
			continue
		}
		j, err := jid.Parse(c.Attr("jid"))
		if err != nil {
			return nil, fmt.Errorf("%w: item jid %q: %w", ErrMalformed, c.Attr("jid"), err)
		}
		items = append(items, Item{JID: j, Node: c.Attr("node"), Name: c.Attr("name")})
	}
	return items, nil
}

// appendAttr appends the attribute local=value unless value is empty.
func appendAttr(attrs []xml.Attr, local, value string) []xml.Attr {
	if value == "" {
		return attrs
	}
	return append(attrs, xml.Attr{Name: xml.Name{Local: local}, Value: value})
}
