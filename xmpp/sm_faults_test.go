//go:build integration && faults

package xmpp_test

// The fault-injection test of stream management. It is not part of make
// test yet: on both servers it still fails, for reasons traced to the
// servers (see the reconnection issue's note and the test's doc). Run it
// with
//
//	go test -tags 'integration faults' -run StreamManagementFaults -v ./xmpp/
//
// (GOSMACK_SM_RECORD=DIR writes each client's transcript there.)

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countStates counts the state changes c goes through.
type stateCounts struct {
	mu sync.Mutex
	n  map[xmpp.State]int
}

func countStates(t *testing.T, who string, c *xmpp.Conn) *stateCounts {
	sc := &stateCounts{n: map[xmpp.State]int{}}
	c.OnState(func(ch xmpp.StateChange) {
		t.Logf("%s %s: %s %v", time.Now().Format("15:04:05.000"), who, ch.State, ch.Err)
		sc.mu.Lock()
		sc.n[ch.State]++
		sc.mu.Unlock()
	})
	return sc
}

func (sc *stateCounts) get(s xmpp.State) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.n[s]
}

// TestIntegrationStreamManagementFaults: one account sends thousands of
// numbered messages to another while a proxy in front of the server cuts
// both accounts' connections again and again at random points (in the
// middle of stanzas, TLS records and acks, during logins and
// resumptions). Every message reaches the receiving listener exactly
// once and in order, and the sender is told of no stanza lost.
func TestIntegrationStreamManagementFaults(t *testing.T) {
	const messages = 2000
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		seed := rand.Uint64()
		t.Logf("proxy seed %d", seed)
		p := newFaultProxy(t, s.StartTLSAddr, seed, 2<<10, 48<<10)

		var lostMu sync.Mutex
		var lost []string
		onUnacked := func(who string) func([]stanza.Stanza, error) {
			return func(sts []stanza.Stanza, err error) {
				lostMu.Lock()
				defer lostMu.Unlock()
				for _, st := range sts {
					lost = append(lost, fmt.Sprintf("%s %s (%v)", who, st.Head().ID, err))
				}
			}
		}

		receiver := xmpp.New(proxiedConfig(t, s, "bob", p))
		receiverStates := countStates(t, "receiver", receiver)
		receiver.OnUnacked(onUnacked("receiver"))
		got := make(chan int, messages+16)
		end := make(chan struct{})
		problems := make(chan string, 16)
		var from jid.JID // set before the first message is sent
		var fromMu sync.Mutex
		receiver.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
			fromMu.Lock()
			sender := from
			fromMu.Unlock()
			if m.From != sender {
				return // another test's session of the same account
			}
			if m.Body("") == "end" {
				close(end)
				return
			}
			n, err := strconv.Atoi(m.Body(""))
			if err != nil {
				select {
				case problems <- fmt.Sprintf("a body that is no number: %q", m.Body("")):
				default:
				}
				return
			}
			got <- n
		})
		connectRetrying(t, ctx, receiver)
		defer receiver.Close()

		sender := xmpp.New(proxiedConfig(t, s, "alice", p, func(cfg *xmpp.Config) { cfg.MaxQueued = messages }))
		senderStates := countStates(t, "sender", sender)
		sender.OnUnacked(onUnacked("sender"))
		connectRetrying(t, ctx, sender)
		defer sender.Close()
		fromMu.Lock()
		from = sender.JID()
		fromMu.Unlock()
		to := receiver.JID()

		sendErr := make(chan error, 1)
		go func() {
			for i := range messages {
				m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: strconv.Itoa(i)}}}
				m.To = to
				if err := sender.Send(ctx, m); err != nil {
					sendErr <- fmt.Errorf("message %d: %w", i, err)
					return
				}
			}
			sendErr <- nil
		}()

		// Receive until every number arrived, then a last message: any
		// duplicate of an earlier one would come before it.
		var order []int
		seen := make(map[int]int)
		for len(seen) < messages {
			select {
			case n := <-got:
				order = append(order, n)
				seen[n]++
			case pr := <-problems:
				t.Fatal(pr)
			case err := <-sendErr:
				require.NoError(t, err)
				sendErr = nil
			case <-ctx.Done():
				t.Fatalf("only %d of %d messages arrived (%s); proxy cut %d connections", len(seen), messages, describeOrder(order, messages), p.cuts.Load())
			}
		}
		if sendErr != nil {
			require.NoError(t, <-sendErr)
		}
		last := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "end"}}}
		last.To = to
		require.NoError(t, sender.Send(ctx, last))
	drain:
		for {
			select {
			case n := <-got:
				order = append(order, n)
			case <-end:
				break drain
			case <-ctx.Done():
				t.Fatal("the last message did not arrive")
			}
		}
		if len(order) != messages || !sorted(order) {
			t.Errorf("messages arrived out of order or more than once: %s", describeOrder(order, messages))
		}
		lostMu.Lock()
		assert.Empty(t, lost, "stanzas reported as possibly lost")
		lostMu.Unlock()
		t.Logf("%d connections, %d cut; sender: %d resumed, %d new sessions; receiver: %d resumed, %d new sessions",
			p.accepted.Load(), p.cuts.Load(),
			senderStates.get(xmpp.StateResumed), senderStates.get(xmpp.StateAuthenticated),
			receiverStates.get(xmpp.StateResumed), receiverStates.get(xmpp.StateAuthenticated))
		assert.GreaterOrEqual(t, p.cuts.Load(), int64(10), "the proxy cut too rarely to prove anything")
		assert.Positive(t, senderStates.get(xmpp.StateResumed)+receiverStates.get(xmpp.StateResumed), "no stream was resumed")
	})
}

func sorted(order []int) bool {
	for i, n := range order {
		if n != i {
			return false
		}
	}
	return true
}

// describeOrder says what went wrong in the order messages arrived:
// duplicates, missing ones, and where the sequence first broke.
func describeOrder(order []int, messages int) string {
	count := make(map[int]int)
	for _, n := range order {
		count[n]++
	}
	var dups, missing []int
	for n := range messages {
		switch {
		case count[n] == 0:
			missing = append(missing, n)
		case count[n] > 1:
			dups = append(dups, n)
		}
	}
	brk := -1
	for i, n := range order {
		if i == 0 && n != 0 || i > 0 && n != order[i-1]+1 {
			brk = i
			break
		}
	}
	around := ""
	if brk >= 0 {
		around = fmt.Sprint(order[max(brk-3, 0):min(brk+5, len(order))])
	}
	return fmt.Sprintf("%d received, %d duplicated %v, %d missing %v, first break at position %d: %s",
		len(order), len(dups), head(dups), len(missing), head(missing), brk, around)
}

func head(l []int) []int { return l[:min(len(l), 12)] }

// connectRetrying logs c in through the faulty proxy: a cut during the
// first login is retried, as a user would.
func connectRetrying(t *testing.T, ctx context.Context, c *xmpp.Conn) {
	t.Helper()
	for {
		err := c.Connect(ctx)
		if err == nil {
			return
		}
		if ctx.Err() != nil || errors.Is(err, xmpp.ErrConnected) {
			t.Fatalf("logging in through the proxy: %v", err)
		}
	}
}
