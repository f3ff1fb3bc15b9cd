// Package retract reads and writes message retractions (XEP-0424,
// urn:xmpp:message-retract:1): a message by which a sender asks that one
// of its earlier messages be taken back (hidden, or marked as removed).
// It stands for the elements of Smack's MessageRetractionManager
// (RetractElement).
//
//	r := retract.New(bob, sent.ID) // sent.ID is its origin-id too (package sid)
//	err := c.Send(ctx, r)
//
//	if id, ok := retract.Of(m); ok && senderOf(id) == m.From.Bare() {
//		hide(id)
//	}
//
// A retraction names the message by its origin-id in a one-to-one chat,
// and by the room's stanza-id in a room (XEP-0424 section 4). Whoever
// receives one must apply it only when it comes from the sender of the
// message it names, as for a correction (correct.Allowed, correct.History
// in package correct): anyone can name any id.
package retract
