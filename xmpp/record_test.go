package xmpp_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prefixedSession is a login to a server that declares namespace prefixes
// on its stream header and uses them afterwards: %[1]s is its prefix for
// the stream namespace, and sm stands for stream management's, in the
// features and in top-level elements.
const prefixedSession = `C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <%[1]s:stream from='localhost' id='p1' version='1.0' xmlns='jabber:client' xmlns:%[1]s='http://etherx.jabber.org/streams' xmlns:sm='urn:xmpp:sm:3'>
S: <%[1]s:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></%[1]s:features>
C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXNlY3JldA==</auth>
S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <%[1]s:stream from='localhost' id='p2' version='1.0' xmlns='jabber:client' xmlns:%[1]s='http://etherx.jabber.org/streams' xmlns:sm='urn:xmpp:sm:3'>
S: <%[1]s:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm:sm/></%[1]s:features>
C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>
S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/r</jid></bind></iq>
C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>
S: <sm:enabled id='some-long-sm-id' resume='true'/>
C: <presence id='{{close}}' type='unavailable'/>
C: <r xmlns='urn:xmpp:sm:3'/>
C: <a xmlns='urn:xmpp:sm:3' h='{{*}}'/>
C: </stream:stream>
S: <sm:a h='1'/>
S: </%[1]s:stream>
`

// TestRecorderKeepsDeclarations: the server declares prefixes on its
// stream header; the Recorder's transcript keeps those declarations (and
// the server's prefix for the stream namespace), so that the prefixed
// elements it holds as received still parse, and the transcript replays
// against a second client with the same random source.
func TestRecorderKeepsDeclarations(t *testing.T) {
	for _, prefix := range []string{"stream", "s"} {
		t.Run(prefix, func(t *testing.T) {
			tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(fmt.Sprintf(prefixedSession, prefix)))
			require.NoError(t, err)
			var rec bytes.Buffer
			session := func(tr *xmpptest.Transcript, rec *bytes.Buffer) {
				t.Helper()
				c := smConn(t, conns(xmpptest.Script(t, tr)), func(cfg *xmpp.Config) {
					cfg.Rand = fixtureRand()
					cfg.Reconnect.Disabled = true
					if rec != nil {
						cfg.Recorder = rec
					}
				})
				require.NoError(t, c.Connect(ctxT(t)))
				assert.True(t, c.Features().Has(xmpp.NSStreamManagement, "sm"))
				require.NoError(t, c.Close())
			}
			session(tr, &rec)

			recorded, err := xmpptest.ParseTranscript("recorded", strings.NewReader(rec.String()))
			require.NoError(t, err)
			assert.Contains(t, rec.String(), "xmlns:sm='urn:xmpp:sm:3'")
			assert.True(t, strings.HasSuffix(rec.String(), "\nS: </"+prefix+":stream>\n"), "the server's end of the stream as it wrote it")
			session(recorded, nil)
		})
	}
}
