package xmpp

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/stanza"
)

// This file holds what managers (ping, receipts, disco, roster...) attach
// with, besides the listeners and handlers: interceptors of outgoing
// stanzas, the features the connection announces, and ending a stream on
// error.

// Intercept registers f to see, and change, every stanza the connection
// is about to send (Smack's StanzaInterceptor): entity capabilities add
// <c/> to presence, receipts add a request to messages. f runs on the
// sending goroutine, before the stanza is encoded, in the order
// interceptors were registered; it must not block or send. The returned
// func removes it; it is safe to call more than once. A nil f panics.
func (c *Conn) Intercept(f func(stanza.Stanza)) (remove func()) {
	mustListen("Intercept", f == nil)
	return c.reg.intercept.Add(f)
}

func (c *Conn) intercept(st stanza.Stanza) {
	for f := range c.reg.intercept.All() {
		f(st)
	}
}

// announced is the set of features the client announces (the var
// attributes of its disco#info, XEP-0030); the OnAnnounce listeners are
// in the registry.
type announced struct {
	mu     sync.Mutex
	counts map[string]int // a feature stays while one announcer keeps it
	list   atomic.Pointer[[]string]
}

// Announce adds feature (a namespace such as "urn:xmpp:ping") to what the
// client says it supports in service discovery and entity capabilities.
// A manager calls it when attached; the returned func withdraws it (a
// feature announced twice stays until both withdraw it).
func (c *Conn) Announce(feature string) (withdraw func()) {
	a := &c.announced
	a.mu.Lock()
	if a.counts == nil {
		a.counts = make(map[string]int)
	}
	a.counts[feature]++
	changed := a.counts[feature] == 1
	a.mu.Unlock()
	if changed {
		c.announceChanged()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			a.counts[feature]--
			gone := a.counts[feature] == 0
			if gone {
				delete(a.counts, feature)
			}
			a.mu.Unlock()
			if gone {
				c.announceChanged()
			}
		})
	}
}

// Announced returns the announced features, sorted. The caller may keep
// the slice but not change it.
func (c *Conn) Announced() []string {
	if l := c.announced.list.Load(); l != nil {
		return *l
	}
	return nil
}

// OnAnnounce registers f to run after the announced features change (entity
// capabilities recompute their hash and send presence again). f runs on
// the dispatcher, once for each change, in order; Announced returns the
// features as they are when f runs. The returned func removes it; it is
// safe to call more than once. A nil f panics.
func (c *Conn) OnAnnounce(f func()) (remove func()) {
	mustListen("OnAnnounce", f == nil)
	return c.reg.announce.Add(f)
}

// announceChanged publishes the announced features anew and queues the
// OnAnnounce listeners on the dispatcher, when there are any (so that a
// connection nobody listens to starts no dispatcher for it). The
// listeners registered when the queued call runs are the ones called.
func (c *Conn) announceChanged() {
	a := &c.announced
	a.mu.Lock()
	l := make([]string, 0, len(a.counts))
	for f := range a.counts {
		l = append(l, f)
	}
	slices.Sort(l)
	a.list.Store(&l)
	a.mu.Unlock()
	if c.reg.announce.Len() > 0 {
		c.Dispatch(c.announceListeners)
	}
}

func (c *Conn) announceListeners() {
	for f := range c.reg.announce.All() {
		f()
	}
}

// Abort ends the current stream at once because of err, without the
// clean close: the socket is closed, and the connection goes on as after
// a network failure that err describes: with stream management the
// session is suspended (StateDisconnected) and resumed, otherwise it ends
// (StateClosed with err) and reconnection, when on, starts a new one. A
// keep-alive that finds the server gone calls it. Abort does nothing when
// not connected; it does not wait for the reader to finish.
func (c *Conn) Abort(err error) {
	if s := c.current(); s != nil {
		s.abort(err)
	}
}
