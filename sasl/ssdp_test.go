package sasl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSSDP checks XEP-0474's hash with the XEP's example (SHA-1 of
// "SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS\x1ftls-exporter\x1etls-server-end-point",
// the lists sorted whatever order they came in) and one without XEP-0440
// computed with Python's hashlib: a server-first-message that signs the
// offer received goes on, one that signs another fails with ErrDowngrade,
// and one without the attribute is not checked.
func TestSSDP(t *testing.T) {
	xep := Stream{Mechanisms: []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"}, Bindings: []string{"tls-server-end-point", "tls-exporter"}}
	prosody := Stream{Mechanisms: []string{"SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-1"}}
	for _, tc := range []struct {
		name, mech string
		st         Stream
		h          string
		err        error
	}{
		{"XEP example", "SCRAM-SHA-1", xep, ",h=G6k/rBLDqgOhRRaCuuatSDFkJ08=", nil},
		{"no XEP-0440", "SCRAM-SHA-256", prosody, ",h=J++Diu+JubnE6dLVvZjjI5KHnheOLsUSQWiw/prdbAA=", nil},
		{"not signed", "SCRAM-SHA-256", prosody, "", nil},
		{"PLUS stripped", "SCRAM-SHA-1", Stream{Mechanisms: []string{"SCRAM-SHA-1"}, Bindings: xep.Bindings}, ",h=G6k/rBLDqgOhRRaCuuatSDFkJ08=", ErrDowngrade},
		{"bindings stripped", "SCRAM-SHA-1", Stream{Mechanisms: xep.Mechanisms}, ",h=G6k/rBLDqgOhRRaCuuatSDFkJ08=", ErrDowngrade},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.mech, &Config{Username: "user", Password: "pencil", MinIterations: 1}, tc.st)
			require.NoError(t, err)
			m.(*scram).clientNonce = "fyko+d2lbbFgONRv9qkxdawL"
			_, err = m.Step(nil)
			require.NoError(t, err)
			_, err = m.Step([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096" + tc.h))
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			assert.NoError(t, err)
		})
	}
}

// TestSetOffer: a mechanism chosen from a guessed offer (written ahead)
// checks the offer set later, the one received.
func TestSetOffer(t *testing.T) {
	m, err := New("SCRAM-SHA-1", &Config{Username: "user", Password: "pencil"}, Stream{Mechanisms: []string{"SCRAM-SHA-1"}})
	require.NoError(t, err)
	SetOffer(m, Stream{Mechanisms: []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"}, Bindings: []string{"tls-exporter", "tls-server-end-point"}})
	m.(*scram).clientNonce = "fyko+d2lbbFgONRv9qkxdawL"
	_, err = m.Step(nil)
	require.NoError(t, err)
	_, err = m.Step([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,h=G6k/rBLDqgOhRRaCuuatSDFkJ08="))
	assert.NoError(t, err)
	SetOffer(nil, Stream{}) // not SCRAM: ignored
}
