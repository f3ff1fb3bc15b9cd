// Package caps is entity capabilities (XEP-0115): the client puts the
// hash of its disco#info (identities, features, extended forms) on every
// available presence it sends, and learns what its contacts support from
// the hash on theirs, asking each hash once and checking it before it
// trusts the answer. Its Tracker stands for Smack's EntityCapsManager
// (getInstanceFor(connection) is For(c)), Extension for CapsExtension;
// its Cache stands for EntityCapsManager's static caches (shared
// explicitly here, with Tracker.SetCache) and, through Cache.Add, for
// EntityCapsPersistentCache.
//
//	t := caps.For(c)                // before Connect: the initial presence carries <c/>; attaches disco too
//	c.Announce("urn:xmpp:receipts") // what any manager does when attached
//	if err := c.Connect(ctx); err != nil { ... }
//	...
//	if ok, known := t.Supports(contact, "urn:xmpp:receipts"); ok {
//		// known from the contact's presence, without a round trip
//	} else if !known {
//		ok, err = disco.For(c).Supports(ctx, contact, "urn:xmpp:receipts") // ask
//	}
//
// # Why a package of its own
//
// Caps builds on disco (it hashes disco.Info and answers its node through
// disco.Client.HandleNode), while disco is complete without caps: a bot
// that only answers and asks needs no presence annotations, no cache and
// no background lookups, and some users will not want every presence to
// name their software. So caps imports disco, never the other way, and
// attaching it is a separate, visible choice, as in Smack. For attaches
// the connection's disco.Client (disco.For) along with the Tracker.
//
// # One per connection, settings as methods
//
// For returns the Tracker attached to a connection, attaching it the
// first time (xmpp.Attach); Close detaches it, and For then attaches a
// fresh one. Settings are methods, safe to call at any time: SetNode
// (the URI naming the software, DefaultNode), SetHash (the algorithm of
// the client's own ver, DefaultHash) and SetCache (the Cache, shared or
// the Tracker's own); Cache.SetMax bounds a Cache. A changed node or
// hash is on the next presence at once, and the last presence is sent
// again with it, as for a change of the info. The Tracker has no
// listeners of its own: what it learns is read with Supports and Info.
//
// # The client's own capabilities
//
// Ver computes the verification string of XEP-0115 section 5.1 (sha-1 by
// default; the SHA-2 family too) from a disco.Info: identities sorted by
// category, type, language and name, features sorted, extended forms
// with a hidden FORM_TYPE sorted by it and their fields by var, each
// item followed by '<', all in byte ("i;octet") order. Values go into S
// as they are, '<' included (only the XML on the wire escapes it): that
// is what the section says, and it is why a feature "a<b" and the
// features "a" and "b" hash alike, a weakness the specification
// acknowledges; the hash check below still stops anyone from claiming a
// ver they do not answer for.
//
// An interceptor (xmpp.Conn.Intercept) adds <c hash node ver/> to every
// available presence, broadcast or directed, replacing a <c/> already
// there, and remembers what the last broadcast one carried. The ver it
// adds is that of the client's info as it is when the presence is sent,
// so a presence never carries a stale ver, whatever goroutine changed the
// info just before. When the info changes (a feature announced or
// withdrawn on the connection, a form added, identities set:
// disco.Client.OnChange, fed by xmpp.Conn.OnAnnounce), the Tracker
// follows on the connection's dispatcher, in order with the stanzas
// around the change: if available presence was broadcast on the current
// stream with another ver, that presence (xmpp.Conn.LastPresence) is sent
// again with the new one (section 6.1). A burst of changes is seen whole
// by the first of its dispatcher calls, so it costs one presence. The
// caps node (node#ver) is answered, through disco's node handling, with
// the info that ver stands for; an earlier ver is item-not-found.
//
// # Others' capabilities
//
// A presence listener reads <c/> from received available presence and
// remembers which full JID announced which (hash, ver); unavailable
// presence forgets the JID, and the end of the stream forgets them all.
// Legacy caps (no hash attribute), unknown algorithms, a ver that is not
// the base64 of one digest of its algorithm, and missing or oversized
// nodes are ignored. A ver not in the Cache is looked up: disco#info to
// the announcing full JID with node='node#ver'. The answer is verified
// (Verify: the info must be well-formed per section 5.4 and hash to the
// ver); only then does it go into the Cache, where every JID announcing
// that ver finds it. A refused answer is not cached, and the JID that
// gave it is not asked about that ver again; another JID announcing the
// same ver is (section 5.4).
//
// Supports and Info answer from what is known, never from the network.
// The Cache is the Tracker's own unless SetCache gives one, which is how
// connections share it (never through a global). It holds verified
// entries only, the client's own ver included, so contacts running the
// same software with the same features need no query at all.
//
// # Concurrency, bounds and contexts
//
// A Tracker is safe for concurrent use. The presence listener runs on
// the connection's dispatcher and never waits for the network: lookups
// run on at most two goroutines of the Tracker's own, started when there
// is work and ended when there is none, one lookup per ver at a time (a
// ver already queued only gains the new JID as a fallback, at most
// three). At most 256 vers wait; beyond that new ones are dropped until
// the queue drains (a later presence brings them back). The JIDs
// remembered and the Cache are bounded too, so a flood of presence costs
// bounded memory and a handful of requests at a time. Each lookup query
// is bounded by 30 seconds and by Close, which cancels what runs and
// waits for it. A presence sent again is sent from the dispatcher,
// bounded by 30 seconds and by Close. The interceptor runs on the
// sending goroutine; it takes locks and hashes the info, but never waits
// for the network.
package caps
