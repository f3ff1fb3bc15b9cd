package xmpp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSMUnreadAddsUp: the unanswered lives of resumed streams add up
// until an <a/> arrives on a stream, which starts the count again. The h
// of each <resumed/> (taken as an ack) does not: every resumption has
// one.
func TestSMUnreadAddsUp(t *testing.T) {
	sm := newSMState(&StreamManagement{})
	assert.Equal(t, 3*time.Second, sm.unreadFor(3*time.Second))
	_, err := sm.ack(0) // a resumption's h
	require.NoError(t, err)
	assert.Equal(t, 7*time.Second, sm.unreadFor(4*time.Second))
	sm.answered()
	assert.Equal(t, time.Second, sm.unreadFor(time.Second))
}
