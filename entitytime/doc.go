// Package entitytime is Entity Time (XEP-0202) for a connection: it
// answers other entities' requests for the client's time and zone
// offset, and asks servers and contacts' clients theirs. Its Manager
// stands for Smack's EntityTimeManager (getInstanceFor(connection) is
// For(c)); the time it reads is a time.Time, where Smack has its Time
// IQ. The name says what it is: "time" is the standard library's.
//
//	et := entitytime.For(c) // answer, attached before Connect
//	if err := c.Connect(ctx); err != nil { ... }
//	t, err := et.Query(ctx, jid.MustParse("juliet@capulet.lit/balcony"))
//	if err == nil {
//		fmt.Println("her clock says", t.Format(time.Kitchen), "in zone", t.Location())
//	}
//
// # Answering
//
// The Manager answers the requests addressed to the client (no to, the
// bound full JID or the account's bare JID) with the time now, in UTC
// with milliseconds, and the offset of its zone, time.Local until
// SetLocation (time.UTC answers without telling where the user is). A
// request addressed to anybody else gets service-unavailable. It
// announces NS for service discovery (xmpp.Conn.Announce, listed by
// package disco) from For to Close.
//
// # Asking
//
// Query sends one request and waits for its reply; only the entity asked
// (or the server, for the account) can answer it, as xmpp.Conn.SendIQ
// checks. The answer is read strictly, as XEP-0082 writes dates: a
// missing element, a date that is not CCYY-MM-DDThh:mm:ss[.sss]TZD, or an
// offset that is not +hh:mm, -hh:mm or Z is an error matching
// ErrMalformed that quotes what came, rather than a wrong time.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use; SetLocation takes effect from the
// next request answered. Requests are answered on the connection's
// dispatcher. Query runs on the caller's goroutine, bounded by its
// context, and may be called from a listener.
//
// # Coming from Smack
//
//	EntityTimeManager.getInstanceFor(connection)   entitytime.For(c)
//	EntityTimeManager.getTime(jid)                 et.Query(ctx, jid) (a time.Time in the entity's offset)
//	EntityTimeManager.isTimeSupported(jid)         disco.For(c).Supports(ctx, jid, entitytime.NS)
//	EntityTimeManager.enable(), disable()          entitytime.For(c), et.Close()
//	EntityTimeManager.setAutoEnable(false)         (none: a Manager answers from For to Close)
package entitytime
