package stanza

import (
	"fmt"

	"github.com/gosmack/gosmack/jid"
)

// ErrorType is the type of a stanza error (RFC 6120 section 8.3.2): what
// the sender can do about it.
type ErrorType string

// Stanza error types.
const (
	Auth     ErrorType = "auth"     // retry after providing credentials
	Cancel   ErrorType = "cancel"   // do not retry
	Continue ErrorType = "continue" // proceed: the condition was only a warning
	Modify   ErrorType = "modify"   // retry after changing the data sent
	Wait     ErrorType = "wait"     // retry after waiting
)

// Condition is a stanza error condition (RFC 6120 section 8.3.3).
type Condition string

// The defined stanza error conditions.
const (
	BadRequest            Condition = "bad-request"
	Conflict              Condition = "conflict"
	FeatureNotImplemented Condition = "feature-not-implemented"
	Forbidden             Condition = "forbidden"
	Gone                  Condition = "gone"
	InternalServerError   Condition = "internal-server-error"
	ItemNotFound          Condition = "item-not-found"
	JIDMalformed          Condition = "jid-malformed"
	NotAcceptable         Condition = "not-acceptable"
	NotAllowed            Condition = "not-allowed"
	NotAuthorized         Condition = "not-authorized"
	PolicyViolation       Condition = "policy-violation"
	RecipientUnavailable  Condition = "recipient-unavailable"
	Redirect              Condition = "redirect"
	RegistrationRequired  Condition = "registration-required"
	RemoteServerNotFound  Condition = "remote-server-not-found"
	RemoteServerTimeout   Condition = "remote-server-timeout"
	ResourceConstraint    Condition = "resource-constraint"
	ServiceUnavailable    Condition = "service-unavailable"
	SubscriptionRequired  Condition = "subscription-required"
	UndefinedCondition    Condition = "undefined-condition"
	UnexpectedRequest     Condition = "unexpected-request"
)

// Conditions lists every defined stanza error condition.
func Conditions() []Condition {
	return []Condition{BadRequest, Conflict, FeatureNotImplemented, Forbidden, Gone,
		InternalServerError, ItemNotFound, JIDMalformed, NotAcceptable, NotAllowed,
		NotAuthorized, PolicyViolation, RecipientUnavailable, Redirect,
		RegistrationRequired, RemoteServerNotFound, RemoteServerTimeout,
		ResourceConstraint, ServiceUnavailable, SubscriptionRequired,
		UndefinedCondition, UnexpectedRequest}
}

// Error is a stanza error (RFC 6120 section 8.3; Smack's StanzaError). It
// is a Go error: compare with errors.Is against an *Error whose empty
// fields match anything.
//
//	errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound})
type Error struct {
	// Type is the type attribute: what the sender can do about the error.
	Type ErrorType
	// Condition is the name of the condition element; undefined-condition
	// when a received error has none.
	Condition Condition
	// Target is the address in a gone or redirect condition, "" otherwise.
	Target string
	By     jid.JID // the entity that reported the error, if it said
	Text   string  // human-readable text, "" if none
	Lang   string  // the text's language, "" without text
	// App is an application-specific condition element (in a namespace
	// of its own, not the stanzas namespace), or nil.
	App *Node
}

// NewError returns an error of the given type and condition.
func NewError(t ErrorType, c Condition) *Error { return &Error{Type: t, Condition: c} }

// Error returns the condition and type, the application condition and
// the text when there are some.
func (e *Error) Error() string {
	s := fmt.Sprintf("stanza error: %s (%s)", e.Condition, e.Type)
	if e.App != nil {
		s += fmt.Sprintf(" <%s xmlns='%s'/>", e.App.Name.Local, e.App.Name.Space)
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is reports whether target is an *Error whose non-empty Type, Condition
// and Text equal e's.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return (t.Type == "" || t.Type == e.Type) &&
		(t.Condition == "" || t.Condition == e.Condition) &&
		(t.Text == "" || t.Text == e.Text)
}

// StreamCondition is a stream error condition (RFC 6120 section 4.9.3).
type StreamCondition string

// The defined stream error conditions.
const (
	BadFormat              StreamCondition = "bad-format"
	BadNamespacePrefix     StreamCondition = "bad-namespace-prefix"
	StreamConflict         StreamCondition = "conflict"
	ConnectionTimeout      StreamCondition = "connection-timeout"
	HostGone               StreamCondition = "host-gone"
	HostUnknown            StreamCondition = "host-unknown"
	ImproperAddressing     StreamCondition = "improper-addressing"
	StreamInternalError    StreamCondition = "internal-server-error"
	InvalidFrom            StreamCondition = "invalid-from"
	InvalidNamespace       StreamCondition = "invalid-namespace"
	InvalidXML             StreamCondition = "invalid-xml"
	StreamNotAuthorized    StreamCondition = "not-authorized"
	NotWellFormed          StreamCondition = "not-well-formed"
	StreamPolicyViolation  StreamCondition = "policy-violation"
	RemoteConnectionFailed StreamCondition = "remote-connection-failed"
	Reset                  StreamCondition = "reset"
	StreamResourceLimit    StreamCondition = "resource-constraint"
	RestrictedXML          StreamCondition = "restricted-xml"
	SeeOtherHost           StreamCondition = "see-other-host"
	SystemShutdown         StreamCondition = "system-shutdown"
	StreamUndefined        StreamCondition = "undefined-condition"
	UnsupportedEncoding    StreamCondition = "unsupported-encoding"
	UnsupportedFeature     StreamCondition = "unsupported-feature"
	UnsupportedStanzaType  StreamCondition = "unsupported-stanza-type"
	UnsupportedVersion     StreamCondition = "unsupported-version"
)

// StreamConditions lists every defined stream error condition.
func StreamConditions() []StreamCondition {
	return []StreamCondition{BadFormat, BadNamespacePrefix, StreamConflict,
		ConnectionTimeout, HostGone, HostUnknown, ImproperAddressing,
		StreamInternalError, InvalidFrom, InvalidNamespace, InvalidXML,
		StreamNotAuthorized, NotWellFormed, StreamPolicyViolation,
		RemoteConnectionFailed, Reset, StreamResourceLimit, RestrictedXML,
		SeeOtherHost, SystemShutdown, StreamUndefined, UnsupportedEncoding,
		UnsupportedFeature, UnsupportedStanzaType, UnsupportedVersion}
}

// StreamError is a stream error (RFC 6120 section 4.9; Smack's
// StreamErrorException): the stream ends after it. Compare with errors.Is
// against a *StreamError whose empty fields match anything.
type StreamError struct {
	// Condition is the name of the condition element; undefined-condition
	// when a received error has none.
	Condition StreamCondition
	// OtherHost is the address of see-other-host: host, host:port or
	// [IPv6]:port.
	OtherHost string
	// Text is the human-readable text of <text/>, "" if none.
	Text string
	Lang string // the text's language, "" without text
	// App is an application-specific condition element (in a namespace
	// of its own, not the streams namespace), or nil.
	App *Node
}

// Error returns the condition, and the text when there is one.
func (e *StreamError) Error() string {
	s := "stream error: " + string(e.Condition)
	if e.OtherHost != "" {
		s += " " + e.OtherHost
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is reports whether target is a *StreamError whose non-empty Condition
// and Text equal e's.
func (e *StreamError) Is(target error) bool {
	t, ok := target.(*StreamError)
	if !ok {
		return false
	}
	return (t.Condition == "" || t.Condition == e.Condition) && (t.Text == "" || t.Text == e.Text)
}
