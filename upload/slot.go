package upload

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gosmack/gosmack/stanza"
)

// DefaultContentType is the content type a File without one is announced
// and sent with.
const DefaultContentType = "application/octet-stream"

var (
	requestName  = xml.Name{Space: NS, Local: "request"}
	slotName     = xml.Name{Space: NS, Local: "slot"}
	tooLargeName = xml.Name{Space: NS, Local: "file-too-large"}
	retryName    = xml.Name{Space: NS, Local: "retry"}
	headerName   = xml.Name{Space: NS, Local: "header"}
)

// ErrMalformedSlot is matched by the error of a slot reply that cannot
// be used: no <slot/>, a missing or unreadable URL.
var ErrMalformedSlot = errors.New("upload: malformed slot")

// ErrInsecureURL is matched by the error of a slot whose PUT or GET URL
// is not https, when the Manager does not allow plain http (see
// Manager.SetAllowHTTP). Nothing is sent to such a URL.
var ErrInsecureURL = errors.New("upload: the slot's URL is not https")

// Slot is where to upload one file (XEP-0363 section 4): the URL to PUT
// it to with the headers to send, and the URL others GET it from. Its
// zero value is not usable; RequestSlot returns one.
type Slot struct {
	// Put is the URL to upload to, absolute.
	Put *url.URL
	// Get is the URL the file will be downloaded from, absolute.
	Get *url.URL
	// Header holds the header fields the service gave for the PUT, only
	// those XEP-0363 allows (Authorization, Cookie, Expires), with line
	// breaks removed and the values of one field in their order; the
	// others are dropped.
	Header http.Header
}

// allowedHeaders are the only header fields a slot may set (XEP-0363
// section 4), canonical.
var allowedHeaders = []string{"Authorization", "Cookie", "Expires"}

// TooLargeError is the error of an upload refused for the file's size:
// by the Manager, before it asked for a slot, when the service's
// discovery form names a smaller limit (Reply nil), or by the service,
// which answered the slot request with <file-too-large/> (Reply set).
type TooLargeError struct {
	// Size is the size of the file, in bytes.
	Size int64
	// Max is the service's limit, in bytes; 0 when the service's
	// refusal did not name one.
	Max int64
	// Reply is the service's error reply, nil when the Manager refused
	// the file itself.
	Reply *stanza.Error
}

// Error says the size and the limit.
func (e *TooLargeError) Error() string {
	s := fmt.Sprintf("upload: a file of %d bytes is too large", e.Size)
	if e.Max > 0 {
		s += fmt.Sprintf(" (the service takes at most %d)", e.Max)
	}
	if e.Reply != nil {
		s += ": " + e.Reply.Error()
	}
	return s
}

// Unwrap returns the service's error reply, or nil.
func (e *TooLargeError) Unwrap() error {
	if e.Reply == nil {
		return nil
	}
	return e.Reply
}

// RetryAt returns the time the upload service said a slot request may be
// tried again (a <retry stamp='...'/> in its error reply, after a quota
// was exceeded), and whether err carries one.
func RetryAt(err error) (time.Time, bool) {
	var serr *stanza.Error
	if !errors.As(err, &serr) || serr.App == nil || serr.App.Name != retryName {
		return time.Time{}, false
	}
	t, perr := time.Parse(time.RFC3339, serr.App.Attr("stamp"))
	if perr != nil {
		return time.Time{}, false
	}
	return t, true
}

