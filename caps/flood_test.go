package caps

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
)

// TestFlood: a flood of presence with distinct caps, each needing a
// lookup, keeps the lookups, the queue and the memory within their bounds
// and never blocks the listener. The connection is down, so every lookup
// fails at once and the workers churn as fast as they can.
func TestFlood(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	m := For(c)
	defer m.Close()
	for i := range 3 * maxEntities / 2 {
		sum := sha1.Sum(fmt.Appendf(nil, "%d", i))
		p := &stanza.Presence{}
		p.From = jid.MustParse(fmt.Sprintf("u%d@example.com/r", i%(maxEntities+100)))
		e := Extension{Hash: "sha-1", Node: "urn:flood", Ver: base64.StdEncoding.EncodeToString(sum[:])}
		n, _ := e.MarshalNode()
		p.Extensions = []stanza.Node{n}
		m.received(p)
		m.mu.Lock()
		pending, workers, entities, queue, failed := len(m.pending), m.workers, len(m.entities), len(m.queue), len(m.failed)
		m.mu.Unlock()
		if pending > maxPending || queue > maxPending || workers > maxWorkers || entities > maxEntities || failed > maxFailed {
			t.Fatalf("after %d presences: %d pending, %d queued, %d workers, %d entities, %d failed", i+1, pending, queue, workers, entities, failed)
		}
	}
	m.Close()
	assert.Equal(t, 1, m.Cache().Len(), "only the client's own ver")
	m.mu.Lock()
	assert.Equal(t, 0, m.workers)
	m.mu.Unlock()
}
