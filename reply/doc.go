// Package reply reads and writes message replies (XEP-0461): a message
// that answers an earlier one names it, and its author, so that a client
// can show the quote. XEP-0461 has no Smack class.
//
//	out := m.Reply("I agree")                        // stanza.Message.Reply: to the sender, same thread
//	reply.Set(out, reply.Ref{To: m.From, ID: m.ID})  // and which message it answers
//
//	if ref, ok := reply.Of(m); ok {
//		quote(ref.ID)
//	}
//
// The id names the message as the conversation knows it: its id (or
// origin-id) in a one-to-one chat, the room's stanza-id in a room
// (XEP-0461 section 3). A reference is the sender's claim: show the quote
// from the message the receiver holds under that id, never from text the
// reply carries.
package reply
