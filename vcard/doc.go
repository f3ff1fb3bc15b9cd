// Package vcard reads and writes vCards (vcard-temp, XEP-0054) and keeps
// the user's avatar hash in presence (vCard-based avatars, XEP-0153).
//
// A vCard is a profile: names, nickname, a photo, emails, phones,
// addresses, organisation, web page, birthday, notes. VCard types the
// fields people use and keeps every other element as received, so a
// vCard read, changed and written back loses nothing another client put
// there:
//
//	vc := vcard.For(c)
//	card, err := vc.Get(ctx, jid.JID{}) // the user's own
//	if err != nil {
//		return err
//	}
//	card.Nickname = "ally"
//	card.Photo = &vcard.Photo{Type: "image/png", Data: png}
//	err = vc.Set(ctx, card)
//
// Get of an entity that has no vCard returns an empty VCard: servers
// answer that either with item-not-found or with an empty <vCard/>, and
// a program wants the same answer from both.
//
// # Avatars in presence
//
// XEP-0153 puts the SHA-1 of the user's photo in every available
// presence, so contacts know when to fetch the vCard again. Attached,
// the Client does that (SetAdvertise(false) turns it off): at each new
// session it fetches the user's vCard to learn the hash, on a goroutine
// of its own, and until then presence carries an <x/> without <photo/>
// ("not known yet", as the XEP asks); once known, and whenever Set
// changes it, the user's last presence is sent again with the hash. A
// different hash from another client of the same account means the
// vCard changed there: it is fetched again.
//
// Others' hashes are reported to OnAvatarChange listeners when they
// differ from the last seen from the same entity (a contact's bare JID;
// a room occupant's full JID). Only a hash of 40 hex digits, or the
// empty one (no avatar), is taken; a presence without <photo/> says
// nothing. At most 16384 entities are remembered, and an occupant is
// forgotten when it leaves its room. A hash is only a
// pointer: the image is what the entity's vCard holds, fetched from the
// entity's own account (Get's reply is taken only from whom it asked).
//
// # Concurrency and contexts
//
// A Client is safe for concurrent use. Get and Set wait for the reply on
// the caller's goroutine, bounded by ctx, and may be called from
// listeners. OnAvatarChange listeners run on the connection's
// dispatcher, in wire order with its other listeners.
//
// # Coming from Smack
//
//	VCardManager.getInstanceFor(connection)   vcard.For(c)
//	loadVCard(), loadVCard(jid)               vc.Get(ctx, jid.JID{}), vc.Get(ctx, j)
//	saveVCard(vcard)                          vc.Set(ctx, card)
//	VCard.getField / setField                 the typed fields; VCard.Other for the rest
//	isSupported(jid)                          disco.For(c).Supports(ctx, j, vcard.NS)
//	(no equivalent: XEP-0153)                 vc.OnAvatarChange(f), vc.AvatarHash(j), vc.SetAdvertise(b)
package vcard
