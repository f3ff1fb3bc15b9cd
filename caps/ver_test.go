package caps

import (
	"crypto/sha1"
	"encoding/base64"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ stanza.Extension = (*Extension)(nil)

const (
	nsMUC  = "http://jabber.org/protocol/muc"
	nsDisI = "http://jabber.org/protocol/disco#info"
	nsDisT = "http://jabber.org/protocol/disco#items"
)

// exodus is the entity of XEP-0115 section 5.2. The section's prose lists
// three features but its S and ver have four: caps is one of them.
func exodus() *disco.Info {
	return &disco.Info{
		Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
		Features:   []string{nsMUC, nsDisI, NS, nsDisT},
	}
}

// psi is the disco#info result of XEP-0115 section 5.3, in the order the
// example gives it.
func psi() *disco.Info {
	return &disco.Info{
		Node: "http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w=",
		Identities: []disco.Identity{
			{Category: "client", Type: "pc", Name: "Psi 0.11", Lang: "en"},
			{Category: "client", Type: "pc", Name: "Ψ 0.11", Lang: "el"},
		},
		Features: []string{NS, nsDisI, nsDisT, nsMUC},
		Forms: []dataform.Form{{Fields: []dataform.Field{
			{Var: "FORM_TYPE", Type: "hidden", Values: []string{"urn:xmpp:dataforms:softwareinfo"}},
			{Var: "ip_version", Type: "text-multi", Values: []string{"ipv4", "ipv6"}},
			{Var: "os", Values: []string{"Mac"}},
			{Var: "os_version", Values: []string{"10.5.1"}},
			{Var: "software", Values: []string{"Psi"}},
			{Var: "software_version", Values: []string{"0.11"}},
		}}},
	}
}

// TestSpecExamples: the worked examples of XEP-0115 sections 5.2 and 5.3
// give their S and ver exactly.
func TestSpecExamples(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *disco.Info
		s    string
		ver  string
	}{
		{"5.2 simple", exodus(),
			"client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
				"http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
			"QgayPKawpkPSDYmwT/WM94uAlu0="},
		{"5.3 complex", psi(),
			"client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
				"http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<" +
				"ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<",
			"q07IKJEyjvHSyhy//CH0CxmKi8w="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := appendS(nil, tc.info)
			require.NoError(t, err)
			assert.Equal(t, tc.s, string(s))
			ver, err := Ver(tc.info, "sha-1")
			require.NoError(t, err)
			assert.Equal(t, tc.ver, ver)
			require.NoError(t, Verify(tc.info, "sha-1", tc.ver))

			// The same info after a trip through XML.
			n, err := tc.info.MarshalNode()
			require.NoError(t, err)
			var back disco.Info
			require.NoError(t, back.UnmarshalNode(n))
			require.NoError(t, Verify(&back, "sha-1", tc.ver))
		})
	}
}

// TestVerifyRefuses: a tampered ver, tampered info, an unknown algorithm
// and ill-formed info are refused.
func TestVerifyRefuses(t *testing.T) {
	const ver = "q07IKJEyjvHSyhy//CH0CxmKi8w="
	tampered := psi()
	tampered.Features = append(tampered.Features, "urn:xmpp:evil")
	value := psi()
	value.Forms[0].Fields[2].Values = []string{"Windows"}
	for _, tc := range []struct {
		name       string
		info       *disco.Info
		hash, ver  string
		wantErr    error
		wantString string
	}{
		{"tampered ver", psi(), "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8x=", ErrMismatch, ""},
		{"another entity's ver", psi(), "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=", ErrMismatch, ""},
		{"added feature", tampered, "sha-1", ver, ErrMismatch, ""},
		{"changed form value", value, "sha-1", ver, ErrMismatch, ""},
		{"other algorithm", psi(), "sha-256", ver, ErrMismatch, ""},
		{"md5", psi(), "md5", ver, ErrUnknownHash, ""},
		{"no algorithm", psi(), "", ver, ErrUnknownHash, ""},
		{"SHA-1 in capitals", psi(), "SHA-1", ver, ErrUnknownHash, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, Verify(tc.info, tc.hash, tc.ver), tc.wantErr)
		})
	}
}

