package xmpp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoWebSocket is returned by LookupWebSocket when the domain's
// host-meta documents name no WebSocket endpoint the configuration may
// use.
var ErrNoWebSocket = errors.New("xmpp: the domain names no WebSocket endpoint (XEP-0156)")

// ErrNoBOSH is returned by LookupBOSH when the domain's host-meta
// documents name no BOSH endpoint the configuration may use.
var ErrNoBOSH = errors.New("xmpp: the domain names no BOSH endpoint (XEP-0156)")

// XEP-0156's link relations for a WebSocket and a BOSH endpoint.
const (
	relWebSocket = "urn:xmpp:alt-connections:websocket"
	relBOSH      = "urn:xmpp:alt-connections:xbosh"
)

// maxHostMeta bounds a host-meta document.
const maxHostMeta = 64 << 10

// LookupWebSocket finds the WebSocket endpoint of cfg.JID's domain
// (XEP-0156): it fetches https://DOMAIN/.well-known/host-meta (XRD) and,
// when that names none, host-meta.json, and returns the first link of
// relation urn:xmpp:alt-connections:websocket that is a wss:// URL, or a
// ws:// one where cfg.Security allows plaintext. Put it in Config.Addr
// to connect there.
//
// The documents come over HTTPS, with the certificate verified for the
// domain as the stream's is (cfg.TLS, cfg.Dialer and cfg.Resolver apply),
// since they say where the password will go. Redirections are not
// followed. It fails with ErrNoWebSocket when neither document names an
// endpoint, or with why neither could be read. ctx bounds the whole
// lookup. It is safe to call from any goroutine.
func LookupWebSocket(ctx context.Context, cfg Config) (string, error) {
	return cfg.lookupLink(ctx, relWebSocket, "wss", "ws", "WebSocket", ErrNoWebSocket)
}

// LookupBOSH finds the BOSH endpoint of cfg.JID's domain (XEP-0156) as
// LookupWebSocket finds the WebSocket one, from the same documents: the
// first link of relation urn:xmpp:alt-connections:xbosh that is an
// https:// URL, or an http:// one where cfg.Security allows plaintext.
// Put it in Config.Addr to connect there. It fails with ErrNoBOSH when
// neither document names an endpoint, or with why neither could be
// read. ctx bounds the whole lookup. It is safe to call from any
// goroutine.
func LookupBOSH(ctx context.Context, cfg Config) (string, error) {
	return cfg.lookupLink(ctx, relBOSH, "https", "http", "BOSH", ErrNoBOSH)
}

// lookupLink returns the first link of relation rel in the domain's
// host-meta documents whose scheme is secure, or plain where Security
// allows it; none when there is no such link.
func (c *Config) lookupLink(ctx context.Context, rel, secure, plain, what string, none error) (string, error) {
	links, err := c.hostMetaLinks(ctx, func(l hostMetaLink) bool { return c.usableLink(l, rel, secure, plain) })
	if err != nil {
		return "", fmt.Errorf("xmpp: looking up the %s endpoint of %s: %w", what, c.JID.Domainpart(), err)
	}
	if len(links) == 0 {
		return "", none
	}
	return links[0].Href, nil
}

// usableLink reports whether l is of relation rel and its scheme is
// secure, or plain where Security allows it.
func (c *Config) usableLink(l hostMetaLink, rel, secure, plain string) bool {
	scheme, _, _ := strings.Cut(l.Href, "://")
	return l.Rel == rel && (strings.EqualFold(scheme, secure) || (strings.EqualFold(scheme, plain) && c.Security != TLSRequired))
}

