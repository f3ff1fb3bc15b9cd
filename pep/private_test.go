package pep_test

import (
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	nsPS = `xmlns='http://jabber.org/protocol/pubsub'`
	// askInfo and private are the client's disco#info request to its
	// account and an answer that keeps private data.
	askInfo = `
C: <iq type='get' id='{{%s}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`
	privateInfo = `
S: <iq type='result' id='{{%s}}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/><identity category='pubsub' type='pep'/><feature var='http://jabber.org/protocol/pubsub'/><feature var='http://jabber.org/protocol/pubsub#publish-options'/></query></iq>`
)

const nsOwner = `xmlns='http://jabber.org/protocol/pubsub#owner'`

// config is the client's request for the node's configuration and the
// answer: item-not-found when form is "", else a form with those fields.
func config(id, fields string) string { return configAccess(id, "whitelist", fields) }

// configAccess is config for a node of the given access model.
func configAccess(id, access, fields string) string {
	answer := `<iq type='error' id='{{` + id + `}}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`
	if fields != "" {
		answer = `<iq type='result' id='{{` + id + `}}'><pubsub ` + nsOwner + `><configure node='urn:example:entry'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#access_model' type='list-single'><value>` + access + `</value></field>` + fields + `</x></configure></pubsub></iq>`
	}
	return `
C: <iq type='get' id='{{` + id + `}}'><pubsub ` + nsOwner + `><configure node='urn:example:entry'/></pubsub></iq>
S: ` + answer
}

// configureSet is the client's submission of the node's configuration.
func configureSet(id, fields string) string {
	return `
C: <iq type='set' id='{{` + id + `}}'><pubsub ` + nsOwner + `><configure node='urn:example:entry'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>` + fields + `</x></configure></pubsub></iq>
S: <iq type='result' id='{{` + id + `}}'/>`
}

const (
	oneItem   = `<field var='pubsub#max_items' type='text-single'><value>1</value></field><field var='pubsub#send_last_published_item' type='list-single'><value>on_sub_and_presence</value></field>`
	manyItems = `<field var='pubsub#max_items' type='text-single'><value>max</value></field><field var='pubsub#send_last_published_item' type='list-single'><value>never</value></field>`
	setMany   = `<field var='pubsub#max_items'><value>max</value></field><field var='pubsub#send_last_published_item'><value>never</value></field>`
)

func info(id string) string {
	return fmt.Sprintf(askInfo, id) + fmt.Sprintf(privateInfo, id)
}

func publishPrivate(id, item string, extra string) string {
	return `
C: <iq type='set' id='{{` + id + `}}'><pubsub ` + nsPS + `><publish node='urn:example:entry'><item id='` + item + `'><e xmlns='urn:example:entry'>secret</e></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#access_model'><value>whitelist</value></field><field var='pubsub#persist_items'><value>true</value></field>` + extra + `</x></publish-options></pubsub></iq>`
}

const extraOptions = `<field var='pubsub#max_items'><value>max</value></field><field var='pubsub#send_last_published_item'><value>never</value></field>`

