// Package lastactivity is Last Activity (XEP-0012) for a connection: it
// asks a contact's client how long its user has been idle, a contact's
// account how long ago it went offline, or a server how long it has been
// running; and it answers such requests with the idle time the
// application gives it. Its Manager stands for Smack's
// LastActivityManager (getInstanceFor(connection) is For(c)), Activity
// for its LastActivity.
//
//	la := lastactivity.For(c) // answer, attached before Connect
//	la.SetLastActive(time.Now()) // and again whenever the user acts
//	if err := c.Connect(ctx); err != nil { ... }
//	a, err := la.Query(ctx, jid.MustParse("juliet@capulet.lit"))
//	if err == nil {
//		fmt.Println("offline for", a.Idle, "saying", a.Status)
//	}
//
// # Answering
//
// Only the application knows when its user last did something, so the
// Manager answers with what SetLastActive last recorded: the whole
// seconds since then. Until it is set (or after it is set to the zero
// time) the Manager answers service-unavailable, what XEP-0012 section 4
// asks of a client that does not tell. Smack instead counts from the
// last message or available presence sent; an application that wants
// that calls SetLastActive where it sends them. Only requests addressed
// to the client (no to, its full JID or the account's bare JID) are
// answered; any other gets service-unavailable. The server decides who
// may ask (XEP-0012 section 4 has it refuse those not subscribed to the
// user's presence with forbidden): the client answers what reaches it.
// Not every server lets requests through: ejabberd 23.01 answers those
// addressed to a full JID itself, with service-unavailable, even from
// the account's own other resources; Prosody 0.12 delivers them.
// The Manager announces NS for service discovery (xmpp.Conn.Announce,
// listed by package disco) from For to Close, whether or not a last
// activity is set: what the client supports does not change with it.
//
// # Asking
//
// Query sends one request and waits for its reply; only the entity asked
// (or the server, for the account) can answer it, as xmpp.Conn.SendIQ
// checks. What the answer measures depends on whom was asked (see
// Activity). A seconds attribute that is missing or not a whole
// non-negative number is an error matching ErrMalformed.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use; SetLastActive takes effect from
// the next request answered. Requests are answered on the connection's
// dispatcher. Query runs on the caller's goroutine, bounded by its
// context, and may be called from a listener.
//
// # Coming from Smack
//
//	LastActivityManager.getInstanceFor(connection)   lastactivity.For(c)
//	LastActivityManager.getLastActivity(jid)         la.Query(ctx, jid)
//	LastActivity.getIdleTime(), getStatusMessage()   Activity.Idle, Activity.Status
//	LastActivityManager.isLastActivitySupported(jid) disco.For(c).Supports(ctx, jid, lastactivity.NS)
//	LastActivityManager.enable(), disable()          lastactivity.For(c), la.Close()
//	(the last message or presence sent)              la.SetLastActive(t)
package lastactivity
