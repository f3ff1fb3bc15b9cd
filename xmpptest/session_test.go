package xmpptest_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, text string) *xmpptest.Transcript {
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(text))
	require.NoError(t, err)
	return tr
}

// TestNewConn: what is registered between NewConn and Connect is in place
// for the first stanza; the script checks the answers.
func TestNewConn(t *testing.T) {
	tr := parse(t, `
S: <iq type='get' id='v1' from='localhost'><query xmlns='jabber:iq:version'/></iq>
C: <iq type='result' id='v1' to='localhost'><query xmlns='jabber:iq:version'><name>test</name></query></iq>
S: <message from='bob@localhost/b' id='m1' type='chat'><body>hello</body></message>
C: <message id='{{m}}' to='bob@localhost/b' type='chat'><body>hi</body></message>
`)
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost"), tr)
	version := xml.Name{Space: "jabber:iq:version", Local: "query"}
	c.HandleIQ(stanza.Get, version, xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
		return &stanza.Node{Name: version, Nodes: []stanza.Node{{Name: xml.Name{Space: version.Space, Local: "name"}, Nodes: []stanza.Node{{Text: "test"}}}}}, nil
	}))
	// Listeners see stanzas in order: the version request is answered
	// before this reply goes out.
	c.HandleMessage(nil, func(m *stanza.Message) {
		assert.NoError(t, c.Send(context.Background(), m.Reply("hi")))
	})
	assert.False(t, c.IsConnected(), "not connected before Connect")
	require.NoError(t, c.Connect(t.Context()))
	assert.Equal(t, "alice@localhost/test", c.JID().String())
}

// TestNewConnFeatures: a transcript that starts with stream features has
// them offered after authentication, next to bind; what follows is
// played after the bind (here stream management's enable).
func TestNewConnFeatures(t *testing.T) {
	tr := parse(t, `
S: <stream:features>
     <ver xmlns='urn:xmpp:features:rosterver'/>
     <sm xmlns='urn:xmpp:sm:3'/>
   </stream:features>
C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>
S: <enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>
`)
	c := xmpptest.NewConn(t, jid.MustParse("juliet@example.com/balcony"), tr)
	require.NoError(t, c.Connect(t.Context()))
	assert.True(t, c.Features().Has("urn:xmpp:features:rosterver", "ver"))
	assert.True(t, c.Features().Has("urn:xmpp:sm:3", "sm"))
	assert.Equal(t, "juliet@example.com/balcony", c.JID().String())
}

// TestNewConnConfig: config funcs change the Config in order, after
// NewConn's own settings.
func TestNewConnConfig(t *testing.T) {
	tr := parse(t, `C: <presence id='{{p}}'/>`)
	var order []string
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/r"), tr,
		func(cfg *xmpp.Config) {
			assert.True(t, cfg.NoInitialPresence, "NewConn's default comes first")
			assert.True(t, cfg.Reconnect.Disabled)
			order = append(order, "first")
			cfg.NoInitialPresence = false
		},
		func(*xmpp.Config) { order = append(order, "second") })
	assert.Equal(t, []string{"first", "second"}, order)
	require.NoError(t, c.Connect(t.Context()))
}

// TestNewReconnectingConnLogin: scripts made of Login, Bind and EnableSM
// log in, enable stream management and, after the first stream is lost,
// resume on the second connection.
func TestNewReconnectingConnLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		laptop := jid.MustParse("alice@localhost/laptop")
		login := xmpptest.Login(laptop, "<sm xmlns='urn:xmpp:sm:3'/>")
		c := xmpptest.NewReconnectingConn(t, laptop, []string{
			login + xmpptest.Bind(laptop) + xmpptest.EnableSM,
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
S: <message from='bob@localhost/b' id='after'/>
`,
		})
		defer c.Close()
		got := make(chan string, 1)
		c.HandleMessage(nil, func(m *stanza.Message) { got <- m.ID })
		require.NoError(t, c.Connect(t.Context()))
		assert.Equal(t, "alice@localhost/laptop", c.JID().String())
		assert.Equal(t, "after", <-got, "the session was resumed on the second connection")
	})
}
