package sasl

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkSCRAMSHA256 runs a full client exchange (client-first,
// client-final, verification) against precomputed server messages, with
// RFC 7677's 4096 iterations.
func BenchmarkSCRAMSHA256(b *testing.B) {
	const (
		nonce       = "rOprNGfwEbeRWgbNEkqO"
		serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
		serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
	)
	run := func(b *testing.B, cache *SaltCache) {
		cfg := &Config{Username: "user", Password: "pencil", Cache: cache}
		b.ReportAllocs()
		for b.Loop() {
			m, err := New("SCRAM-SHA-256", cfg, Stream{})
			if err != nil {
				b.Fatal(err)
			}
			m.(*scram).clientNonce = nonce
			if _, err := m.Step(nil); err != nil {
				b.Fatal(err)
			}
			if _, err := m.Step([]byte(serverFirst)); err != nil {
				b.Fatal(err)
			}
			if err := m.Finish([]byte(serverFinal)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("no-cache", func(b *testing.B) { run(b, nil) })
	b.Run("cache", func(b *testing.B) { run(b, new(SaltCache)) })
}

// BenchmarkSaltCacheMemory reports the heap a SaltCache holds with one
// entry (a connection's own, after its login with SCRAM-SHA-256) and
// with 64 (one shared by many accounts), per cache: b.N caches are kept
// alive and the live heap is read before and after, with garbage
// collections between.
func BenchmarkSaltCacheMemory(b *testing.B) {
	for _, entries := range []int{1, saltCacheSize} {
		b.Run(fmt.Sprintf("entries=%d", entries), func(b *testing.B) {
			h := scramHashes["SHA-256"]
			salts := make([][]byte, entries)
			for i := range salts {
				salts[i] = []byte{byte(i), 's', 'a', 'l', 't'}
			}
			caches := make([]*SaltCache, b.N)
			before := liveHeap()
			for i := range caches {
				c := new(SaltCache)
				for _, salt := range salts {
					if _, err := c.saltedPassword("SHA-256", h, "pencil", salt, 1); err != nil {
						b.Fatal(err)
					}
				}
				caches[i] = c
			}
			after := liveHeap()
			b.ReportMetric(float64(after-before)/float64(b.N), "B/cache")
			runtime.KeepAlive(caches)
		})
	}
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
