package adhoc

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Ad-Hoc Commands (XEP-0050), also the service
// discovery node under which an entity lists its commands.
const NS = "http://jabber.org/protocol/commands"

var (
	commandName = xml.Name{Space: NS, Local: "command"}
	formName    = xml.Name{Space: dataform.NS, Local: "x"}
)

// ErrMalformed is wrapped by the errors for a response that is not a
// command's: no <command/>, an unknown status, or an executing command
// without a session id to continue it with.
var ErrMalformed = errors.New("adhoc: malformed response")

// ErrEnded is returned by a Session's actions once the command has
// completed or been canceled: its session is over (XEP-0050 section 4.1).
var ErrEnded = errors.New("adhoc: the command's session has ended")

// Action is what the requester asks of a command at a stage (XEP-0050
// section 4.2, the action attribute).
type Action string

// The actions.
const (
	// Execute runs the command, or at a later stage does what the stage
	// names as its default (Response.Execute).
	Execute Action = "execute"
	// Cancel ends the session without completing the command.
	Cancel Action = "cancel"
	// Prev goes back to the previous stage.
	Prev Action = "prev"
	// Next goes on to the next stage.
	Next Action = "next"
	// Complete finishes the command with the data given.
	Complete Action = "complete"
)

// Status is a command's state after a response (the status attribute).
type Status string

// The statuses.
const (
	// Executing: the command waits for the requester's next action.
	Executing Status = "executing"
	// Completed: the command is done; the session is over. A command
	// that failed says so in a note of type NoteError.
	Completed Status = "completed"
	// Canceled: the command was canceled; the session is over.
	Canceled Status = "canceled"
)

// NoteType is the severity of a Note.
type NoteType string

// The note types.
const (
	NoteInfo  NoteType = "info"  // for information only (also a note without a type)
	NoteWarn  NoteType = "warn"  // a warning: the data may be wrong
	NoteError NoteType = "error" // an error: the command failed
)

// Note is a message from the responder about the command (the <note/>
// element). The zero Note is an empty note of no type.
type Note struct {
	// Type is the note's severity; NoteInfo when the note had none.
	Type NoteType
	// Text is the note's text, trimmed of surrounding white space.
	Text string
}

// Command is one of the commands an entity offers (an item of its
// disco#items on node NS). The zero Command names nothing.
type Command struct {
	// JID is the entity that runs the command, usually the one asked.
	JID jid.JID
	// Node identifies the command, as
	// "http://jabber.org/protocol/admin#get-online-users".
	Node string
	// Name is its human-readable name, "" when the entity gave none.
	Name string
}

// Response is what the responder answered at one stage of a command
// (the <command/> of its result). The zero Response says nothing.
type Response struct {
	// Node is the command's node.
	Node string
	// SessionID identifies the execution; "" only for a command that
	// completed at once without one.
	SessionID string
	// Status says whether the command waits for more (Executing) or is
	// over (Completed, Canceled).
	Status Status
	// Actions are the actions the stage allows besides Cancel and
	// Execute, in the order given: some of Prev, Next and Complete. An
	// executing command without <actions/> is a single stage: Actions is
	// just Complete.
	Actions []Action
	// Execute is the action that Execute stands for at this stage: the
	// execute attribute of <actions/>, Next when <actions/> has none,
	// Complete when there is no <actions/>; "" once the command is over.
	Execute Action
	// Notes are the responder's notes, in order.
	Notes []Note
	// Form is the stage's data form (to fill in and send with Next or
	// Complete, or the result of a completed command), nil when it has
	// none.
	Form *dataform.Form
	// Payload holds the other elements the command carried, in order
	// (jabber:x:oob and the like), read-only: the reply's own.
	Payload []stanza.Node
}

// Allowed reports whether the stage allows action a: Cancel and Execute
// while the command executes, and the actions listed in Actions.
func (r *Response) Allowed(a Action) bool {
	if r.Status != Executing {
		return false
	}
	return a == Cancel || a == Execute || slices.Contains(r.Actions, a)
}

