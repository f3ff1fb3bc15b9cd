package rsm

import (
	"encoding/xml"
	"errors"
	"strconv"
	"strings"

	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of Result Set Management (XEP-0059).
const NS = "http://jabber.org/protocol/rsm"

// ErrMalformed is returned for a <set/> element that cannot be read: not
// a set, or a number (max, index, count) that is not a non-negative
// integer.
var ErrMalformed = errors.New("rsm: malformed set element")

// setName is the element's name; both uses share it.
var setName = xml.Name{Space: NS, Local: "set"}

// Compile-time checks: both uses are stanza extensions.
var (
	_ stanza.Extension = (*Request)(nil)
	_ stanza.Extension = (*Response)(nil)
)

// Request asks for one page of a result set (XEP-0059 sections 2.1 to
// 2.5). The zero Request asks for the first page, in the size the
// responder chooses. After and Before are identifiers a previous
// Response gave (its Last and First); at most one of After, Before,
// Last and Index should be set.
type Request struct {
	// Max is the most items wanted in the page; 0 lets the responder
	// choose (no <max/> is written). A responder may send fewer.
	Max int
	// CountOnly asks for no items, only the count (<max>0</max>,
	// section 2.6); it overrides Max.
	CountOnly bool
	// After asks for the page that follows the item with this
	// identifier (paging forwards).
	After string
	// Before asks for the page that precedes the item with this
	// identifier (paging backwards).
	Before string
	// Last asks for the last page of the set (an empty <before/>); it
	// is ignored when Before is set.
	Last bool
	// Index asks for the page that starts at this position of the set,
	// counted from 0 (section 2.5); 0 writes no <index/>.
	Index int
}

// ExtensionName returns the name of XEP-0059's element.
func (r *Request) ExtensionName() xml.Name { return setName }

// MarshalNode returns the <set/> element of the request. A negative Max
// or Index is written as not given.
func (r *Request) MarshalNode() (stanza.Node, error) {
	n := stanza.Node{Name: setName}
	switch {
	case r.CountOnly:
		n.Nodes = append(n.Nodes, text("max", "0"))
	case r.Max > 0:
		n.Nodes = append(n.Nodes, text("max", strconv.Itoa(r.Max)))
	}
	if r.After != "" {
		n.Nodes = append(n.Nodes, text("after", r.After))
	}
	switch {
	case r.Before != "":
		n.Nodes = append(n.Nodes, text("before", r.Before))
	case r.Last:
		n.Nodes = append(n.Nodes, stanza.Node{Name: xml.Name{Space: NS, Local: "before"}})
	}
	if r.Index > 0 {
		n.Nodes = append(n.Nodes, text("index", strconv.Itoa(r.Index)))
	}
	return n, nil
}

// UnmarshalNode reads the request of a <set/> element. Elements it
// does not know are ignored; a number that does not parse is
// ErrMalformed.
func (r *Request) UnmarshalNode(n stanza.Node) error {
	if n.Name != setName {
		return ErrMalformed
	}
	*r = Request{}
	return each(n, func(c *stanza.Node) error {
		switch c.Name.Local {
		case "max":
			if err := setNumber(&r.Max, c.InnerText()); err != nil {
				return err
			}
			r.CountOnly = r.Max == 0
		case "after":
			r.After = c.InnerText()
		case "before":
			r.Before = c.InnerText()
			r.Last = r.Before == ""
		case "index":
			return setNumber(&r.Index, c.InnerText())
		}
		return nil
	})
}

// Response says which page a responder sent (XEP-0059 section 2.1): the
// identifiers of its first and last items, the first one's position in
// the whole set, and the set's size. Both numbers are -1 when the
// responder did not say; the zero Response, as written, claims an empty
// set (count 0).
type Response struct {
	// First is the identifier of the page's first item; "" for an
	// empty page.
	First string
	// FirstIndex is the position of the first item in the whole set,
	// from 0; -1 when not given.
	FirstIndex int
	// Last is the identifier of the page's last item; "" for an empty
	// page.
	Last string
	// Count is the number of items in the whole set (which the
	// responder may estimate); -1 when not given.
	Count int
}

// ExtensionName returns the name of XEP-0059's element.
func (r *Response) ExtensionName() xml.Name { return setName }

// MarshalNode returns the <set/> element of the response: first (with
// its index, when not negative), last and count (when not negative).
func (r *Response) MarshalNode() (stanza.Node, error) {
	n := stanza.Node{Name: setName}
	if r.First != "" {
		first := text("first", r.First)
		if r.FirstIndex >= 0 {
			first.Attrs = []xml.Attr{{Name: xml.Name{Local: "index"}, Value: strconv.Itoa(r.FirstIndex)}}
		}
		n.Nodes = append(n.Nodes, first)
	}
	if r.Last != "" {
		n.Nodes = append(n.Nodes, text("last", r.Last))
	}
	if r.Count >= 0 {
		n.Nodes = append(n.Nodes, text("count", strconv.Itoa(r.Count)))
	}
	return n, nil
}

// UnmarshalNode reads the response of a <set/> element. Elements it
// does not know are ignored; a count or index that is not a
// non-negative integer is ErrMalformed.
func (r *Response) UnmarshalNode(n stanza.Node) error {
	if n.Name != setName {
		return ErrMalformed
	}
	*r = Response{FirstIndex: -1, Count: -1}
	return each(n, func(c *stanza.Node) error {
		switch c.Name.Local {
		case "first":
			r.First = c.InnerText()
			if idx := c.Attr("index"); idx != "" && r.First != "" {
				return setNumber(&r.FirstIndex, idx)
			}
		case "last":
			r.Last = c.InnerText()
		case "count":
			return setNumber(&r.Count, c.InnerText())
		}
		return nil
	})
}

// each calls f with each child of n in NS, in order, and stops at the
// first error f returns, which it returns.
func each(n stanza.Node, f func(c *stanza.Node) error) error {
	for i := range n.Nodes {
		if c := &n.Nodes[i]; c.Name.Space == NS {
			if err := f(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func text(local, value string) stanza.Node {
	return stanza.Node{Name: xml.Name{Space: NS, Local: local}, Nodes: []stanza.Node{{Text: value}}}
}

// setNumber sets *dst to the non-negative integer s holds; it returns
// ErrMalformed, leaving *dst as it was, when s holds none.
func setNumber(dst *int, s string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil || v < 0 {
		return ErrMalformed
	}
	*dst = int(v)
	return nil
}
