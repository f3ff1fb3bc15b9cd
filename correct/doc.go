// Package correct implements Last Message Correction (XEP-0308): a
// message that replaces the text of one sent before, and the check that
// only the author of a message may correct it. It stands for Smack's
// MessageCorrectExtension.
//
// Sending a correction:
//
//	fix := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "window, not airlock"}}}
//	fix.To = romeo
//	correct.Replace(fix, sent.ID) // sent: the message being corrected
//	err := c.Send(ctx, fix)
//
// Receiving one:
//
//	var h correct.History // the last messages of each conversation
//	c.HandleMessage(nil, func(m *stanza.Message) {
//		id, ok, err := h.Check(m)
//		switch {
//		case err != nil: // from another sender, or of a message not kept: refuse it
//		case ok:         // m's body replaces the text of message id
//		default:
//			h.Add(m) // a new message
//		}
//	})
//
// # Who may correct
//
// Of reads what a sender claims; a correction names any id it likes.
// XEP-0308 section 5 asks the receiver to apply a correction only when it
// comes from the sender of the original. Allowed is that rule for a
// caller that keeps its own messages (bare JIDs compared in a one-to-one
// chat, where the author may switch devices; full JIDs, the occupant, in
// a room); History keeps the id and sender of the last 32 messages of
// each of 256 conversations for a caller that does not, and its Check
// refuses a correction by anyone else (ErrOtherSender) or of a message it
// does not hold (ErrUnknown). A conversation is the peer's or room's bare
// JID, so a stranger's correction looks for the id among the stranger's
// own messages only. A correction of a correction names the first
// message's id, so History does not record corrections.
//
// # Coming from Smack
//
//	new MessageCorrectExtension(idInitialMessage)   correct.Replace(m, id)
//	MessageCorrectExtension.from(message)           correct.Of(m)
//	(no Smack equivalent)                           correct.Allowed, correct.History
package correct
