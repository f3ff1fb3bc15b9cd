package xmpp

import (
	"encoding/xml"
	"slices"
	"strings"

	"github.com/gosmack/gosmack/internal/xmlstream"
)

// Namespaces of stream negotiation.
const (
	nsTLS       = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL      = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind      = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession   = "urn:ietf:params:xml:ns:xmpp-session"
	nsSASLCB    = "urn:xmpp:sasl-cb:0"
	nsRegisterF = "http://jabber.org/features/iq-register"
)

// Features are the stream features the server announced (RFC 6120
// section 4.3.2) on the stream in use: after login, the ones that managers
// look at (roster versioning, stream management, pre-approval...). The
// zero value announces nothing.
type Features struct {
	// Names lists every feature element, in the order received.
	Names []xml.Name

	startTLS, startTLSRequired bool
	mechanisms                 []string
	bindings                   []string
	bind                       bool
	session, sessionOptional   bool
	sasl2                      *sasl2Offer // SASL2's <authentication/> (sasl2.go)
	inline                     []string    // what Bind2 enabled for the managers (BoundInline)
}

// Has reports whether the server announced the feature with the given
// namespace and local name.
func (f Features) Has(space, local string) bool {
	return slices.Contains(f.Names, xml.Name{Space: space, Local: local})
}

// Names of the features that negotiation reads, and of their children.
var (
	startTLSName   = xml.Name{Space: nsTLS, Local: "starttls"}
	requiredName   = xml.Name{Space: nsTLS, Local: "required"}
	mechanismsName = xml.Name{Space: nsSASL, Local: "mechanisms"}
	mechanismName  = xml.Name{Space: nsSASL, Local: "mechanism"}
	bindingsName   = xml.Name{Space: nsSASLCB, Local: "sasl-channel-binding"}
	bindingName    = xml.Name{Space: nsSASLCB, Local: "channel-binding"}
	bindName       = xml.Name{Space: nsBind, Local: "bind"}
	sessionName    = xml.Name{Space: nsSession, Local: "session"}
	optionalName   = xml.Name{Space: nsSession, Local: "optional"}
)

// parseFeatures reads <stream:features/>. A flag or value counts only as
// the child, in the feature's namespace, of the feature it belongs to: a
// <required/> of <starttls/>, a <mechanism/> of <mechanisms/> (all of its
// character data, trimmed, even around a stray child; an empty one is
// dropped). The strings are copied: the Features outlive the element,
// whose text they would keep alive.
func parseFeatures(el *xmlstream.Element) Features {
	var f Features
	depth := 0
	var feature xml.Name // the depth-1 element we are in
	var mechanism string // the text of the <mechanism/> we are in
	inMechanism := false
	for i := range el.Tokens {
		t := &el.Tokens[i]
		switch t.Kind {
		case xmlstream.StartElement:
			depth++
			switch depth {
			case 2:
				feature = t.Name
				f.Names = append(f.Names, xml.Name{Space: strings.Clone(t.Name.Space), Local: strings.Clone(t.Name.Local)})
				switch t.Name {
				case startTLSName:
					f.startTLS = true
				case bindName:
					f.bind = true
				case sessionName:
					f.session = true
				}
			case 3:
				switch {
				case feature == startTLSName && t.Name == requiredName:
					f.startTLSRequired = true
				case feature == sessionName && t.Name == optionalName:
					f.sessionOptional = true
				case feature == bindingsName && t.Name == bindingName:
					if typ := attr(el, t, "type"); typ != "" {
						f.bindings = append(f.bindings, strings.Clone(typ))
					}
				case feature == mechanismsName && t.Name == mechanismName:
					inMechanism, mechanism = true, ""
				}
			}
		case xmlstream.EndElement:
			if depth == 3 && inMechanism {
				if m := strings.TrimSpace(mechanism); m != "" {
					f.mechanisms = append(f.mechanisms, strings.Clone(m))
				}
				inMechanism = false
			}
			depth--
		case xmlstream.Text:
			if depth == 3 && inMechanism {
				mechanism += t.Text
			}
		}
	}
	f.sasl2 = parseSASL2(el)
	return f
}

// attr returns the value of the attribute local (no namespace) of the
// start tag t.
func attr(el *xmlstream.Element, t *xmlstream.Token, local string) string {
	for _, a := range el.TokenAttrs(t) {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// text returns the character data directly inside the element el starts
// with.
func text(el *xmlstream.Element) string {
	var b strings.Builder
	depth := 0
	for _, t := range el.Tokens {
		switch t.Kind {
		case xmlstream.StartElement:
			depth++
		case xmlstream.EndElement:
			depth--
		case xmlstream.Text:
			if depth == 1 {
				b.WriteString(t.Text)
			}
		}
	}
	return b.String()
}
