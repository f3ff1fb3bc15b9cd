package chat_test

import (
	"testing"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
)

// carbon is a carbon copy carried from outerFrom (no from when ""):
// dir is "sent" or "received", inner the copied message's attributes.
func carbon(outerFrom, dir, inner, body, thread string) string {
	from := ""
	if outerFrom != "" {
		from = " from='" + outerFrom + "'"
	}
	th := ""
	if thread != "" {
		th = "<thread>" + thread + "</thread>"
	}
	return "S: <message" + from + " to='alice@localhost/a' type='chat'><" + dir + " xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" +
		"<message xmlns='jabber:client' type='chat' " + inner + "><body>" + body + "</body>" + th + "</message></forwarded></" + dir + "></message>\n"
}

// TestCarbons: carbon copies go into the contact's chat, marked with
// their direction: a message the account's phone sent to bob is bob's
// chat's, as the user's own; one bob sent to the phone is bob's chat's,
// as bob's. Neither moves or ends the chat's lock on bob/b (what this
// client sends still goes there), but the chat takes the copy's thread.
// A copy of a message to a new contact makes that contact's chat. A
// forged copy (its carrier from bob, or from the account's other
// resource rather than its bare JID) and a copy between the account's
// own clients reach no chat.
func TestCarbons(t *testing.T) {
	h := start(t, `S: <message from='bob@localhost/b' type='chat'><body>ping</body></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>pong</body><thread>{{made-up}}</thread></message>
`+carbon("alice@localhost", "sent", "from='alice@localhost/phone' to='bob@localhost/phone'", "from my phone", "t7")+
		ctlSend("bob@localhost", "after the sent copy")+
		`C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>after the sent copy</body><thread>t7</thread></message>
`+carbon("", "received", "from='bob@localhost/phone' to='alice@localhost/phone'", "to your phone", "")+
		ctlSend("bob@localhost", "after the received copy")+
		`C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>after the received copy</body><thread>t7</thread></message>
`+carbon("alice@localhost", "sent", "from='alice@localhost/phone' to='carol@localhost'", "hi carol", "")+
		carbon("bob@localhost/b", "received", "from='bob@localhost/b' to='alice@localhost/phone'", "forged by bob", "")+
		carbon("alice@localhost/phone", "sent", "from='alice@localhost/phone' to='bob@localhost'", "forged by a resource", "")+
		carbon("alice@localhost", "sent", "from='alice@localhost/phone' to='alice@localhost/a'", "a note to self", "")+
		done)
	h.wait(t)
	created, incoming, outgoing := h.seen()
	assert.Equal(t, []string{"bob@localhost local=false", "carol@localhost local=false"}, created)
	assert.Equal(t, []string{
		"bob@localhost <- bob@localhost/b: ping",
		"bob@localhost <- alice@localhost/phone: from my phone [sent to bob@localhost/phone]",
		"bob@localhost <- bob@localhost/phone: to your phone [received to alice@localhost/phone]",
		"carol@localhost <- alice@localhost/phone: hi carol [sent to carol@localhost]",
	}, incoming)
	assert.Len(t, outgoing, 3, "what this client sent, to bob/b each time: the copies left the lock alone")
}

// TestCarbonFields: a copy's Incoming carries the copied message, not
// its carrier, and its direction.
func TestCarbonFields(t *testing.T) {
	got := make(chan chat.Incoming, 1)
	h := startFunc(t, carbon("alice@localhost", "received", "from='bob@localhost/phone' to='alice@localhost/phone' id='m1'", "hello", "")+done,
		func(h *harness) { h.m.OnMessage(func(e chat.Incoming) { got <- e }) })
	h.wait(t)
	e := <-got
	assert.Equal(t, carbons.Received, e.Carbon)
	assert.Equal(t, "m1", e.Message.ID)
	assert.Equal(t, stanza.Chat, e.Message.Type)
	assert.Equal(t, bobBare, e.Chat.JID())
	assert.True(t, e.Chat.Locked().IsZero(), "a copy does not lock")
}
