package adhoc_test

import (
	"context"
	"testing"

	"github.com/gosmack/gosmack/adhoc"
	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ns = "xmlns='http://jabber.org/protocol/commands'"

var (
	alice     = jid.MustParse("alice@localhost/a")
	responder = jid.MustParse("responder.localhost")
)

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

// TestCommands: the items of node NS are the commands; an error reply
// is an error.
func TestCommands(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{a}}' to='responder.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>
S: <iq type='result' id='{{a}}' from='responder.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'><item jid='responder.localhost' node='list' name='List Service Configurations'/><item jid='responder.localhost' node='config' name='Configure Service'/><item jid='responder.localhost'/></query></iq>
C: <iq type='get' id='{{b}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>
S: <iq type='error' id='{{b}}' from='localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	a := adhoc.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	cmds, err := a.Commands(ctxT(t), responder)
	require.NoError(t, err)
	assert.Equal(t, []adhoc.Command{
		{JID: responder, Node: "list", Name: "List Service Configurations"},
		{JID: responder, Node: "config", Name: "Configure Service"},
	}, cmds)
	_, err = a.Commands(ctxT(t), jid.JID{})
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})
}

// stage1 and stage2 are XEP-0050's example of a command in two stages
// (section 3.4), with its forms.
const (
	stage1 = `<command ` + ns + ` sessionid='config:20020923T213616Z-700' node='config' status='executing'>
<actions execute='next'><next/></actions>
<x xmlns='jabber:x:data' type='form'><title>Configure Service</title><instructions>Please select the service to configure.</instructions>
<field var='service' label='Service' type='list-single'><option><value>httpd</value></option><option><value>jabberd</value></option><option><value>postgresql</value></option></field></x>
</command>`
	stage2 = `<command ` + ns + ` sessionid='config:20020923T213616Z-700' node='config' status='executing'>
<actions execute='complete'><prev/><complete/></actions>
<x xmlns='jabber:x:data' type='form'><title>Configure Service</title><instructions>Please select the run modes and state for 'httpd'.</instructions>
<field var='runlevel' label='Run Modes' type='list-multi'><value>3</value><value>5</value><option label='Single-User'><value>1</value></option><option label='Multi-User'><value>2</value></option><option label='Full Multi-User'><value>3</value></option><option label='X-Window'><value>5</value></option></field>
<field var='state' label='Run State' type='list-single'><value>off</value><option label='Active'><value>off</value></option><option label='Inactive'><value>on</value></option></field></x>
</command>`
)

