package xmpp

// This file holds the managers attached to a Conn: one of each type per
// connection, kept by the Conn itself (no process-wide table), which is
// what Smack's getInstanceFor gives.

// attachment is one attached manager: v once ready is closed.
type attachment struct {
	ready chan struct{}
	v     any
}

// Attach returns the manager of type M attached to c, calling attach to
// make it the first time (Smack's getInstanceFor). Every manager package
// offers a For function built on it (roster.For, muc.For...), so that
// code anywhere in a program that holds the Conn gets the same manager.
//
// Calls for the same M wait for the first one's attach to return, so a
// Conn never holds two; attach may attach managers of other types (caps
// attaches disco), but not call Attach for M itself, which would wait
// for ever. attach must not return nil. When attach panics, nothing is
// attached and the next call tries again. Attach is safe for concurrent
// use.
func Attach[M any](c *Conn, attach func(*Conn) *M) *M {
	key := (*M)(nil)
	for {
		c.reg.mu.Lock()
		a := c.reg.attached[key]
		if a == nil {
			a = &attachment{ready: make(chan struct{})}
			if c.reg.attached == nil {
				c.reg.attached = make(map[any]*attachment)
			}
			c.reg.attached[key] = a
			c.reg.mu.Unlock()
			return attachNew(c, a, attach)
		}
		c.reg.mu.Unlock()
		<-a.ready
		if m, ok := a.v.(*M); ok {
			return m
		}
		// That attach func panicked: try again.
	}
}

// attachNew runs attach for the attachment a, which it has just put in
// place. When attach panics, a is taken out again (and those waiting for
// it try again), so that one failed attach does not block the type for
// ever.
func attachNew[M any](c *Conn, a *attachment, attach func(*Conn) *M) *M {
	defer func() {
		if a.v == nil {
			c.reg.mu.Lock()
			delete(c.reg.attached, (*M)(nil))
			c.reg.mu.Unlock()
		}
		close(a.ready)
	}()
	m := attach(c)
	if m == nil {
		panic("xmpp: Attach: the attach func returned nil")
	}
	a.v = m
	return m
}

// Attached returns the manager of type M attached to c, or nil when none
// is (or its attach func is still running). A manager looks up another
// with it when it works with that one only if the user attached it
// (receipts asks the roster whom the user is subscribed to).
func Attached[M any](c *Conn) *M {
	c.reg.mu.Lock()
	a := c.reg.attached[(*M)(nil)]
	c.reg.mu.Unlock()
	if a == nil {
		return nil
	}
	select {
	case <-a.ready:
		m, _ := a.v.(*M)
		return m
	default:
		return nil
	}
}

// Detach removes m from c, if it is the manager of its type attached to
// c; the next Attach for its type makes a new one. A manager's Close
// calls it. It is safe to call more than once.
func Detach[M any](c *Conn, m *M) {
	key := (*M)(nil)
	c.reg.mu.Lock()
	defer c.reg.mu.Unlock()
	if a := c.reg.attached[key]; a != nil {
		select {
		case <-a.ready:
			if v, _ := a.v.(*M); v == m {
				delete(c.reg.attached, key)
			}
		default:
		}
	}
}
