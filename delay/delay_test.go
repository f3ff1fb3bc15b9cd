package delay_test

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      delay.Delay
		ok        bool
	}{
		{"room history (XEP-0045 7.2.13)",
			`<message from='coven@chat.shakespeare.lit/firstwitch' type='groupchat'><body>Thrice</body>` +
				`<delay xmlns='urn:xmpp:delay' from='coven@chat.shakespeare.lit' stamp='2002-10-13T23:58:37Z'/></message>`,
			delay.Delay{Stamp: time.Date(2002, 10, 13, 23, 58, 37, 0, time.UTC), From: jid.MustParse("coven@chat.shakespeare.lit")}, true},
		{"offline storage with a reason and fractions (XEP-0203 example 1)",
			`<presence from='juliet@capulet.com/balcony'><delay xmlns='urn:xmpp:delay' from='juliet@capulet.com/balcony' stamp='2002-09-10T23:41:07.123Z'>Offline Storage</delay></presence>`,
			delay.Delay{Stamp: time.Date(2002, 9, 10, 23, 41, 7, 123e6, time.UTC), From: jid.MustParse("juliet@capulet.com/balcony"), Reason: "Offline Storage"}, true},
		{"legacy XEP-0091",
			`<message><body>x</body><x xmlns='jabber:x:delay' from='capulet.com' stamp='20020910T23:08:25'/></message>`,
			delay.Delay{Stamp: time.Date(2002, 9, 10, 23, 8, 25, 0, time.UTC), From: jid.MustParse("capulet.com")}, true},
		{"XEP-0203 wins over legacy",
			`<message><x xmlns='jabber:x:delay' stamp='20020910T23:08:25'/><delay xmlns='urn:xmpp:delay' stamp='2010-01-01T00:00:00Z'/></message>`,
			delay.Delay{Stamp: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)}, true},
		{"live message", `<message><body>now</body></message>`, delay.Delay{}, false},
		{"unreadable stamp", `<message><delay xmlns='urn:xmpp:delay' stamp='yesterday'/></message>`, delay.Delay{}, false},
		{"bad from is left zero", `<message><delay xmlns='urn:xmpp:delay' from='@' stamp='2010-01-01T00:00:00+02:00'/></message>`,
			delay.Delay{Stamp: time.Date(2010, 1, 1, 0, 0, 0, 0, time.FixedZone("", 7200))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := delay.Of(wiretest.Decode(t, tc.raw))
			assert.Equal(t, tc.ok, ok)
			assert.True(t, tc.want.Stamp.Equal(got.Stamp), "stamp %v, want %v", got.Stamp, tc.want.Stamp)
			assert.Equal(t, tc.want.From, got.From)
			assert.Equal(t, tc.want.Reason, got.Reason)
		})
	}
}

func TestAddRoundTrip(t *testing.T) {
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "hi"}}}
	m.Extensions = append(m.Extensions, stanza.Node{Name: delayName(delay.NSLegacy, "x")})
	stamp := time.Date(2026, 12, 7, 13, 0, 0, 5e6, time.FixedZone("", 3600))
	require.NoError(t, delay.Add(m, delay.Delay{Stamp: stamp, From: jid.MustParse("room@muc.localhost"), Reason: "kept"}))
	require.Len(t, m.Extensions, 1, "Add replaces the mark already there")
	st, err := wiretest.RoundTrip(m)
	require.NoError(t, err)
	d, ok := delay.Of(st)
	require.True(t, ok)
	assert.True(t, d.Stamp.Equal(stamp))
	assert.Equal(t, time.UTC, d.Stamp.Location(), "written in UTC")
	assert.Equal(t, "room@muc.localhost", d.From.String())
	assert.Equal(t, "kept", d.Reason)

	assert.ErrorIs(t, delay.Add(m, delay.Delay{}), delay.ErrMalformed, "a mark needs a stamp")
	assert.Error(t, delay.Add(&stanza.IQ{}, delay.Delay{Stamp: stamp}))
}

// FuzzOf: whatever a stanza carries, Of returns a mark that writes and
// reads back as itself, or none.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f,
		`<message><delay xmlns='urn:xmpp:delay' from='a@b/c' stamp='2002-09-10T23:41:07.123Z'>r</delay></message>`,
		`<message><x xmlns='jabber:x:delay' stamp='20020910T23:08:25'/></message>`,
		`<presence><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:41:07+05:00'/></presence>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			d, ok := delay.Of(st)
			if !ok {
				return true
			}
			m := &stanza.Message{}
			if err := delay.Add(m, d); err != nil {
				t.Fatalf("a mark read cannot be written: %v", err)
			}
			back, ok := delay.Of(m)
			if !ok || !back.Stamp.Equal(d.Stamp) || back.From != d.From || back.Reason != d.Reason {
				t.Fatalf("%+v written and read is %+v", d, back)
			}
			return true
		})
	})
}

func delayName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }
