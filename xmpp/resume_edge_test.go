package xmpp_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
)

// laptop is the account of these scripts; crLogin is a PLAIN login
// that offers stream management after it.
var (
	laptop  = jid.MustParse("alice@localhost/laptop")
	crLogin = xmpptest.Login(laptop, "<sm xmlns='urn:xmpp:sm:3'/>")
)

// TestCloseAsResumed: Close called from the listener of StateResumed,
// while the resumed stream writes what goes first (its ack request),
// lets that write finish and then closes the stream cleanly: the
// unavailable presence, the last ack request and the stream's end. It
// used to cancel the reconnection under way, which cut the resumed
// stream mid-write: no unavailable presence, and a session the server
// keeps for resumption.
func TestCloseAsResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpptest.NewReconnectingConn(t, laptop, []string{
			// The first session; then its stream is lost.
			crLogin + crBind,
			crLogin + `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
C: <presence id='{{close}}' type='unavailable'/>
C: <r xmlns='urn:xmpp:sm:3'/>
C: <a xmlns='urn:xmpp:sm:3' h='{{*}}'/>
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

// crBind binds and enables stream management with resumption (sm-1).
var crBind = xmpptest.Bind(laptop) + xmpptest.EnableSM

// crConflict is a resumption that the server ends with <conflict/>.
const crConflict = `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
S: <stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>
`

// TestOwnConflictRetried: an attempt to resume fails (its connection
// ends during the login; the server may still resume the session on
// it), and the next attempt's resumed stream ends with <conflict/>: the
// client's own abandoned attempt caused it, so the client tries again,
// and resumes. A conflict with no abandoned attempt before it ends the
// session, as another client took the resource (TestConflictFinal).
func TestOwnConflictRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		header := crLogin[:strings.Index(crLogin, "S: <stream:features>")]
		c := xmpptest.NewReconnectingConn(t, laptop, []string{
			crLogin + crBind, // then the stream is lost
			header,           // the attempt's connection ends in the login
			crLogin + crConflict,
			crLogin + `C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='sm-1'/>
C: <r xmlns='urn:xmpp:sm:3'/>
S: <a xmlns='urn:xmpp:sm:3' h='0'/>
S: <message from='bob@localhost/b' id='after'/>
`,
		})
		var states testlog.Log
		c.OnState(func(sc xmpp.StateChange) { states.Add("%s", sc.State) })
		got := make(chan struct{})
		c.HandleMessage(nil, func(*stanza.Message) { close(got) })
		assert.NoError(t, c.Connect(t.Context()))
		<-got
		assert.Equal(t, []string{"connected", "authenticated", "disconnected", "connected", "resumed", "disconnected", "connected", "resumed"}, first(states.Lines(), 8))
		c.Close()
	})
}

// TestConflictFinal: a resumed stream ended by <conflict/> with no
// abandoned attempt of the client's before it ends the session: no
// reconnection.
func TestConflictFinal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpptest.NewReconnectingConn(t, laptop, []string{
			crLogin + crBind,
			crLogin + crConflict,
		})
		closed := make(chan error, 1)
		c.OnState(func(sc xmpp.StateChange) {
			if sc.State == xmpp.StateClosed {
				closed <- sc.Err
			}
		})
		var attempts testlog.Log
		c.OnReconnect(func(e xmpp.ReconnectEvent) { attempts.Add("attempt %d done=%v", e.Attempt, e.Done) })
		assert.NoError(t, c.Connect(t.Context()))
		err := <-closed
		assert.ErrorIs(t, err, &stanza.StreamError{Condition: stanza.StreamConflict})
		time.Sleep(time.Minute) // in the bubble: any reconnection would have begun
		synctest.Wait()
		assert.Equal(t, []string{"attempt 1 done=false", "attempt 1 done=true"}, attempts.Lines(), "the one reconnection, and none after the conflict")
	})
}

// first returns the first n of lines, or all of them when fewer.
func first(lines []string, n int) []string { return lines[:min(n, len(lines))] }

// silentOnResume is a server that logs the client in with PLAIN (as
// crLogin) and then never answers its <resume/>: it reads on until the
// client goes (as Prosody 0.12 does over BOSH).
func silentOnResume(t *testing.T) net.Conn {
	client, server := xmpptest.Pipe()
	go func() {
		defer server.Close()
		var seen strings.Builder
		buf := make([]byte, 4096)
		// Each step: what the client's bytes must contain so far, and the
		// server's answer.
		steps := []struct{ after, answer string }{
			{"<stream:stream", "<stream:stream from='localhost' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
				"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"},
			{"</auth>", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"},
			{"<stream:stream", "<stream:stream from='localhost' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
				"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>"},
		}
		for _, st := range steps {
			for !strings.Contains(seen.String(), st.after) {
				n, err := server.Read(buf)
				if err != nil {
					return
				}
				seen.Write(buf[:n])
			}
			rest := seen.String()[strings.Index(seen.String(), st.after)+len(st.after):]
			seen.Reset()
			seen.WriteString(rest)
			if _, err := server.Write([]byte(st.answer)); err != nil {
				return
			}
		}
		for { // silent: <resume/> and whatever follows go unanswered
			if _, err := server.Read(buf); err != nil {
				return
			}
		}
	}()
	return client
}

// TestUnansweredResumptions: a server that lets two resumptions in a row
// go unanswered (each attempt times out) is not asked a third time: the
// next attempt starts a new session, and the stanza the lost one had not
// acknowledged goes again on it.
func TestUnansweredResumptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		initial := xmpptest.MustParseTranscript(t, "first", crLogin+crBind+`C: <message to='bob@localhost' id='m1'><body>hi</body></message>
`)
		fresh := xmpptest.MustParseTranscript(t, "fresh", crLogin+crBind+`C: <message to='bob@localhost' id='m1'><body>hi</body></message>
S: <message from='ctl@localhost/x' id='done'/>
`)
		var dials int
		c := xmpptest.NewReconnectingConn(t, laptop, nil, func(cfg *xmpp.Config) {
			cfg.Reconnect.Timeout = 10 * time.Second
			cfg.Dialer = dialerFunc(func(context.Context, string, string) (net.Conn, error) {
				dials++
				switch dials {
				case 1:
					return xmpptest.Script(t, initial), nil
				case 2, 3:
					return silentOnResume(t), nil
				case 4:
					return xmpptest.Script(t, fresh), nil
				}
				return nil, errors.New("no more connections")
			})
		})
		var states testlog.Log
		c.OnState(func(sc xmpp.StateChange) { states.Add("%s", sc.State) })
		done := make(chan struct{})
		c.HandleMessage(nil, func(m *stanza.Message) {
			if m.ID == "done" {
				close(done)
			}
		})
		assert.NoError(t, c.Connect(t.Context()))
		m := &stanza.Message{Bodies: []stanza.Text{{Value: "hi"}}}
		m.To, m.ID = jid.MustParse("bob@localhost"), "m1"
		assert.NoError(t, c.Send(t.Context(), m))
		select {
		case <-done:
		case <-time.After(10 * time.Minute): // in the bubble
			t.Fatal("no new session after the unanswered resumptions")
		}
		assert.Equal(t, 4, dials)
		assert.Equal(t, []string{"connected", "authenticated", "disconnected", "closed", "authenticated"},
			first(without(states.Lines(), "connected", 1), 5))
		c.Close()
	})
}

// without returns lines without the occurrences of s after the first
// keep of them.
func without(lines []string, s string, keep int) []string {
	var out []string
	for _, l := range lines {
		if l == s {
			if keep == 0 {
				continue
			}
			keep--
		}
		out = append(out, l)
	}
	return out
}
