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
