//go:build !linux

package xmpp

import "net"

// sendQueueShort reports whether little written on raw waits in the
// kernel; where that cannot be asked, it says no.
func sendQueueShort(net.Conn) bool { return false }

// canWaitReadable reports whether waitReadable can wait on raw: not
// here, so readers never park.
func canWaitReadable(net.Conn) bool { return false }

// waitReadable is never called where canWaitReadable says no.
func waitReadable(net.Conn) {}
