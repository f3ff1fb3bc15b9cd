// Package stanza holds the XMPP stanzas as plain Go values: Message,
// Presence and IQ (RFC 6120 section 8, RFC 6121), stanza errors and stream
// errors, Node for the elements this package does not model, and Filter,
// the predicate a connection's listeners and collectors choose stanzas by.
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
// # Who owns a stanza
//
// A stanza holds slices and pointers (bodies, extensions, nodes, an
// error), so copying the struct copies none of them. The rules, as
// net/http has them for a Request:
//
//   - A received stanza is shared: the connection decodes it once and
//     hands the same pointer to every listener and collector that
//     receives it, on more than one goroutine. Treat it as read-only; keep
//     it as long as you like; Clone it to change it.
//   - A stanza given to Send (or SendIQ) is the connection's from then on:
//     Send writes into it the id it chose and what the interceptors add,
//     and with stream management keeps it until the server acknowledges
//     it, to send it again on a resumed stream, and hands it to OnAcked or
//     OnUnacked. Don't change it after Send; to send a variant, Clone it
//     first and change the copy.
//   - Clone copies deeply (Message, Presence, IQ, Node and Error have a
//     Clone method, and the function Clone takes any of the three
//     stanzas): the copy shares nothing that can be changed with the
//     original, so either may change without the other seeing it.
//
// Forwarding a received message, for example:
//
//	fwd := m.Clone() // m is shared with the other listeners
//	fwd.To, fwd.ID = carol, ""
//	err := c.Send(ctx, fwd) // fwd is the connection's now
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
// ExtensionElementProvider, Filter (IsMessage, IsPresence, IsIQ, From,
// FromBare, WithID, HasExtension, And, Or, Not) for StanzaFilter and its
// implementations (StanzaTypeFilter, FromMatchesFilter, StanzaIdFilter,
// StanzaExtensionFilter, AndFilter, OrFilter, NotFilter). The Clone
// methods stand for the clone() of Smack's TypedCloneable stanzas and for
// their copy constructors.
package stanza
