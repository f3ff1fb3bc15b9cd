package ping

// Armed reports whether p's keep-alive is running for the current stream:
// its timer set or its ping under way. Tests use it to check that a
// connection that is down costs the Pinger nothing.
func Armed(p *Pinger) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.armed
}
