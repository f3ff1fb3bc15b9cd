package xmpp_test

import (
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
)

// crLogin is a PLAIN login that offers stream management after it.
const crLogin = `C: <stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='a1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>
C: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{{*}}</auth>
S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
C: <stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:stream from='localhost' id='a2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>
S: <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>
`

// TestCloseAsResumed: Close called from the listener of StateResumed,
// while the resumed stream writes what goes first (its ack request),
// lets that write finish and then closes the stream cleanly: the
// unavailable presence, the last ack request and the stream's end. It
// used to cancel the reconnection under way, which cut the resumed
// stream mid-write: no unavailable presence, and a session the server
// keeps for resumption.
func TestCloseAsResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpptest.NewReconnectingConn(t, jid.MustParse("alice@localhost/laptop"), []string{
			// The first session; then its stream is lost.
			crLogin + `C: <iq type='set' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>laptop</resource></bind></iq>
S: <iq type='result' id='{{b}}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/laptop</jid></bind></iq>
C: <enable xmlns='urn:xmpp:sm:3' resume='true'/>
S: <enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>
`,
			crLogin + `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
C: <presence id='{{close}}' type='unavailable'/>
C: <r xmlns='urn:xmpp:sm:3'/>
C: </stream:stream>
S: <a xmlns='urn:xmpp:sm:3' h='1'/>
S: </stream:stream>
`,
		})
		closed := make(chan error, 1)
		c.OnState(func(sc xmpp.StateChange) {
			if sc.State == xmpp.StateResumed {
				closed <- c.Close()
			}
		})
		var lost []string
		c.OnUnacked(func(u xmpp.Unacked) {
			for _, st := range u.Stanzas {
				lost = append(lost, st.Head().ID)
			}
		})
		assert.NoError(t, c.Connect(t.Context()))
		assert.NoError(t, <-closed)
		synctest.Wait()
		assert.Empty(t, lost, "the unavailable presence was acknowledged")
	})
}