// RequestSlot asks the service for a slot for a file of the given name,
// size and content type (DefaultContentType when empty), without
// uploading anything (Smack's requestSlot). Upload does this and the PUT
// in one call.
//
// A file larger than the service's limit is refused with a
// *TooLargeError before the request goes out; a service that refuses the
// size itself answers with one too (with its Reply). Any other error
// reply is returned as its *stanza.Error (see RetryAt for a quota); a
// slot that cannot be used matches ErrMalformedSlot, or ErrInsecureURL
// when a URL is plain http and that is not allowed.
//
// It waits for the reply on the caller's goroutine: ctx bounds the whole
// call (the discovery too, when Service has not run yet in this
// session); when it ends RequestSlot returns ctx.Err() and a late reply
// is dropped. It may be called from a listener (see xmpp.Conn.SendIQ).
func (m *Manager) RequestSlot(ctx context.Context, name string, size int64, contentType string) (*Slot, error) {
	if name == "" || size < 0 {
		return nil, fmt.Errorf("upload: a slot needs a file name and a size, got %q and %d", name, size)
	}
	svc, err := m.Service(ctx)
	if err != nil {
		return nil, err
	}
	if svc.MaxFileSize > 0 && size > svc.MaxFileSize {
		return nil, &TooLargeError{Size: size, Max: svc.MaxFileSize}
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: requestName, Attrs: []xml.Attr{
		{Name: xml.Name{Local: "filename"}, Value: name},
		{Name: xml.Name{Local: "size"}, Value: strconv.FormatInt(size, 10)},
		{Name: xml.Name{Local: "content-type"}, Value: contentType},
	}}}
	iq.To = svc.JID
	reply, err := m.c.SendIQ(ctx, iq)
	if err != nil {
		var serr *stanza.Error
		if errors.As(err, &serr) {
			if max, ok := tooLarge(serr); ok {
				return nil, &TooLargeError{Size: size, Max: max, Reply: serr}
			}
		}
		return nil, fmt.Errorf("upload: slot from %s: %w", svc.JID, err)
	}
	slot, err := parseSlot(reply.Payload)
	if err != nil {
		return nil, fmt.Errorf("upload: slot from %s: %w", svc.JID, err)
	}
	if err := m.checkScheme(slot); err != nil {
		return nil, err
	}
	return slot, nil
}

// tooLarge reports whether serr is the service's <file-too-large/>, and
// the limit it names (0 when none, or not a positive number).
func tooLarge(serr *stanza.Error) (max int64, ok bool) {
	if serr.App == nil || serr.App.Name != tooLargeName {
		return 0, false
	}
	if f := serr.App.Child(NS, maxFileSizeField); f != nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(f.InnerText()), 10, 64); err == nil && n > 0 {
			max = n
		}
	}
	return max, true
}

// checkScheme refuses a slot whose URLs are not https, unless plain http
// is allowed.
func (m *Manager) checkScheme(s *Slot) error {
	for _, u := range []*url.URL{s.Put, s.Get} {
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && m.allowHTTP.Load():
		default:
			return fmt.Errorf("%w: %s", ErrInsecureURL, origin(u))
		}
	}
	return nil
}

// parseSlot reads a slot result's payload. The URLs must be absolute
// http or https URLs with a host; headers other than the allowed ones are
// dropped, and line breaks removed from names and values.
func parseSlot(n *stanza.Node) (*Slot, error) {
	if n == nil || n.Name != slotName {
		return nil, fmt.Errorf("%w: no <slot/>", ErrMalformedSlot)
	}
	put, get := n.Child(NS, "put"), n.Child(NS, "get")
	if put == nil || get == nil {
		return nil, fmt.Errorf("%w: <put/> or <get/> missing", ErrMalformedSlot)
	}
	s := &Slot{Header: make(http.Header)}
	var err error
	if s.Put, err = slotURL(put.Attr("url")); err != nil {
		return nil, fmt.Errorf("%w: put: %w", ErrMalformedSlot, err)
	}
	if s.Get, err = slotURL(get.Attr("url")); err != nil {
		return nil, fmt.Errorf("%w: get: %w", ErrMalformedSlot, err)
	}
	for i := range put.Nodes {
		h := &put.Nodes[i]
		if h.Name != headerName {
			continue
		}
		name := http.CanonicalHeaderKey(stripBreaks(strings.TrimSpace(h.Attr("name"))))
		if !allowed(name) {
			continue
		}
		s.Header.Add(name, stripBreaks(strings.TrimSpace(h.InnerText())))
	}
	return s, nil
}

func allowed(name string) bool {
	for _, a := range allowedHeaders {
		if name == a {
			return true
		}
	}
	return false
}

// stripBreaks removes CR and LF, as XEP-0363 asks, and the other control
// characters net/http refuses in a header (a NUL would fail the PUT).
func stripBreaks(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// slotURL parses an absolute http or https URL with a host. Its errors
// show the URL's scheme and host at most (see origin).
func slotURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, unwrapURL(err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", origin(u))
	}
	return u, nil
}