// hostMetaLinks returns the links that want keeps of the first of the
// domain's host-meta documents (XRD, then JSON) that has any, in the
// document's order; none when neither has one, and an error only when
// neither document could be read.
func (c *Config) hostMetaLinks(ctx context.Context, want func(hostMetaLink) bool) ([]hostMetaLink, error) {
	var errs []error
	timedOut := false
	for _, doc := range []struct {
		path  string
		parse func([]byte) ([]hostMetaLink, error)
	}{
		{"/.well-known/host-meta", parseXRD},
		{"/.well-known/host-meta.json", parseJRD},
	} {
		body, err := c.fetch(ctx, doc.path)
		if err == nil {
			var links []hostMetaLink
			if links, err = doc.parse(body); err == nil {
				var kept []hostMetaLink
				for _, l := range links {
					if want(l) {
						kept = append(kept, l)
					}
				}
				if len(kept) > 0 {
					return kept, nil
				}
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", doc.path, err))
		var ne net.Error
		if ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
			timedOut = true // the read's deadline, ctx's, may come first
			break
		}
	}
	if len(errs) == 2 || timedOut {
		return nil, errors.Join(errs...)
	}
	return nil, nil
}

// hostMetaTimeout bounds Config.Discover's look-up of host-meta, so that
// a web server that does not answer leaves time for TCP.
const hostMetaTimeout = 5 * time.Second

// discovered returns the targets that Config.Discover takes from the
// domain's host-meta: secure, its wss:// WebSocket endpoints then its
// https:// BOSH ones, to try before TCP; plain, its ws:// and http://
// ones where Security allows plaintext, to try after TCP (which can
// still encrypt with STARTTLS). A failed look-up gives none.
func (c *Config) discovered(ctx context.Context) (secure, plain []target) {
	ctx, cancel := context.WithTimeout(ctx, hostMetaTimeout)
	defer cancel()
	ws := func(l hostMetaLink) bool { return c.usableLink(l, relWebSocket, "wss", "ws") }
	bosh := func(l hostMetaLink) bool { return c.usableLink(l, relBOSH, "https", "http") }
	links, err := c.hostMetaLinks(ctx, func(l hostMetaLink) bool { return ws(l) || bosh(l) })
	if err != nil {
		c.logDebug("no connection methods from host-meta", "error", err)
		return nil, nil
	}
	// WebSocket endpoints before BOSH ones, in the document's order.
	slices.SortStableFunc(links, func(a, b hostMetaLink) int {
		if ws(a) == ws(b) {
			return 0
		}
		if ws(a) {
			return -1
		}
		return 1
	})
	for _, l := range links {
		t := target{addr: l.Href, webSocket: ws(l), bosh: !ws(l)}
		if scheme, _, _ := strings.Cut(l.Href, "://"); strings.EqualFold(scheme, "wss") || strings.EqualFold(scheme, "https") {
			secure = append(secure, t)
		} else {
			plain = append(plain, t)
		}
	}
	return secure, plain
}

// fetch gets https://DOMAIN/path and returns the body of a 200 answer.
// It speaks HTTP/1.0, so that the body comes whole, never chunked, and
// the server closes the connection after it.
func (c *Config) fetch(ctx context.Context, path string) ([]byte, error) {
	host := c.JID.Domainpart()
	d := c.Dialer
	if d == nil {
		d = &net.Dialer{Resolver: c.Resolver}
	}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, "443"))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	stop := watch(ctx, raw)
	defer stop()
	tc := c.tlsConfig(false)
	tc.NextProtos = []string{"http/1.1"}
	conn := tls.Client(raw, tc)
	if err := conn.HandshakeContext(ctx); err != nil {
		return nil, ctxErr(ctx, err)
	}
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.0\r\nHost: "+host+"\r\nAccept: application/xrd+xml, application/json\r\nConnection: close\r\n\r\n"); err != nil {
		return nil, ctxErr(ctx, err)
	}
	br := bufio.NewReader(io.LimitReader(conn, 2*maxHostMeta))
	tp := textproto.NewReader(br)
	status, err := tp.ReadLine()
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	if _, code, _ := strings.Cut(status, " "); !strings.HasPrefix(code, "200") {
		return nil, fmt.Errorf("the server answered %q", status)
	}
	if te := h.Get("Transfer-Encoding"); te != "" && !strings.EqualFold(te, "identity") {
		return nil, fmt.Errorf("an answer in %s encoding to an HTTP/1.0 request", te)
	}
	limit := int64(maxHostMeta)
	if cl := h.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 || n > maxHostMeta {
			return nil, fmt.Errorf("a document of %q bytes (at most %d)", cl, maxHostMeta)
		}
		limit = n
	}
	body, err := io.ReadAll(io.LimitReader(br, limit+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, ctxErr(ctx, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("a document over %d bytes", limit)
	}
	return body, nil
}

// hostMetaLink is a link of a host-meta document, in either form.
type hostMetaLink struct {
	Rel  string `xml:"rel,attr" json:"rel"`
	Href string `xml:"href,attr" json:"href"`
}

// parseXRD returns the links of an XRD document (RFC 6415), in order.
func parseXRD(b []byte) ([]hostMetaLink, error) {
	var doc struct {
		XMLName xml.Name       `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Links   []hostMetaLink `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 Link"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not an XRD document: %w", err)
	}
	return doc.Links, nil
}

// parseJRD returns the links of a JSON host-meta document (RFC 6415
// appendix A), in order.
func parseJRD(b []byte) ([]hostMetaLink, error) {
	var doc struct {
		Links []hostMetaLink `json:"links"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON host-meta document: %w", err)
	}
	return doc.Links, nil
}