// Manager lists and runs other entities' ad-hoc commands on one
// connection, as a requester (Smack's AdHocCommandManager, used as a
// client). It offers no commands of its own and announces no feature.
// For returns the one a connection has; its zero value is not usable.
// All methods are safe for concurrent use.
type Manager struct {
	c *xmpp.Conn
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's AdHocCommandManager.getAddHocCommandsManager), connected or
// not. It registers nothing on the connection. Close detaches it; For
// then attaches a new one. For is safe for concurrent use.
func For(c *xmpp.Conn) *Manager {
	return xmpp.Attach(c, func(c *xmpp.Conn) *Manager { return &Manager{c: c} })
}

// Close detaches the Manager from its connection. Sessions already
// started go on working. It is safe to call more than once.
func (m *Manager) Close() { xmpp.Detach(m.c, m) }

// Commands asks to (a server, a component, a contact's full JID; the
// zero JID asks the account's server) for the commands it offers the
// user (Smack's discoverCommands), through service discovery
// (disco.For(c).Items on node NS). Servers offer more to their
// administrators. An error reply is returned as an error wrapping its
// *stanza.Error. ctx bounds the request; Commands may be called from a
// listener.
func (m *Manager) Commands(ctx context.Context, to jid.JID) ([]Command, error) {
	to = m.addressee(to)
	items, err := disco.For(m.c).Items(ctx, to, NS)
	if err != nil {
		return nil, fmt.Errorf("adhoc: commands of %s: %w", to, err)
	}
	cmds := make([]Command, 0, len(items))
	for _, it := range items {
		if it.Node == "" {
			continue // not a command
		}
		cmds = append(cmds, Command{JID: it.JID, Node: it.Node, Name: it.Name})
	}
	return cmds, nil
}

func (m *Manager) addressee(to jid.JID) jid.JID {
	if to.IsZero() {
		return m.c.JID().Domain() // zero when not connected: the request says so
	}
	return to
}

// Execute starts the command node at to (the zero JID: the account's
// server), as Smack's RemoteCommand.execute does, and returns its
// Session, whose Response is the first stage: a form to fill in and send
// with Next or Complete, or, for a command of one stage, the result
// (Status Completed). An error reply is returned as an error wrapping
// its *stanza.Error (forbidden for a command the user may not run,
// item-not-found for an unknown one), a response that cannot be read as
// ErrMalformed. ctx bounds the request; Execute may be called from a
// listener.
func (m *Manager) Execute(ctx context.Context, to jid.JID, node string) (*Session, error) {
	s := &Session{c: m.c, to: m.addressee(to), node: node, turn: make(chan struct{}, 1)}
	if _, err := s.Do(ctx, Execute, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// Session is one execution of a command (Smack's RemoteCommand): it
// holds the session id and the last response, and sends the next
// action. A Session is safe for concurrent use; its actions run one at a
// time, each waiting for the one before.
type Session struct {
	c    *xmpp.Conn
	to   jid.JID
	node string
	turn chan struct{} // held while an action is under way

	mu   sync.Mutex
	resp Response
}

// To returns the entity that runs the command.
func (s *Session) To() jid.JID { return s.to }

// Node returns the command's node.
func (s *Session) Node() string { return s.node }

// ID returns the session id the responder gave.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resp.SessionID
}

// Response returns the last response: the stage the command is at.
func (s *Session) Response() Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resp
}

// Ended reports whether the command completed or was canceled.
func (s *Session) Ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resp.Status == Completed || s.resp.Status == Canceled
}

// Next sends the stage's data (form, nil for none: usually the submit
// form of dataform.Answer.Submit) and asks for the next stage.
func (s *Session) Next(ctx context.Context, form *dataform.Form) (Response, error) {
	return s.Do(ctx, Next, form)
}

// Prev asks for the previous stage again.
func (s *Session) Prev(ctx context.Context) (Response, error) {
	return s.Do(ctx, Prev, nil)
}

// Complete sends the stage's data (form, nil for none) and asks the
// command to finish.
func (s *Session) Complete(ctx context.Context, form *dataform.Form) (Response, error) {
	return s.Do(ctx, Complete, form)
}

// Cancel ends the session without completing the command.
func (s *Session) Cancel(ctx context.Context) (Response, error) {
	return s.Do(ctx, Cancel, nil)
}

