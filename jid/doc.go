// Package jid implements XMPP addresses (JIDs) as RFC 7622 defines them.
//
// A JID has up to three parts, localpart@domainpart/resourcepart; only the
// domainpart is required:
//
//	j, err := jid.Parse("Juliet@Example.COM/balcony")
//	// j.String() == "juliet@example.com/balcony"
//	// j.Bare().String() == "juliet@example.com"
//	// j.Domain().String() == "example.com"
//
// Parse and New enforce the RFC's rules, so that two JIDs that name the same
// entity compare equal with ==:
//
//   - the localpart through the PRECIS UsernameCaseMapped profile (RFC 8265):
//     width mapping, lower-casing, NFC; the characters " & ' / : < > @ are
//     refused;
//   - the domainpart through IDNA2008 (RFC 5891/5892 with the UTS #46 lookup
//     mapping), kept in its Unicode form (A-labels become U-labels),
//     lower-cased, with one trailing dot removed; an IPv4 address or a
//     bracketed IPv6 address is accepted and written in its canonical form;
//   - the resourcepart through the PRECIS OpaqueString profile: case and
//     spaces are kept, other Unicode spaces become U+0020, NFC;
//   - each part is between 1 and 1023 bytes long once enforced.
//
// Plain ASCII input, by far the most common, takes a fast path that skips
// the PRECIS and IDNA machinery where their result is provably the same;
// a test checks the two paths against each other. Parsing input that is
// already in canonical form does not allocate.
//
// # The JID value
//
// JID is a small comparable value: use == and map keys freely. Its zero
// value means "no address" (IsZero reports it); String, Bare and Domain
// return parts of one string and do not allocate. JID implements
// encoding.TextMarshaler and TextUnmarshaler, and encoding/xml's attribute
// marshalers, so it can sit directly in a struct that encoding/xml or
// encoding/json fills. A JID is immutable and safe for concurrent use.
//
// # Errors
//
// Every error returned by Parse, New and WithResource is an *Error that
// says which part is wrong and why, and matches ErrInvalid with errors.Is.
//
// # Escaping
//
// Escape and Unescape implement JID escaping (XEP-0106), for localparts made
// from strings that contain characters a localpart may not hold, such as an
// e-mail address or a user name with a space.
//
// # Coming from Smack
//
// This package stands for Smack's JID types (jxmpp's Jid, EntityBareJid,
// EntityFullJid, DomainBareJid, built by JidCreate) and for the localpart
// escaping in XmppStringUtils. Go needs one type where Java has several:
// IsBare, Localpart and Resourcepart tell the kinds apart.
package jid
