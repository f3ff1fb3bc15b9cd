package upload

import (
	"strings"
	"testing"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"golang.org/x/net/http/httpguts"
)

// FuzzSlot reads slot results as RequestSlot does: a slot read has two
// absolute http(s) URLs with a host, and only the allowed header fields,
// with no line break or other control character in a name or value.
func FuzzSlot(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0363 example 5, and what Prosody and ejabberd answer.
		`<iq from='upload.montague.tld' id='step_03' to='romeo@montague.tld/garden' type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://upload.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg'><header name='Authorization'>Basic Base64String==</header><header name='Cookie'>foo=bar; user=romeo</header></put><get url='https://download.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg' /></slot></iq>`,
		`<iq type='result' id='s'><slot xmlns='urn:xmpp:http:upload:0'><get url='https://localhost:15281/file_share/x/a.bin'/><put url='https://localhost:15281/file_share/x/a.bin'><header name='Authorization'>Bearer e.y.J</header></put></slot></iq>`,
		`<iq type='result' id='s'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://localhost:25443/upload/a/b.bin'/><get url='https://localhost:25443/upload/a/b.bin'/></slot></iq>`,
		`<iq type='result' id='s'><slot xmlns='urn:xmpp:http:upload:0'><put url='http://h/'><header name='eXpires'>x&#10;y</header><header name='Host'>z</header><header>v</header></put><get url='//h/'/></slot></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Type != stanza.Result {
				return true
			}
			s, perr := parseSlot(iq.Payload)
			if perr != nil {
				return true
			}
			for _, u := range []string{s.Put.String(), s.Get.String()} {
				if _, err := slotURL(u); err != nil {
					t.Fatalf("%s: a slot URL that is not one: %v", el.Raw, err)
				}
			}
			for k, vs := range s.Header {
				if !allowed(k) {
					t.Fatalf("%s: header %q kept", el.Raw, k)
				}
				for _, v := range vs {
					if strings.ContainsAny(k+v, "\r\n\x00") {
						t.Fatalf("%s: header %q: %q keeps a control character", el.Raw, k, v)
					}
					if !httpguts.ValidHeaderFieldValue(v) {
						t.Fatalf("%s: header %q: %q would fail the PUT", el.Raw, k, v)
					}
				}
			}
			return true
		})
	})
}

// FuzzService reads disco#info results as Service does: a service is
// found exactly when NS is among the features, and its limit is never
// negative.
func FuzzService(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0363 example 2.
		`<iq from='upload.montague.tld' id='step_02' to='romeo@montague.tld/garden' type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file' name='HTTP File Upload' /><feature var='urn:xmpp:http:upload:0' /><x type='result' xmlns='jabber:x:data'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>5242880</value></field></x></query></iq>`,
		`<iq type='result' id='i'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:http:upload:0'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>-1</value></field></x></query></iq>`,
		`<iq type='result' id='i'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:http:upload:0'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>99999999999999999999</value></field></x></query></iq>`,
	)
	entity := jid.MustParse("upload.localhost")
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Type != stanza.Result || iq.Payload == nil {
				return true
			}
			var info disco.Info
			if info.UnmarshalNode(*iq.Payload) != nil {
				return true
			}
			svc, ok := serviceOf(entity, &info)
			if ok != info.HasFeature(NS) {
				t.Fatalf("%s: service %v, feature %v", el.Raw, ok, info.HasFeature(NS))
			}
			if svc.MaxFileSize < 0 || (ok && svc.JID != entity) {
				t.Fatalf("%s: read as %+v", el.Raw, svc)
			}
			return true
		})
	})
}

// FuzzSlotError reads error replies to slot requests: a limit read is
// positive, and only a <file-too-large/> gives one.
func FuzzSlotError(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0363 examples 9 and 10.
		`<iq from='upload.montague.tld' id='step_03' to='romeo@montague.tld/garden' type='error'><request xmlns='urn:xmpp:http:upload:0' filename='très cool.jpg' size='23456' content-type='image/jpeg' /><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' /><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>File too large. The maximum file size is 20000 bytes</text><file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>20000</max-file-size></file-too-large></error></iq>`,
		`<iq from='upload.montague.tld' id='step_03' to='romeo@montague.tld/garden' type='error'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' /><retry xmlns='urn:xmpp:http:upload:0' stamp='2017-12-03T23:42:05Z' /></error></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Error == nil {
				return true
			}
			max, ok := tooLarge(iq.Error)
			if max < 0 || (!ok && max != 0) {
				t.Fatalf("%s: limit %d, %v", el.Raw, max, ok)
			}
			if ok && iq.Error.App.Name != tooLargeName {
				t.Fatalf("%s: too large without <file-too-large/>", el.Raw)
			}
			at, ok := RetryAt(iq.Error)
			if ok && at.IsZero() {
				t.Fatalf("%s: a retry at the zero time", el.Raw)
			}
			return true
		})
	})
}

// FuzzOOB reads out-of-band data from messages as ReadOOB does: what is
// read has a URL and comes back the same through Message.
func FuzzOOB(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0066 example 5.
		`<message from='stpeter@jabber.org/work' to='MaineBoy@jabber.org/home'><body>Yeah, but do you have a license to Jabber?</body><x xmlns='jabber:x:oob'><url>http://www.jabber.org/images/psa-license.jpg</url></x></message>`,
		`<message><x xmlns='jabber:x:oob'><url> u </url><desc>d<b/>e</desc><url>second</url></x></message>`,
		`<message><x xmlns='jabber:x:oob'><desc>no url</desc></x></message>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			o, ok := ReadOOB(m)
			if !ok {
				return true
			}
			if o.URL == "" {
				t.Fatalf("%s: no URL read", el.Raw)
			}
			back, err := wiretest.RoundTrip(Message(jid.JID{}, stanza.Chat, o.URL, o.Desc))
			if err != nil {
				t.Fatalf("%s: %+v does not go through the codec: %v", el.Raw, o, err)
			}
			again, ok := ReadOOB(back.(*stanza.Message))
			if !ok || again != o {
				t.Fatalf("%s: %+v comes back as %+v", el.Raw, o, again)
			}
			return true
		})
	})
}
