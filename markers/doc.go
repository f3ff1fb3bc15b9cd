// Package markers reads and writes Chat Markers (XEP-0333): the
// <markable/> a sender puts on a message to ask for them, and the
// received, displayed ("read") and acknowledged markers a recipient
// sends back, each naming the message it marks. It stands for the
// elements of Smack's ChatMarkersManager (ChatMarkersElements); there is
// no manager: when to mark a message read is the user interface's call.
//
//	markers.SetMarkable(out) // before Send
//	// when the user has seen an incoming message m:
//	if r, err := markers.Reply(m, markers.Displayed); err == nil {
//		err = c.Send(ctx, r)
//	}
//	// when one arrives:
//	if mk, id, ok := markers.Of(m); ok && m.From.Bare() == peer.Bare() {
//		show(id, mk)
//	}
//
// Reply follows XEP-0333 section 4: no marker for a message that is not
// markable; in a room, the marker goes to the room and names the room's
// stanza-id of the message (package sid), so that every occupant refers
// to it by the same id. A marker names any id its sender likes: accept one
// only from the peer the marked message went to (a room's occupant, in a
// room).
//
// # Coming from Smack
//
//	ChatMarkersManager.getInstanceFor(connection)   no manager: the helpers below
//	ChatMarkersElements.MarkableExtension           markers.SetMarkable(m), markers.IsMarkable(m)
//	ChatMarkersElements.DisplayedExtension (etc.)   markers.Reply(m, markers.Displayed), markers.Of(m)
package markers
