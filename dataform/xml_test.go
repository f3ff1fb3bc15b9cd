package dataform_test

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/stanza"
)

var _ stanza.Extension = (*dataform.Form)(nil)

// parseXML reads one element into a stanza.Node, as the stream decoder
// would give it: namespaces resolved, xmlns attributes dropped, and
// white-space-only text (indentation) dropped.
func parseXML(data []byte) (stanza.Node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*stanza.Node
	var root *stanza.Node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return stanza.Node{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return stanza.Node{}, errors.New("two root elements")
			}
			n := &stanza.Node{Name: t.Name}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.Attrs = append(n.Attrs, a)
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Nodes = append(p.Nodes, *n)
			}
		case xml.CharData:
			if len(stack) > 0 && strings.TrimSpace(string(t)) != "" {
				p := stack[len(stack)-1]
				p.Nodes = append(p.Nodes, stanza.Node{Text: string(t)})
			}
		}
	}
	if root == nil {
		return stanza.Node{}, errors.New("no element")
	}
	return *root, nil
}

func load(t *testing.T, name string) stanza.Node {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".xml"))
	require.NoError(t, err)
	n, err := parseXML(data)
	require.NoError(t, err)
	return n
}

func decode(t *testing.T, name string) dataform.Form {
	t.Helper()
	var f dataform.Form
	require.NoError(t, f.UnmarshalNode(load(t, name)))
	return f
}

// canon sorts attributes, so that nodes compare as XML does.
func canon(n stanza.Node) stanza.Node {
	n.Attrs = slices.Clone(n.Attrs)
	slices.SortFunc(n.Attrs, func(a, b xml.Attr) int {
		return cmp.Or(strings.Compare(a.Name.Space, b.Name.Space), strings.Compare(a.Name.Local, b.Name.Local))
	})
	if len(n.Nodes) == 0 {
		n.Nodes = nil
	} else {
		c := make([]stanza.Node, len(n.Nodes))
		for i := range n.Nodes {
			c[i] = canon(n.Nodes[i])
		}
		n.Nodes = c
	}
	if len(n.Attrs) == 0 {
		n.Attrs = nil
	}
	return n
}

func marshal(t *testing.T, f *dataform.Form) stanza.Node {
	t.Helper()
	n, err := f.MarshalNode()
	require.NoError(t, err)
	return n
}

// roundTrip checks that f encodes and decodes back to itself.
func roundTrip(t *testing.T, f dataform.Form) {
	t.Helper()
	var got dataform.Form
	require.NoError(t, got.UnmarshalNode(marshal(t, &f)))
	assert.Equal(t, f, got)
}

func TestBotConfigurationForm(t *testing.T) {
	f := decode(t, "bot-form")
	assert.Equal(t, dataform.TypeForm, f.Type)
	assert.Equal(t, "Bot Configuration", f.Title)
	assert.Equal(t, []string{"Fill out this form to configure your new bot!"}, f.Instructions)
	assert.Equal(t, "jabber:bot", f.FormType())
	require.Len(t, f.Fields, 12)
	assert.Equal(t, dataform.Field{Type: dataform.Fixed, Values: []string{"Section 1: Bot Info"}}, f.Fields[1])
	assert.Equal(t, dataform.Field{Var: "public", Type: dataform.Boolean, Label: "Public bot?", Required: true}, *f.Field("public"))
	features := f.Field("features")
	assert.Equal(t, dataform.ListMulti, features.Type)
	assert.Equal(t, []string{"news", "search"}, features.Values)
	assert.Len(t, features.Options, 5)
	assert.Equal(t, dataform.Option{Label: "Contests", Value: "contests"}, features.Options[0])
	assert.Equal(t, "Polls", features.OptionLabel("polls"))
	assert.Empty(t, features.OptionLabel("weather"))
	assert.Equal(t, "20", f.Value("maxsubs"))
	assert.Len(t, f.Field("maxsubs").Options, 6)
	assert.Equal(t, "Tell all your friends about your new bot!", f.Field("invitelist").Desc)
	assert.Equal(t, dataform.TextPrivate, f.Field("password").Type)
	assert.Nil(t, f.Field("nope"))
	assert.Nil(t, f.Values("nope"))
	assert.Empty(t, f.Value("botname"))
	roundTrip(t, f)
}

// TestExamplesEncode: the examples whose children come in this package's
// order (title, instructions, fields; in a field desc, required, values,
// options) encode back to exactly the example.
func TestExamplesEncode(t *testing.T) {
	for _, name := range []string{"bot-submit", "bot-result", "search-form", "search-submit", "search-result"} {
		t.Run(name, func(t *testing.T) {
			n := load(t, name)
			var f dataform.Form
			require.NoError(t, f.UnmarshalNode(n))
			assert.Equal(t, canon(n), canon(marshal(t, &f)))
			roundTrip(t, f)
		})
	}
}

func TestBotResult(t *testing.T) {
	f := decode(t, "bot-result")
	assert.Equal(t, dataform.TypeResult, f.Type)
	public, err := f.Bool("public")
	require.NoError(t, err)
	assert.False(t, public)
	js, err := f.JIDs("invitelist")
	require.NoError(t, err)
	require.Len(t, js, 2)
	assert.Equal(t, "juliet@capulet.com", js[0].String())
	assert.Equal(t, "benvolio@montague.net", js[1].String())
	first, err := f.JID("invitelist")
	require.NoError(t, err)
	assert.Equal(t, js[0], first)
	_, err = f.Bool("nope")
	assert.ErrorIs(t, err, dataform.ErrUnknownField)
	_, err = f.JID("nope")
	assert.ErrorIs(t, err, dataform.ErrUnknownField)
	_, err = f.JIDs("nope")
	assert.ErrorIs(t, err, dataform.ErrUnknownField)
	_, err = f.JIDs("botname")
	assert.ErrorIs(t, err, dataform.ErrInvalidValue, "a name with spaces is no JID")
}

