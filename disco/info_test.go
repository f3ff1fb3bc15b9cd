package disco_test

import (
	"encoding/xml"
	"errors"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ stanza.Extension = (*disco.Info)(nil)
	_ stanza.Extension = (*dataform.Form)(nil)
)

// psi is the disco#info of XEP-0115 section 5.3.
func psi() *disco.Info {
	return &disco.Info{
		Node: "http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w=",
		Identities: []disco.Identity{
			{Category: "client", Type: "pc", Name: "Psi 0.11", Lang: "en"},
			{Category: "client", Type: "pc", Name: "Ψ 0.11", Lang: "el"},
		},
		Features: []string{"http://jabber.org/protocol/caps", disco.NSInfo, disco.NSItems, "http://jabber.org/protocol/muc"},
		Forms: []dataform.Form{dataform.New(dataform.TypeResult, "urn:xmpp:dataforms:softwareinfo",
			dataform.Field{Var: "ip_version", Type: "text-multi", Values: []string{"ipv4", "ipv6"}},
			dataform.Field{Var: "os", Values: []string{"Mac"}},
			dataform.Field{Var: "os_version", Values: []string{"10.5.1"}},
			dataform.Field{Var: "software", Values: []string{"Psi"}},
			dataform.Field{Var: "software_version", Values: []string{"0.11"}},
		)},
	}
}

func TestInfoRoundTrip(t *testing.T) {
	for name, info := range map[string]*disco.Info{
		"empty":     {},
		"psi":       psi(),
		"node only": {Node: "n"},
		"escaping":  {Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "<a & 'b'>"}}, Features: []string{"urn:x:<y>"}},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := info.MarshalNode()
			require.NoError(t, err)
			var got disco.Info
			require.NoError(t, got.UnmarshalNode(n))
			assert.Equal(t, info, &got)
			assert.Equal(t, info, info.Clone())
		})
	}
}

func TestInfoMarshal(t *testing.T) {
	n, err := psi().MarshalNode()
	require.NoError(t, err)
	require.Equal(t, xml.Name{Space: disco.NSInfo, Local: "query"}, n.Name)
	assert.Equal(t, "http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w=", n.Attr("node"))
	id := n.Nodes[1]
	assert.Equal(t, []xml.Attr{
		{Name: xml.Name{Local: "category"}, Value: "client"},
		{Name: xml.Name{Local: "type"}, Value: "pc"},
		{Name: xml.Name{Local: "name"}, Value: "Ψ 0.11"},
		{Name: xml.Name{Space: stanza.NSXML, Local: "lang"}, Value: "el"},
	}, id.Attrs)
	x := n.Nodes[len(n.Nodes)-1]
	require.Equal(t, xml.Name{Space: dataform.NS, Local: "x"}, x.Name)
	assert.Equal(t, "result", x.Attr("type"))
	ft := x.Nodes[0]
	assert.Equal(t, "FORM_TYPE", ft.Attr("var"))
	assert.Equal(t, "hidden", ft.Attr("type"))
	assert.Equal(t, "urn:xmpp:dataforms:softwareinfo", ft.Child(dataform.NS, "value").InnerText())
}

func TestInfoHelpers(t *testing.T) {
	info := psi()
	assert.True(t, info.HasFeature("http://jabber.org/protocol/muc"))
	assert.False(t, info.HasFeature("urn:xmpp:ping"))
	assert.True(t, (&disco.Info{}).HasFeature(disco.NSInfo), "disco#info is inferred")
	assert.True(t, info.HasIdentity("client", "pc"))
	assert.False(t, info.HasIdentity("client", "phone"))
	f := info.Form("urn:xmpp:dataforms:softwareinfo")
	require.NotNil(t, f)
	assert.Equal(t, []string{"Mac"}, f.Field("os").Values)
	assert.Nil(t, info.Form("urn:other"))
	assert.Empty(t, (&dataform.Form{Fields: []dataform.Field{{Var: "FORM_TYPE", Values: []string{"x"}}}}).FormType(), "not hidden")
	assert.Empty(t, (&dataform.Form{Fields: []dataform.Field{{Var: "FORM_TYPE", Type: "hidden"}}}).FormType(), "no value")
}

// TestInfoHostile: whatever a peer sends decodes without panicking; only
// a query of the wrong name is an error.
func TestInfoHostile(t *testing.T) {
	q := xml.Name{Space: disco.NSInfo, Local: "query"}
	for name, n := range map[string]stanza.Node{
		"bare identity": {Name: q, Nodes: []stanza.Node{{Name: xml.Name{Space: disco.NSInfo, Local: "identity"}}}},
		"bare feature":  {Name: q, Nodes: []stanza.Node{{Name: xml.Name{Space: disco.NSInfo, Local: "feature"}}}},
		"text":          {Name: q, Nodes: []stanza.Node{{Text: "hello"}}},
		"foreign child": {Name: q, Nodes: []stanza.Node{{Name: xml.Name{Space: "urn:x", Local: "feature"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "var"}, Value: "v"}}}}},
		"empty form": {Name: q, Nodes: []stanza.Node{{Name: xml.Name{Space: dataform.NS, Local: "x"}, Nodes: []stanza.Node{
			{Name: xml.Name{Space: dataform.NS, Local: "field"}, Nodes: []stanza.Node{{Name: xml.Name{Space: dataform.NS, Local: "value"}}}},
		}}}},
	} {
		t.Run(name, func(t *testing.T) {
			var info disco.Info
			require.NoError(t, info.UnmarshalNode(n))
			assert.NotContains(t, info.Features, "v")
		})
	}
	var info disco.Info
	err := info.UnmarshalNode(stanza.Node{Name: xml.Name{Space: disco.NSItems, Local: "query"}})
	require.True(t, errors.Is(err, disco.ErrMalformed), "%v", err)
}

func TestFormMarshal(t *testing.T) {
	f := dataform.New(dataform.TypeResult, "urn:x", dataform.Field{Var: "a", Label: "A", Values: []string{"1", ""}})
	n, err := f.MarshalNode()
	require.NoError(t, err)
	var got dataform.Form
	require.NoError(t, got.UnmarshalNode(n))
	assert.Equal(t, f, got)
	assert.Equal(t, "urn:x", got.FormType())
}

func xmlName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }
