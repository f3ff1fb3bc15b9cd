// Package ping will hold XMPP Ping (XEP-0199): answering pings, pinging an
// entity, and a keep-alive that reports a dead connection.
//
// It is empty until the first-managers issue builds it. It stands for
// Smack's PingManager and PingFailedListener.
package ping
