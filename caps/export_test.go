package caps

// Idle reports whether no lookup is queued or running, for tests that
// wait for the Tracker to settle.
func (t *Tracker) Idle() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending) == 0 && t.workers == 0
}
