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
	"strconv"
	"strings"
)

// ErrNoWebSocket is returned by LookupWebSocket when the domain's
// host-meta documents name no WebSocket endpoint the configuration may
// use.
var ErrNoWebSocket = errors.New("xmpp: the domain names no WebSocket endpoint (XEP-0156)")

// relWebSocket is XEP-0156's link relation for a WebSocket endpoint.
const relWebSocket = "urn:xmpp:alt-connections:websocket"

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
	var errs []error
	for _, doc := range []struct {
		path  string
		parse func([]byte) ([]string, error)
	}{
		{"/.well-known/host-meta", parseXRD},
		{"/.well-known/host-meta.json", parseJRD},
	} {
		body, err := cfg.fetch(ctx, doc.path)
		if err == nil {
			var links []string
			if links, err = doc.parse(body); err == nil {
				for _, l := range links {
					scheme, _, _ := strings.Cut(l, "://")
					if strings.EqualFold(scheme, "wss") || (strings.EqualFold(scheme, "ws") && cfg.Security != TLSRequired) {
						return l, nil
					}
				}
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", doc.path, err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 2 {
		return "", fmt.Errorf("xmpp: looking up the WebSocket endpoint of %s: %w", cfg.JID.Domainpart(), errors.Join(errs...))
	}
	return "", ErrNoWebSocket
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

// parseXRD returns the hrefs of the WebSocket links of an XRD document
// (RFC 6415), in order.
func parseXRD(b []byte) ([]string, error) {
	var doc struct {
		XMLName xml.Name       `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Links   []hostMetaLink `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 Link"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not an XRD document: %w", err)
	}
	return webSocketLinks(doc.Links), nil
}

// parseJRD returns the hrefs of the WebSocket links of a JSON host-meta
// document (RFC 6415 appendix A), in order.
func parseJRD(b []byte) ([]string, error) {
	var doc struct {
		Links []hostMetaLink `json:"links"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON host-meta document: %w", err)
	}
	return webSocketLinks(doc.Links), nil
}

// webSocketLinks returns the hrefs of the WebSocket links, in order.
func webSocketLinks(links []hostMetaLink) []string {
	var out []string
	for _, l := range links {
		if l.Rel == relWebSocket && l.Href != "" {
			out = append(out, l.Href)
		}
	}
	return out
}
