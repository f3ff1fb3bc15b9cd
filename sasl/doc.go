// Package sasl implements the client side of the SASL mechanisms XMPP
// servers offer (RFC 6120 section 6), as I/O-free state machines.
//
// A Mechanism turns server challenges into client responses and checks the
// server's final word; it never reads or writes a connection, so it can be
// tested, and driven by any transport, on its own. The connection picks one
// with Select:
//
//	m, err := sasl.Select(&sasl.Config{Username: "juliet", Password: "secret"}, sasl.Stream{
//		Mechanisms: offered,             // from <mechanisms/>
//		TLS:        &tlsConnectionState, // nil when not encrypted
//		Bindings:   advertised,          // from XEP-0440's <sasl-channel-binding/>, if any
//	})
//	resp, err := m.Step(nil) // <auth mechanism=m.Name()>resp</auth>
//	// ... resp, err = m.Step(challenge) for each <challenge/> ...
//	err = m.Finish(successData) // must be nil: the server proved itself
//
// # Mechanisms
//
//   - SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-512 (RFC 5802, RFC 7677) and
//     their -PLUS forms with channel binding: tls-exporter (RFC 9266),
//     tls-unique and tls-server-end-point (RFC 5929). The server's signature
//     is verified: a <success/> without a correct one is a failure
//     (ErrServerSignature), so a server that did not know the password
//     cannot pass for the real one. The iteration count must lie between
//     Config.MinIterations (default 4096) and Config.MaxIterations; the
//     nonce comes from crypto/rand; the password goes through the PRECIS
//     OpaqueString profile (RFC 8265, which replaces SASLprep); a SaltCache
//     spares PBKDF2 when logging in again.
//     When the server signs its offer in the server-first-message
//     (XEP-0474, SASL downgrade protection), the client checks it
//     against the mechanisms and channel-binding types it received
//     (Stream; SetOffer for an exchange written before the features
//     arrived): a mismatch means someone changed the offer on the way,
//     and the exchange fails with ErrDowngrade.
//   - PLAIN (RFC 4616), with an optional authorization identity.
//   - OAUTHBEARER (RFC 7628) and X-OAUTH2 (the form Openfire and ejabberd
//     offer), with an OAuth 2.0 bearer token.
//   - EXTERNAL, when a TLS client certificate authenticates (Config.External).
//   - ANONYMOUS (RFC 4505), when no credentials are given.
//   - The hashed-token mechanisms of FAST (XEP-0484): HT-SHA-256-EXPR,
//     -UNIQ, -ENDP (bound to tls-exporter, tls-unique,
//     tls-server-end-point) and -NONE. The client proves it holds a
//     token the server issued earlier, and Finish checks the server's
//     proof that it knows the token too. They never come from Select:
//     the connection picks one with SelectHT when asking for a token,
//     and uses a token with the mechanism it was issued for (NewHT).
//
// DIGEST-MD5 (moved to Historic by RFC 6331) and CRAM-MD5 are obsolete and
// not implemented. A server that offers only those gets an error from Select
// that says so and matches ErrNoMechanism.
//
// # Choosing
//
// Select takes the first mechanism of Preferred that the server offers, the
// allow list (Config.Mechanisms) permits and the credentials can run.
// PLAIN, X-OAUTH2 and OAUTHBEARER hand the secret itself to the server, so
// they are refused on a stream that is not encrypted unless
// Config.AllowPlainWithoutTLS says otherwise.
//
// Channel binding: when the server lists its channel-binding types
// (XEP-0440), the client uses the first of tls-exporter, tls-unique,
// tls-server-end-point that the server lists and the TLS connection can
// produce. When the server lists none, the client assumes only RFC 5802's
// default, tls-unique, which TLS 1.3 does not have; so on TLS 1.3 it does not
// try -PLUS against such a server (ejabberd 23.01 advertises -PLUS there
// though it cannot bind, and a guess would fail the login). The GS2 header
// tells the truth about it: "p=<type>" when binding, "y" when the client
// could bind but the server offers no -PLUS mechanism, "n" when the client
// cannot bind with this server.
//
// # Errors
//
// The server's <failure/> is a *Failure with one of the conditions of RFC
// 6120 section 6.5 and the server's text; errors.Is compares it with empty
// fields as wildcards. Client-side refusals match the Err... sentinels.
//
// # Coming from Smack
//
// This package stands for Smack's SASLMechanism classes (SASLPlainMechanism,
// SCRAMSHA1Mechanism and its -PLUS variant, SASLAnonymous,
// SASLExternalMechanism) and the choice SASLAuthentication makes. Smack
// registers mechanisms in a process-wide table; here the Config's allow list
// does that per connection. Smack's SASLErrorException is *Failure.
package sasl
