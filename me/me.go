package me

import "strings"

// prefix is what starts an action: "/me" and one space.
const prefix = "/me "

// Action returns the action of a /me message's body: the text after
// "/me ", which must be the very start of the body (XEP-0245 section 3:
// not after white space, and "/me" alone or "/meet" is not the command).
// ok is false for any other body, and for "/me " with nothing after it.
func Action(body string) (action string, ok bool) {
	if !strings.HasPrefix(body, prefix) {
		return "", false
	}
	action = body[len(prefix):]
	if strings.TrimSpace(action) == "" {
		return "", false
	}
	return action, true
}

// Body returns the body that sends action as a /me message.
func Body(action string) string { return prefix + action }