// Do sends action a for the session, with form if not nil, and waits
// for the response, which becomes the Session's Response. Next, Prev,
// Complete and Cancel are Do with their action; Execute at a later stage
// does what Response.Execute names. Do does not check the action against
// Response.Allowed: the responder decides, and refuses one it does not
// allow with bad-request (its App element <bad-action/>).
//
// Once the command has completed or been canceled, Do returns ErrEnded
// and sends nothing. An error reply is returned as an error wrapping its
// *stanza.Error (bad-request with <bad-sessionid/>, not-allowed with
// <session-expired/>...) and leaves the Response as it was; a response
// that cannot be read matches ErrMalformed. Only a reply from the
// entity asked counts, as for xmpp.Conn.SendIQ. ctx bounds the wait for
// the turn and the request; when it ends, Do returns ctx.Err() and a late
// reply is dropped. Do may be called from a listener.
func (s *Session) Do(ctx context.Context, a Action, form *dataform.Form) (Response, error) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	defer func() { <-s.turn }()
	s.mu.Lock()
	prev := s.resp
	s.mu.Unlock()
	started := prev.Status != ""
	if started && prev.Status != Executing {
		return prev, ErrEnded
	}
	cmd := stanza.Node{Name: commandName, Attrs: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: s.node}}}
	if prev.SessionID != "" {
		cmd.Attrs = append(cmd.Attrs, xml.Attr{Name: xml.Name{Local: "sessionid"}, Value: prev.SessionID})
	}
	cmd.Attrs = append(cmd.Attrs, xml.Attr{Name: xml.Name{Local: "action"}, Value: string(a)})
	if form != nil {
		n, err := form.MarshalNode()
		if err != nil {
			return prev, fmt.Errorf("adhoc: %s: %w", s.node, err)
		}
		cmd.Nodes = append(cmd.Nodes, n)
	}
	iq := &stanza.IQ{Type: stanza.Set, Payload: &cmd}
	iq.To = s.to
	reply, err := s.c.SendIQ(ctx, iq)
	if err != nil {
		return prev, fmt.Errorf("adhoc: %s %s at %s: %w", a, s.node, s.to, err)
	}
	r, err := parse(reply.Payload)
	if err != nil {
		return prev, fmt.Errorf("adhoc: %s %s at %s: %w", a, s.node, s.to, err)
	}
	if r.Node == "" {
		r.Node = s.node
	}
	if r.SessionID == "" {
		r.SessionID = prev.SessionID
	}
	s.mu.Lock()
	s.resp = r
	s.mu.Unlock()
	return r, nil
}

// parse reads a response's <command/>. A missing status is read as
// Executing when the command goes on (it has a session id and
// <actions/>), else as Completed.
func parse(q *stanza.Node) (Response, error) {
	if q == nil || q.Name != commandName {
		return Response{}, fmt.Errorf("%w: no <command/>", ErrMalformed)
	}
	r := Response{Node: q.Attr("node"), SessionID: q.Attr("sessionid"), Status: Status(q.Attr("status"))}
	var actions *stanza.Node
	for i := range q.Nodes {
		n := &q.Nodes[i]
		switch {
		case n.IsText():
		case n.Name == xml.Name{Space: NS, Local: "actions"}:
			if actions == nil {
				actions = n
			}
		case n.Name == xml.Name{Space: NS, Local: "note"}:
			t := NoteType(n.Attr("type"))
			if t == "" {
				t = NoteInfo
			}
			r.Notes = append(r.Notes, Note{Type: t, Text: strings.TrimSpace(n.InnerText())})
		case n.Name == formName && r.Form == nil:
			f := new(dataform.Form)
			if err := f.UnmarshalNode(*n); err != nil {
				return Response{}, fmt.Errorf("%w: %w", ErrMalformed, err)
			}
			r.Form = f
		case n.Name.Space == NS:
			// An element of the protocol's own that a response does not
			// carry (an error condition, a stray <command/>): ignored.
		default:
			r.Payload = append(r.Payload, *n)
		}
	}
	if r.Status == "" {
		r.Status = Completed
		if r.SessionID != "" && actions != nil {
			r.Status = Executing
		}
	}
	switch r.Status {
	case Executing:
	case Completed, Canceled:
		return r, nil // no actions once over
	default:
		return Response{}, fmt.Errorf("%w: status %q", ErrMalformed, clip(string(r.Status)))
	}
	if r.SessionID == "" {
		return Response{}, fmt.Errorf("%w: an executing command without a session id", ErrMalformed)
	}
	if actions == nil {
		r.Actions, r.Execute = []Action{Complete}, Complete
		return r, nil
	}
	for i := range actions.Nodes {
		n := &actions.Nodes[i]
		a := Action(n.Name.Local)
		if n.Name.Space == NS && (a == Prev || a == Next || a == Complete) && !slices.Contains(r.Actions, a) {
			r.Actions = append(r.Actions, a)
		}
	}
	r.Execute = Action(actions.Attr("execute"))
	switch r.Execute {
	case "":
		r.Execute = Next
	case Prev, Next, Complete:
	default:
		return Response{}, fmt.Errorf("%w: execute=%q", ErrMalformed, clip(string(r.Execute)))
	}
	return r, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
