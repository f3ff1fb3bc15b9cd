// Package base64text reads base64 as XML text carries it: binary
// payloads (vCard photos, avatar images) whose senders wrap the text in
// lines.
package base64text

import (
	"encoding/base64"
	"strings"
)

// Decode decodes s, standard base64 with padding, ignoring the XML
// white space (spaces, tabs, line breaks) anywhere in it, as many
// clients write base64 in lines of 76 characters. Anything else that is
// not base64 is an error.
func Decode(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	return base64.StdEncoding.DecodeString(s)
}
