//go:build integration

package pubsub_test

import (
	"encoding/xml"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/rsm"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run against the Prosody and ejabberd that scripts/servers
// started, with accounts and node names made for each test. Prosody is
// configured with PEP only (no pubsub component); ejabberd has PEP and
// the service pubsub.localhost. Set GOSMACK_XMPP_DEBUG=1 to see every
// element on stderr.

func text(local, s string) *stanza.Node {
	return &stanza.Node{Name: xml.Name{Space: "urn:example:gosmack", Local: local}, Nodes: []stanza.Node{{Text: s}}}
}

func ids(items []pubsub.Item) []string {
	var s []string
	for _, it := range items {
		s = append(s, it.ID)
	}
	return s
}

// TestIntegrationPEP: on the account's own PEP service, a node created
// with a configuration form keeps what is published; items come back
// all, by id and the last one; a retracted item is gone; the node is
// deleted at the end.
func TestIntegrationPEP(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		c := testserver.Login(t, s.NewAccount(t, "pubsub"), nil)
		m := pubsub.For(c)
		ctx := testserver.Context(t)
		name := testserver.Unique("urn:example:gosmack")
		conf := pubsub.NodeConfig(dataform.Field{Var: pubsub.VarMaxItems, Values: []string{"10"}})
		n, err := m.Create(ctx, jid.JID{}, name, &conf)
		require.NoError(t, err)

		for _, id := range []string{"one", "two", "three"} {
			got, err := n.Publish(ctx, pubsub.Item{ID: id, Payload: text("entry", id)}, pubsub.PublishOptions{})
			require.NoError(t, err, "%s: publish %s", s.Name, id)
			assert.Equal(t, id, got)
		}
		page, err := n.Items(ctx, pubsub.ItemsQuery{})
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"one", "two", "three"}, ids(page.Items), "%s: all items", s.Name)
		for _, it := range page.Items {
			require.NotNil(t, it.Payload)
			assert.Equal(t, it.ID, it.Payload.InnerText())
		}
		page, err = n.Items(ctx, pubsub.ItemsQuery{IDs: []string{"two"}})
		require.NoError(t, err)
		assert.Equal(t, []string{"two"}, ids(page.Items), "%s: by id", s.Name)
		page, err = n.Items(ctx, pubsub.ItemsQuery{Last: 1})
		require.NoError(t, err)
		assert.Equal(t, []string{"three"}, ids(page.Items), "%s: the last one", s.Name)

		require.NoError(t, n.Retract(ctx, "two", true))
		page, err = n.Items(ctx, pubsub.ItemsQuery{})
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"one", "three"}, ids(page.Items), "%s: after the retraction", s.Name)

		require.NoError(t, retryWait(func() error { return n.Delete(ctx) }))
		_, err = n.Items(ctx, pubsub.ItemsQuery{})
		assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound}, "%s: the node is gone", s.Name)
	})
}

