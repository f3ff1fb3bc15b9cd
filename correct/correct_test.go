package correct_test

import (
	"fmt"
	"testing"

	"github.com/gosmack/gosmack/correct"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplaceOf(t *testing.T) {
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "fixed"}}}
	correct.Replace(m, "a")
	correct.Replace(m, "b")
	require.Len(t, m.Extensions, 1)
	back, err := wiretest.RoundTrip(m)
	require.NoError(t, err)
	id, ok := correct.Of(back.(*stanza.Message))
	assert.True(t, ok)
	assert.Equal(t, "b", id)
	_, ok = correct.Of(wiretest.Message(t, `<message><replace xmlns='urn:xmpp:message-correct:0'/></message>`))
	assert.False(t, ok, "no id")
	_, ok = correct.Of(wiretest.Message(t, `<message><body>x</body></message>`))
	assert.False(t, ok)
}

// TestHistory replays what a client receives, in order (XEP-0308's
// examples, a room, and spoofed corrections): each correction is
// accepted only from the original's sender.
func TestHistory(t *testing.T) {
	var h correct.History
	me := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "mine"}}}
	me.To, me.ID = jid.MustParse("romeo@montague.lit"), "mine-1"
	h.Add(me)
	room := &stanza.Message{Type: stanza.Groupchat, Bodies: []stanza.Text{{Value: "to all"}}}
	room.To, room.ID = jid.MustParse("coven@chat.shakespeare.lit"), "mine-2"
	h.Add(room)
	for _, step := range []struct{ raw, want string }{
		{`<message to='juliet@capulet.net/balcony' from='romeo@montague.lit/home' id='bad1' type='chat'><body>But soft, what light through yonder airlock breaks?</body></message>`, "not a correction"},
		{`<message to='juliet@capulet.net/balcony' from='romeo@montague.lit/home' id='good1' type='chat'><body>But soft, what light through yonder window breaks?</body><replace id='bad1' xmlns='urn:xmpp:message-correct:0'/></message>`, "bad1"},
		{`<message from='romeo@montague.lit/phone' id='good2' type='chat'><body>from another device</body><replace id='bad1' xmlns='urn:xmpp:message-correct:0'/></message>`, "bad1"},
		{`<message from='tybalt@capulet.net/sword' id='evil' type='chat'><body>spoofed</body><replace id='bad1' xmlns='urn:xmpp:message-correct:0'/></message>`, correct.ErrUnknown.Error()},
		{`<message from='romeo@montague.lit/home' id='x' type='chat'><body>mine?</body><replace id='mine-1' xmlns='urn:xmpp:message-correct:0'/></message>`, correct.ErrOtherSender.Error()},
		{`<message from='coven@chat.shakespeare.lit/firstwitch' id='w1' type='groupchat'><body>Thrice the brinded cat hath mew'd.</body></message>`, "not a correction"},
		{`<message from='coven@chat.shakespeare.lit/secondwitch' id='w2' type='groupchat'><body>spoofed</body><replace id='w1' xmlns='urn:xmpp:message-correct:0'/></message>`, correct.ErrOtherSender.Error()},
		{`<message from='coven@chat.shakespeare.lit/firstwitch' id='w3' type='groupchat'><body>Thrice the brindled cat hath mew'd.</body><replace id='w1' xmlns='urn:xmpp:message-correct:0'/></message>`, "w1"},
		{`<message from='coven@chat.shakespeare.lit/secondwitch' id='w4' type='groupchat'><body>spoofed</body><replace id='mine-2' xmlns='urn:xmpp:message-correct:0'/></message>`, correct.ErrOtherSender.Error()},
		{`<message from='coven@chat.shakespeare.lit/me' id='mine-2' type='groupchat'><body>to all</body></message>`, "not a correction"},
		{`<message from='coven@chat.shakespeare.lit/me' id='mine-3' type='groupchat'><body>to all!</body><replace id='mine-2' xmlns='urn:xmpp:message-correct:0'/></message>`, "mine-2"},
		{`<message from='romeo@montague.lit/home' id='e1' type='error'><body>bounced</body></message>`, "not a correction"},
		{`<message from='romeo@montague.lit/home' id='x2' type='chat'><body>?</body><replace id='e1' xmlns='urn:xmpp:message-correct:0'/></message>`, correct.ErrUnknown.Error()},
	} {
		m := wiretest.Message(t, step.raw)
		id, ok, err := h.Check(m)
		got := "not a correction"
		switch {
		case err != nil:
			got = err.Error()
			assert.False(t, ok)
		case ok:
			got = id
		}
		assert.Equal(t, step.want, got, "%s", step.raw)
		h.Add(m)
	}
}

// TestHistoryBounds: a conversation keeps its last 32 messages, and the
// History its last 256 conversations.
func TestHistoryBounds(t *testing.T) {
	var h correct.History
	bob := jid.MustParse("bob@localhost/b")
	msg := func(from jid.JID, id string) *stanza.Message {
		m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "x"}}}
		m.From, m.ID = from, id
		return m
	}
	fix := func(from jid.JID, id string) error {
		m := msg(from, "fix")
		correct.Replace(m, id)
		_, _, err := h.Check(m)
		return err
	}
	for i := range 33 {
		h.Add(msg(bob, fmt.Sprint(i)))
	}
	assert.ErrorIs(t, fix(bob, "0"), correct.ErrUnknown, "the oldest is dropped")
	assert.NoError(t, fix(bob, "1"))
	for i := range 256 {
		h.Add(msg(jid.MustParse(fmt.Sprintf("u%d@localhost/r", i)), "m"))
	}
	assert.ErrorIs(t, fix(bob, "32"), correct.ErrUnknown, "the oldest conversation is dropped")
	assert.NoError(t, fix(jid.MustParse("u255@localhost/r"), "m"))
}

// FuzzOf: whatever a message carries, Of does not panic, reads a
// non-empty id or none, and an id read writes and reads back as itself.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f,
		`<message from='a@b/c'><body>x</body><replace id='bad1' xmlns='urn:xmpp:message-correct:0'/></message>`,
		`<message><replace xmlns='urn:xmpp:message-correct:0'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var h correct.History
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			_, _, _ = h.Check(m)
			h.Add(m)
			id, ok := correct.Of(m)
			if !ok {
				return true
			}
			back := &stanza.Message{}
			correct.Replace(back, id)
			if again, ok := correct.Of(back); !ok || again != id {
				t.Fatalf("%q written and read is %q", id, again)
			}
			return true
		})
	})
}
