package wire

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const header = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

func element(t testing.TB, s string) *xmlstream.Element {
	t.Helper()
	r := xmlstream.NewReader(strings.NewReader(header+s), xmlstream.Limits{})
	_, err := r.Header()
	require.NoError(t, err)
	el, err := r.Next()
	require.NoError(t, err, s)
	return el
}

func decode(t testing.TB, s string) (stanza.Stanza, error) {
	t.Helper()
	return Decode(element(t, s))
}

func encode(t testing.TB, s stanza.Stanza) string {
	t.Helper()
	enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
	require.NoError(t, Encode(&enc, stanza.NSClient, s))
	b, _ := enc.Bytes()
	return string(b)
}

// roundTrip checks that s encodes to XML that decodes back to s.
func roundTrip(t *testing.T, s stanza.Stanza) {
	t.Helper()
	out := encode(t, s)
	back, err := decode(t, out)
	require.NoError(t, err, out)
	assert.Equal(t, s, back, "through %s", out)
}

// The seed's Openfire stanzas (../shared/seeds/000_*.txt), as Openfire
// sends them.
func TestDecodeSeedStanzas(t *testing.T) {
	s, err := decode(t, `<message from="903e652d2334628a@oatest.dgcb.com.cn/phone" id="Bw4c9-4" to="8049a646c63e65e8@oatest.dgcb.com.cn" type="chat">
    <body>{"fromId":"903e652d2334628a","fromName":"郑西风","messageType":1,"secret":false,"textContent":"你好"}</body>
    <request xmlns="urn:xmpp:receipts"/>
    <send time="2018-10-19 16:08:21:999" xmlns="icitic:msg:single"/>
</message>`)
	require.NoError(t, err)
	m := s.(*stanza.Message)
	assert.Equal(t, stanza.Chat, m.Type)
	assert.Equal(t, jid.MustParse("903e652d2334628a@oatest.dgcb.com.cn/phone"), m.From)
	assert.Equal(t, "Bw4c9-4", m.ID)
	assert.Contains(t, m.Body(""), `"textContent":"你好"`)
	require.Len(t, m.Extensions, 2)
	assert.Equal(t, xml.Name{Space: "urn:xmpp:receipts", Local: "request"}, m.Extensions[0].Name)
	assert.Equal(t, "2018-10-19 16:08:21:999", m.Extensions[1].Attr("time"))

	// Openfire's non-standard receipt is kept as an extension, read
	// without error.
	s, err = decode(t, `<message from='a@b/c' id='r1' to='d@b'><received msgId='5U6Mk-5' status='1' time='x' xmlns='urn:xmpp:receipts'/></message>`)
	require.NoError(t, err)
	assert.Equal(t, "5U6Mk-5", s.(*stanza.Message).Extensions[0].Attr("msgId"))

	s, err = decode(t, `<presence from='bqt@myopenfire.com/Spark' to='admin@myopenfire.com'><status>在线</status><priority>1</priority><show>away</show><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="http://www.igniterealtime.org/projects/smack" ver="NfJ3flI83zSdUDzCEICtbypursw="/></presence>`)
	require.NoError(t, err)
	p := s.(*stanza.Presence)
	assert.Equal(t, stanza.ShowAway, p.Show)
	assert.Equal(t, int8(1), p.Priority)
	assert.Equal(t, "在线", p.Status("en"))
	assert.Equal(t, "NfJ3flI83zSdUDzCEICtbypursw=", p.Extensions[0].Attr("ver"))

	s, err = decode(t, `<iq type="result" id="K2S4Y-12" to="bqt@myopenfire.com/Smack"><query xmlns="jabber:iq:roster" ver="2"><item jid="admin@myopenfire.com" name="admin" subscription="both"><group>Friends</group></item></query></iq>`)
	require.NoError(t, err)
	iq := s.(*stanza.IQ)
	assert.Equal(t, xml.Name{Space: "jabber:iq:roster", Local: "query"}, iq.PayloadName())
	assert.Equal(t, "Friends", iq.Payload.Child("", "item").Child("jabber:iq:roster", "group").InnerText())
}

