// Package delay reads and writes delayed-delivery marks (XEP-0203): the
// <delay/> element a server or a room puts on a stanza it kept for a
// while, saying when the stanza was first sent and who kept it. A room's
// discussion history, offline messages, forwarded copies and archived
// messages all carry one.
//
//	if d, ok := delay.Of(m); ok {
//		fmt.Printf("[%s] %s\n", d.Stamp.Local().Format(time.Kitchen), m.Body(""))
//	}
//
// It also reads the legacy form (XEP-0091, jabber:x:delay), which old
// servers still send, but never writes it.
//
// A mark says what its writer claims: a sender can put any stamp on its
// own messages. Trust it as far as its From (the server, the room) is
// trusted.
//
// It stands for Smack's DelayInformation and DelayInformationManager.
package delay
