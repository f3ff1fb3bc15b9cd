//go:build integration

package pep_test

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationPublishPrivate: private data with max_items max and
// send_last_published_item never lands in a whitelist node of as many
// items on both servers (ejabberd refuses those options in
// publish-options); a whitelist node that another client made with
// another max_items is taken and configured; a node that is not
// whitelist is refused, left as it was, and gets no item; a contact
// cannot read the private node.
func TestIntegrationPublishPrivate(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfgA, cfgB := s.NewAccount(t, "private"), s.NewAccount(t, "private")
		testserver.SubscribeMutually(t, cfgA, cfgB)
		c := testserver.Login(t, cfgA, nil)
		ctx := testserver.Context(t)
		p := pep.For(c)
		item := func(id string) pubsub.Item {
			return pubsub.Item{ID: id, Payload: &stanza.Node{Name: xml.Name{Space: "urn:example:gosmack", Local: "secret"}, Nodes: []stanza.Node{{Text: id}}}}
		}
		full := pubsub.PublishOptions{MaxItems: pubsub.MaxItemsMax, SendLastPublishedItem: "never"}
		config := func(node string) func(string) string {
			f, err := p.Node(cfgA.JID, node).Config(ctx)
			require.NoError(t, err, s.Name)
			return f.Value
		}

		fresh := testserver.Unique("urn:example:gosmack:private")
		for _, id := range []string{"a", "b"} {
			_, err := p.PublishPrivate(ctx, fresh, item(id), full)
			require.NoError(t, err, s.Name)
		}
		v := config(fresh)
		assert.Equal(t, pubsub.AccessWhitelist, v(pubsub.VarAccessModel), s.Name)
		assert.Equal(t, "max", v(pubsub.VarMaxItems), s.Name)
		page, err := p.Node(cfgA.JID, fresh).Items(ctx, pubsub.ItemsQuery{})
		require.NoError(t, err)
		assert.Len(t, page.Items, 2, s.Name)

		other := testserver.Unique("urn:example:gosmack:private")
		_, err = p.Publish(ctx, other, item("x"), pubsub.PublishOptions{AccessModel: pubsub.AccessWhitelist, PersistItems: true})
		require.NoError(t, err)
		_, err = p.PublishPrivate(ctx, other, item("y"), full)
		require.NoError(t, err, s.Name)
		assert.Equal(t, "max", config(other)(pubsub.VarMaxItems), s.Name)

		open := testserver.Unique("urn:example:gosmack:private")
		_, err = p.Publish(ctx, open, item("public"), pubsub.PublishOptions{AccessModel: pubsub.AccessPresence})
		require.NoError(t, err)
		_, err = p.PublishPrivate(ctx, open, item("secret"), full)
		assert.ErrorIs(t, err, pep.ErrNotPrivate, s.Name)
		assert.Equal(t, pubsub.AccessPresence, config(open)(pubsub.VarAccessModel), s.Name)
		page, err = p.Node(cfgA.JID, open).Items(ctx, pubsub.ItemsQuery{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1, s.Name)
		assert.Equal(t, "public", page.Items[0].ID)

		contact := testserver.Login(t, cfgB, nil)
		_, err = pep.For(contact).Node(cfgA.JID, fresh).Items(ctx, pubsub.ItemsQuery{})
		assert.ErrorIs(t, err, &stanza.Error{}, "%s: a contact reads private data", s.Name)
	})
}
