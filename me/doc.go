// Package me reads and writes the /me command (XEP-0245): a message
// whose body starts with "/me " shows as an action of its sender,
// "* alice waves" for "/me waves". The command travels in the body as
// typed; only its display changes.
//
//	if action, ok := me.Action(m.Body("")); ok {
//		fmt.Printf("* %s %s\n", m.From.Bare(), action)
//	}
//	out.Bodies = []stanza.Text{{Value: me.Body("waves")}}
//
// XEP-0245 has no Smack class; a Smack user writes the same string test.
package me
