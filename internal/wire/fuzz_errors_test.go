package wire_test

import (
	"reflect"
	"testing"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

var streamErrorName = xmlstream.Name{Space: xmlstream.NSStream, Local: "error"}

// FuzzDecodeStreamError reads <stream:error/> as the connection does and
// checks DecodeStreamError against encoding/xml's reading of RFC 6120
// section 4.9.2 (the condition is the first child in the streams
// namespace other than <text/>, undefined-condition when there is none,
// with the host of see-other-host as its text; the text and its language
// come from the last <text/>, the language only with text; the
// application condition is the first child in another namespace), then
// writes the error as the connection sends one and reads it back to the
// same value.
func FuzzDecodeStreamError(f *testing.F) {
	wiretest.Seed(f, wiretest.ServerElements(f, func(el *xmlstream.Element) bool { return el.Tokens[0].Name == streamErrorName })...)
	wiretest.Seed(f,
		// RFC 6120 sections 4.9.1.1, 4.9.3.19 and 4.9.4.
		`<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`,
		`<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[2001:41D0:1:A49b::1]:9222</see-other-host></stream:error>`,
		`<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xml:lang='en' xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Some special application diagnostic information!</text><escape-your-data xmlns='http://example.org/ns'/></stream:error>`,
		`<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no condition</text></stream:error>`,
		`<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><host-gone xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><app xmlns='urn:x'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'></text></stream:error>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := wiretest.Element(data)
		if err != nil || el.Tokens[0].Name != streamErrorName {
			return
		}
		se := wire.DecodeStreamError(el)
		if ref, err := wiretest.Reference(el.Raw); err == nil {
			checkCondition(t, el.Raw, stanza.NSStreams, ref, string(se.Condition), string(stanza.StreamUndefined), "", se.Text, se.Lang, se.App)
			if want := conditionText(ref, stanza.NSStreams); se.Condition == stanza.SeeOtherHost && se.OtherHost != want || se.Condition != stanza.SeeOtherHost && se.OtherHost != "" {
				t.Fatalf("%s: other host %q, want %q", el.Raw, se.OtherHost, want)
			}
		}
		enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
		if err := wire.EncodeStreamError(&enc, se); err != nil {
			t.Fatalf("%#v does not encode: %v", se, err)
		}
		out, _ := enc.Bytes()
		back, err := wiretest.Element(out)
		if err != nil {
			t.Fatalf("%#v encodes as %s, which does not read: %v", se, out, err)
		}
		again := wire.DecodeStreamError(back)
		se.App, again.App = wiretest.Normalize(se.App), wiretest.Normalize(again.App)
		if !reflect.DeepEqual(se, again) {
			t.Fatalf("%s encodes as %s, which decodes to %#v; want %#v", el.Raw, out, again, se)
		}
	})
}

// FuzzStanzaError reads stanzas and checks the <error/> that Decode
// found, partly decoded stanzas included, against encoding/xml's
// reading of RFC 6120 section 8.3.2 (the last <error/> of a message or
// presence, of an IQ only of type error; its type; by, when it is a valid
// address; the condition and its text as for stream errors, in the
// stanzas namespace, the condition's text the target of gone and
// redirect only), then sends the error in a message and reads it back to
// the same value.
func FuzzStanzaError(f *testing.F) {
	wiretest.Seed(f, wiretest.ServerElements(f, func(el *xmlstream.Element) bool {
		st, _ := wire.Decode(el)
		return wire.IsStanza(el) && errorOf(st) != nil
	})...)
	wiretest.Seed(f,
		// RFC 6120 sections 8.3.2, 8.3.3.5 and 8.3.3.12; RFC 6121 section
		// 8.5.2.1.1; XEP-0045 example 31.
		`<iq from='im.example.com' id='z94nb37h' to='romeo@example.net' type='error'><error by='im.example.com' type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:romeo@afterlife.example.net</gone></error></iq>`,
		`<message from='juliet@im.example.com/foo' to='romeo@example.net' type='error'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xml:lang='en' xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Some special application diagnostic information!</text><too-many-parameters xmlns='http://example.org/ns'/></error></message>`,
		`<iq from='example.net' id='ud7n1f4h' to='romeo@example.net/home' type='error'><error type='cancel'><redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:rooms@conference.example.com</redirect></error></iq>`,
		`<presence from='coven@chat.shakespeare.lit/thirdwitch' id='n13mt3l' to='hag66@shakespeare.lit/pda' type='error'><x xmlns='http://jabber.org/protocol/muc'/><error by='coven@chat.shakespeare.lit' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`,
		`<message type='error' id='1'><error type='wait'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'/></error></message>`,
		`<iq type='result' id='2'><error xmlns='urn:x'/></iq>`,
		`<message type='error' id='4'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>x</item-not-found></error></message>`,
		`<iq type='error' id='3'><error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><app xmlns='urn:x'/></error></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, _ error) bool {
			e := errorOf(st)
			if ref, err := wiretest.Reference(el.Raw); err == nil {
				checkStanzaError(t, el.Raw, ref, e)
			}
			if e == nil {
				return true
			}
			back, err := wiretest.RoundTrip(&stanza.Message{Common: stanza.Common{Error: e}, Type: stanza.MessageError})
			if err != nil {
				t.Fatalf("%#v does not go through the codec: %v", e, err)
			}
			again := errorOf(back)
			if again == nil {
				t.Fatalf("%s: %#v comes back as no error", el.Raw, e)
			}
			e.App, again.App = wiretest.Normalize(e.App), wiretest.Normalize(again.App)
			if !reflect.DeepEqual(e, again) {
				t.Fatalf("%s: %#v comes back as %#v", el.Raw, e, again)
			}
			return true
		})
	})
}

func errorOf(st stanza.Stanza) *stanza.Error {
	if st == nil {
		return nil
	}
	return st.Head().Error
}

// checkStanzaError compares e with the reference's error child.
func checkStanzaError(t *testing.T, raw string, ref *wiretest.XMLNode, e *stanza.Error) {
	t.Helper()
	var want *wiretest.XMLNode
	if ref.XMLName.Local != "iq" || ref.Attr("type") == "error" {
		for i := range ref.Nodes {
			if ref.Nodes[i].XMLName == (xmlstream.Name{Space: ref.XMLName.Space, Local: "error"}) {
				want = &ref.Nodes[i]
			}
		}
	}
	if (want == nil) != (e == nil) {
		t.Fatalf("%s: error %#v; reference %#v", raw, e, want)
	}
	if e == nil {
		return
	}
	by, _ := jid.Parse(want.Attr("by"))
	if e.Type != stanza.ErrorType(want.Attr("type")) || e.By != by {
		t.Fatalf("%s: type %q by %q", raw, e.Type, e.By)
	}
	checkCondition(t, raw, stanza.NSStanzas, want, string(e.Condition), string(stanza.UndefinedCondition), e.Target, e.Text, e.Lang, e.App)
}

// checkCondition compares what an error element holds with encoding/xml's
// reading of it: the condition (or undefined) and its text target, the
// last text and its language, and the application condition.
func checkCondition(t *testing.T, raw, space string, ref *wiretest.XMLNode, cond, undefined, target, text, lang string, app *stanza.Node) {
	t.Helper()
	wantCond, wantTarget := undefined, ""
	var wantText, wantLang string
	var wantApp *wiretest.XMLNode
	found := false
	for i := range ref.Nodes {
		c := &ref.Nodes[i]
		switch {
		case c.XMLName == xmlstream.Name{Space: space, Local: "text"}:
			wantText, wantLang = c.Text, ""
			for _, a := range c.Attrs {
				if a.Name == (xmlstream.Name{Space: xmlstream.NSXML, Local: "lang"}) && c.Text != "" {
					wantLang = a.Value
				}
			}
		case c.XMLName.Space == space && !found:
			wantCond, wantTarget, found = c.XMLName.Local, c.Text, true
		case c.XMLName.Space != space && wantApp == nil:
			wantApp = c
		}
	}
	if space == stanza.NSStreams || wantCond != string(stanza.Gone) && wantCond != string(stanza.Redirect) {
		// Only gone and redirect have a target (the caller checks the
		// host of see-other-host).
		wantTarget = ""
	}
	if cond != wantCond || target != wantTarget || text != wantText || lang != wantLang {
		t.Fatalf("%s: condition %q (%q), text %q (%q); want %q (%q), %q (%q)", raw, cond, target, text, lang, wantCond, wantTarget, wantText, wantLang)
	}
	if (app == nil) != (wantApp == nil) || app != nil && !wiretest.SameNode(wantApp, app) {
		t.Fatalf("%s: application condition %#v; want %#v", raw, app, wantApp)
	}
}

// conditionText is the text of the first condition element in space.
func conditionText(ref *wiretest.XMLNode, space string) string {
	for _, c := range ref.Nodes {
		if c.XMLName.Space == space && c.XMLName.Local != "text" {
			return c.Text
		}
	}
	return ""
}
