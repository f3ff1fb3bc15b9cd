package stanza

import (
	"encoding/xml"
	"fmt"
)

// Node is an XML element as it was received, for payloads and extensions
// this package does not model: names with their namespaces, attributes,
// and content (child elements and text) in order. A Node with an empty
// Name is a text node and holds only Text.
//
// Assigning a Node copies its name and text but not its attributes and
// content, which the two then share; Clone copies all of it. A node of a
// received stanza is read-only, as the stanza is (see the package doc).
// The zero Node is an empty text node.
type Node struct {
	// Name is the element's name and namespace; empty for a text node.
	Name xml.Name
	// Attrs are the element's attributes, in order; namespace
	// declarations are not among them.
	Attrs []xml.Attr
	Text  string // a text node's character data
	Nodes []Node // an element's content, in document order
}

// IsText reports whether n is a text node.
func (n *Node) IsText() bool { return n.Name.Local == "" }

// Attr returns the value of the attribute with the given local name and no
// namespace, or "".
func (n *Node) Attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// Child returns the first child element with the given namespace and local
// name, or nil. An empty space matches any namespace.
func (n *Node) Child(space, local string) *Node {
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.Name.Local == local && (space == "" || c.Name.Space == space) {
			return c
		}
	}
	return nil
}

// InnerText returns the character data directly inside n, concatenated.
func (n *Node) InnerText() string {
	switch len(n.Nodes) {
	case 0:
		return ""
	case 1:
		return n.Nodes[0].Text
	}
	var s string
	for i := range n.Nodes {
		s += n.Nodes[i].Text
	}
	return s
}

// Extension is a typed extension element (Smack's ExtensionElement and its
// provider in one): a Go type that knows its element name and converts
// itself to and from a Node. A feature package or a user defines one and
// reads it from a decoded stanza with FindExtension; nothing is registered
// anywhere.
type Extension interface {
	// ExtensionName is the element's namespace and local name.
	ExtensionName() xml.Name
	// MarshalNode returns the element.
	MarshalNode() (Node, error)
	// UnmarshalNode fills the extension from a received element with its
	// name.
	UnmarshalNode(Node) error
}

// FindExtension decodes the first node among nodes that has ext's name into
// ext and reports whether there was one. The error is ext's own.
//
//	var r receipts.Request
//	ok, err := stanza.FindExtension(msg.Extensions, &r)
func FindExtension(nodes []Node, ext Extension) (bool, error) {
	name := ext.ExtensionName()
	for i := range nodes {
		if nodes[i].Name == name {
			return true, ext.UnmarshalNode(nodes[i])
		}
	}
	return false, nil
}

// AppendExtension marshals ext and appends it to nodes.
func AppendExtension(nodes []Node, ext Extension) ([]Node, error) {
	n, err := ext.MarshalNode()
	if err != nil {
		return nodes, err
	}
	if n.Name != ext.ExtensionName() {
		return nodes, fmt.Errorf("stanza: %T marshalled <%s xmlns='%s'/>, not its ExtensionName", ext, n.Name.Local, n.Name.Space)
	}
	return append(nodes, n), nil
}
