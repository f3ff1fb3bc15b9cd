// Package stanza holds the XMPP stanzas as plain Go values: Message,
// Presence and IQ (RFC 6120 section 8, RFC 6121), stanza errors and stream
// errors, and Node for the elements this package does not model.
//
//	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Hi"}}}
//	m.To = jid.MustParse("juliet@example.com")
//
// The values know nothing of XML encoding: the connection decodes and
// encodes them (internal/wire), and a test can build them and compare them
// with reflect.DeepEqual or testify's Equal.
//
// # Extensions
//
// A child element that is not part of the stanza itself (a receipt
// request, entity capabilities, a delay stamp) is kept in Extensions as a
// Node, with its namespaces, attributes, text and nesting, and is written
// back as it came. A feature package defines a typed extension by
// implementing Extension and reads it with FindExtension; there is no
// process-wide registry of providers.
//
// # Errors
//
// *Error (a stanza error) and *StreamError are Go errors; errors.Is
// compares them with a template whose empty fields match anything:
//
//	errors.Is(err, &stanza.Error{Condition: stanza.ServiceUnavailable})
//
// # Coming from Smack
//
// Message, Presence and IQ stand for Smack's classes of the same names
// (Presence.Mode is Show, Message.Type is MessageType), Error for
// StanzaError, StreamError for StreamErrorException's StreamError, and
// Extension with FindExtension for ExtensionElement and its
// ExtensionElementProvider.
package stanza
