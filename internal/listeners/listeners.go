// Package listeners holds a list of callbacks that is read on every event
// and changed rarely: registration copies the list, delivery reads it
// without a lock. Every manager that lets users register listeners uses
// it, so that the same few lines are not written again in each.
package listeners

import (
	"iter"
	"slices"
	"sync"
	"sync/atomic"
)

// List is a copy-on-write list of values of type F, usually funcs. The
// zero List is empty and ready. A List is safe for concurrent use; it
// must not be copied after first use.
type List[F any] struct {
	mu sync.Mutex // serializes writers
	p  atomic.Pointer[[]*F]
}

// Add appends f and returns the func that removes it; calling that more
// than once is safe.
func (l *List[F]) Add(f F) (remove func()) {
	e := &f
	l.mu.Lock()
	s := append(slices.Clone(l.load()), e)
	l.p.Store(&s)
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			s := slices.DeleteFunc(slices.Clone(l.load()), func(x *F) bool { return x == e })
			l.p.Store(&s)
		})
	}
}

// All yields the values registered when it is called, in the order they
// were added; values added or removed meanwhile do not change the
// iteration.
func (l *List[F]) All() iter.Seq[F] {
	s := l.load()
	return func(yield func(F) bool) {
		for _, e := range s {
			if !yield(*e) {
				return
			}
		}
	}
}

// Len returns the number of values.
func (l *List[F]) Len() int { return len(l.load()) }

// Clear removes every value.
func (l *List[F]) Clear() {
	l.mu.Lock()
	l.p.Store(nil)
	l.mu.Unlock()
}

func (l *List[F]) load() []*F {
	if s := l.p.Load(); s != nil {
		return *s
	}
	return nil
}
