package markers_test

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/markers"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReply: XEP-0333's examples. A markable chat message is marked to its
// sender's full JID with its id and thread; a room's message to the room
// with the room's stanza-id (not one an occupant wrote); a message that is
// not markable, or an error, gets none.
func TestReply(t *testing.T) {
	m := wiretest.Message(t, `<message from='northumberland@shakespeare.lit/westminster' id='message-1' to='ingrichard@royalty.england.lit/throne'><thread>sleeping</thread><body>My lord, dispatch; read o'er these articles.</body><markable xmlns='urn:xmpp:chat-markers:0'/></message>`)
	assert.True(t, markers.IsMarkable(m))
	r, err := markers.Reply(m, markers.Displayed)
	require.NoError(t, err)
	raw, err := wiretest.Encode(r)
	require.NoError(t, err)
	assert.Equal(t, `<message to='northumberland@shakespeare.lit/westminster'><thread>sleeping</thread><displayed xmlns='urn:xmpp:chat-markers:0' id='message-1'/></message>`, string(raw))

	room := wiretest.Message(t, `<message from='room@conference.localhost/bob' id='client-id' type='groupchat'><body>hi</body><markable xmlns='urn:xmpp:chat-markers:0'/><stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='bob@localhost'/><stanza-id xmlns='urn:xmpp:sid:0' id='room-id' by='room@conference.localhost'/></message>`)
	r, err = markers.Reply(room, markers.Received)
	require.NoError(t, err)
	assert.Equal(t, "room@conference.localhost", r.To.String())
	assert.Equal(t, stanza.Groupchat, r.Type)
	mk, id, ok := markers.Of(r)
	assert.True(t, ok)
	assert.Equal(t, markers.Received, mk)
	assert.Equal(t, "room-id", id)

	_, err = markers.Reply(wiretest.Message(t, `<message from='a@b/c' id='x'><body>plain</body></message>`), markers.Received)
	assert.ErrorIs(t, err, markers.ErrNotMarkable)
	_, err = markers.Reply(wiretest.Message(t, `<message from='a@b/c' id='x' type='error'><markable xmlns='urn:xmpp:chat-markers:0'/></message>`), markers.Received)
	assert.ErrorIs(t, err, markers.ErrNotMarkable)
	_, err = markers.Reply(m, "read")
	assert.ErrorIs(t, err, markers.ErrUnknown)
}

func TestOfAdd(t *testing.T) {
	for _, tc := range []struct {
		raw string
		mk  markers.Marker
		id  string
		ok  bool
	}{
		{`<message><received xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>`, markers.Received, "m1", true},
		{`<message><displayed xmlns='urn:xmpp:chat-markers:0' id='m2'/></message>`, markers.Displayed, "m2", true},
		{`<message><acknowledged xmlns='urn:xmpp:chat-markers:0' id='m3'/></message>`, markers.Acknowledged, "m3", true},
		{`<message><displayed xmlns='urn:xmpp:chat-markers:0'/></message>`, markers.Displayed, "", false},
		{`<message><markable xmlns='urn:xmpp:chat-markers:0'/></message>`, "", "", false},
		{`<message><received xmlns='urn:xmpp:receipts' id='r'/></message>`, "", "", false},
	} {
		mk, id, ok := markers.Of(wiretest.Message(t, tc.raw))
		assert.Equal(t, tc.ok, ok, tc.raw)
		assert.Equal(t, tc.mk, mk, tc.raw)
		assert.Equal(t, tc.id, id, tc.raw)
	}
	m := &stanza.Message{}
	markers.SetMarkable(m)
	markers.SetMarkable(m)
	assert.Len(t, m.Extensions, 1, "once")
	assert.ErrorIs(t, markers.Add(m, markers.Displayed, ""), markers.ErrNotMarkable)
	assert.ErrorIs(t, markers.Add(m, "seen", "x"), markers.ErrUnknown)
	assert.Len(t, m.Extensions, 1)
}

// FuzzOf: whatever a message carries, Of and Reply do not panic; a marker
// read writes and reads back as itself.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f,
		`<message from='a@b/c' id='1'><markable xmlns='urn:xmpp:chat-markers:0'/><displayed xmlns='urn:xmpp:chat-markers:0' id='m2'/></message>`,
		`<message from='r@b/n' type='groupchat'><markable xmlns='urn:xmpp:chat-markers:0'/><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='r@b'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			if r, err := markers.Reply(m, markers.Received); err == nil {
				if _, id, ok := markers.Of(r); !ok || id == "" && m.ID != "" {
					t.Fatalf("a reply without its marker: %+v", r)
				}
			}
			mk, id, ok := markers.Of(m)
			if !ok {
				return true
			}
			back := &stanza.Message{}
			if err := markers.Add(back, mk, id); err != nil {
				t.Fatal(err)
			}
			if mk2, id2, _ := markers.Of(back); mk2 != mk || id2 != id {
				t.Fatalf("%s %q written and read is %s %q", mk, id, mk2, id2)
			}
			return true
		})
	})
}
