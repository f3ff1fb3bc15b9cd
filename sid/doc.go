// Package sid implements Unique and Stable Stanza IDs (XEP-0359): the
// <origin-id/> a client puts on the messages it sends, and the
// <stanza-id/> a server or a room stamps on the messages it delivers and
// archives, which the message archive (XEP-0313) and duplicate checks key
// on. It stands for Smack's StableUniqueStanzaIdManager, with
// OriginIdElement and StanzaIdElement.
//
//	s := sid.For(c) // outgoing messages get an origin-id from now on
//	c.HandleMessage(stanza.IsMessage(stanza.Chat, stanza.Groupchat), func(m *stanza.Message) {
//		if id, ok := s.Trusted(ctx, m); ok {
//			remember(id) // the server's (or room's) id of this message
//		}
//	})
//
// # Origin ids
//
// While attached (and until SetOriginIDs(false)), the Manager puts
// <origin-id id='...'/> on every message the connection sends, except
// error messages and messages that carry one already. The id is the
// message's own id, which Conn.Send gives it first: one id per message,
// so a room's reflection, a receipt (XEP-0184), a marker (XEP-0333) and a
// correction (XEP-0308), which all name the message by its id, name it by
// its origin-id too, whatever a server does to the id attribute. Send's
// ids are 96 random bits, unique as XEP-0359 asks; a caller that sets its
// own ids must keep them unique.
//
// # Stanza ids, and whom to believe
//
// Anyone can write a <stanza-id/>. XEP-0359 section 5 says a stanza-id is
// to be believed only when its by is the entity that should stamp it and
// that entity announces urn:xmpp:sid:0 (it then removes stanza-ids that
// others wrote with its name). StanzaID reads the id whose by is a given
// JID and ignores the rest. Trusted does the whole check: the by must be
// the account's bare JID for a chat message (its server stamps what it
// delivers), the room's bare JID for a groupchat message, and that entity
// must announce the feature in service discovery (a room must also say
// it is a room). The answers are asked once per entity and kept, at most
// 256 of them, until the next new session.
//
// # Concurrency
//
// The Manager registers one interceptor and one state listener and
// announces urn:xmpp:sid:0; Close removes them. The interceptor runs on
// the goroutine that calls Send. Trusted runs on the caller's goroutine
// and may be called from a listener. No goroutine is started. Every
// method is safe for concurrent use.
//
// # Coming from Smack
//
//	StableUniqueStanzaIdManager.getInstanceFor(connection)  sid.For(c)
//	enable(), disable()                                     s.SetOriginIDs(true), s.SetOriginIDs(false)
//	OriginIdElement.addTo(message)                          the default; sid.SetOriginID(m, id)
//	OriginIdElement.getOriginId(message)                    sid.OriginID(m)
//	StanzaIdElement.getStanzaId(message)                    sid.StanzaID(m, by), or s.Trusted(ctx, m)
package sid
