// Package ping is XMPP Ping (XEP-0199) for a connection: it answers the
// pings the server and other entities send, pings any entity and measures
// the round trip, and can ping the connection's server at a fixed
// interval, telling listeners about the pings that got no reply. It
// stands for Smack's PingManager and PingFailedListener.
//
//	c := xmpp.New(cfg)
//	p := ping.For(c) // answer pings
//	p.SetInterval(time.Minute) // and ping the server every minute
//	p.OnFailure(func(f ping.Failure) {
//		log.Print(f.Err) // no reply within the minute; the stream may be up
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//
//	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
//	defer cancel()
//	rtt, err := p.Ping(ctx, jid.MustParse("juliet@capulet.lit/balcony"))
//	switch {
//	case err == nil:
//		fmt.Println("pong after", rtt)
//	case ping.Reachable(err):
//		fmt.Println("there, but no XEP-0199:", err) // e.g. service-unavailable
//	default:
//		fmt.Println("no answer:", err) // a timeout, item-not-found, remote-server-not-found...
//	}
//
// # One per connection
//
// For returns the connection's Pinger, attaching it the first time
// (xmpp.Attach): code anywhere in a program that holds the Conn gets the
// same one, as Smack's getInstanceFor gives. Settings are methods, safe at
// any time (SetInterval). Close detaches it; For then attaches a new one.
//
// # Answering
//
// The Pinger registers the connection's IQ handler for <ping
// xmlns='urn:xmpp:ping'/> gets, which answers each with an empty result,
// and announces "urn:xmpp:ping" for service discovery
// (xmpp.Conn.Announce). Openfire, for one, pings its clients every few
// minutes and drops those that do not answer.
//
// # Pinging
//
// Ping sends a ping and waits for the reply from the entity pinged (the
// connection drops a reply from anybody else). A result is a nil error;
// an error reply is returned as an error wrapping its *stanza.Error,
// together with the round-trip time, since an entity that answers
// service-unavailable is there all the same (XEP-0199 section 4.2).
// Reachable sorts errors into these and the misses: no reply before the
// context's deadline, the session's end, and the errors that say nothing
// is at the address or the ping was not delivered: item-not-found (what a
// server answers for a domain it cannot route to), gone, redirect,
// recipient-unavailable, jid-malformed, remote-server-not-found,
// remote-server-timeout, and forbidden or not-allowed, which Prosody and
// ejabberd send when they will not route to another domain.
//
// # Periodic pings
//
// With SetInterval(d), the Pinger pings the server d after login and d
// after each reply (Smack's setPingInterval). Each ping waits for its
// reply until the next is due; any reply, an error reply too, shows that
// the server is there, and a ping without one is reported to the
// OnFailure listeners as a Failure. The Pinger goes on pinging after a
// failure, and the stream coming back (reconnected or resumed) starts the
// pings again.
//
// The Pinger never ends the stream: a dead stream is the connection's
// business, whose watchdog (xmpp.Config.KeepAlive and KeepAliveTimeout,
// on by default) probes after a silence and ends a stream that stays
// silent, so that reconnection can take over. The periodic pings are
// therefore off by default (Smack pings every 30 minutes): the watchdog
// already keeps a connection alive and finds it dead, and a ping that
// nobody listens to only costs traffic and, on a phone, radio time. Turn
// them on for a server that drops clients that send nothing at a fixed
// interval, or to be told at that interval that the server answers late.
//
// # Goroutines, concurrency and contexts
//
// The periodic pings are a time.Timer armed when the connection logs in
// or resumes (xmpp.StateAuthenticated, xmpp.StateResumed) and stopped
// when the stream ends (xmpp.StateClosed, xmpp.StateDisconnected): a
// connection that is down, or up between pings, costs no goroutine. When
// the timer fires, its goroutine sends the ping and waits for the reply,
// bounded by the interval, the session's end, SetInterval and Close, then
// arms the timer again; there is never more than one. Close waits for it
// to finish, so after Close no goroutine of the Pinger runs. Pings are
// answered on the connection's dispatcher, like any IQ handler; OnFailure
// listeners run there too, queued with xmpp.Conn.Dispatch, in order with
// the stanzas received around them. All methods are safe for concurrent
// use. Ping is bounded by its context only; the periodic pings by the
// interval, since no caller waits for them.
//
// # Coming from Smack
//
//	PingManager.getInstanceFor(connection)        ping.For(c)
//	PingManager.setPingInterval(seconds)          p.SetInterval(d) (off by default)
//	PingManager.getPingInterval()                 p.Interval()
//	PingManager.ping(jid), ping(jid, timeout)     p.Ping(ctx, jid) (a deadline on ctx)
//	PingManager.pingMyServer()                    p.Ping(ctx, jid.JID{})
//	PingManager.isPingSupported(jid)              disco.For(c).Supports(ctx, j, ping.NS)
//	PingFailedListener.pingFailed()               p.OnFailure(func(ping.Failure))
//	PingManager.registerPingFailedListener        p.OnFailure, which returns its remove func
package ping
