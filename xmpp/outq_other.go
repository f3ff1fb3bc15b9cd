//go:build !linux

package xmpp

import "net"

// sendQueueShort reports whether little written on raw waits in the
// kernel; where that cannot be asked, it says no.
func sendQueueShort(net.Conn) bool { return false }
