// Package stanza will hold the XMPP stanzas: Message, Presence and IQ, their
// types, stanza errors (RFC 6120 section 8.3) and stream errors.
//
// It is empty until the wire issue ("The wire: a fast restricted-XML stream
// codec, the stanza model, and xmpptest") builds it. It stands for Smack's
// Message, Presence, IQ, StanzaError and StreamError.
package stanza
