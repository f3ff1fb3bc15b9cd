package caps

// Idle reports whether no lookup is queued or running and no presence is
// being sent again, for tests that wait for the manager to settle.
func (m *Manager) Idle() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending) == 0 && m.workers == 0 && !m.resending
}
