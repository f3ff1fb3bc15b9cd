package avatar_test

import (
	"bytes"
	"encoding/base64"
	"slices"
	"testing"

	"github.com/gosmack/gosmack/avatar"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzPayloads feeds bytes through the connection's decoder to the
// readers of avatar payloads, taking every element of a message as a
// candidate. Metadata read has an id and a size for every info, and
// reads back the same once written; data read encodes back to base64
// that decodes to the same bytes.
func FuzzPayloads(f *testing.F) {
	wiretest.Seed(f,
		`<message><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' id='ab' type='image/png' width='64' height='64'/><info bytes='1' id='c' url='https://x/y'/><pointer/></metadata></message>`,
		`<message><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='-1' id='x'/></metadata></message>`,
		`<message><data xmlns='urn:xmpp:avatar:data'>aGVs
bG8=</data></message>`,
		`<message><data xmlns='urn:xmpp:avatar:data'>!!</data></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			for i := range m.Extensions {
				n := &m.Extensions[i]
				if infos, err := avatar.ParseMetadata(n); err == nil {
					for _, in := range infos {
						if in.ID == "" || in.Bytes < 0 || in.Width < 0 || in.Height < 0 {
							t.Fatalf("taken: %+v", in)
						}
					}
					back, err := wiretest.Payload(avatar.MetadataNode(infos))
					if err != nil {
						t.Fatalf("metadata read cannot be written: %v", err)
					}
					again, err := avatar.ParseMetadata(back)
					if err != nil || !slices.Equal(infos, again) {
						t.Fatalf("a round trip changed %+v into %+v (%v)", infos, again, err)
					}
				}
				if img, err := avatar.ParseData(n); err == nil {
					again, err := base64.StdEncoding.DecodeString(base64.StdEncoding.EncodeToString(img))
					if err != nil || !bytes.Equal(img, again) {
						t.Fatalf("data read does not survive base64")
					}
				}
			}
			return true
		})
	})
}
