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
