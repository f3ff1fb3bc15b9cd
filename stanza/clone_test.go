package stanza_test

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var jidType = reflect.TypeFor[jid.JID]()

// filler sets every field it reaches to a value that is not zero, the
// same values for the same sequence of calls: strings, numbers, JIDs,
// slices of two elements, pointers to filled values, down to maxDepth
// slices or pointers deep. A field of a kind it does not know fails the
// test, so a new field is either filled (and so checked) or noticed.
type filler struct {
	t *testing.T
	n int
}

const maxDepth = 3

func (f *filler) fill(v reflect.Value, path string, depth int) {
	f.n++
	if v.Type() == jidType {
		v.Set(reflect.ValueOf(jid.MustParse(fmt.Sprintf("u%d@example.com/r%d", f.n, f.n))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", f.n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.n%100 + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n%100 + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				f.t.Fatalf("%s.%s is unexported: teach the test to fill it", path, sf.Name)
			}
			f.fill(v.Field(i), path+"."+sf.Name, depth)
		}
	case reflect.Slice:
		if depth >= maxDepth {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			f.fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case reflect.Pointer:
		if depth >= maxDepth {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path, depth+1)
	default:
		f.t.Fatalf("%s is a %s: teach the test to fill and change it", path, v.Kind())
	}
}

// mutate changes every value it reaches in v, through slices and
// pointers, and counts the values changed. Each slice it meets must have
// no room to grow into a neighbour's elements.
func mutate(t *testing.T, v reflect.Value, path string) int {
	if v.Type() == jidType {
		v.Set(reflect.ValueOf(jid.MustParse("changed@example.com/changed")))
		return 1
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += mutate(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
		return n
	case reflect.Slice:
		assert.Equal(t, v.Len(), v.Cap(), "%s: a copied slice has no spare capacity", path)
		n := 0
		for i := range v.Len() {
			n += mutate(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		return n
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return mutate(t, v.Elem(), path)
	default:
		t.Fatalf("%s is a %s: teach the test to change it", path, v.Kind())
	}
	return 1
}

// checkDeep fills a T, clones it, changes every value of the clone and
// checks that the original did not change.
func checkDeep[T any](t *testing.T, clone func(*T) *T) {
	name := reflect.TypeFor[T]().Name()
	orig, want := new(T), new(T)
	(&filler{t: t}).fill(reflect.ValueOf(orig).Elem(), name, 0)
	(&filler{t: t}).fill(reflect.ValueOf(want).Elem(), name, 0)
	c := clone(orig)
	require.Empty(t, diff(reflect.ValueOf(want), reflect.ValueOf(c), name), "the clone differs from the original")
	changed := mutate(t, reflect.ValueOf(c).Elem(), name)
	assert.Greater(t, changed, 20, "values changed in the clone")
	require.NotEmpty(t, diff(reflect.ValueOf(want), reflect.ValueOf(c), name))
	require.Empty(t, diff(reflect.ValueOf(want), reflect.ValueOf(orig), name), "changing the clone changed the original")
}

// diff returns the paths of the values that differ between want and got,
// nil and empty slices told apart.
func diff(want, got reflect.Value, path string) []string {
	if want.Type() == jidType {
		if want.Interface() != got.Interface() {
			return []string{path}
		}
		return nil
	}
	var d []string
	switch want.Kind() {
	case reflect.Struct:
		for i := range want.NumField() {
			d = append(d, diff(want.Field(i), got.Field(i), path+"."+want.Type().Field(i).Name)...)
		}
	case reflect.Slice:
		if want.IsNil() != got.IsNil() || want.Len() != got.Len() {
			return []string{path}
		}
		for i := range want.Len() {
			d = append(d, diff(want.Index(i), got.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Pointer:
		if want.IsNil() || got.IsNil() {
			if want.IsNil() != got.IsNil() {
				return []string{path}
			}
			return nil
		}
		return diff(want.Elem(), got.Elem(), path)
	default:
		if want.Interface() != got.Interface() {
			return []string{path}
		}
	}
	return d
}

// TestCloneDeep: changing any value of a clone, however deep, never
// changes the original. The values are found by reflection, so a field
// added to a stanza type and left out of its Clone fails here.
func TestCloneDeep(t *testing.T) {
	t.Run("Message", func(t *testing.T) { checkDeep(t, (*stanza.Message).Clone) })
	t.Run("Presence", func(t *testing.T) { checkDeep(t, (*stanza.Presence).Clone) })
	t.Run("IQ", func(t *testing.T) { checkDeep(t, (*stanza.IQ).Clone) })
	t.Run("Node", func(t *testing.T) { checkDeep(t, (*stanza.Node).Clone) })
	t.Run("Error", func(t *testing.T) { checkDeep(t, (*stanza.Error).Clone) })
	t.Run("Clone(Message)", func(t *testing.T) {
		checkDeep(t, func(m *stanza.Message) *stanza.Message { return stanza.Clone(m).(*stanza.Message) })
	})
	t.Run("Clone(Presence)", func(t *testing.T) {
		checkDeep(t, func(p *stanza.Presence) *stanza.Presence { return stanza.Clone(p).(*stanza.Presence) })
	})
	t.Run("Clone(IQ)", func(t *testing.T) {
		checkDeep(t, func(iq *stanza.IQ) *stanza.IQ { return stanza.Clone(iq).(*stanza.IQ) })
	})
}

// TestCloneKeepsShape: nil stays nil and empty stays empty, so a clone is
// reflect.DeepEqual to what it copies; appending to a copied slice leaves
// its neighbours alone.
func TestCloneKeepsShape(t *testing.T) {
	name := func(local string) xml.Name { return xml.Name{Space: "urn:x", Local: local} }
	m := &stanza.Message{
		Bodies: []stanza.Text{},
		Extensions: []stanza.Node{
			{Name: name("a"), Attrs: []xml.Attr{}, Nodes: []stanza.Node{}},
			{Name: name("b"), Nodes: []stanza.Node{{Name: name("c")}, {Text: "t"}}},
			{Name: name("d"), Attrs: []xml.Attr{{Name: xml.Name{Local: "k"}, Value: "v"}}},
		},
	}
	c := m.Clone()
	require.Equal(t, m, c)
	assert.NotNil(t, c.Bodies)
	assert.Nil(t, c.Subjects)
	assert.NotNil(t, c.Extensions[0].Attrs)
	assert.NotNil(t, c.Extensions[0].Nodes)
	assert.Nil(t, c.Extensions[1].Attrs)
	assert.Nil(t, c.Error)

	c.Extensions[1].Nodes = append(c.Extensions[1].Nodes, stanza.Node{Name: name("e")})
	c.Extensions[0].Nodes = append(c.Extensions[0].Nodes, stanza.Node{Name: name("f")})
	assert.Equal(t, name("c"), c.Extensions[1].Nodes[0].Name)
	assert.Equal(t, "t", c.Extensions[1].Nodes[1].Text)
	assert.Equal(t, m.Extensions[2], c.Extensions[2])

	p := &stanza.Presence{Statuses: []stanza.Text{{Value: "away"}}}
	assert.Equal(t, p, p.Clone())
	iq := &stanza.IQ{Type: stanza.Get}
	assert.Equal(t, iq, iq.Clone())
}

func TestCloneNil(t *testing.T) {
	assert.Nil(t, (*stanza.Message)(nil).Clone())
	assert.Nil(t, (*stanza.Presence)(nil).Clone())
	assert.Nil(t, (*stanza.IQ)(nil).Clone())
	assert.Nil(t, (*stanza.Node)(nil).Clone())
	assert.Nil(t, (*stanza.Error)(nil).Clone())
	assert.Nil(t, stanza.Clone(nil))
	assert.Nil(t, stanza.Clone(&stanza.Common{}), "not a stanza this package knows")
}

// ExampleMessage_Clone keeps a changed copy of a received message, which
// other listeners share and so must not be changed.
func ExampleMessage_Clone() {
	received := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hello"}}}
	received.From = jid.MustParse("bob@example.com/desk")

	fwd := received.Clone()
	fwd.To, fwd.From, fwd.ID = jid.MustParse("carol@example.com"), jid.JID{}, ""
	fwd.Bodies[0].Value = "bob says: " + fwd.Bodies[0].Value

	fmt.Println(received.Body(""))
	fmt.Println(fwd.Body(""))
	// Output:
	// hello
	// bob says: hello
}

// typical is a chat message as a client receives one: addresses, id,
// body, thread, a receipt request, a delay stamp and a stanza id.
func typical() *stanza.Message {
	m := &stanza.Message{
		Type:   stanza.Chat,
		Bodies: []stanza.Text{{Value: "Hello there, how are you doing today?"}},
		Thread: stanza.Thread{ID: "e0ffe42b28561960c6b12b944a092794b9683a38"},
		Extensions: []stanza.Node{
			{Name: xml.Name{Space: "urn:xmpp:receipts", Local: "request"}},
			{Name: xml.Name{Space: "urn:xmpp:delay", Local: "delay"}, Attrs: []xml.Attr{
				{Name: xml.Name{Local: "from"}, Value: "example.com"},
				{Name: xml.Name{Local: "stamp"}, Value: "2002-09-10T23:08:25Z"},
			}, Nodes: []stanza.Node{{Text: "Offline Storage"}}},
			{Name: xml.Name{Space: "urn:xmpp:sid:0", Local: "stanza-id"}, Attrs: []xml.Attr{
				{Name: xml.Name{Local: "by"}, Value: "juliet@example.com"},
				{Name: xml.Name{Local: "id"}, Value: "5f3dbc5e-e1d3-4077-a492-693f3769c7ad"},
			}},
		},
	}
	m.From = jid.MustParse("romeo@example.net/orchard")
	m.To = jid.MustParse("juliet@example.com/balcony")
	m.ID = "ktx72v49"
	m.Seq = 42
	return m
}

// BenchmarkClone copies a typical received chat message, and a roster
// push sized IQ.
func BenchmarkClone(b *testing.B) {
	b.Run("message", func(b *testing.B) {
		m := typical()
		b.ReportAllocs()
		for b.Loop() {
			_ = m.Clone()
		}
	})
	b.Run("iq", func(b *testing.B) {
		item := func(j string) stanza.Node {
			return stanza.Node{Name: xml.Name{Space: "jabber:iq:roster", Local: "item"}, Attrs: []xml.Attr{
				{Name: xml.Name{Local: "jid"}, Value: j},
				{Name: xml.Name{Local: "subscription"}, Value: "both"},
			}, Nodes: []stanza.Node{{Name: xml.Name{Space: "jabber:iq:roster", Local: "group"}, Nodes: []stanza.Node{{Text: "Friends"}}}}}
		}
		iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{
			Name:  xml.Name{Space: "jabber:iq:roster", Local: "query"},
			Attrs: []xml.Attr{{Name: xml.Name{Local: "ver"}, Value: "ver14"}},
			Nodes: []stanza.Node{item("nurse@example.com"), item("romeo@example.net"), item("benvolio@example.net")},
		}}
		iq.ID = "a78b4q6ha463"
		b.ReportAllocs()
		for b.Loop() {
			_ = iq.Clone()
		}
	})
}
