// Package examples will hold runnable programs, one main package per
// folder: an echo bot (make demo), a MUC bot and a terminal chat client.
//
// It is empty until the connection issue adds the first of them.
package examples