// TestPublishPrivate: private data goes out with persist_items and the
// whitelist access model after the account said it keeps private data.
// ejabberd's refusal of max_items is retried with only the two options
// that keep it private, and the options refused are set in the node's
// configuration (after the publish for a new node, before it for a node
// of one item, not at all when it has them already). A
// precondition-not-met with further options looks at the node: one that
// is not whitelist is ErrNotPrivate, nothing configured nor published
// (the next element the client sends is the next call's); a whitelist
// node of another max_items (Prosody's refusal) is configured and
// published to. A precondition-not-met of the two options alone is
// ErrNotPrivate, not retried. A server without publish-options gets
// nothing; an access model other than whitelist is refused before
// anything is sent.
func TestPublishPrivate(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), info("d1")+publishPrivate("p1", "one", extraOptions)+`
S: <iq type='error' id='{{p1}}'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Unknown field 'pubsub#max_items' of type 'http://jabber.org/protocol/pubsub#publish-options'</text></error></iq>`+
		config("c1", "")+publishPrivate("p2", "one", "")+`
S: <iq type='result' id='{{p2}}' from='alice@localhost'/>`+config("c2", oneItem)+configureSet("c3", setMany)+
		info("e1")+publishPrivate("q1", "two", extraOptions)+`
S: <iq type='error' id='{{q1}}'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`+
		config("c4", oneItem)+configureSet("c5", setMany)+publishPrivate("q2", "two", "")+`
S: <iq type='result' id='{{q2}}'/>`+
		info("e2")+publishPrivate("q3", "three", extraOptions)+`
S: <iq type='error' id='{{q3}}'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`+
		config("c6", manyItems)+publishPrivate("q4", "three", "")+`
S: <iq type='result' id='{{q4}}'/>`+
		info("d2")+publishPrivate("p3", "two", extraOptions)+`
S: <iq type='error' id='{{p3}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>`+
		configAccess("c7", "presence", oneItem)+
		info("d6")+publishPrivate("p6", "four", extraOptions)+`
S: <iq type='error' id='{{p6}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Field does not match: max_items</text></error></iq>`+
		config("c8", `<field var='pubsub#max_items' type='text-single'><value>1000</value></field><field var='pubsub#send_last_published_item' type='list-single'><value>never</value></field>`)+
		configureSet("c9", `<field var='pubsub#max_items'><value>max</value></field>`)+publishPrivate("p7", "four", "")+`
S: <iq type='result' id='{{p7}}'/>`+
		info("d3")+publishPrivate("p4", "three", "")+`
S: <iq type='error' id='{{p4}}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>`+
		`
C: <iq type='get' id='{{d4}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d4}}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/><identity category='pubsub' type='pep'/><feature var='http://jabber.org/protocol/pubsub'/></query></iq>
C: <iq type='get' id='{{d5}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d5}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	p := pep.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()
	secret := pubsub.Item{Payload: &stanza.Node{Name: xml.Name{Space: entry, Local: "e"}, Nodes: []stanza.Node{{Text: "secret"}}}}
	full := pubsub.PublishOptions{MaxItems: pubsub.MaxItemsMax, SendLastPublishedItem: "never"}

	secret.ID = "one" // a new node: configured after the publish made it
	id, err := p.PublishPrivate(ctx, entry, secret, full)
	require.NoError(t, err)
	assert.Equal(t, "one", id)
	secret.ID = "two" // a node of one item: configured before the publish
	_, err = p.PublishPrivate(ctx, entry, secret, full)
	require.NoError(t, err)
	secret.ID = "three" // a node configured already
	_, err = p.PublishPrivate(ctx, entry, secret, full)
	require.NoError(t, err)

	secret.ID = "two" // a node that is not private: nothing published, nothing configured
	_, err = p.PublishPrivate(ctx, entry, secret, full)
	assert.ErrorIs(t, err, pep.ErrNotPrivate)
	secret.ID = "four" // a private node of another max_items (Prosody)
	_, err = p.PublishPrivate(ctx, entry, secret, full)
	require.NoError(t, err)

	secret.ID = "three"
	_, err = p.PublishPrivate(ctx, entry, secret, pubsub.PublishOptions{AccessModel: pubsub.AccessWhitelist})
	assert.ErrorIs(t, err, pep.ErrNotPrivate)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Conflict})

	_, err = p.PublishPrivate(ctx, entry, secret, pubsub.PublishOptions{})
	assert.ErrorIs(t, err, pep.ErrNoPrivate, "no publish-options: nothing published")
	_, err = p.PublishPrivate(ctx, entry, secret, pubsub.PublishOptions{})
	assert.ErrorIs(t, err, pep.ErrNoPrivate, "no PEP: nothing published")

	for _, model := range []string{pubsub.AccessOpen, pubsub.AccessPresence, pubsub.AccessRoster, pubsub.AccessAuthorize} {
		_, err = p.PublishPrivate(ctx, entry, secret, pubsub.PublishOptions{AccessModel: model})
		assert.ErrorIs(t, err, pep.ErrOpenPrivate, model)
	}
}
