package dataform

import (
	"encoding/xml"
	"fmt"

	"github.com/gosmack/gosmack/stanza"
)

// ExtensionName is <x xmlns='jabber:x:data'/>.
func (*Form) ExtensionName() xml.Name { return xName }

// MarshalNode returns the <x/> element: title, instructions, fields, the
// reported header, the items, then Extra. Empty attributes and an empty
// title or desc are left out; a value "" is written as <value/>.
func (f *Form) MarshalNode() (stanza.Node, error) {
	n := stanza.Node{Name: xName}
	n.Attrs = appendAttr(n.Attrs, "type", string(f.Type))
	n.Nodes = make([]stanza.Node, 0, len(f.Instructions)+len(f.Fields)+len(f.Items)+len(f.Extra)+2)
	if f.Title != "" {
		n.Nodes = append(n.Nodes, textNode("title", f.Title))
	}
	for _, s := range f.Instructions {
		n.Nodes = append(n.Nodes, textNode("instructions", s))
	}
	n.Nodes = appendFields(n.Nodes, f.Fields)
	if len(f.Reported) > 0 {
		n.Nodes = append(n.Nodes, stanza.Node{Name: name("reported"), Nodes: appendFields(nil, f.Reported)})
	}
	for _, it := range f.Items {
		n.Nodes = append(n.Nodes, stanza.Node{Name: name("item"), Nodes: appendFields(nil, it.Fields)})
	}
	n.Nodes = append(n.Nodes, f.Extra...)
	return n, nil
}

func appendFields(nodes []stanza.Node, fields []Field) []stanza.Node {
	for i := range fields {
		nodes = append(nodes, fields[i].node())
	}
	return nodes
}

func (fd *Field) node() stanza.Node {
	el := stanza.Node{Name: name("field")}
	el.Attrs = appendAttr(el.Attrs, "var", fd.Var)
	el.Attrs = appendAttr(el.Attrs, "type", string(fd.Type))
	el.Attrs = appendAttr(el.Attrs, "label", fd.Label)
	if fd.Desc != "" {
		el.Nodes = append(el.Nodes, textNode("desc", fd.Desc))
	}
	if fd.Required {
		el.Nodes = append(el.Nodes, stanza.Node{Name: name("required")})
	}
	for _, v := range fd.Values {
		el.Nodes = append(el.Nodes, textNode("value", v))
	}
	for _, o := range fd.Options {
		on := stanza.Node{Name: name("option"), Nodes: []stanza.Node{textNode("value", o.Value)}}
		on.Attrs = appendAttr(on.Attrs, "label", o.Label)
		el.Nodes = append(el.Nodes, on)
	}
	el.Nodes = append(el.Nodes, fd.Extra...)
	return el
}

// UnmarshalNode reads a form. It is lenient, as forms come from peers:
// only an element that is not <x xmlns='jabber:x:data'/> is an error
// (matching ErrMalformed). Types are kept as received; the first title
// and the first reported header count and later ones are ignored, as are
// text and unknown elements of the data forms namespace; elements of other
// namespaces go to Extra.
func (f *Form) UnmarshalNode(n stanza.Node) error {
	if n.Name != xName {
		return fmt.Errorf("%w: <%s xmlns='%s'/> is not a data form", ErrMalformed, n.Name.Local, n.Name.Space)
	}
	*f = Form{Type: Type(n.Attr("type"))}
	titled, reported := false, false
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.IsText() {
			continue
		}
		if c.Name.Space != NS {
			f.Extra = append(f.Extra, *c)
			continue
		}
		switch c.Name.Local {
		case "title":
			if !titled {
				f.Title, titled = c.InnerText(), true
			}
		case "instructions":
			f.Instructions = append(f.Instructions, c.InnerText())
		case "field":
			f.Fields = append(f.Fields, readField(c))
		case "reported":
			if !reported {
				f.Reported, reported = readFields(c), true
			}
		case "item":
			f.Items = append(f.Items, Item{Fields: readFields(c)})
		}
	}
	return nil
}

func readFields(n *stanza.Node) []Field {
	var fs []Field
	for i := range n.Nodes {
		if c := &n.Nodes[i]; c.Name == name("field") {
			fs = append(fs, readField(c))
		}
	}
	return fs
}

func readField(n *stanza.Node) Field {
	fd := Field{Var: n.Attr("var"), Type: FieldType(n.Attr("type")), Label: n.Attr("label")}
	described := false
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.IsText() {
			continue
		}
		if c.Name.Space != NS {
			fd.Extra = append(fd.Extra, *c)
			continue
		}
		switch c.Name.Local {
		case "desc":
			if !described {
				fd.Desc, described = c.InnerText(), true
			}
		case "required":
			fd.Required = true
		case "value":
			fd.Values = append(fd.Values, c.InnerText())
		case "option":
			o := Option{Label: c.Attr("label")}
			if v := c.Child(NS, "value"); v != nil {
				o.Value = v.InnerText()
			}
			fd.Options = append(fd.Options, o)
		}
	}
	return fd
}

func name(local string) xml.Name { return xml.Name{Space: NS, Local: local} }

func textNode(local, text string) stanza.Node {
	el := stanza.Node{Name: name(local)}
	if text != "" {
		el.Nodes = []stanza.Node{{Text: text}}
	}
	return el
}

// appendAttr appends the attribute local=value unless value is empty.
func appendAttr(attrs []xml.Attr, local, value string) []xml.Attr {
	if value == "" {
		return attrs
	}
	return append(attrs, xml.Attr{Name: xml.Name{Local: local}, Value: value})
}
