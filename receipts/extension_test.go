package receipts_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encode returns m as the connection writes it.
func encode(t testing.TB, m *stanza.Message) string {
	t.Helper()
	b, err := wiretest.Encode(m)
	require.NoError(t, err)
	return string(b)
}

// TestRoundTrip: each extension marshals to its element, survives the
// wire, and reads back equal.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		ext  stanza.Extension
		xml  string // the encoded message carrying ext
		back func() stanza.Extension
	}{
		{"request", &receipts.Request{},
			`<message id='m1'><request xmlns='urn:xmpp:receipts'/></message>`,
			func() stanza.Extension { return new(receipts.Request) }},
		{"received", &receipts.Received{ID: "richard2-4.1.247"},
			`<message id='m1'><received xmlns='urn:xmpp:receipts' id='richard2-4.1.247'/></message>`,
			func() stanza.Extension { return new(receipts.Received) }},
		{"received with Openfire's status and time", &receipts.Received{ID: "nCRIE-44", Status: "1", Time: "2018-10-20 14:50:16:566"},
			`<message id='m1'><received xmlns='urn:xmpp:receipts' id='nCRIE-44' status='1' time='2018-10-20 14:50:16:566'/></message>`,
			func() stanza.Extension { return new(receipts.Received) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &stanza.Message{}
			m.ID = "m1"
			var err error
			m.Extensions, err = stanza.AppendExtension(m.Extensions, tc.ext)
			require.NoError(t, err)
			got := encode(t, m)
			assert.Equal(t, strings.ReplaceAll(tc.xml, "'", `"`), strings.ReplaceAll(got, "'", `"`))

			back := tc.back()
			ok, err := stanza.FindExtension(wiretest.Message(t, got).Extensions, back)
			require.True(t, ok)
			require.NoError(t, err)
			assert.Equal(t, tc.ext, back)
		})
	}
}

// TestReceivedOpenfire reads the receipt the seed's Openfire sent, which
// names the message with msgId instead of id.
func TestReceivedOpenfire(t *testing.T) {
	m := wiretest.Message(t, `<message from="903e652d2334628a@oatest.dgcb.com.cn/phone" to="8049a646c63e65e8@oatest.dgcb.com.cn/phone">
    <received msgId="nCRIE-44" status="1" time="2018-10-20 14:50:16:566" xmlns="urn:xmpp:receipts"/>
   </message>`)
	var r receipts.Received
	ok, err := stanza.FindExtension(m.Extensions, &r)
	require.True(t, ok)
	require.NoError(t, err)
	assert.Equal(t, receipts.Received{ID: "nCRIE-44", Status: "1", Time: "2018-10-20 14:50:16:566"}, r)

	// Written back, it is the standard form.
	n, err := r.MarshalNode()
	require.NoError(t, err)
	assert.Equal(t, "nCRIE-44", n.Attr("id"))
	assert.Empty(t, n.Attr("msgId"))
}

func TestReceivedUnmarshal(t *testing.T) {
	name := receipts.Received{}.ExtensionName()
	attr := func(k, v string) xml.Attr { return xml.Attr{Name: xml.Name{Local: k}, Value: v} }
	for _, tc := range []struct {
		name  string
		node  stanza.Node
		want  receipts.Received
		isErr error
	}{
		{"id", stanza.Node{Name: name, Attrs: []xml.Attr{attr("id", "a")}}, receipts.Received{ID: "a"}, nil},
		{"id wins over msgId", stanza.Node{Name: name, Attrs: []xml.Attr{attr("msgId", "b"), attr("id", "a")}}, receipts.Received{ID: "a"}, nil},
		{"empty id, msgId", stanza.Node{Name: name, Attrs: []xml.Attr{attr("id", ""), attr("msgId", "b")}}, receipts.Received{ID: "b"}, nil},
		{"no id (XEP-0184 before 1.1)", stanza.Node{Name: name}, receipts.Received{}, receipts.ErrNoID},
		{"namespaced id is not id", stanza.Node{Name: name, Attrs: []xml.Attr{{Name: xml.Name{Space: "urn:example", Local: "id"}, Value: "x"}}}, receipts.Received{}, receipts.ErrNoID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := receipts.Received{ID: "stale", Status: "stale"}
			err := r.UnmarshalNode(tc.node)
			if tc.isErr != nil {
				require.ErrorIs(t, err, tc.isErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, r)
		})
	}

	var r receipts.Received
	require.Error(t, r.UnmarshalNode(stanza.Node{Name: receipts.Request{}.ExtensionName()}), "a request is not a receipt")
	var q receipts.Request
	require.Error(t, q.UnmarshalNode(stanza.Node{Name: name}), "a receipt is not a request")
	_, err := receipts.Received{}.MarshalNode()
	require.ErrorIs(t, err, receipts.ErrNoID)
}

