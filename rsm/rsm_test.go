package rsm_test

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/rsm"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// set returns the <set/> of the first IQ's payload in raw, as the
// connection reads it.
func set(t testing.TB, raw string) []stanza.Node {
	t.Helper()
	iq, ok := wiretest.Decode(t, raw).(*stanza.IQ)
	require.True(t, ok, "an IQ: %s", raw)
	require.NotNil(t, iq.Payload)
	return iq.Payload.Nodes
}

func TestReadRequest(t *testing.T) {
	for name, c := range map[string]struct {
		set  string
		want rsm.Request
	}{
		"first page (XEP-0059 example 1)": {`<max>10</max>`, rsm.Request{Max: 10}},
		"next page (example 3)":           {`<max>10</max><after>peterpan@neverland.lit</after>`, rsm.Request{Max: 10, After: "peterpan@neverland.lit"}},
		"previous page (example 5)":       {`<max>10</max><before>peter@pixyland.org</before>`, rsm.Request{Max: 10, Before: "peter@pixyland.org"}},
		"last page (example 7)":           {`<max>10</max><before/>`, rsm.Request{Max: 10, Last: true}},
		"by index (example 9)":            {`<max>10</max><index>371</index>`, rsm.Request{Max: 10, Index: 371}},
		"count only (example 11)":         {`<max>0</max>`, rsm.Request{CountOnly: true}},
		"spaces and strangers":            {`<max> 5 </max><x xmlns='urn:other'>1</x>`, rsm.Request{Max: 5}},
	} {
		t.Run(name, func(t *testing.T) {
			nodes := set(t, `<iq type='get' id='1'><query xmlns='jabber:iq:search'><set xmlns='http://jabber.org/protocol/rsm'>`+c.set+`</set></query></iq>`)
			var r rsm.Request
			ok, err := stanza.FindExtension(nodes, &r)
			require.True(t, ok)
			require.NoError(t, err)
			assert.Equal(t, c.want, r)

			n, err := r.MarshalNode()
			require.NoError(t, err)
			var back rsm.Request
			require.NoError(t, back.UnmarshalNode(*roundTrip(t, n)))
			assert.Equal(t, r, back, "written and read again")
		})
	}
}

func TestReadResponse(t *testing.T) {
	for name, c := range map[string]struct {
		set  string
		want rsm.Response
	}{
		"XEP-0059 example 2": {`<first index='0'>stpeter@jabber.org</first><last>peterpan@neverland.lit</last><count>800</count>`,
			rsm.Response{First: "stpeter@jabber.org", FirstIndex: 0, Last: "peterpan@neverland.lit", Count: 800}},
		"no index, no count": {`<first>a</first><last>b</last>`, rsm.Response{First: "a", FirstIndex: -1, Last: "b", Count: -1}},
		"empty page":         {`<count>790</count>`, rsm.Response{FirstIndex: -1, Count: 790}},
		"nothing":            {``, rsm.Response{FirstIndex: -1, Count: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			nodes := set(t, `<iq type='result' id='1'><query xmlns='jabber:iq:search'><set xmlns='http://jabber.org/protocol/rsm'>`+c.set+`</set></query></iq>`)
			var r rsm.Response
			ok, err := stanza.FindExtension(nodes, &r)
			require.True(t, ok)
			require.NoError(t, err)
			assert.Equal(t, c.want, r)

			n, err := r.MarshalNode()
			require.NoError(t, err)
			var back rsm.Response
			require.NoError(t, back.UnmarshalNode(*roundTrip(t, n)))
			assert.Equal(t, r, back, "written and read again")
		})
	}
}

func TestReadRefuses(t *testing.T) {
	for _, bad := range []string{
		`<max>-1</max>`, `<max>ten</max>`, `<index>1e3</index>`, `<count>99999999999</count>`, `<first index='x'>a</first>`,
	} {
		nodes := set(t, `<iq type='result' id='1'><query xmlns='q'><set xmlns='http://jabber.org/protocol/rsm'>`+bad+`</set></query></iq>`)
		var req rsm.Request
		var resp rsm.Response
		_, err1 := stanza.FindExtension(nodes, &req)
		_, err2 := stanza.FindExtension(nodes, &resp)
		assert.True(t, err1 != nil || err2 != nil, bad)
		for _, err := range []error{err1, err2} {
			if err != nil {
				assert.ErrorIs(t, err, rsm.ErrMalformed)
			}
		}
	}
	var r rsm.Request
	assert.ErrorIs(t, r.UnmarshalNode(stanza.Node{}), rsm.ErrMalformed, "not a set")
	var p rsm.Response
	assert.ErrorIs(t, p.UnmarshalNode(stanza.Node{}), rsm.ErrMalformed, "not a set")
}

// TestWrite: what each request writes, in XEP-0059's order.
func TestWrite(t *testing.T) {
	for _, c := range []struct {
		r    rsm.Request
		want string
	}{
		{rsm.Request{}, `<set xmlns='http://jabber.org/protocol/rsm'/>`},
		{rsm.Request{Max: 20, After: "x"}, `<set xmlns='http://jabber.org/protocol/rsm'><max>20</max><after>x</after></set>`},
		{rsm.Request{Max: 20, Last: true}, `<set xmlns='http://jabber.org/protocol/rsm'><max>20</max><before/></set>`},
		{rsm.Request{Before: "y", Last: true}, `<set xmlns='http://jabber.org/protocol/rsm'><before>y</before></set>`},
		{rsm.Request{Max: -3, Index: -1}, `<set xmlns='http://jabber.org/protocol/rsm'/>`},
		{rsm.Request{Max: 9, CountOnly: true}, `<set xmlns='http://jabber.org/protocol/rsm'><max>0</max></set>`},
	} {
		n, err := c.r.MarshalNode()
		require.NoError(t, err)
		want, err := wiretest.Reference(c.want)
		require.NoError(t, err)
		assert.True(t, wiretest.SameNode(want, roundTrip(t, n)), "%+v", c.r)
	}
}

func roundTrip(t testing.TB, n stanza.Node) *stanza.Node {
	t.Helper()
	p, err := wiretest.Payload(n)
	require.NoError(t, err)
	return p
}

// FuzzSet: whatever an IQ payload carries, a set read from it as a
// request or a response writes and reads back as itself.
func FuzzSet(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='1'><q xmlns='q'><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first><last>b</last><count>800</count></set></q></iq>`,
		`<iq type='get' id='1'><q xmlns='q'><set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/><after>x</after><index>3</index></set></q></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok || iq.Payload == nil {
				return true
			}
			var req rsm.Request
			if found, err := stanza.FindExtension(iq.Payload.Nodes, &req); found && err == nil {
				n, err := req.MarshalNode()
				if err != nil {
					t.Fatal(err)
				}
				var back rsm.Request
				p, err := wiretest.Payload(n)
				if err != nil || back.UnmarshalNode(*p) != nil || back != req {
					t.Fatalf("%+v written and read is %+v (%v)", req, back, err)
				}
			}
			var resp rsm.Response
			if found, err := stanza.FindExtension(iq.Payload.Nodes, &resp); found && err == nil {
				n, err := resp.MarshalNode()
				if err != nil {
					t.Fatal(err)
				}
				var back rsm.Response
				p, err := wiretest.Payload(n)
				if err != nil || back.UnmarshalNode(*p) != nil || back != resp {
					t.Fatalf("%+v written and read is %+v (%v)", resp, back, err)
				}
			}
			return true
		})
	})
}
