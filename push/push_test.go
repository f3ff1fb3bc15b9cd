package push_test

import (
	"context"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/push"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice   = jid.MustParse("alice@localhost/phone")
	service = jid.MustParse("push.example.org")
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

// TestEnableDisable: the requests of XEP-0357 sections 5 and 6, with the
// publish-options form, and an error reply returned as the stanza error.
func TestEnableDisable(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), `
C: <iq type='get' id='{{d}}' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d}}' from='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/><feature var='urn:xmpp:push:0'/></query></iq>
C: <iq type='set' id='{{e}}'><enable xmlns='urn:xmpp:push:0' jid='push.example.org' node='yxs32uqsflafdk3iuqo'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='secret'><value>eruio234vzxc2kla-91</value></field></x></enable></iq>
S: <iq type='result' id='{{e}}'/>
C: <iq type='set' id='{{f}}'><enable xmlns='urn:xmpp:push:0' jid='push.example.org'/></iq>
S: <iq type='error' id='{{f}}'><enable xmlns='urn:xmpp:push:0' jid='push.example.org'/><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='set' id='{{g}}'><disable xmlns='urn:xmpp:push:0' jid='push.example.org' node='yxs32uqsflafdk3iuqo'/></iq>
S: <iq type='result' id='{{g}}'/>
C: <iq type='set' id='{{h}}'><disable xmlns='urn:xmpp:push:0' jid='push.example.org'/></iq>
S: <iq type='result' id='{{h}}'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	p := push.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	ok, err := p.Supported(ctxT(t))
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, p.Enable(ctxT(t), service, "yxs32uqsflafdk3iuqo", dataform.Field{Var: "secret", Values: []string{"eruio234vzxc2kla-91"}}))
	err = p.Enable(ctxT(t), service, "")
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAllowed})
	require.NoError(t, p.Disable(ctxT(t), service, "yxs32uqsflafdk3iuqo"))
	require.NoError(t, p.Disable(ctxT(t), service, ""))
	assert.Error(t, p.Enable(ctxT(t), jid.JID{}, "n"), "no service, nothing sent")
	assert.Error(t, p.Disable(ctxT(t), jid.JID{}, "n"), "no service, nothing sent")
}

func TestShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{})
	p := push.For(c)
	assert.Same(t, p, push.For(c))
	_, err := p.Supported(t.Context())
	assert.ErrorIs(t, err, xmpp.ErrNotConnected, "the account's JID is not known yet")
	p.Close()
	p.Close()
	assert.NotSame(t, p, push.For(c))
}

// XEP-0357's example 7, as a push service receives it.
const example = `<iq type='set' from='user@example.com' to='push-5.client.example' id='n12'>
  <pubsub xmlns='http://jabber.org/protocol/pubsub'>
    <publish node='yxs32uqsflafdk3iuqo'>
      <item>
        <notification xmlns='urn:xmpp:push:0'>
          <x xmlns='jabber:x:data'>
            <field var='FORM_TYPE'><value>urn:xmpp:push:summary</value></field>
            <field var='message-count'><value>1</value></field>
            <field var='last-message-sender'><value>juliet@capulet.example/balcony</value></field>
            <field var='last-message-body'><value>Wherefore art thou, Romeo?</value></field>
          </x>
          <additional xmlns='http://example.com/custom'>Additional custom elements</additional>
        </notification>
      </item>
    </publish>
    <publish-options>
      <x xmlns='jabber:x:data' type='submit'>
        <field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>
        <field var='secret'><value>eruio234vzxc2kla-91</value></field>
      </x>
    </publish-options>
  </pubsub>
</iq>`

func TestParseNotification(t *testing.T) {
	iq := wiretest.Decode(t, example).(*stanza.IQ)
	n, err := push.ParseNotification(iq.Payload)
	require.NoError(t, err)
	assert.Equal(t, "yxs32uqsflafdk3iuqo", n.Node)
	assert.Equal(t, 1, n.MessageCount)
	assert.Equal(t, jid.MustParse("juliet@capulet.example/balcony"), n.LastSender)
	assert.Equal(t, "Wherefore art thou, Romeo?", n.LastBody)
	require.NotNil(t, n.Options)
	assert.Equal(t, "eruio234vzxc2kla-91", n.Options.Value("secret"))

	bare := wiretest.Decode(t, `<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item><notification xmlns='urn:xmpp:push:0'/></item></publish></pubsub></iq>`).(*stanza.IQ)
	n, err = push.ParseNotification(bare.Payload)
	require.NoError(t, err)
	assert.Equal(t, push.Notification{Node: "n", MessageCount: -1}, n, "a notification with nothing in it")

	for _, raw := range []string{
		`<iq type='set' id='1'><query xmlns='jabber:iq:version'/></iq>`,
		`<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish><item><notification xmlns='urn:xmpp:push:0'/></item></publish></pubsub></iq>`,
		`<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item><entry xmlns='urn:example'/></item></publish></pubsub></iq>`,
	} {
		iq := wiretest.Decode(t, raw).(*stanza.IQ)
		_, err := push.ParseNotification(iq.Payload)
		assert.ErrorIs(t, err, push.ErrMalformed, raw)
	}
	_, err = push.ParseNotification(nil)
	assert.ErrorIs(t, err, push.ErrMalformed)
}
