package stanza

import "encoding/xml"

// Clone returns a deep copy of s, of the same type: the result of
// (*Message).Clone, (*Presence).Clone or (*IQ).Clone. It returns nil for
// a nil s and for any other implementation of Stanza, which this package
// does not know how to copy.
func Clone(s Stanza) Stanza {
	switch s := s.(type) {
	case *Message:
		return s.Clone()
	case *Presence:
		return s.Clone()
	case *IQ:
		return s.Clone()
	}
	return nil
}

// Clone returns a deep copy of m: every field, Seq included, with its own
// bodies, subjects, extensions, error and nodes, so that changing the copy
// never changes m, and the other way round. A nil m gives nil. Clone only
// reads m: it may be called on a received message that listeners share.
func (m *Message) Clone() *Message {
	if m == nil {
		return nil
	}
	c := *m
	c.Common = m.Common.clone()
	c.Bodies, c.Subjects = cloneTexts2(m.Bodies, m.Subjects)
	c.Extensions = cloneNodes(m.Extensions)
	return &c
}

// Clone returns a deep copy of p, as (*Message).Clone does.
func (p *Presence) Clone() *Presence {
	if p == nil {
		return nil
	}
	c := *p
	c.Common = p.Common.clone()
	c.Statuses, _ = cloneTexts2(p.Statuses, nil)
	c.Extensions = cloneNodes(p.Extensions)
	return &c
}

// Clone returns a deep copy of iq, payload and error included, as
// (*Message).Clone does.
func (iq *IQ) Clone() *IQ {
	if iq == nil {
		return nil
	}
	c := *iq
	c.Common = iq.Common.clone()
	c.Payload = iq.Payload.Clone()
	return &c
}

// Clone returns a deep copy of e, its application condition included. A
// nil e gives nil.
func (e *Error) Clone() *Error {
	if e == nil {
		return nil
	}
	c := *e
	c.App = e.App.Clone()
	return &c
}

// Clone returns a deep copy of n: its attributes and all its content,
// down to the last text node, in new slices. A nil n gives nil. Nil and
// empty slices stay nil and empty, so the copy is reflect.DeepEqual to n.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	nodes, attrs := count(n.Nodes)
	a := newArena(nodes, attrs+len(n.Attrs))
	c := &Node{Name: n.Name, Text: n.Text}
	c.Attrs = a.attrsOf(n.Attrs)
	c.Nodes = a.nodesOf(n.Nodes)
	return c
}

// clone returns a copy of c with its own Error.
func (c Common) clone() Common {
	c.Error = c.Error.Clone()
	return c
}

// cloneTexts2 copies two slices of texts into one new backing array,
// one allocation for both.
func cloneTexts2(x, y []Text) ([]Text, []Text) {
	if x == nil && y == nil {
		return nil, nil
	}
	buf := make([]Text, len(x)+len(y))
	copy(buf, x)
	copy(buf[len(x):], y)
	cx, cy := buf[:len(x):len(x)], buf[len(x):]
	if x == nil {
		cx = nil
	}
	if y == nil {
		cy = nil
	}
	return cx, cy
}

// cloneNodes returns a deep copy of ns.
func cloneNodes(ns []Node) []Node {
	if ns == nil {
		return nil
	}
	nodes, attrs := count(ns)
	return newArena(nodes, attrs).nodesOf(ns)
}

// count returns how many nodes and attributes ns holds, at every depth.
func count(ns []Node) (nodes, attrs int) {
	nodes = len(ns)
	for i := range ns {
		n, a := count(ns[i].Nodes)
		nodes += n
		attrs += a + len(ns[i].Attrs)
	}
	return nodes, attrs
}

// arena hands out the slices of one deep copy from two backing arrays,
// allocated once at their final size: a copy costs two allocations
// however deep the tree. Each slice handed out is capped at its length,
// so appending to one never writes over its neighbour.
type arena struct {
	nodes []Node
	attrs []xml.Attr
}

func newArena(nodes, attrs int) *arena {
	a := &arena{}
	if nodes > 0 {
		a.nodes = make([]Node, 0, nodes)
	}
	if attrs > 0 {
		a.attrs = make([]xml.Attr, 0, attrs)
	}
	return a
}

// nodesOf copies ns and everything inside it into the arena.
func (a *arena) nodesOf(ns []Node) []Node {
	switch {
	case ns == nil:
		return nil
	case len(ns) == 0:
		return []Node{}
	}
	start := len(a.nodes)
	a.nodes = append(a.nodes, ns...)
	out := a.nodes[start:len(a.nodes):len(a.nodes)]
	for i := range out {
		out[i].Attrs = a.attrsOf(ns[i].Attrs)
		out[i].Nodes = a.nodesOf(ns[i].Nodes)
	}
	return out
}

// attrsOf copies attrs into the arena.
func (a *arena) attrsOf(attrs []xml.Attr) []xml.Attr {
	switch {
	case attrs == nil:
		return nil
	case len(attrs) == 0:
		return []xml.Attr{}
	}
	start := len(a.attrs)
	a.attrs = append(a.attrs, attrs...)
	return a.attrs[start:len(a.attrs):len(a.attrs)]
}
