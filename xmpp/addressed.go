package xmpp

import "github.com/gosmack/gosmack/jid"

// AddressedToMe reports whether to, the to of a stanza received, names
// this client: the zero JID (no to: the server delivers it as addressed
// to the session), the full JID bound for the session, or the account's
// bare JID. A manager that answers requests about the client itself
// (its software version, its time, its idle time) answers only those,
// not requests the server routes to it for another address. Without a
// session only the zero JID names it. AddressedToMe is safe for
// concurrent use.
func (c *Conn) AddressedToMe(to jid.JID) bool {
	if to.IsZero() {
		return true
	}
	own := c.JID()
	return !own.IsZero() && (to == own || to == own.Bare())
}
