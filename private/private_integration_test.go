//go:build integration

package private_test

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/private"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationRoundTrip: an element stored by one resource of an
// account is read back, unknown children and attributes kept, by another
// resource; a name never stored reads as the empty element; Set
// replaces the whole element.
func TestIntegrationRoundTrip(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "private")
		one := testserver.Login(t, cfg, nil)
		cfg2 := cfg
		var err error
		cfg2.JID, err = cfg.JID.WithResource("second")
		require.NoError(t, err)
		two := testserver.Login(t, cfg2, nil)
		ctx := testserver.Context(t)
		name := xml.Name{Space: "urn:example:gosmack:" + testserver.Unique("prefs"), Local: "prefs"}
		el := stanza.Node{Name: name, Attrs: []xml.Attr{{Name: xml.Name{Local: "v"}, Value: "2"}}, Nodes: []stanza.Node{
			{Name: xml.Name{Space: name.Space, Local: "colour"}, Nodes: []stanza.Node{{Text: "blue"}}},
			{Name: xml.Name{Space: "urn:example:other", Local: "x"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "k"}, Value: "w"}}},
		}}
		require.NoError(t, private.For(one).Set(ctx, el))
		got, err := private.For(two).Get(ctx, name)
		require.NoError(t, err, s.Name)
		assert.Equal(t, "2", got.Attr("v"), s.Name)
		require.NotNil(t, got.Child(name.Space, "colour"), s.Name)
		assert.Equal(t, "blue", got.Child(name.Space, "colour").InnerText(), s.Name)
		require.NotNil(t, got.Child("urn:example:other", "x"), s.Name)
		assert.Equal(t, "w", got.Child("urn:example:other", "x").Attr("k"), s.Name)

		require.NoError(t, private.For(two).Set(ctx, stanza.Node{Name: name}))
		got, err = private.For(one).Get(ctx, name)
		require.NoError(t, err, s.Name)
		assert.Empty(t, got.Nodes, s.Name)

		none, err := private.For(one).Get(ctx, xml.Name{Space: name.Space + ":never", Local: "x"})
		require.NoError(t, err, s.Name)
		assert.Empty(t, none.Nodes, s.Name)
	})
}