func TestRoundTripStanzas(t *testing.T) {
	juliet := jid.MustParse("juliet@example.com/balcony")
	romeo := jid.MustParse("romeo@example.net/orchard")
	ext := stanza.Node{
		Name:  xml.Name{Space: "urn:example:deep", Local: "outer"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "a"}, Value: "1 < 2"}, {Name: xml.Name{Space: "urn:other", Local: "b"}, Value: "x"}},
		Nodes: []stanza.Node{
			{Text: "before "},
			{Name: xml.Name{Space: "urn:example:deep", Local: "inner"}, Nodes: []stanza.Node{{Text: "deep & <text>"}}},
			{Name: xml.Name{Space: "urn:elsewhere", Local: "foreign"}},
			{Text: " after"},
		},
	}
	m := &stanza.Message{Type: stanza.Chat,
		Bodies:     []stanza.Text{{Value: "Wherefore art thou?"}, {Lang: "de", Value: "Wo bist du?"}},
		Subjects:   []stanza.Text{{Value: "I implore you"}},
		Thread:     stanza.Thread{ID: "e0ffe42b", Parent: "7edac73a"},
		Extensions: []stanza.Node{{Name: xml.Name{Space: "urn:xmpp:receipts", Local: "request"}}, ext},
	}
	m.To, m.From, m.ID, m.Lang = romeo, juliet, "m1", "en"
	roundTrip(t, m)

	for _, typ := range []stanza.PresenceType{stanza.Available, stanza.Unavailable, stanza.Subscribe, stanza.Subscribed, stanza.Unsubscribe, stanza.Unsubscribed, stanza.Probe} {
		p := &stanza.Presence{Type: typ, Show: stanza.ShowDND, Priority: -128, Statuses: []stanza.Text{{Value: "busy"}}}
		p.To = romeo
		roundTrip(t, p)
	}
	for _, show := range []stanza.Show{"", stanza.ShowChat, stanza.ShowAway, stanza.ShowXA, stanza.ShowDND} {
		roundTrip(t, &stanza.Presence{Show: show, Priority: 127})
	}
	for _, typ := range []stanza.MessageType{stanza.Normal, stanza.Chat, stanza.Groupchat, stanza.Headline} {
		roundTrip(t, &stanza.Message{Type: typ, Bodies: []stanza.Text{{Value: "x"}}})
	}

	get := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	get.To, get.From, get.ID = romeo, juliet, "p1"
	roundTrip(t, get)
	res := get.ResultIQ(nil)
	assert.Equal(t, juliet, res.To)
	assert.Equal(t, romeo, res.From)
	assert.Equal(t, "p1", res.ID)
	roundTrip(t, res)
}

func TestRoundTripErrors(t *testing.T) {
	req := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: xml.Name{Space: "jabber:iq:roster", Local: "query"}}}
	req.From, req.ID = jid.MustParse("juliet@example.com/balcony"), "s1"
	for _, c := range stanza.Conditions() {
		e := &stanza.Error{Type: stanza.Cancel, Condition: c, Text: "because", Lang: "en", By: jid.MustParse("example.com")}
		if c == stanza.Gone || c == stanza.Redirect {
			e.Target = "xmpp:other@example.com"
		}
		iq := req.ErrorIQ(e)
		roundTrip(t, iq)
		m := &stanza.Message{Type: stanza.MessageError}
		m.Error = e
		roundTrip(t, m)
	}
	// An application-specific condition survives.
	e := &stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest,
		App: &stanza.Node{Name: xml.Name{Space: "http://jabber.org/protocol/pubsub#errors", Local: "invalid-jid"}}}
	roundTrip(t, req.ErrorIQ(e))

	for _, typ := range []stanza.ErrorType{stanza.Auth, stanza.Cancel, stanza.Continue, stanza.Modify, stanza.Wait} {
		roundTrip(t, req.ErrorIQ(stanza.NewError(typ, stanza.ServiceUnavailable)))
	}
}

