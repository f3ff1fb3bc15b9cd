package xmpp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSMUnreadAddsUp: the unanswered lives of resumed streams add up
// until the server acknowledges something, which starts the count again.
func TestSMUnreadAddsUp(t *testing.T) {
	sm := newSMState(&StreamManagement{})
	assert.Equal(t, 3*time.Second, sm.unreadFor(3*time.Second))
	assert.Equal(t, 7*time.Second, sm.unreadFor(4*time.Second))
	_, err := sm.ack(0)
	require.NoError(t, err)
	assert.Equal(t, time.Second, sm.unreadFor(time.Second))
}