func TestSearchResult(t *testing.T) {
	f := decode(t, "search-result")
	assert.Equal(t, "Joogle Search: verona", f.Title)
	assert.Empty(t, f.Fields)
	require.Equal(t, []dataform.Field{{Var: "name"}, {Var: "url"}}, f.Reported)
	require.Len(t, f.Items, 5)
	it := f.Items[2]
	assert.Equal(t, []dataform.Field{
		{Var: "name", Values: []string{"Universita degli Studi di Verona - Home Page"}},
		{Var: "url", Values: []string{"http://www.univr.it/"}},
	}, it.Fields)
}

func TestCancel(t *testing.T) {
	f := dataform.Cancel()
	n := marshal(t, &f)
	want, err := parseXML([]byte(`<x xmlns='jabber:x:data' type='cancel'/>`))
	require.NoError(t, err)
	assert.Equal(t, canon(want), canon(n))
	roundTrip(t, f)
}

func TestBool(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   bool
		err    bool
	}{
		{nil, false, false},
		{[]string{"1"}, true, false},
		{[]string{"true"}, true, false},
		{[]string{"0"}, false, false},
		{[]string{"false"}, false, false},
		{[]string{"yes"}, false, true},
		{[]string{"TRUE"}, false, true},
		{[]string{""}, false, true},
	} {
		fd := dataform.Field{Var: "b", Type: dataform.Boolean, Values: tc.values}
		got, err := fd.Bool()
		if tc.err {
			assert.ErrorIs(t, err, dataform.ErrInvalidValue, "%q", tc.values)
			continue
		}
		require.NoError(t, err, "%q", tc.values)
		assert.Equal(t, tc.want, got, "%q", tc.values)
	}
}

func TestJIDAccessors(t *testing.T) {
	fd := dataform.Field{Var: "j", Type: dataform.JIDMulti, Values: []string{"A@Example.com", "a@example.com", "b@example.com/r"}}
	js, err := fd.JIDs()
	require.NoError(t, err)
	require.Len(t, js, 2, "duplicates are ignored")
	assert.Equal(t, "a@example.com", js[0].String())
	j, err := (&dataform.Field{}).JID()
	require.NoError(t, err)
	assert.True(t, j.String() == "", "no value: the zero JID")
	_, err = (&dataform.Field{Values: []string{"@bad"}}).JID()
	assert.ErrorIs(t, err, dataform.ErrInvalidValue)
}

func TestFormType(t *testing.T) {
	f := dataform.New(dataform.TypeForm, "urn:x", dataform.Field{Var: "a"})
	assert.Equal(t, "urn:x", f.FormType())
	assert.Equal(t, dataform.Field{Var: dataform.FormTypeVar, Type: dataform.Hidden, Values: []string{"urn:x"}}, f.Fields[0])
	assert.Len(t, f.Fields, 2)
	assert.Len(t, dataform.New(dataform.TypeResult, "").Fields, 0)
	notHidden := dataform.Form{Fields: []dataform.Field{{Var: dataform.FormTypeVar, Values: []string{"urn:x"}}}}
	assert.Empty(t, notHidden.FormType())
	noValue := dataform.Form{Fields: []dataform.Field{{Var: dataform.FormTypeVar, Type: dataform.Hidden}}}
	assert.Empty(t, noValue.FormType())
}

// TestExtra: elements of other namespaces survive a round trip, on the
// form and on fields (XEP-0122 validation here).
func TestExtra(t *testing.T) {
	n, err := parseXML([]byte(`<x xmlns='jabber:x:data' type='form'>
  <field var='color' type='list-single'>
    <validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:string'><open/></validate>
    <option label='Red'><value>red</value></option>
  </field>
  <media xmlns='urn:xmpp:media-element'/>
  <unknown/>
  text
  <title>First</title><title>Second</title>
</x>`))
	require.NoError(t, err)
	var f dataform.Form
	require.NoError(t, f.UnmarshalNode(n))
	assert.Equal(t, "First", f.Title)
	require.Len(t, f.Extra, 1)
	assert.Equal(t, "media", f.Extra[0].Name.Local)
	require.Len(t, f.Field("color").Extra, 1)
	roundTrip(t, f)

	var other dataform.Form
	err = other.UnmarshalNode(stanza.Node{Name: xml.Name{Space: "jabber:x:oob", Local: "x"}})
	assert.ErrorIs(t, err, dataform.ErrMalformed)
}

func TestClone(t *testing.T) {
	f := decode(t, "bot-form")
	f.Extra = []stanza.Node{{Name: xml.Name{Space: "urn:x", Local: "e"}, Nodes: []stanza.Node{{Text: "t"}}}}
	f.Reported = []dataform.Field{{Var: "r"}}
	f.Items = []dataform.Item{{Fields: []dataform.Field{{Var: "r", Values: []string{"v"}}}}}
	c := f.Clone()
	require.Equal(t, f, c)
	c.Field("features").Values[0] = "polls"
	c.Field("features").Options[0].Label = "x"
	c.Extra[0].Nodes[0].Text = "u"
	c.Items[0].Fields[0].Values[0] = "w"
	c.Instructions[0] = "changed"
	assert.Equal(t, "news", f.Field("features").Values[0])
	assert.Equal(t, "Contests", f.Field("features").Options[0].Label)
	assert.Equal(t, "t", f.Extra[0].Nodes[0].Text)
	assert.Equal(t, "v", f.Items[0].Fields[0].Values[0])
	assert.Equal(t, "Fill out this form to configure your new bot!", f.Instructions[0])
}
