// Package roster will hold the contact list (RFC 6121): the roster cache
// with versioning, presence tracking, subscriptions, and chats.
//
// It is empty until the roster issue builds it. It stands for Smack's
// Roster, RosterListener, RosterEntry, RosterGroup and ChatManager.
package roster
