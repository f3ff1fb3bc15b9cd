package delay

import (
	"encoding/xml"
	"errors"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of delayed delivery (XEP-0203).
const NS = "urn:xmpp:delay"

// NSLegacy is the namespace of the legacy form (XEP-0091), read but never
// written.
const NSLegacy = "jabber:x:delay"

// legacyLayout is XEP-0091's stamp: UTC, no separators in the date.
const legacyLayout = "20060102T15:04:05"

// ErrMalformed is returned for a mark without a readable stamp.
var ErrMalformed = errors.New("delay: malformed delay element")

// Delay is a delayed-delivery mark. The zero Delay has no stamp and is
// not a valid mark.
type Delay struct {
	// Stamp is when the stanza was first sent (or, for a room's history,
	// received by the room).
	Stamp time.Time
	// From is who delayed the stanza (a server, a room); zero when the
	// mark does not say.
	From jid.JID
	// Reason is the mark's text, if any ("Offline Storage").
	Reason string
}

// Compile-time check: a Delay is a stanza extension.
var _ stanza.Extension = (*Delay)(nil)

// ExtensionName returns the name of XEP-0203's element.
func (d *Delay) ExtensionName() xml.Name { return xml.Name{Space: NS, Local: "delay"} }

// MarshalNode returns the <delay/> element, its stamp in UTC.
func (d *Delay) MarshalNode() (stanza.Node, error) {
	if d.Stamp.IsZero() {
		return stanza.Node{}, ErrMalformed
	}
	n := stanza.Node{Name: d.ExtensionName()}
	if !d.From.IsZero() {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "from"}, Value: d.From.String()})
	}
	n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "stamp"}, Value: d.Stamp.UTC().Format(time.RFC3339Nano)})
	if d.Reason != "" {
		n.Nodes = []stanza.Node{{Text: d.Reason}}
	}
	return n, nil
}

// UnmarshalNode reads a <delay/> element, or the legacy <x/> of
// XEP-0091. A stamp that does not parse is ErrMalformed; a from that
// is not a JID is left zero.
func (d *Delay) UnmarshalNode(n stanza.Node) error {
	var stamp time.Time
	var err error
	switch n.Name {
	case xml.Name{Space: NS, Local: "delay"}:
		stamp, err = time.Parse(time.RFC3339Nano, n.Attr("stamp"))
	case xml.Name{Space: NSLegacy, Local: "x"}:
		stamp, err = time.Parse(legacyLayout, n.Attr("stamp"))
	default:
		return ErrMalformed
	}
	if err != nil {
		return ErrMalformed
	}
	from, _ := jid.Parse(n.Attr("from"))
	*d = Delay{Stamp: stamp, From: from, Reason: n.InnerText()}
	return nil
}

// Of returns the delayed-delivery mark of st: its XEP-0203 element, or
// else its legacy one. ok is false when st carries no readable mark (a
// live stanza).
func Of(st stanza.Stanza) (d Delay, ok bool) {
	var legacy *stanza.Node
	for _, n := range extensions(st) {
		switch n.Name {
		case xml.Name{Space: NS, Local: "delay"}:
			if d.UnmarshalNode(n) == nil {
				return d, true
			}
		case xml.Name{Space: NSLegacy, Local: "x"}:
			if legacy == nil {
				legacy = &n
			}
		}
	}
	if legacy != nil && d.UnmarshalNode(*legacy) == nil {
		return d, true
	}
	return Delay{}, false
}

// Add puts d on st as an XEP-0203 element, replacing any mark st already
// carries.
func Add(st stanza.Stanza, d Delay) error {
	n, err := d.MarshalNode()
	if err != nil {
		return err
	}
	p := extensionsPtr(st)
	if p == nil {
		return errors.New("delay: an IQ carries no delay")
	}
	kept := (*p)[:0:0]
	for _, e := range *p {
		if e.Name != (xml.Name{Space: NS, Local: "delay"}) && e.Name != (xml.Name{Space: NSLegacy, Local: "x"}) {
			kept = append(kept, e)
		}
	}
	*p = append(kept, n)
	return nil
}

func extensions(st stanza.Stanza) []stanza.Node {
	if p := extensionsPtr(st); p != nil {
		return *p
	}
	return nil
}

func extensionsPtr(st stanza.Stanza) *[]stanza.Node {
	switch st := st.(type) {
	case *stanza.Message:
		return &st.Extensions
	case *stanza.Presence:
		return &st.Extensions
	}
	return nil
}
