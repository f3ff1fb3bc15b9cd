package sasl

import (
	"errors"
	"testing"
)

// FuzzSCRAMChallenges feeds arbitrary server-first and server-final messages
// to a SCRAM client. It must never panic, and no input but the right
// signature may end in success.
func FuzzSCRAMChallenges(f *testing.F) {
	f.Add([]byte("r=clientnonceX,s=c2FsdA==,i=4096"), []byte("v=AAAA"))
	f.Add([]byte("r=clientnonceX,s=c2FsdA==,i=4096,x=y"), []byte("e=invalid-proof"))
	f.Add([]byte("m=x,r=clientnonceX"), []byte(""))
	f.Add([]byte("r=clientnonce,s=,i="), []byte("v="))
	f.Add([]byte("r=clientnonceX,s=c2FsdA==,i=4096,h=2jmj7l5rSw0yVb/vlWAYkK/YBwk="), []byte("v=AAAA")) // XEP-0474: SHA-1 of the empty offer
	f.Add([]byte("r=clientnonceX,s=c2FsdA==,i=4096,h=wrong"), []byte("v=AAAA"))
	f.Fuzz(func(t *testing.T, serverFirst, serverFinal []byte) {
		m, err := New("SCRAM-SHA-1", &Config{Username: "u", Password: "p", MaxIterations: 5000}, Stream{})
		if err != nil {
			t.Fatal(err)
		}
		m.(*scram).clientNonce = "clientnonce"
		if _, err := m.Step(nil); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Step(serverFirst); err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNonce) && !errors.Is(err, ErrIterations) && !errors.Is(err, ErrDowngrade) {
				t.Fatalf("server-first %q: error %v matches no sentinel", serverFirst, err)
			}
			return
		}
		if err := m.Finish(serverFinal); err == nil {
			t.Fatalf("server-final %q accepted without the server knowing the password", serverFinal)
		}
	})
}

// FuzzParseAttrs checks that attribute parsing never panics and that what
// it accepts is made of single-letter keys.
func FuzzParseAttrs(f *testing.F) {
	f.Add([]byte("r=a,s=b,i=1"))
	f.Add([]byte("=,,"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		attrs, err := parseAttrs(msg)
		if err != nil {
			return
		}
		for _, a := range attrs {
			if !isAlpha(a.key) {
				t.Fatalf("key %q accepted", a.key)
			}
		}
	})
}
