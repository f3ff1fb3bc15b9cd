package me_test

import (
	"testing"

	"github.com/gosmack/gosmack/me"
	"github.com/stretchr/testify/assert"
)

func TestAction(t *testing.T) {
	for _, tc := range []struct {
		body, action string
		ok           bool
	}{
		{"/me shrugs in disgust", "shrugs in disgust", true},
		{"/me  two spaces", " two spaces", true},
		{" /me not at the start", "", false},
		{"/meet me", "", false},
		{"/me", "", false},
		{"/me ", "", false},
		{"/me \n", "", false},
		{"/ME shouts", "", false},
		{"hello", "", false},
	} {
		action, ok := me.Action(tc.body)
		assert.Equal(t, tc.ok, ok, "%q", tc.body)
		assert.Equal(t, tc.action, action, "%q", tc.body)
	}
	action, ok := me.Action(me.Body("waves"))
	assert.True(t, ok)
	assert.Equal(t, "waves", action)
}

// FuzzAction: an action read is sent back as the same body.
func FuzzAction(f *testing.F) {
	f.Add("/me waves")
	f.Add("/me")
	f.Fuzz(func(t *testing.T, body string) {
		if action, ok := me.Action(body); ok && me.Body(action) != body {
			t.Fatalf("%q read as %q", body, action)
		}
	})
}
