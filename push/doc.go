// Package push turns on push notifications for a client that sleeps
// (XEP-0357): a phone app's process is killed, its stream hibernates or
// ends, and the account's server, told where with Enable, publishes a
// notification to the app's push service, which wakes the app through
// the phone platform's own channel.
//
//	p := push.For(c)
//	if ok, _ := p.Supported(ctx); ok {
//		err := p.Enable(ctx, pushService, node, dataform.Field{Var: "secret", Values: []string{secret}})
//	}
//
// The push service's JID, the node and the secret come from the app
// server, by means XEP-0357 leaves to the app. The server keeps the
// registration across sessions, so Enable is called once per
// installation, and Disable when the user turns pushes off.
// ParseNotification is for the other side: an app server written with
// gosmack reads what the user's server publishes to it.
//
// Push notifications leak what they carry to the push service and to
// the platform's channel: servers send a count and perhaps the last
// sender and body, as they are configured. A secret in the options is
// how the app server tells that a notification comes from a server it
// registered with; it checks it, and the IQ's sender, itself.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use. Enable, Disable and Supported
// wait for the server on the caller's goroutine, bounded by ctx, and
// may be called from listeners.
//
// # Coming from Smack
//
//	PushNotificationsManager.getInstanceFor(c)   push.For(c)
//	isSupported()                                p.Supported(ctx)
//	enable(pushJid, node, publishOptions)        p.Enable(ctx, pushJid, node, fields...)
//	disableAll(pushJid), disable(pushJid, node)  p.Disable(ctx, pushJid, ""), p.Disable(ctx, pushJid, node)
package push
