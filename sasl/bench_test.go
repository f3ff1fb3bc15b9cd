package sasl

import "testing"

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
