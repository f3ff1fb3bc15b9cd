package xmpp

import "github.com/gosmack/gosmack/stanza"

// RecordReceived records m as received although the connection did not
// read it from the stream: a message the caller delivers to its own
// listeners from elsewhere, such as one fetched from the account's
// message archive (XEP-0313), whose archive id is archiveID ("" if
// none). It reports whether m repeats a message already received or
// recorded: then the caller should not deliver it. Else, a copy of m
// that arrives later is dropped as a repeat before the collectors and
// listeners see it (see Config.DuplicateWindow): one with the same
// sender, type, id and bodies, or the same sender and a <stanza-id/>
// (XEP-0359) by the account's bare JID whose id is archiveID — how a
// server sends, as offline messages (XEP-0160), the messages its
// archive holds too.
//
// The sender is m.From's bare JID (the occupant's full JID in group
// chats). A stanza-id is not believed for anything else: a sender who
// writes another message's archive id on its own message can only make
// its own messages look like repeats.
//
// Besides the content keys of the last Config.DuplicateWindow messages
// received, the connection remembers the last 8192 keys recorded here
// or taken from the stanza-ids by the account on received messages (a
// message recorded with an id, a body and an archive id takes two):
// about 200 KiB at most. With a negative DuplicateWindow nothing is
// remembered and RecordReceived always reports false. It is safe for
// concurrent use, and may be called from a listener.
func (c *Conn) RecordReceived(m *stanza.Message, archiveID string) (repeat bool) {
	return c.recent.record(m, archiveID)
}