func TestAddRequest(t *testing.T) {
	request := stanza.Node{Name: receipts.Request{}.ExtensionName()}
	received, err := receipts.Received{ID: "x"}.MarshalNode()
	require.NoError(t, err)
	other := stanza.Node{Name: xml.Name{Space: "http://jabber.org/protocol/chatstates", Local: "active"}}
	for _, tc := range []struct {
		name string
		m    stanza.Message
		ok   bool
		want []stanza.Node
	}{
		{"chat", stanza.Message{Type: stanza.Chat}, true, []stanza.Node{request}},
		{"after other extensions", stanza.Message{Extensions: []stanza.Node{other}}, true, []stanza.Node{other, request}},
		{"groupchat, when asked", stanza.Message{Type: stanza.Groupchat}, true, []stanza.Node{request}},
		{"already requested", stanza.Message{Extensions: []stanza.Node{request}}, true, []stanza.Node{request}},
		{"error", stanza.Message{Type: stanza.MessageError}, false, nil},
		{"ack message", stanza.Message{Extensions: []stanza.Node{received}}, false, []stanza.Node{received}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			assert.Equal(t, tc.ok, receipts.AddRequest(&m))
			assert.Equal(t, tc.want, m.Extensions)
		})
	}

	// Two messages built on one slice with spare room do not write into
	// each other's extensions.
	base := make([]stanza.Node, 1, 4)
	base[0] = other
	m1 := &stanza.Message{Extensions: base}
	m2 := &stanza.Message{Extensions: base}
	receipts.AddRequest(m1)
	m2.Extensions = append(m2.Extensions, received)
	assert.Equal(t, []stanza.Node{other, request}, m1.Extensions)
}

// The request that AddRequest adds is the one the Openfire seed's Smack
// sent (lines 100-120 of the seed).
func TestAddRequestSeed(t *testing.T) {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi"}}}
	m.ID = "5U6Mk-5"
	m.To = jid.MustParse("903e652d2334628a@oatest.dgcb.com.cn")
	require.True(t, receipts.AddRequest(m))
	assert.Equal(t,
		`<message to="903e652d2334628a@oatest.dgcb.com.cn" id="5U6Mk-5" type="chat"><body>hi</body><request xmlns="urn:xmpp:receipts"/></message>`,
		strings.ReplaceAll(encode(t, m), "'", `"`))
}

// FuzzReceived: whatever a message carries, a receipt read from it has an
// id and writes and reads back as itself.
func FuzzReceived(f *testing.F) {
	wiretest.Seed(f,
		`<message from='bob@localhost/b'><received xmlns='urn:xmpp:receipts' id='m1'/></message>`,
		`<message><received xmlns='urn:xmpp:receipts' msgId='openfire-1' status='ok' time='x'/></message>`,
		`<message><received xmlns='urn:xmpp:receipts'/><request xmlns='urn:xmpp:receipts'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			var r receipts.Received
			found, err := stanza.FindExtension(m.Extensions, &r)
			if !found || err != nil {
				return true
			}
			if r.ID == "" {
				t.Fatal("a receipt read without an id")
			}
			n, err := r.MarshalNode()
			if err != nil {
				t.Fatalf("a receipt read cannot be written: %v", err)
			}
			var back receipts.Received
			if err := back.UnmarshalNode(n); err != nil || back.ID != r.ID {
				t.Fatalf("%+v written and read is %+v (%v)", r, back, err)
			}
			return true
		})
	})
}