func TestIllFormed(t *testing.T) {
	for name, change := range map[string]func(*disco.Info){
		"identity twice": func(i *disco.Info) { i.Identities = append(i.Identities, i.Identities[0]) },
		"feature twice":  func(i *disco.Info) { i.Features = append(i.Features, nsMUC) },
		"FORM_TYPE twice": func(i *disco.Info) {
			i.Forms = append(i.Forms, dataform.New(dataform.TypeResult, "urn:xmpp:dataforms:softwareinfo"))
		},
		"FORM_TYPE with two values": func(i *disco.Info) {
			i.Forms[0].Fields[0].Values = append(i.Forms[0].Fields[0].Values, "urn:other")
		},
	} {
		t.Run(name, func(t *testing.T) {
			info := psi()
			change(info)
			_, err := Ver(info, "sha-1")
			require.ErrorIs(t, err, ErrIllFormed)
		})
	}
	// Not ill-formed: the same FORM_TYPE value twice, and identities that
	// differ only by name (XEP-0030 forbids them, XEP-0115 does not).
	info := psi()
	info.Forms[0].Fields[0].Values = append(info.Forms[0].Fields[0].Values, "urn:xmpp:dataforms:softwareinfo")
	require.NoError(t, Verify(info, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w="))
	info.Identities = append(info.Identities, disco.Identity{Category: "client", Type: "pc", Lang: "en", Name: "Psi"})
	_, err := Ver(info, "sha-1")
	require.NoError(t, err)
}

// TestS: the ordering and escaping rules of section 5.1, each on its own.
func TestS(t *testing.T) {
	for _, tc := range []struct {
		name string
		info disco.Info
		s    string
	}{
		{"empty", disco.Info{}, ""},
		{"node is not hashed", disco.Info{Node: "http://x#y", Features: []string{"a"}}, "a<"},
		{"identities by category, type, lang, then name",
			disco.Info{Identities: []disco.Identity{
				{Category: "client", Type: "pc", Lang: "en", Name: "B"},
				{Category: "client", Type: "pc", Name: "Z"},
				{Category: "client", Type: "bot"},
				{Category: "auth", Type: "pc"},
				{Category: "client", Type: "pc", Lang: "en", Name: "A"},
			}},
			"auth/pc//<client/bot//<client/pc//Z<client/pc/en/A<client/pc/en/B<"},
		{"features in octet order (capitals first, prefix first)",
			disco.Info{Features: []string{"urn:b", "urn:a#x", "urn:a", "URN:z", "urn:é", "urn:z"}},
			"URN:z<urn:a<urn:a#x<urn:b<urn:z<urn:é<"},
		{"'<' and XML specials appended raw",
			disco.Info{Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "a<b&c"}}, Features: []string{"x<y", "'\">"}},
			"client/pc//a<b&c<'\"><x<y<"},
		{"forms by FORM_TYPE, fields by var, values sorted, FORM_TYPE not repeated",
			disco.Info{Forms: []dataform.Form{
				dataform.New(dataform.TypeResult, "urn:z", dataform.Field{Var: "b", Values: []string{"2", "1"}}, dataform.Field{Var: "a", Values: []string{"x"}}),
				dataform.New(dataform.TypeResult, "urn:a", dataform.Field{Var: "empty"}),
			}},
			"urn:a<empty<urn:z<a<x<b<1<2<"},
		{"forms without a hidden FORM_TYPE ignored",
			disco.Info{Forms: []dataform.Form{
				{Fields: []dataform.Field{{Var: "a", Values: []string{"x"}}}},
				{Fields: []dataform.Field{{Var: "FORM_TYPE", Values: []string{"urn:visible"}}, {Var: "a", Values: []string{"x"}}}},
				{Fields: []dataform.Field{{Var: "FORM_TYPE", Type: "hidden"}}},
			}},
			""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := appendS(nil, &tc.info)
			require.NoError(t, err)
			assert.Equal(t, tc.s, string(s))
			sum := sha1.Sum(s)
			ver, err := Ver(&tc.info, "sha-1")
			require.NoError(t, err)
			assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), ver)
		})
	}
}

