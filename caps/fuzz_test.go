package caps

import (
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzExtension reads presences with <c/> (XEP-0115 section 4) as
// Tracker.received does. The Extension holds the attributes encoding/xml
// finds on the first <c/>, and goes out in a presence and back unchanged;
// validVer accepts exactly the canonical base64 of one digest of the
// named algorithm.
func FuzzExtension(f *testing.F) {
	wiretest.Seed(f, wiretest.ServerElements(f, func(el *xmlstream.Element) bool {
		st, _ := wire.Decode(el)
		p, ok := st.(*stanza.Presence)
		return ok && slices.ContainsFunc(p.Extensions, func(n stanza.Node) bool { return n.Name == cName })
	})...)
	wiretest.Seed(f,
		// XEP-0115 examples 1 and 2; the legacy format (section 6.3).
		`<presence from='romeo@montague.lit/orchard'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`,
		`<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-256' node='http://code.google.com/p/exodus' ver='66/0NaeaBKkwk85efJTGmU47vXI='/></presence>`,
		`<presence><c xmlns='http://jabber.org/protocol/caps' node='http://psi-im.org/caps' ver='0.11' ext='cs ep-notify html'/></presence>`,
		`<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-512' node='n' ver='z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=='/></presence>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, derr error) bool {
			p, ok := st.(*stanza.Presence)
			if !ok || derr != nil {
				return true
			}
			var c Extension
			found, err := stanza.FindExtension(p.Extensions, &c)
			if err != nil {
				t.Fatalf("%s: %v", el.Raw, err)
			}
			if ref, rerr := wiretest.Reference(el.Raw); rerr == nil {
				var want Extension
				i := slices.IndexFunc(ref.Nodes, func(n wiretest.XMLNode) bool { return n.XMLName == cName })
				if i >= 0 {
					n := &ref.Nodes[i]
					want = Extension{Hash: n.Attr("hash"), Node: n.Attr("node"), Ver: n.Attr("ver"), Ext: n.Attr("ext")}
				}
				if found != (i >= 0) || c != want {
					t.Fatalf("%s: %v %#v; reference %#v", el.Raw, found, c, want)
				}
			}
			if !found {
				return true
			}
			out := &stanza.Presence{}
			if out.Extensions, err = stanza.AppendExtension(nil, &c); err != nil {
				t.Fatal(err)
			}
			back, err := wiretest.RoundTrip(out)
			if err != nil {
				t.Fatalf("%#v does not go through the codec: %v", c, err)
			}
			var again Extension
			if ok, err := stanza.FindExtension(back.(*stanza.Presence).Extensions, &again); !ok || err != nil || again != c {
				t.Fatalf("%#v comes back as %#v, %v, %v", c, again, ok, err)
			}
			raw, derr := base64.StdEncoding.DecodeString(c.Ver)
			newHash := hashes[c.Hash]
			canonical := derr == nil && newHash != nil && len(raw) == newHash().Size() && base64.StdEncoding.EncodeToString(raw) == c.Ver
			if validVer(c.Hash, c.Ver) != canonical {
				t.Fatalf("validVer(%q, %q) = %v", c.Hash, c.Ver, !canonical)
			}
			return true
		})
	})
}

// FuzzVer computes verification strings (XEP-0115 sections 5.1 and 5.4)
// from disco#info results as Tracker.resolve does. Ver fails with
// ErrIllFormed exactly when the info repeats an identity or a feature,
// has two forms of one FORM_TYPE or a FORM_TYPE with different values.
// Otherwise, for every algorithm, the ver verifies, is a valid ver, is the
// same for the info in another order and for the info written out and
// read back, and goes into a cache.
func FuzzVer(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0115 example 4 and the info of sections 5.2 and 5.3.
		`<iq from='romeo@montague.lit/orchard' id='disco1' to='juliet@capulet.lit/balcony' type='result'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='><identity category='client' name='Exodus 0.9.1' type='pc'/><feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query></iq>`,
		`<iq from='benvolio@capulet.lit/230193' id='disco1' to='juliet@capulet.lit/chamber' type='result'><query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='><identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/><identity xml:lang='el' category='client' name='&#936; 0.11' type='pc'/><feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field><field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field><field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field><field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field></x></query></iq>`,
		`<iq type='result' id='d'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/><feature var='a'/></query></iq>`,
		`<iq type='result' id='d'><query xmlns='http://jabber.org/protocol/disco#info'><x xmlns='jabber:x:data'><field var='FORM_TYPE' type='hidden'><value>t</value><value>u</value></field></x><x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>t</value></field></x></query></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			var info disco.Info
			if err != nil || !ok || iq.Type != stanza.Result || iq.Payload == nil || info.UnmarshalNode(*iq.Payload) != nil {
				return true
			}
			ill := illFormed(&info)
			for _, h := range Hashes() {
				checkVer(t, el.Raw, &info, h, ill)
			}
			return true
		})
	})
}

func checkVer(t *testing.T, raw string, info *disco.Info, h string, ill bool) {
	t.Helper()
	ver, err := Ver(info, h)
	if errors.Is(err, ErrIllFormed) != ill || err != nil && !ill {
		t.Fatalf("%s: Ver %q, %v; ill-formed %v", raw, ver, err, ill)
	}
	n, merr := info.MarshalNode()
	if merr != nil {
		t.Fatal(merr)
	}
	back, perr := wiretest.Payload(n)
	var again disco.Info
	if perr != nil || again.UnmarshalNode(*back) != nil {
		t.Fatalf("%#v does not go through the codec: %v", info, perr)
	}
	if ver2, err2 := Ver(&again, h); ver2 != ver || errors.Is(err2, ErrIllFormed) != ill {
		t.Fatalf("%s: %s ver %q, %v; read back %q, %v", raw, h, ver, err, ver2, err2)
	}
	if ill {
		return
	}
	if ver3, _ := Ver(reordered(info), h); ver3 != ver {
		t.Fatalf("%s: %s ver %q, reordered %q", raw, h, ver, ver3)
	}
	if err := Verify(info, h, ver); err != nil || !validVer(h, ver) {
		t.Fatalf("%s: %s ver %q: %v, valid %v", raw, h, ver, err, validVer(h, ver))
	}
	var c Cache
	if err := c.Add(h, ver, info); err != nil || c.Get(h, ver) == nil || c.Get(h, ver).Node != "" {
		t.Fatalf("%s: %s ver %q not cached: %v", raw, h, ver, err)
	}
}

// illFormed applies the rules of XEP-0115 section 5.4, step 3.
func illFormed(info *disco.Info) bool {
	for i, id := range info.Identities {
		if slices.Contains(info.Identities[:i], id) {
			return true
		}
	}
	for i, f := range info.Features {
		if slices.Contains(info.Features[:i], f) {
			return true
		}
	}
	var types []string
	for k := range info.Forms {
		ft := info.Forms[k].FormType()
		if ft == "" {
			continue // no hidden FORM_TYPE: ignored
		}
		if slices.Contains(types, ft) || slices.ContainsFunc(info.Forms[k].Field(dataform.FormTypeVar).Values, func(v string) bool { return v != ft }) {
			return true
		}
		types = append(types, ft)
	}
	return false
}

// reordered returns a copy of info with its identities, features, forms
// and each field's values in reverse order: what section 5.1 sorts.
func reordered(info *disco.Info) *disco.Info {
	c := info.Clone()
	slices.Reverse(c.Identities)
	slices.Reverse(c.Features)
	slices.Reverse(c.Forms)
	for k := range c.Forms {
		for i := range c.Forms[k].Fields {
			slices.Reverse(c.Forms[k].Fields[i].Values)
		}
	}
	return c
}