// TestMultiStage: XEP-0050's two-stage example run through: execute,
// next with the first form, prev back to the first stage, next again,
// complete with the second form; the session id goes with every request
// after the first, the notes come back, and the ended session sends
// nothing more. A result with the session's id from anybody else moves
// nothing.
func TestMultiStage(t *testing.T) {
	tr := transcript(t, `
C: <iq type='set' id='{{1}}' to='responder.localhost'><command `+ns+` node='config' action='execute'/></iq>
S: <iq type='result' id='{{1}}' from='responder.localhost'>`+stage1+`</iq>
C: <iq type='set' id='{{2}}' to='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' action='next'><x xmlns='jabber:x:data' type='submit'><field var='service' type='list-single'><value>httpd</value></field></x></command></iq>
S: <iq type='result' id='{{2}}' from='eve@localhost/e'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' status='completed'/></iq>
S: <iq type='result' id='{{2}}' from='responder.localhost'>`+stage2+`</iq>
C: <iq type='set' id='{{3}}' to='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' action='prev'/></iq>
S: <iq type='result' id='{{3}}' from='responder.localhost'>`+stage1+`</iq>
C: <iq type='set' id='{{4}}' to='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' action='next'><x xmlns='jabber:x:data' type='submit'><field var='service' type='list-single'><value>httpd</value></field></x></command></iq>
S: <iq type='result' id='{{4}}' from='responder.localhost'>`+stage2+`</iq>
C: <iq type='set' id='{{5}}' to='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' action='complete'><x xmlns='jabber:x:data' type='submit'><field var='runlevel' type='list-multi'><value>3</value><value>5</value></field><field var='state' type='list-single'><value>on</value></field></x></command></iq>
S: <iq type='result' id='{{5}}' from='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' status='completed'><note type='info'>Service 'httpd' has been configured.</note></command></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	a := adhoc.For(c)
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))

	s, err := a.Execute(ctx, responder, "config")
	require.NoError(t, err)
	r := s.Response()
	assert.Equal(t, "config:20020923T213616Z-700", s.ID())
	assert.Equal(t, adhoc.Executing, r.Status)
	assert.Equal(t, []adhoc.Action{adhoc.Next}, r.Actions)
	assert.Equal(t, adhoc.Next, r.Execute)
	assert.True(t, r.Allowed(adhoc.Next))
	assert.False(t, r.Allowed(adhoc.Complete))
	require.NotNil(t, r.Form)
	assert.Equal(t, "Configure Service", r.Form.Title)

	fill := func(r adhoc.Response, set func(*dataform.Answer)) *dataform.Form {
		answer, err := r.Form.Answer()
		require.NoError(t, err)
		set(answer)
		submit, err := answer.Submit()
		require.NoError(t, err)
		return &submit
	}
	first := fill(r, func(a *dataform.Answer) { require.NoError(t, a.Set("service", "httpd")) })
	r, err = s.Next(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, []adhoc.Action{adhoc.Prev, adhoc.Complete}, r.Actions)
	assert.Equal(t, adhoc.Complete, r.Execute)
	assert.Equal(t, []string{"3", "5"}, r.Form.Values("runlevel"), "the defaults")

	r, err = s.Prev(ctx)
	require.NoError(t, err)
	assert.Equal(t, []adhoc.Action{adhoc.Next}, r.Actions, "back at the first stage")
	r, err = s.Next(ctx, first)
	require.NoError(t, err)
	second := fill(r, func(a *dataform.Answer) { require.NoError(t, a.Set("state", "on")) })
	r, err = s.Complete(ctx, second)
	require.NoError(t, err)
	assert.Equal(t, adhoc.Completed, r.Status)
	assert.Equal(t, []adhoc.Note{{Type: adhoc.NoteInfo, Text: "Service 'httpd' has been configured."}}, r.Notes)
	assert.Empty(t, r.Actions)
	assert.False(t, r.Allowed(adhoc.Cancel))
	assert.True(t, s.Ended())
	assert.Equal(t, r, s.Response())

	_, err = s.Next(ctx, nil)
	assert.ErrorIs(t, err, adhoc.ErrEnded)
	_, err = s.Cancel(ctx)
	assert.ErrorIs(t, err, adhoc.ErrEnded)
}

// TestCancel: a session canceled at its first stage is over; an error
// reply (a bad action) leaves the session where it was; a single-stage
// command completes at once, its result form and other payload kept;
// malformed responses are errors.
func TestCancel(t *testing.T) {
	tr := transcript(t, `
C: <iq type='set' id='{{1}}' to='responder.localhost'><command `+ns+` node='config' action='execute'/></iq>
S: <iq type='result' id='{{1}}' from='responder.localhost'>`+stage1+`</iq>
C: <iq type='set' id='{{2}}' to='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' action='complete'/></iq>
S: <iq type='error' id='{{2}}' from='responder.localhost'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><bad-action `+ns+`/></error></iq>
C: <iq type='set' id='{{3}}' to='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' action='cancel'/></iq>
S: <iq type='result' id='{{3}}' from='responder.localhost'><command `+ns+` sessionid='config:20020923T213616Z-700' node='config' status='canceled'/></iq>
C: <iq type='set' id='{{4}}' to='responder.localhost'><command `+ns+` node='list' action='execute'/></iq>
S: <iq type='result' id='{{4}}' from='responder.localhost'><command `+ns+` sessionid='list:20020923T213616Z-700' node='list' status='completed'><x xmlns='jabber:x:data' type='result'><title>Available Services</title><reported><field var='service' label='Service'/></reported><item><field var='service'><value>httpd</value></field></item></x><x xmlns='jabber:x:oob'><url>http://example.org/</url></x></command></iq>
C: <iq type='set' id='{{5}}' to='responder.localhost'><command `+ns+` node='broken' action='execute'/></iq>
S: <iq type='result' id='{{5}}' from='responder.localhost'><command `+ns+` node='broken' status='executing'/></iq>
C: <iq type='set' id='{{6}}' to='responder.localhost'><command `+ns+` node='broken' action='execute'/></iq>
S: <iq type='result' id='{{6}}' from='responder.localhost'><command `+ns+` sessionid='x' node='broken' status='thinking'/></iq>
C: <iq type='set' id='{{7}}' to='responder.localhost'><command `+ns+` node='broken' action='execute'/></iq>
S: <iq type='result' id='{{7}}' from='responder.localhost'/>
C: <iq type='set' id='{{8}}' to='responder.localhost'><command `+ns+` node='single' action='execute'/></iq>
S: <iq type='result' id='{{8}}' from='responder.localhost'><command `+ns+` sessionid='s1' node='single' status='executing'><x xmlns='jabber:x:data' type='form'><field var='n'/></x></command></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	a := adhoc.For(c)
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))

	s, err := a.Execute(ctx, responder, "config")
	require.NoError(t, err)
	_, err = s.Complete(ctx, nil)
	var se *stanza.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, stanza.BadRequest, se.Condition)
	require.NotNil(t, se.App)
	assert.Equal(t, "bad-action", se.App.Name.Local)
	assert.Equal(t, adhoc.Executing, s.Response().Status, "an error moves nothing")
	r, err := s.Cancel(ctx)
	require.NoError(t, err)
	assert.Equal(t, adhoc.Canceled, r.Status)
	assert.True(t, s.Ended())
	_, err = s.Next(ctx, nil)
	assert.ErrorIs(t, err, adhoc.ErrEnded)

	s, err = a.Execute(ctx, responder, "list")
	require.NoError(t, err)
	r = s.Response()
	assert.True(t, s.Ended())
	require.NotNil(t, r.Form)
	assert.Equal(t, dataform.TypeResult, r.Form.Type)
	require.Len(t, r.Form.Items, 1)
	require.Len(t, r.Payload, 1)
	assert.Equal(t, "jabber:x:oob", r.Payload[0].Name.Space)

	for range 3 {
		_, err = a.Execute(ctx, responder, "broken")
		assert.ErrorIs(t, err, adhoc.ErrMalformed)
	}

	s, err = a.Execute(ctx, responder, "single")
	require.NoError(t, err)
	r = s.Response()
	assert.Equal(t, []adhoc.Action{adhoc.Complete}, r.Actions, "no <actions/>: one stage")
	assert.Equal(t, adhoc.Complete, r.Execute)
}

// TestOnePerConnection: For gives one Manager per connection and a fresh
// one after Close; it announces nothing.
func TestOnePerConnection(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	before := c.Announced()
	a := adhoc.For(c)
	assert.Same(t, a, adhoc.For(c))
	assert.Equal(t, before, c.Announced())
	a.Close()
	a.Close()
	assert.NotSame(t, a, adhoc.For(c))
}
