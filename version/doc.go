// Package version is Software Version (XEP-0092) for a connection: it
// answers other entities' requests for the client's software name and
// version, and asks servers, components and contacts' clients theirs.
// Its Manager stands for Smack's VersionManager
// (getInstanceFor(connection) is For(c)), Info for its Version.
//
//	v := version.For(c) // answer, attached before Connect
//	v.SetName("My app")
//	v.SetVersion("1.2")
//	if err := c.Connect(ctx); err != nil { ... }
//	info, err := v.Query(ctx, jid.JID{}) // the server's
//	if err == nil {
//		fmt.Println(info.Name, info.Version, info.OS)
//	}
//
// # Answering
//
// The Manager answers the requests addressed to the client (no to, the
// bound full JID or the account's bare JID) with its name and version:
// DefaultName and gosmack's module version (from the build information,
// "devel" without one) until SetName and SetVersion. It leaves the
// operating system out unless SetOS gives one: XEP-0092 section 5 warns
// that it tells an attacker what to aim at.
// A request addressed to anybody else, or one that comes while the name
// or the version is empty, gets service-unavailable, what a client that
// does not tell answers. The Manager announces NS for service discovery
// (xmpp.Conn.Announce, listed by package disco) from For to Close.
//
// # Asking
//
// Query sends one request and waits for its reply; only the entity asked
// (or the server, for the account) can answer it, as xmpp.Conn.SendIQ
// checks. Nothing is cached.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use; settings take effect from the
// next request answered. Requests are answered on the connection's
// dispatcher. Query runs on the caller's goroutine, bounded by its
// context, and may be called from a listener.
//
// # Coming from Smack
//
//	VersionManager.getInstanceFor(connection)      version.For(c)
//	VersionManager.setVersion(name, version, os)   v.SetName, v.SetVersion, v.SetOS
//	VersionManager.getVersion(jid)                 v.Query(ctx, jid)
//	VersionManager.isSupported(jid)                disco.For(c).Supports(ctx, jid, version.NS)
//	VersionManager.setAutoAppendSmackVersion       (none: the name is what SetName says)
package version
