package listeners

import (
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestList(t *testing.T) {
	var l List[string]
	assert.Equal(t, 0, l.Len())
	removeA := l.Add("a")
	l.Add("b")
	removeC := l.Add("c")
	assert.Equal(t, []string{"a", "b", "c"}, slices.Collect(l.All()))
	snapshot := l.All()
	removeA()
	removeA()
	assert.Equal(t, []string{"b", "c"}, slices.Collect(l.All()))
	assert.Equal(t, []string{"a", "b", "c"}, slices.Collect(snapshot), "an iteration sees the list as it was")
	l.Add("a") // an equal value is a new registration
	removeC()
	assert.Equal(t, []string{"b", "a"}, slices.Collect(l.All()))
	for v := range l.All() {
		if v == "b" {
			break
		}
	}
	l.Clear()
	assert.Equal(t, 0, l.Len())
}

func TestListConcurrent(t *testing.T) {
	var l List[func() int]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				remove := l.Add(func() int { return i })
				for f := range l.All() {
					_ = f()
				}
				remove()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 0, l.Len())
}

func TestRemovals(t *testing.T) {
	var r Removals
	calls := map[string]int{}
	var mu sync.Mutex
	count := func(name string) func() {
		return func() { mu.Lock(); calls[name]++; mu.Unlock() }
	}
	a := r.Track(count("a"))
	r.Track(count("b"))
	a()
	a()
	if calls["a"] != 1 || calls["b"] != 0 {
		t.Fatalf("after removing a twice: %v", calls)
	}
	r.Close()
	r.Close()
	if calls["a"] != 1 || calls["b"] != 1 {
		t.Fatalf("Close removes what is left, once: %v", calls)
	}
	late := r.Track(count("c"))
	if calls["c"] != 1 {
		t.Fatalf("Track after Close removes at once: %v", calls)
	}
	late()
	if calls["c"] != 1 {
		t.Fatalf("and only once: %v", calls)
	}
}
