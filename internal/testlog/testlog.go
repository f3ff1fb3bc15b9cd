// Package testlog is the event log the tests of the manager packages
// share: listeners running on the connection's dispatcher write lines,
// the test reads them all and compares them with the order it expects.
package testlog

import (
	"fmt"
	"sync"
)

// Log is a list of lines written by concurrent goroutines. The zero Log
// is empty and ready; it must not be copied after first use.
type Log struct {
	mu    sync.Mutex
	lines []string
}

// Add appends a line, formatted as by fmt.Sprintf.
func (l *Log) Add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// Lines returns a copy of the lines written so far, in order.
func (l *Log) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
