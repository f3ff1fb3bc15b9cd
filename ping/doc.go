// Package ping is XMPP Ping (XEP-0199) for a connection: it answers the
// pings the server and other entities send, pings any entity and measures
// the round trip, and can keep a connection alive by pinging its server,
// ending the stream when the server stops answering so that reconnection
// can take over. It stands for Smack's PingManager and PingFailedListener.
//
//	c := xmpp.New(cfg)
//	p := ping.New(c, ping.Interval(time.Minute)) // answer pings; keep-alive every minute
//	defer p.Close()
//	p.OnFailure(func(err error) {
//		log.Print(err) // matches ping.ErrNoReply; the stream has ended
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
//		fmt.Println("no answer:", err) // ErrNoReply, item-not-found, remote-server-not-found...
//	}
//
// # Answering
//
// New registers the connection's IQ handler for <ping xmlns='urn:xmpp:ping'/>
// gets, which answers each with an empty result, and announces
// "urn:xmpp:ping" for service discovery (xmpp.Conn.Announce). Openfire,
// for one, pings its clients every few minutes and drops those that do not
// answer. There is no per-process registry of Pingers (Smack's
// getInstanceFor): the caller keeps the one Pinger a connection takes, and
// New panics if the connection already has one. Close detaches it.
//
// # Pinging
//
// Ping sends a ping and waits for the reply from the entity pinged (the
// connection drops a reply from anybody else). A result is a nil error;
// an error reply is returned as an error wrapping its *stanza.Error,
// together with the round-trip time, since an entity that answers
// service-unavailable is there all the same (XEP-0199 section 4.2).
// Reachable sorts errors into these and the misses: no reply before the
// context's deadline (ErrNoReply), the stream's end, and the errors that
// say nothing is at the address or the ping was not delivered:
// item-not-found (what a server answers for a domain it cannot route to),
// gone, redirect, recipient-unavailable, jid-malformed,
// remote-server-not-found, remote-server-timeout, and forbidden or
// not-allowed, which Prosody and ejabberd send when they will not route
// to another domain.
//
// # Keep-alive
//
// With Interval (or SetInterval) set, the Pinger pings the server an
// interval after login and an interval after each reply (Smack's
// setPingInterval; off by default, as in Smack, whose default is 30
// minutes). Each ping waits up to Timeout for its reply (by default the
// interval, at most MaxTimeout). Any reply, error replies included, is
// proof of life; after MaxMisses pings in a row without one (by default
// 1), the Pinger ends the stream with xmpp.Conn.Abort and an error that
// matches ErrNoReply, and the OnFailure listeners receive that error. The
// stream coming back (reconnected or resumed) starts the keep-alive
// again. The connection has its own dead-stream detection
// (xmpp.Config.KeepAlive), which probes only after silence; the Pinger is
// for those who want Smack's fixed-interval pings.
//
// # Goroutines, concurrency and contexts
//
// The keep-alive is a time.Timer armed when the connection logs in or
// resumes (xmpp.StateAuthenticated, xmpp.StateResumed) and stopped when
// the stream ends (xmpp.StateClosed, xmpp.StateDisconnected): a connection that is down, or up between pings,
// costs no goroutine. When the timer fires, its goroutine sends the ping
// and waits for the reply, bounded by the timeout, the stream's end and
// Close, then arms the timer again; there is never more than one. Close
// waits for it to finish, so after Close no goroutine of the Pinger runs.
// Pings are answered on the connection's dispatcher, like any IQ handler;
// OnFailure listeners run there too. All methods are safe for concurrent
// use. Ping is bounded by its context only; the keep-alive's pings by the
// Timeout option, since no caller waits for them.
//
// # Coming from Smack
//
//	PingManager.getInstanceFor(connection)        ping.New(c) (keep the *Pinger)
//	PingManager.setPingInterval(seconds)          ping.Interval(d) or p.SetInterval(d)
//	PingManager.ping(jid), ping(jid, timeout)     p.Ping(ctx, jid) (a deadline on ctx)
//	PingManager.pingMyServer()                    p.Ping(ctx, jid.JID{})
//	PingManager.isPingSupported(jid)              disco.Manager.Supports(ctx, j, ping.NS)
//	PingFailedListener.pingFailed()               p.OnFailure(func(error))
//	PingManager.registerPingFailedListener        p.OnFailure, which returns its remove func
package ping
