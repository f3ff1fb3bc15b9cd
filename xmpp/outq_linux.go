package xmpp

import (
	"net"
	"syscall"
	"unsafe"
)

// sendQueueShort reports whether under 512 bytes written on the TCP
// socket raw wait in the kernel, unsent or unacknowledged (TIOCOUTQ):
// a short write then finds room, and cannot block, in the smallest send
// buffer the kernel allows (4,608 bytes).
func sendQueueShort(raw net.Conn) bool {
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	n := int32(-1) // the kernel writes an int
	if rc.Control(func(fd uintptr) {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n))); e != 0 {
			n = -1
		}
	}) != nil {
		return false
	}
	return n >= 0 && n < 512
}

// canWaitReadable reports whether waitReadable can wait on raw: a TCP
// socket of the standard library's, not any syscall.Conn (a Dialer's
// wrapper around one might hold read bytes in a buffer of its own,
// which the socket's readiness would not show).
func canWaitReadable(raw net.Conn) bool {
	_, ok := raw.(*net.TCPConn)
	return ok
}

// waitReadable waits, reading nothing, until the TCP socket raw has
// something to read, or has ended (the next read says how). It looks
// before it waits (a peek): the readiness the poller saw before the
// wait began is not kept for it.
func waitReadable(raw net.Conn) {
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var b [1]byte
	_ = rc.Read(func(fd uintptr) bool {
		for {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err != syscall.EINTR {
				return err != syscall.EAGAIN
			}
		}
	})
}