// TestSAmbiguity documents what following the spec implies: '<' inside a
// value is not escaped in S, so a feature "a<b" and the two features "a"
// and "b" give the same ver. This is the weakness XEP-0115 section 10.3
// admits; the hash check still refuses any info that does not hash to
// the announced ver, and such info is at worst a misleading but
// self-consistent claim about the entity that sent it.
func TestSAmbiguity(t *testing.T) {
	one, err := Ver(&disco.Info{Features: []string{"a<b"}}, "sha-1")
	require.NoError(t, err)
	two, err := Ver(&disco.Info{Features: []string{"a", "b"}}, "sha-1")
	require.NoError(t, err)
	assert.Equal(t, one, two)
}

func TestHashes(t *testing.T) {
	assert.Equal(t, []string{"sha-1", "sha-224", "sha-256", "sha-384", "sha-512"}, Hashes())
	for _, h := range Hashes() {
		ver, err := Ver(exodus(), h)
		require.NoError(t, err)
		assert.True(t, validVer(h, ver), h)
		assert.NoError(t, Verify(exodus(), h, ver))
	}
	ver256, _ := Ver(exodus(), "sha-256")
	assert.False(t, validVer("sha-1", ver256), "a sha-256 digest is not a sha-1 ver")
	for _, bad := range []string{"", "not base64!", "QgayPKawpkPSDYmwT/WM94uAlu0", "QgayPKawpkPSDYmwT/WM94uAlu1=", "QgayPKawpkPSDYmwT/WM94uAlu0=QgayPKawpkPSDYmwT/WM94uAlu0="} {
		assert.False(t, validVer("sha-1", bad), bad)
	}
	assert.False(t, validVer("md5", "1B2M2Y8AsgTpgAmY7PhCfg=="))
}

func TestExtension(t *testing.T) {
	e := Extension{Hash: "sha-1", Node: "http://www.igniterealtime.org/projects/smack", Ver: "NfJ3flI83zSdUDzCEICtbypursw="}
	n, err := e.MarshalNode()
	require.NoError(t, err)
	var back Extension
	require.NoError(t, back.UnmarshalNode(n))
	assert.Equal(t, e, back)
	ok, err := stanza.FindExtension([]stanza.Node{n}, &back)
	assert.True(t, ok)
	assert.NoError(t, err)
}

func TestCache(t *testing.T) {
	c := new(Cache)
	assert.Equal(t, DefaultCacheSize, c.Max())
	c.SetMax(2)
	assert.Equal(t, 2, c.Max())
	require.ErrorIs(t, c.Add("sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=", exodus()), ErrMismatch)
	assert.Equal(t, 0, c.Len())
	require.NoError(t, c.Add("sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=", psi()))
	got := c.Get("sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=")
	require.NotNil(t, got)
	assert.Empty(t, got.Node, "kept without the node")
	assert.Nil(t, c.Get("sha-256", "q07IKJEyjvHSyhy//CH0CxmKi8w="))
	require.NoError(t, c.Add("sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=", exodus()))
	v256, _ := Ver(exodus(), "sha-256")
	require.NoError(t, c.Add("sha-256", v256, exodus()))
	assert.Equal(t, 2, c.Len())
	assert.Nil(t, c.Get("sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w="), "the oldest is forgotten")
	assert.NotNil(t, c.Get("sha-256", v256))
	c.SetMax(1)
	assert.Equal(t, 1, c.Len(), "a smaller bound forgets at once")
	assert.NotNil(t, c.Get("sha-256", v256), "the newest stays")
	c.SetMax(0)
	assert.Equal(t, DefaultCacheSize, c.Max())
}