func TestStanzaErrorIs(t *testing.T) {
	s, err := decode(t, `<iq type='error' id='1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such node</text></error></iq>`)
	require.NoError(t, err)
	var got error = s.(*stanza.IQ).Error
	assert.True(t, errors.Is(got, &stanza.Error{Condition: stanza.ItemNotFound}))
	assert.True(t, errors.Is(got, &stanza.Error{Type: stanza.Cancel}))
	assert.False(t, errors.Is(got, &stanza.Error{Condition: stanza.Forbidden}))
	var e *stanza.Error
	require.True(t, errors.As(got, &e))
	assert.Equal(t, "no such node", e.Text)
	assert.EqualError(t, got, "stanza error: item-not-found (cancel): no such node")
}

func TestStreamErrors(t *testing.T) {
	for _, c := range stanza.StreamConditions() {
		body := ""
		if c == stanza.SeeOtherHost {
			body = "[2001:db8::1]:5222"
		}
		el := element(t, `<stream:error><`+string(c)+` xmlns='urn:ietf:params:xml:ns:xmpp-streams'>`+body+`</`+string(c)+`><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>bye</text><app xmlns='urn:example'/></stream:error>`)
		e := DecodeStreamError(el)
		assert.Equal(t, c, e.Condition)
		assert.Equal(t, "bye", e.Text)
		assert.Equal(t, "en", e.Lang)
		assert.Equal(t, "urn:example", e.App.Name.Space)
		assert.True(t, errors.Is(e, &stanza.StreamError{Condition: c}))
		if c == stanza.SeeOtherHost {
			assert.Equal(t, "[2001:db8::1]:5222", e.OtherHost)
		}
	}
}

func TestMalformedStanzas(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     stanza.Condition
	}{
		{"IQ get without payload", `<iq type='get' id='1' from='a@b/c'/>`, stanza.BadRequest},
		{"IQ set with two payloads", `<iq type='set' id='1'><a xmlns='x'/><b xmlns='y'/></iq>`, stanza.BadRequest},
		{"IQ without id", `<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>`, stanza.BadRequest},
		{"IQ of unknown type", `<iq type='fetch' id='1'><a xmlns='x'/></iq>`, stanza.BadRequest},
		{"bad show", `<presence><show>sleeping</show></presence>`, stanza.BadRequest},
		{"priority out of range", `<presence><priority>128</priority></presence>`, stanza.BadRequest},
		{"priority not a number", `<presence><priority>high</priority></presence>`, stanza.BadRequest},
		{"unknown presence type", `<presence type='online'/>`, stanza.BadRequest},
		{"unknown message type", `<message type='sms'/>`, stanza.BadRequest},
		{"bad from", `<message from='a@b@c'/>`, stanza.JIDMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := decode(t, tc.in)
			assert.ErrorIs(t, err, &stanza.Error{Condition: tc.want})
			require.NotNil(t, s, "the partial stanza addresses the reply")
		})
	}
	// The partial IQ has what a reply needs.
	s, err := decode(t, `<iq type='get' id='q7' from='a@b/c'/>`)
	require.Error(t, err)
	assert.Equal(t, "q7", s.Head().ID)
	assert.Equal(t, jid.MustParse("a@b/c"), s.Head().From)
}

func TestMessageHelpers(t *testing.T) {
	m := &stanza.Message{Type: stanza.Chat, Thread: stanza.Thread{ID: "t1"},
		Bodies: []stanza.Text{{Lang: "de", Value: "Hallo"}, {Value: "Hello"}}}
	m.From = jid.MustParse("romeo@example.net/orchard")
	assert.Equal(t, "Hallo", m.Body("de"))
	assert.Equal(t, "Hello", m.Body("fr"))
	r := m.Reply("hi")
	assert.Equal(t, m.From, r.To)
	assert.Equal(t, stanza.Thread{ID: "t1"}, r.Thread)
	assert.Equal(t, stanza.Chat, r.Type)
}

// receipt is a typed extension as a feature package would write one.
type receipt struct{ ID string }

func (receipt) ExtensionName() xml.Name {
	return xml.Name{Space: "urn:xmpp:receipts", Local: "received"}
}

func (r receipt) MarshalNode() (stanza.Node, error) {
	return stanza.Node{Name: r.ExtensionName(), Attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: r.ID}}}, nil
}

func (r *receipt) UnmarshalNode(n stanza.Node) error {
	r.ID = n.Attr("id")
	if r.ID == "" {
		r.ID = n.Attr("msgId") // Openfire's form
	}
	return nil
}