// retryWait runs op until it does not fail with an error of type wait
// ("retry after waiting", RFC 6120 section 8.3.2), at most three times.
// ejabberd 23.01 answers internal-server-error of type wait ("Database
// failure") when deleting a node aborts on a lock cycle with another
// transaction on its node table, which other tests on the same server
// cause at times.
func retryWait(op func() error) error {
	var err error
	for range 3 {
		var se *stanza.Error
		if err = op(); !errors.As(err, &se) || se.Type != stanza.Wait {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// collect returns a channel of the events of n that c hears.
func collect(n pubsub.Node) <-chan pubsub.Event {
	ch := make(chan pubsub.Event, 32)
	n.OnEvent(func(e pubsub.Event) { ch <- e })
	return ch
}

func next(t *testing.T, ch <-chan pubsub.Event, what string) pubsub.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(testserver.Timeout):
		t.Fatalf("no event: %s", what)
		return pubsub.Event{}
	}
}

// TestIntegrationService: on ejabberd's pubsub.localhost an owner
// creates a node with a configuration form; a second account subscribes
// and hears the configuration change (the owner reads and submits the
// form), the items published, a retraction, a purge and the deletion,
// each from the service; items come back in RSM pages. Prosody has no pubsub service
// configured.
func TestIntegrationService(t *testing.T) {
	s := testserver.Get(t, "ejabberd")
	service := jid.MustParse("pubsub." + s.Domain)
	ctx := testserver.Context(t)
	owner := testserver.Login(t, s.NewAccount(t, "pubsub"), nil)
	name := testserver.Unique("news")
	m := pubsub.For(owner)
	conf := pubsub.NodeConfig(
		dataform.Field{Var: pubsub.VarAccessModel, Values: []string{pubsub.AccessOpen}},
		dataform.Field{Var: pubsub.VarMaxItems, Values: []string{"10"}},
		dataform.Field{Var: "pubsub#notify_config", Values: []string{"true"}},
		dataform.Field{Var: "pubsub#notify_delete", Values: []string{"true"}},
		dataform.Field{Var: "pubsub#title", Values: []string{"News"}})
	n, err := m.Create(ctx, service, name, &conf)
	require.NoError(t, err)

	nodes, err := m.Nodes(ctx, service, "")
	require.NoError(t, err)
	found := false
	for _, it := range nodes {
		found = found || it.Node == name
	}
	assert.True(t, found, "the service lists the node")
	info, err := n.Info(ctx)
	require.NoError(t, err)
	assert.True(t, info.HasIdentity("pubsub", "leaf"))

	affs, err := m.Affiliations(ctx, service, "")
	require.NoError(t, err)
	assert.Contains(t, affs, pubsub.Affiliation{Node: name, Affiliation: pubsub.AffiliationOwner})

	reader := testserver.Login(t, s.NewAccount(t, "pubsub"), nil)
	rn := pubsub.For(reader).Node(service, name)
	events := collect(rn)
	subscription, err := rn.Subscribe(ctx)
	require.NoError(t, err)
	assert.Equal(t, pubsub.StateSubscribed, subscription.State)
	assert.Equal(t, reader.JID().Bare(), subscription.JID)
	subs, err := pubsub.For(reader).Subscriptions(ctx, service, "")
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(subs, func(x pubsub.Subscription) bool { return x.Node == name && x.State == pubsub.StateSubscribed }), "%v", subs)

	// The owner changes the configuration; the subscriber is told.
	f, err := n.Config(ctx)
	require.NoError(t, err)
	assert.Equal(t, "News", f.Value("pubsub#title"))
	a, err := f.Answer()
	require.NoError(t, err)
	require.NoError(t, a.Set("pubsub#title", "Today"))
	sub, err := a.Submit()
	require.NoError(t, err)
	require.NoError(t, n.Configure(ctx, sub))

	e := next(t, events, "configuration")
	assert.Equal(t, pubsub.EventConfig, e.Kind)
	assert.Equal(t, service, e.Service)

	for _, id := range []string{"a", "b", "c"} {
		_, err := n.Publish(ctx, pubsub.Item{ID: id, Payload: text("entry", id)}, pubsub.PublishOptions{})
		require.NoError(t, err)
		e := next(t, events, "publish "+id)
		assert.Equal(t, service, e.Service)
		assert.Equal(t, pubsub.EventItems, e.Kind)
		require.Len(t, e.Items, 1)
		assert.Equal(t, id, e.Items[0].ID)
		require.NotNil(t, e.Items[0].Payload)
		assert.Equal(t, id, e.Items[0].Payload.InnerText())
	}

	page, err := rn.Items(ctx, pubsub.ItemsQuery{Page: &rsm.Request{Max: 2}})
	require.NoError(t, err)
	require.NotNil(t, page.Set, "ejabberd pages with RSM")
	assert.Len(t, page.Items, 2)
	rest, err := rn.Items(ctx, pubsub.ItemsQuery{Page: &rsm.Request{Max: 2, After: page.Set.Last}})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"a", "b", "c"}, append(ids(page.Items), ids(rest.Items)...))

	require.NoError(t, n.Retract(ctx, "b", true))
	e = next(t, events, "retract")
	assert.Equal(t, []string{"b"}, e.Retracted)
	require.NoError(t, n.Purge(ctx))
	e = next(t, events, "purge")
	assert.Equal(t, pubsub.EventPurge, e.Kind)
	require.NoError(t, retryWait(func() error { return n.Delete(ctx) }))
	e = next(t, events, "delete")
	assert.Equal(t, pubsub.EventDelete, e.Kind)
	assert.Equal(t, service, e.Service)
	assert.Equal(t, name, e.Node)
}
