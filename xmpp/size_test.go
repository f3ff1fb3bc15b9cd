package xmpp

import (
	"testing"
	"unsafe"
)

// TestConnSize: a Conn fits the 768-byte allocation class, its 8-byte
// allocation header included (the runtime's, for objects over 512 bytes
// that hold pointers). The next class is 896: an idle connection's
// memory is a feature with a target (BENCHMARKS.md), and a field added
// here can cost 128 bytes per connection without anyone noticing.
func TestConnSize(t *testing.T) {
	if size := unsafe.Sizeof(Conn{}) + 8; size > 768 {
		t.Errorf("a Conn takes %d bytes with its allocation header, over the 768-byte class: find the bytes elsewhere, or update BENCHMARKS.md's idle figure", size)
	}
}