func TestTypedExtension(t *testing.T) {
	m := &stanza.Message{}
	var err error
	m.Extensions, err = stanza.AppendExtension(m.Extensions, &receipt{ID: "m1"})
	require.NoError(t, err)
	back, err := decode(t, encode(t, m))
	require.NoError(t, err)
	var r receipt
	ok, err := stanza.FindExtension(back.(*stanza.Message).Extensions, &r)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "m1", r.ID)

	ok, err = stanza.FindExtension(nil, &r)
	assert.False(t, ok)
	assert.NoError(t, err)
}

func TestEncodeRefusesUnencodable(t *testing.T) {
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "nul \x00 here"}}}
	enc := xmlstream.Encoder{Inherited: stanza.NSClient}
	assert.ErrorIs(t, Encode(&enc, stanza.NSClient, m), xmlstream.ErrUnencodable)
	enc.Reset()
	assert.Error(t, Encode(&enc, stanza.NSClient, &stanza.IQ{Type: stanza.Get}), "an IQ needs an id")
}

// An extension whose element or attribute name is not an XML name (built
// from user input, say) is refused before a byte goes out.
func TestEncodeRefusesBadNames(t *testing.T) {
	bad := "x/></message><message to='x@y'><body>injected</body></message><x"
	for _, n := range []stanza.Node{
		{Name: xml.Name{Space: "urn:x", Local: bad}},
		{Name: xml.Name{Space: "urn:x", Local: "ok"}, Attrs: []xml.Attr{{Name: xml.Name{Local: bad}, Value: "v"}}},
		{Name: xml.Name{Space: "urn:x", Local: "ok"}, Nodes: []stanza.Node{{Name: xml.Name{Space: "urn:x", Local: "a b"}}}},
	} {
		m := &stanza.Message{Extensions: []stanza.Node{n}}
		enc := xmlstream.Encoder{Inherited: stanza.NSClient}
		assert.Error(t, Encode(&enc, stanza.NSClient, m))
	}
}

// A message's extensions get a slice of their exact number, in the
// message's own allocation when there is one; without any it costs one
// allocation in all, and Extensions stays nil.
func TestMessageExtensionsSized(t *testing.T) {
	for _, tc := range []struct {
		ext    string
		n      int
		allocs float64 // for Decode: the message; nodes and their attributes
	}{
		{"", 0, 1},
		{"<request xmlns='urn:xmpp:receipts'/>", 1, 1},
		{"<request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='o1'/>", 3, 3},
	} {
		el := element(t, "<message to='a@b/c' id='m1' type='chat'><body>hi</body><thread>t</thread>"+tc.ext+"</message>")
		s, err := Decode(el)
		require.NoError(t, err)
		m := s.(*stanza.Message)
		assert.Equal(t, "hi", m.Body(""))
		assert.Equal(t, "t", m.Thread.ID)
		require.Len(t, m.Extensions, tc.n)
		if tc.n == 0 {
			assert.Nil(t, m.Extensions)
		}
		assert.Equal(t, tc.n, cap(m.Extensions))
		assert.Equal(t, tc.allocs, testing.AllocsPerRun(20, func() { Decode(el) }), tc.ext)
	}
}

// DecodeFor takes an address written as the stream's own for the own JID
// itself (its string, not a parse of the element's); others, and the
// same address written otherwise, are parsed as Decode does.
func TestDecodeForOwnAddress(t *testing.T) {
	own := jid.MustParse("alice@localhost/r")
	el := element(t, "<message to='alice@localhost/r' from='bob@localhost/b' type='chat' id='1'><body>hi</body></message>")
	s, err := DecodeFor(el, own)
	require.NoError(t, err)
	m := s.(*stanza.Message)
	assert.Equal(t, own, m.To)
	assert.Same(t, unsafe.StringData(own.String()), unsafe.StringData(m.To.String()), "own's string")
	assert.Equal(t, jid.MustParse("bob@localhost/b"), m.From)

	el = element(t, "<message to='Alice@localhost/r' type='chat'><body>hi</body></message>")
	s, err = DecodeFor(el, own)
	require.NoError(t, err)
	assert.Equal(t, own, s.(*stanza.Message).To, "the same address, canonicalized")
}
