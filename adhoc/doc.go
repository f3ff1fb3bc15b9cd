// Package adhoc is Ad-Hoc Commands (XEP-0050) as a requester: it lists
// the commands a server, component or client offers, and runs them,
// stage by stage, with data forms (package dataform). Its Manager stands
// for Smack's AdHocCommandManager used as a client
// (getAddHocCommandsManager(connection) is For(c)), Session for
// RemoteCommand, Response for the AdHocCommandData a stage returns.
//
//	a := adhoc.For(c)
//	cmds, err := a.Commands(ctx, jid.JID{}) // the server's
//	s, err := a.Execute(ctx, jid.JID{}, "http://jabber.org/protocol/admin#get-online-users")
//	if err != nil { ... }
//	for !s.Ended() {
//		r := s.Response()
//		if r.Form == nil { ... } // nothing to fill in: r.Execute says what to do
//		answer, err := r.Form.Answer()
//		if err != nil { ... }
//		if err := answer.Set("max_items", "25"); err != nil { ... }
//		submit, err := answer.Submit()
//		if err != nil { ... }
//		if r.Allowed(adhoc.Next) {
//			_, err = s.Next(ctx, &submit)
//		} else {
//			_, err = s.Complete(ctx, &submit)
//		}
//		if err != nil { ... }
//	}
//	result := s.Response() // Notes, and the result's Form
//
// # Sessions
//
// Execute sends the first request (action execute) and returns the
// Session the responder opened, at its first stage. A Response tells
// what the stage offers: its status, the actions it allows (Allowed,
// Actions, and Execute, the action that Execute stands for, as
// XEP-0050 section 6.2 reads a missing <actions/> or execute
// attribute), its notes, its data form and any other payload. Next,
// Prev and Complete send the stage's answer (usually a form of type
// submit, from dataform.Answer.Submit); Cancel ends the session. Every
// request after the first carries the session id, and the responder's
// answer replaces the Session's Response. Once the command has
// completed or been canceled, the Session sends nothing more (ErrEnded).
// An error reply leaves the Session where it was: a session that has
// expired on the responder's side says so (not-allowed with
// <session-expired/>, in the *stanza.Error's App).
//
// Only the entity asked can answer (xmpp.Conn.SendIQ checks the sender
// of each reply), so another entity cannot move a session on.
//
// # Listing
//
// Commands reads the items of the entity's disco#items on node NS: one
// per command, with its node and name. Servers show their administrators
// more commands than other users (Prosody's and ejabberd's admin
// commands), and nothing of a command says what it needs before it is
// executed.
//
// # What is not here
//
// The Manager offers no commands of its own: it registers nothing on the
// connection and announces no feature. Smack's AdHocCommandManager also
// serves local commands (registerCommand); a client that wants to offer
// one answers <command/> IQ sets with xmpp.Conn.HandleIQ and lists it
// with disco.For(c).HandleNode.
//
// # Concurrency and contexts
//
// A Manager and a Session are safe for concurrent use; a Session runs
// one action at a time, the others waiting their turn. Every request
// waits on the caller's goroutine, bounded by its context: when it ends,
// the call returns ctx.Err() and a late reply is dropped (the responder
// may have moved on: Cancel, or start again). All may be called from a
// listener.
//
// # Coming from Smack
//
//	AdHocCommandManager.getAddHocCommandsManager(c)   adhoc.For(c)
//	AdHocCommandManager.discoverCommands(jid)         a.Commands(ctx, jid)
//	AdHocCommandManager.getRemoteCommand(jid, node)   a.Execute(ctx, jid, node) (runs it)
//	RemoteCommand.execute(), execute(form)            a.Execute; s.Do(ctx, adhoc.Execute, form)
//	RemoteCommand.next(form), prev(), complete(form)  s.Next(ctx, form), s.Prev(ctx), s.Complete(ctx, form)
//	RemoteCommand.cancel()                            s.Cancel(ctx)
//	AdHocCommand.getForm(), getNotes()                s.Response().Form, .Notes
//	AdHocCommand.getActions(), getExecuteAction()     s.Response().Actions, .Execute
//	AdHocCommand.getStatus(), getSessionId()          s.Response().Status, s.ID()
//	AdHocCommandManager.registerCommand(...)          (none: xmpp.Conn.HandleIQ and disco HandleNode)
package adhoc
