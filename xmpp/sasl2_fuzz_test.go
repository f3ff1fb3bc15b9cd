package xmpp

import (
	"slices"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
)

// FuzzParseSASL2 reads XEP-0388's <authentication/> from stream features
// and compares parseSASL2 with encoding/xml's reading: the mechanisms
// directly inside, Bind2 and its inline features' vars, inline stream
// management, FAST's mechanisms, each only at its place. None of the
// strings may point into the element.
func FuzzParseSASL2(f *testing.F) {
	wiretest.Seed(f,
		// What the SASL2 Prosody sends (docs/servers.md).
		`<stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>SCRAM-SHA-1</mechanism><mechanism>SCRAM-SHA-256</mechanism><mechanism>PLAIN</mechanism><inline><bind xmlns='urn:xmpp:bind:0'><inline><feature var='urn:xmpp:carbons:2'/><feature var='urn:xmpp:csi:0'/></inline></bind><fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast></inline></authentication><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
		// XEP-0386 example 1, XEP-0484 example 1.
		`<stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>SCRAM-SHA-1</mechanism><inline><bind xmlns='urn:xmpp:bind:0'><inline><feature var="urn:xmpp:carbons:2" /><feature var="urn:xmpp:sm:3" /></inline></bind><sm xmlns='urn:xmpp:sm:3'/></inline></authentication></stream:features>`,
		`<stream:features><authentication xmlns='urn:xmpp:sasl:2'><inline><fast xmlns='urn:xmpp:fast:0' tls-0rtt='true'><mechanism>HT-SHA-256-ENDP</mechanism><mechanism> HT-SHA-256-EXPR </mechanism></fast></inline></authentication></stream:features>`,
		// Text split by a child.
		`<stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism> SCRAM<x/>-SHA-1 </mechanism><inline><fast xmlns='urn:xmpp:fast:0'><mechanism>HT<y/>-SHA-256-NONE</mechanism></fast></inline></authentication></stream:features>`,
		// Names out of place.
		`<stream:features><authentication xmlns='urn:xmpp:sasl:2'><inline><mechanism>X</mechanism><feature var='v'/></inline><bind xmlns='urn:xmpp:bind:0'/><x><sm xmlns='urn:xmpp:sm:3'/></x></authentication><authentication xmlns='urn:x'><mechanism>Y</mechanism></authentication></stream:features>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := wiretest.Element(data)
		if err != nil || el.Tokens[0].Name != featuresName {
			return
		}
		got := parseSASL2(el)
		ref, err := wiretest.Reference(el.Raw)
		if err != nil {
			return
		}
		want := referenceSASL2(ref)
		if (got == nil) != (want == nil) || got != nil && !equalSASL2(got, want) {
			t.Fatalf("%s\nparseSASL2: %#v\nreference:  %#v", el.Raw, got, want)
		}
		if got != nil {
			for _, s := range slices.Concat(got.mechanisms, got.bindInline, got.fast) {
				if pointsInto(s, el.Raw) {
					t.Fatalf("%q is not copied out of the element", s)
				}
			}
		}
	})
}

func referenceSASL2(n *wiretest.XMLNode) *sasl2Offer {
	is := func(c *wiretest.XMLNode, space, local string) bool {
		return c.XMLName.Space == space && c.XMLName.Local == local
	}
	var o *sasl2Offer
	for i := range n.Nodes {
		a := &n.Nodes[i]
		if !is(a, nsSASL2, "authentication") {
			continue
		}
		if o == nil {
			o = new(sasl2Offer)
		}
		for j := range a.Nodes {
			c := &a.Nodes[j]
			if m := strings.TrimSpace(c.Text); is(c, nsSASL2, "mechanism") && m != "" {
				o.mechanisms = append(o.mechanisms, m)
			}
			if !is(c, nsSASL2, "inline") {
				continue
			}
			for k := range c.Nodes {
				g := &c.Nodes[k]
				switch {
				case is(g, nsBind2, "bind"):
					o.bind2 = true
					for _, in := range g.Nodes {
						if !is(&in, nsBind2, "inline") {
							continue
						}
						for _, ft := range in.Nodes {
							if v := ft.Attr("var"); is(&ft, nsBind2, "feature") && v != "" {
								o.bindInline = append(o.bindInline, v)
							}
						}
					}
				case is(g, NSStreamManagement, "sm"):
					o.sm = true
				case is(g, nsFAST, "fast"):
					for _, m := range g.Nodes {
						if v := strings.TrimSpace(m.Text); is(&m, nsFAST, "mechanism") && v != "" {
							o.fast = append(o.fast, v)
						}
					}
				}
			}
		}
	}
	return o
}

func equalSASL2(a, b *sasl2Offer) bool {
	return slices.Equal(a.mechanisms, b.mechanisms) && a.bind2 == b.bind2 && slices.Equal(a.bindInline, b.bindInline) &&
		a.sm == b.sm && slices.Equal(a.fast, b.fast)
}

var _ = xmlstream.Name{}
