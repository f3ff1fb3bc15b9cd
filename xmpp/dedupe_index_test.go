package xmpp

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRecentIndex: the ring's index finds exactly the keys the last size
// remembered keys hold, whatever the keys' low bits (keys that share a
// home slot, runs that wrap round the table, removals in the middle of
// a run), checked against a plain scan of the ring after every step.
func TestRecentIndex(t *testing.T) {
	for _, size := range []int{1, 2, 3, 7, 8, 9, 500} {
		for _, bits := range []uint{2, 4, 8, 64} {
			rng := rand.New(rand.NewPCG(uint64(size), uint64(bits)))
			r := newRecentMessages(size)
			for step := range 4000 {
				// Few distinct low bits: long probe runs and many keys
				// with the same home slot.
				k := rng.Uint64() | 1<<63 // never 0, as keys makes sure
				if bits < 64 {
					k = k&^(1<<20-1) | k&(1<<bits-1)
				}
				if step%5 == 4 && len(r.ring) > 0 {
					k = r.ring[rng.IntN(len(r.ring))] // one that is in the ring
				}
				if got, want := r.inRing(k), slices.Contains(r.ring, k); got != want {
					t.Fatalf("size %d, bits %d, step %d: inRing(%x) = %v, the ring says %v", size, bits, step, k, got, want)
				}
				if !slices.Contains(r.ring, k) {
					r.remember(k)
				}
				if len(r.ring) > size {
					t.Fatalf("size %d: ring of %d", size, len(r.ring))
				}
				if len(r.index) < 2*len(r.ring) {
					t.Fatalf("size %d: index of %d for a ring of %d", size, len(r.index), len(r.ring))
				}
				n := 0
				for _, k := range r.index {
					if k != 0 {
						n++
						if !r.inRing(k) || !slices.Contains(r.ring, k) {
							t.Fatalf("size %d, bits %d, step %d: key %x in index not found", size, bits, step, k)
						}
					}
				}
				if n != len(r.ring) {
					t.Fatalf("size %d, bits %d, step %d: %d slots in use for a ring of %d", size, bits, step, n, len(r.ring))
				}
			}
		}
	}
}
