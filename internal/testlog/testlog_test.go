package testlog

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLog(t *testing.T) {
	var l Log
	assert.Empty(t, l.Lines())
	l.Add("a %d", 1)
	l.Add("b")
	got := l.Lines()
	assert.Equal(t, []string{"a 1", "b"}, got)
	got[0] = "changed"
	assert.Equal(t, "a 1", l.Lines()[0], "Lines returns a copy")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { l.Add("%d", i) })
	}
	wg.Wait()
	assert.Len(t, l.Lines(), 10)
}
