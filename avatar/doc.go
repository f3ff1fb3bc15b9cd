// Package avatar publishes the user's avatar and hears its contacts'
// (User Avatar, XEP-0084), over PEP (package pep).
//
// An avatar lives in two PEP nodes of the account: the image, under
// its SHA-1 as the item id, in urn:xmpp:avatar:data, and the metadata
// (size, type, pixel size, perhaps a URL) in urn:xmpp:avatar:metadata.
// Contacts listen to the metadata node only, and fetch an image they do
// not have yet by its id:
//
//	av := avatar.For(c)
//	av.OnChange(func(ch avatar.Change) {
//		if len(ch.Infos) == 0 {
//			return // ch.From has no avatar
//		}
//		go func() {
//			img, err := av.Fetch(ctx, ch.From, ch.Infos[0].ID)
//			...
//		}()
//	})
//	info, err := av.Publish(ctx, png, "image/png", 64, 64)
//
// Fetch checks that the bytes it returns hash to the id they were asked
// by: an image that is not the one announced is refused
// (ErrHashMismatch), so that an id can name a cached file safely.
// Notifications are taken only from the account whose node it is (the
// rule of packages pubsub and pep): another entity cannot change a
// contact's avatar. Registering an OnChange listener announces
// urn:xmpp:avatar:metadata+notify through disco and caps, which is what
// makes the contacts' servers send the changes.
//
// Servers that convert (XEP-0398, Converts) keep the vCard photo of
// package vcard in step with the avatar: Prosody publishes a vCard
// photo as an avatar and back. Elsewhere a program that wants both
// kinds of clients to see the picture publishes both.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use. Its requests run on the
// caller's goroutine, bounded by ctx, and may be made from listeners;
// OnChange listeners run on the connection's dispatcher, in order with
// the stanzas around the notification.
//
// # Coming from Smack
//
//	UserAvatarManager.getInstanceFor(c)   avatar.For(c)
//	publishPngAvatar(data, h, w)          av.Publish(ctx, data, "image/png", w, h)
//	publishAvatar(data, metadataInfo)     av.Publish, av.PublishMetadata(ctx, infos...)
//	disableAvatarPublishing()             av.Disable(ctx)
//	fetchAvatarFromPubSub(metadataInfo)   av.Fetch(ctx, owner, info.ID)
//	addAvatarListener(listener)           av.OnChange(func(avatar.Change))
package avatar
