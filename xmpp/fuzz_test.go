package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
)

var featuresName = xml.Name{Space: xmlstream.NSStream, Local: "features"}

// FuzzParseFeatures reads <stream:features/> as negotiation does and
// compares parseFeatures with a reading of the same bytes by encoding/xml
// that follows RFC 6120 (and XEP-0440 for channel binding) to the letter:
// every announced feature in order; STARTTLS, and required only inside it;
// the SASL mechanisms, the trimmed text of each <mechanism/> of
// <mechanisms/>; the channel-binding types; bind; the session and its
// optional flag. None of the strings may point into the element, which the
// reader reuses.
func FuzzParseFeatures(f *testing.F) {
	wiretest.Seed(f, wiretest.ServerElements(f, func(el *xmlstream.Element) bool { return el.Tokens[0].Name == featuresName })...)
	wiretest.Seed(f,
		// RFC 6120 sections 5.4.1, 6.4.1, 7.4 and 9.
		`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`,
		`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
		`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>`,
		// XEP-0440 channel-binding types; RFC 3921bis optional session.
		`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256-PLUS</mechanism></mechanisms><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-server-end-point'/><channel-binding type='tls-exporter'/></sasl-channel-binding></stream:features>`,
		`<stream:features><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><register xmlns='http://jabber.org/features/iq-register'/></stream:features>`,
		// The cases the reference caught: mechanism text split by a
		// child, empty or nested; flags outside their feature or
		// namespace.
		`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism> SCRAM<x/>-SHA-1 </mechanism><mechanism><![CDATA[PL]]>AIN</mechanism><mechanism> </mechanism></mechanisms></stream:features>`,
		`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>A<mechanism/>B</mechanism><mechanism xmlns='urn:x'>C</mechanism></mechanisms></stream:features>`,
		`<stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></proceed><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required xmlns='urn:x'/></starttls></stream:features>`,
		`<stream:features><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding xmlns='urn:x' type='tls-unique'/></sasl-channel-binding><x xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-unique'/></x></stream:features>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := wiretest.Element(data)
		if err != nil || el.Tokens[0].Name != featuresName {
			return
		}
		got := parseFeatures(el)
		ref, err := wiretest.Reference(el.Raw)
		if err != nil {
			return // FuzzNext holds the reader to encoding/xml
		}
		if want := referenceFeatures(ref); !equalFeatures(got, want) {
			t.Fatalf("%s\nparseFeatures: %#v\nreference:     %#v", el.Raw, got, want)
		}
		for _, s := range featureStrings(got) {
			if pointsInto(s, el.Raw) {
				t.Fatalf("%q is not copied out of the element", s)
			}
		}
	})
}

// referenceFeatures reads the features from encoding/xml's tree.
func referenceFeatures(n *wiretest.XMLNode) Features {
	var f Features
	is := func(c *wiretest.XMLNode, space, local string) bool {
		return c.XMLName == xml.Name{Space: space, Local: local}
	}
	for i := range n.Nodes {
		c := &n.Nodes[i]
		f.Names = append(f.Names, c.XMLName)
		switch {
		case is(c, nsTLS, "starttls"):
			f.startTLS = true
			f.startTLSRequired = f.startTLSRequired || slices.ContainsFunc(c.Nodes, func(g wiretest.XMLNode) bool { return is(&g, nsTLS, "required") })
		case is(c, nsSASL, "mechanisms"):
			for _, g := range c.Nodes {
				if m := strings.TrimSpace(g.Text); is(&g, nsSASL, "mechanism") && m != "" {
					f.mechanisms = append(f.mechanisms, m)
				}
			}
		case is(c, nsSASLCB, "sasl-channel-binding"):
			for _, g := range c.Nodes {
				if typ := g.Attr("type"); is(&g, nsSASLCB, "channel-binding") && typ != "" {
					f.bindings = append(f.bindings, typ)
				}
			}
		case is(c, nsBind, "bind"):
			f.bind = true
		case is(c, nsSession, "session"):
			f.session = true
			f.sessionOptional = f.sessionOptional || slices.ContainsFunc(c.Nodes, func(g wiretest.XMLNode) bool { return is(&g, nsSession, "optional") })
		}
	}
	return f
}

func equalFeatures(a, b Features) bool {
	return slices.Equal(a.Names, b.Names) && slices.Equal(a.mechanisms, b.mechanisms) && slices.Equal(a.bindings, b.bindings) &&
		a.startTLS == b.startTLS && a.startTLSRequired == b.startTLSRequired && a.bind == b.bind &&
		a.session == b.session && a.sessionOptional == b.sessionOptional
}

func featureStrings(f Features) []string {
	s := slices.Concat(f.mechanisms, f.bindings)
	for _, n := range f.Names {
		s = append(s, n.Space, n.Local)
	}
	return s
}

// pointsInto reports whether s is a substring of raw in memory.
func pointsInto(s, raw string) bool {
	if s == "" || raw == "" {
		return false
	}
	p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(raw)))
	return p >= start && p < start+uintptr(len(raw))
}

// FuzzStreamManagement reads the server's stream management elements
// (XEP-0198) in sequence into a session that has sent five stanzas, as
// negotiation and the reader do: <enabled/> (the resumption id and
// location, which <resume/> must carry back unchanged), <a/> and
// <resumed/> (h, read back from the <a/> we would write with it, then
// applied: an h that acknowledges what was not sent is refused and
// changes nothing, any other releases exactly the stanzas it covers),
// <failed/> (its condition is its first child's name).
func FuzzStreamManagement(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0198 examples 4, 5, 6, 8, 11, 12 and 14.
		`<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/><r xmlns='urn:xmpp:sm:3'/><a xmlns='urn:xmpp:sm:3' h='1'/>`,
		`<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' location='[2001:41D0:1:A49b::1]:9222' resume='true'/>`,
		`<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`,
		`<a xmlns='urn:xmpp:sm:3' h='0'/><a xmlns='urn:xmpp:sm:3' h='3'/><a xmlns='urn:xmpp:sm:3' h='5'/>`,
		`<resumed xmlns='urn:xmpp:sm:3' h='2' previd='some-long-sm-id'/>`,
		`<resumed xmlns='urn:xmpp:sm:3' h='another-sequence-number' previd='some-long-sm-id'/>`,
		`<failed xmlns='urn:xmpp:sm:3' h='4'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`,
		`<a xmlns='urn:xmpp:sm:3' h='4294967295'/><a xmlns='urn:xmpp:sm:3' h='4294967296'/><a xmlns='urn:xmpp:sm:3' h='007'/>`,
		`<enabled xmlns='urn:xmpp:sm:3' id='a&amp;b&#xD;&#x9;&apos;c' resume='1'/>`,
	)
	const sent = 5
	f.Fuzz(func(t *testing.T, data []byte) {
		sm := newSMState(&StreamManagement{RequestAfter: time.Hour})
		sm.request = func() {}
		defer sm.stop()
		for i := range sent {
			if err := sm.acquire(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			sm.sent(&stanza.Message{Common: stanza.Common{ID: strconv.Itoa(i)}})
		}
		wiretest.Elements(data, func(el *xmlstream.Element) bool {
			switch el.Tokens[0].Name {
			case smEnabledName:
				checkEnabled(t, sm, el)
			case smAckName, smResumedName, smFailedName:
				checkH(t, sm, el)
			}
			if el.Tokens[0].Name == smFailedName {
				cond := failureCondition(el)
				if ref, err := wiretest.Reference(el.Raw); err == nil {
					want := ""
					if len(ref.Nodes) > 0 {
						want = ref.Nodes[0].XMLName.Local
					}
					if cond != want {
						t.Fatalf("%s: failureCondition %q, want %q", el.Raw, cond, want)
					}
				}
				if (&smFailure{condition: cond}).Error() == "" {
					t.Fatal("an smFailure without text")
				}
			}
			return true
		})
	})
}

// checkEnabled takes <enabled/>: a resumable session keeps the id and
// location as sent, and the <resume/> it writes later reads back with
// them and the count of stanzas received.
func checkEnabled(t *testing.T, sm *smState, el *xmlstream.Element) {
	sm.enabled(el)
	ref, err := wiretest.Reference(el.Raw)
	if err != nil {
		return
	}
	wantID, wantLocation := "", ""
	if r := ref.Attr("resume"); r == "true" || r == "1" {
		wantID, wantLocation = ref.Attr("id"), ref.Attr("location")
	}
	sm.mu.Lock()
	id, location := sm.id, sm.location
	sm.mu.Unlock()
	if id != wantID || location != wantLocation {
		t.Fatalf("%s: id %q, location %q; want %q, %q", el.Raw, id, location, wantID, wantLocation)
	}
	sm.in.Store(uint32(len(el.Raw)))
	resume, err := wiretest.Element([]byte(sm.resumeElement()))
	if err != nil {
		t.Fatalf("<resume/> for id %q does not read: %v", id, err)
	}
	h, ok, err := parseH(resume)
	if previd := attr(resume, &resume.Tokens[0], "previd"); previd != id || !ok || err != nil || h != sm.in.Load() {
		t.Fatalf("%s reads back as previd %q, h %d, %v, %v; want %q, %d", resume.Raw, previd, h, ok, err, id, sm.in.Load())
	}
}

// checkH reads h as the reader and resume do and applies it.
func checkH(t *testing.T, sm *smState, el *xmlstream.Element) {
	h, ok, err := parseH(el)
	v := attr(el, &el.Tokens[0], "h")
	n, perr := strconv.ParseUint(v, 10, 32)
	switch {
	case v == "" && (ok || err != nil):
		t.Fatalf("%s: no h, but %d, %v, %v", el.Raw, h, ok, err)
	case v != "" && ((perr == nil) != ok || ok == (err != nil) || ok && uint64(h) != n):
		t.Fatalf("%s: h %d, %v, %v", el.Raw, h, ok, err)
	case err != nil && !errors.Is(err, errSMViolation):
		t.Fatalf("%s: %v is not a stream management violation", el.Raw, err)
	}
	if !ok {
		return
	}
	back, err := wiretest.Element([]byte(ackElement(h)))
	if err != nil {
		t.Fatal(err)
	}
	if h2, ok, err := parseH(back); h2 != h || !ok || err != nil {
		t.Fatalf("%s reads back as %d, %v, %v; want %d", back.Raw, h2, ok, err, h)
	}
	sm.mu.Lock()
	before, acked := len(sm.unacked), sm.acked
	sm.mu.Unlock()
	done, err := sm.ack(h)
	sm.mu.Lock()
	defer sm.mu.Unlock()
	covered := h - acked
	switch {
	case covered > uint32(before) && (err == nil || sm.acked != acked || len(sm.unacked) != before):
		t.Fatalf("h %d after %d with %d kept: %v, now %d acked and %d kept", h, acked, before, err, sm.acked, len(sm.unacked))
	case covered <= uint32(before) && (err != nil || len(done) != int(covered) || len(sm.unacked) != before-len(done) || sm.acked != h):
		t.Fatalf("h %d after %d with %d kept: %v, %d released, now %d acked and %d kept", h, acked, before, err, len(done), sm.acked, len(sm.unacked))
	case sm.held != len(sm.unacked):
		t.Fatalf("%d slots held for %d kept stanzas", sm.held, len(sm.unacked))
	}
}

var (
	failureName  = xml.Name{Space: nsSASL, Local: "failure"}
	failure2Name = xml.Name{Space: nsSASL2, Local: "failure"}
)

// FuzzSASLFailure reads <failure/> (RFC 6120's or SASL2's) as
// authentication does and compares parseFailure with encoding/xml's
// reading of RFC 6120 section 6.5: the condition is the first child in
// the SASL namespace (or SASL2's) other than <text/>, the text and its
// language those of the first such <text/>. Whatever the
// server sent, the failure is an error that says it is one.
func FuzzSASLFailure(f *testing.F) {
	wiretest.Seed(f,
		// RFC 6120 examples of section 6.4.5 and 6.5.
		`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`,
		`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><account-disabled/><text xml:lang='en'>Call 212-555-1212 for assistance.</text></failure>`,
		`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><text>first</text><aborted/><text>second</text></failure>`,
		`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><x xmlns='urn:example'/><text>a<b/>c</text><temporary-auth-failure/></failure>`,
		// XEP-0388's, and Prosody's SASL2 error without the SASL namespace.
		`<failure xmlns='urn:xmpp:sasl:2'><aborted xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><optional-application-specific xmlns='urn:something:else'/><text>This is a terrible example.</text></failure>`,
		`<failure xmlns='urn:xmpp:sasl:2'><malformed-request/></failure>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := wiretest.Element(data)
		if err != nil || el.Tokens[0].Name != failureName && el.Tokens[0].Name != failure2Name {
			return
		}
		got := parseFailure(el)
		if !strings.HasPrefix(got.Error(), "sasl: authentication failed") {
			t.Fatalf("%q does not say what failed", got.Error())
		}
		ref, err := wiretest.Reference(el.Raw)
		if err != nil {
			return // FuzzNext holds the reader to encoding/xml
		}
		var want sasl.Failure
		textSeen := false
		for i := range ref.Nodes {
			c := &ref.Nodes[i]
			if c.XMLName.Space != nsSASL && c.XMLName.Space != nsSASL2 {
				continue
			}
			switch {
			case c.XMLName.Local == "text" && !textSeen:
				textSeen = true
				want.Text = c.Text
				for _, a := range c.Attrs {
					if a.Name.Space == xmlstream.NSXML && a.Name.Local == "lang" {
						want.Lang = a.Value
					}
				}
			case c.XMLName.Local != "text" && want.Condition == "":
				want.Condition = sasl.Condition(c.XMLName.Local)
			}
		}
		if *got != want {
			t.Fatalf("%s\nparseFailure: %+v\nreference:    %+v", el.Raw, *got, want)
		}
	})
}
