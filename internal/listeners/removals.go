package listeners

import "sync"

// Removals holds the remove funcs of registrations a manager made on
// another's lists for its users (pep's listeners on pubsub's events), so
// that the manager's Close removes them all. The zero Removals is ready.
// It is safe for concurrent use; it must not be copied after first use.
type Removals struct {
	mu     sync.Mutex
	closed bool
	m      map[*func()]struct{}
}

// Track keeps remove until the func it returns is called (which calls
// remove, once, and forgets it; calling it again does nothing) or Close
// is. After Close, Track calls remove at once: a registration made
// while the manager closed keeps nothing.
func (r *Removals) Track(remove func()) func() {
	var key *func()
	once := sync.OnceFunc(func() {
		remove()
		r.mu.Lock()
		delete(r.m, key)
		r.mu.Unlock()
	})
	key = &once
	r.mu.Lock()
	closed := r.closed
	if !closed {
		if r.m == nil {
			r.m = make(map[*func()]struct{})
		}
		r.m[key] = struct{}{}
	}
	r.mu.Unlock()
	if closed {
		once()
	}
	return once
}

// Close calls every remove func tracked, and makes Track remove at once
// from then on. It is safe to call more than once.
func (r *Removals) Close() {
	r.mu.Lock()
	r.closed = true
	m := r.m
	r.m = nil
	r.mu.Unlock()
	for f := range m {
		(*f)()
	}
}
