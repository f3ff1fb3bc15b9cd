package xmpp

import "errors"

// AbortStream ends c's stream at once, as a lost connection does: over
// BOSH, the session is dropped without a terminate.
func AbortStream(c *Conn) {
	if s := c.current(); s != nil {
		s.abort(errors.New("xmpp: the test cut the stream"))
	}
}

// ParseBOSHBody parses a BOSH answer's body (parseBody), for the fuzz
// target: its sid, type and condition, and what it holds.
func ParseBOSHBody(b []byte) (sid, typ, condition string, inner []byte, err error) {
	bb, err := parseBody(b)
	return bb.sid, bb.typ, bb.condition, bb.inner, err
}
