package xmlstream

import "fmt"

// Condition is the stream error condition (RFC 6120 section 4.9.3) that bad
// input calls for. The connection turns it into a stream error and closes.
type Condition string

// The conditions the reader reports.
const (
	// NotWellFormed: the input is not well-formed XML, is not UTF-8, or
	// holds characters XML forbids.
	NotWellFormed Condition = "not-well-formed"
	// RestrictedXML: a construct RFC 6120 section 11.1 forbids: a DTD,
	// a comment, a processing instruction, an entity other than the five
	// predefined ones.
	RestrictedXML Condition = "restricted-xml"
	// PolicyViolation: a limit was exceeded (element size, depth,
	// attribute count).
	PolicyViolation Condition = "policy-violation"
	// BadFormat: the stream header is not an XMPP stream header.
	BadFormat Condition = "bad-format"
	// InvalidNamespace: the stream header's namespaces are wrong.
	InvalidNamespace Condition = "invalid-namespace"
)

// Error is a problem with the input, with the stream error condition it
// calls for. It is returned for every input the reader refuses, so that the
// connection can end the stream with the right condition.
type Error struct {
	// Condition is the stream error condition the input calls for.
	Condition Condition
	Offset    int64  // byte offset in the stream where the problem was found
	Msg       string // what was wrong
}

// Error says what was wrong and the stream error condition it calls for.
func (e *Error) Error() string {
	return fmt.Sprintf("xmlstream: %s at byte %d: %s", e.Condition, e.Offset, e.Msg)
}
