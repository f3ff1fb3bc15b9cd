package xmpptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gosmack/gosmack/internal/xmlstream"
)

// TB is the part of testing.TB that Replay and Script use.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// ReplayTimeout is how long Replay waits for each element the other side
// should send.
const ReplayTimeout = 10 * time.Second

// Script starts a scripted server that plays the server side of tr and
// returns the client's end of an in-memory connection to it (see Pipe).
// Give that connection to the code under test. Each element the client
// sends is checked against the transcript; a mismatch fails tb with a
// readable diff and closes the connection. When the test ends, the
// connection is closed and a transcript not played to its end fails tb.
func Script(tb TB, tr *Transcript) net.Conn {
	tb.Helper()
	return ScriptTLS(tb, tr, nil)
}

// ScriptTLS is Script for a transcript in which the client starts TLS
// (RFC 6120 section 5): right after the server's <proceed/>, the scripted
// server does a TLS handshake with cfg and plays the rest of the
// transcript over TLS, as a real server would. TLSConfigs makes a cfg and
// a client configuration that trusts it. With a nil cfg it is Script.
func ScriptTLS(tb TB, tr *Transcript, cfg *tls.Config) net.Conn {
	tb.Helper()
	conn, _ := script(tb, tr, cfg)
	return conn
}

// script is ScriptTLS, also returning a channel closed when the script
// has ended.
func script(tb TB, tr *Transcript, cfg *tls.Config) (net.Conn, <-chan struct{}) {
	tb.Helper()
	client, server := Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		_ = replay(tb, tr, Server, server, cfg)
	}()
	tb.Cleanup(func() {
		client.Close()
		<-done
	})
	return client, done
}

// Replay plays side of tr over conn: it sends that side's steps and checks
// that the other side sends what the transcript says, in order. Attribute
// order, namespace prefixes and white space between elements do not
// matter.
//
// Placeholders stand for generated values. In the other side's steps, an
// attribute value or a text that is exactly {{name}} matches anything and
// captures it; a later {{name}} must then be equal; {{*}} matches anything
// without capturing. In side's own steps, {{name}} is replaced by the
// captured value before sending, so a reply can carry the id of the request
// it answers.
//
// The first mismatch is reported with tb.Errorf and returned; Replay then
// stops. Replay returns nil when the transcript ends.
func Replay(tb TB, tr *Transcript, side Side, conn net.Conn) error {
	return replay(tb, tr, side, conn, nil)
}

// replay is Replay with the TLS configuration for <proceed/>, if any.
func replay(tb TB, tr *Transcript, side Side, conn net.Conn, tlsConfig *tls.Config) error {
	peer := Client
	if side == Client {
		peer = Server
	}
	expStream := tr.Stream(peer)
	p := &player{
		tb: tb, tr: tr, side: side, peer: peer, conn: conn,
		exp:  xmlstream.NewReader(strings.NewReader(expStream), xmlstream.Limits{}),
		act:  xmlstream.NewReader(conn, xmlstream.Limits{}),
		text: expStream,
		vars: map[string]string{},
		tls:  tlsConfig,
	}
	err := p.play()
	if err != nil {
		tb.Errorf("%v", err)
	}
	return err
}

type player struct {
	tb         TB
	tr         *Transcript
	side, peer Side
	conn       net.Conn
	exp, act   *xmlstream.Reader
	text       string // the peer's expected stream
	vars       map[string]string
	tls        *tls.Config // for STARTTLS; nil: none
}

func (p *player) play() error {
	var offset int64 // where the current peer step starts in p.text
	for _, step := range p.tr.Steps {
		if step.From == p.side {
			out, err := p.substitute(step.XML)
			if err != nil {
				return p.fail(step, "%v", err)
			}
			if _, err := p.conn.Write([]byte(out)); err != nil {
				return p.fail(step, "sending: %v", err)
			}
		} else {
			end := offset + int64(len(step.XML))
			for p.exp.Offset() < end {
				if err := p.expectOne(step); err != nil {
					return err
				}
			}
			offset = end + 1 // the newline Stream puts between steps
		}
		if p.tls != nil && step.From == Server && proceed.MatchString(step.XML) {
			if err := p.startTLS(); err != nil {
				return p.fail(step, "TLS handshake after <proceed/>: %v", err)
			}
		}
	}
	return nil
}

// proceed finds the server's answer to STARTTLS in a step.
var proceed = regexp.MustCompile(`<proceed\s[^>]*xmlns=["']urn:ietf:params:xml:ns:xmpp-tls["']`)

// startTLS does the handshake on p.conn, as the server or as the client,
// and reads the peer's side anew over TLS.
func (p *player) startTLS() error {
	var tc *tls.Conn
	if p.side == Server {
		tc = tls.Server(p.conn, p.tls)
	} else {
		tc = tls.Client(p.conn, p.tls)
	}
	if err := tc.SetDeadline(time.Now().Add(ReplayTimeout)); err != nil {
		return err
	}
	if err := tc.Handshake(); err != nil {
		return err
	}
	p.conn = tc
	p.act = xmlstream.NewReader(tc, xmlstream.Limits{})
	return nil
}

var streamHeader = regexp.MustCompile(`^(<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*:)?stream[\s>]`)

// expectOne checks the next item of step: a stream header, an element or
// the stream's end.
func (p *player) expectOne(step Step) error {
	rest := strings.TrimLeft(p.text[p.exp.Offset():], " \t\r\n")
	if err := p.conn.SetReadDeadline(time.Now().Add(ReplayTimeout)); err != nil {
		return p.fail(step, "%v", err)
	}
	switch {
	case streamHeader.MatchString(rest):
		want, err := p.exp.Header()
		if err != nil {
			return p.fail(step, "the transcript's stream header does not parse: %v", err)
		}
		got, err := p.act.Header()
		if err != nil {
			return p.fail(step, "expected a stream header from the %s, got %v", p.peer, err)
		}
		if diff := p.matchAttrs(want.Attrs, got.Attrs); diff != "" {
			return p.fail(step, "the %s's stream header differs: %s", p.peer, diff)
		}
	case strings.HasPrefix(rest, "</"):
		if _, err := p.exp.Next(); !errors.Is(err, xmlstream.ErrStreamEnd) {
			return p.fail(step, "the transcript's stream end does not parse: %v", err)
		}
		el, err := p.act.Next()
		if !errors.Is(err, xmlstream.ErrStreamEnd) {
			if err == nil {
				return p.fail(step, "expected the %s to close the stream, got:\n%s", p.peer, pretty(el))
			}
			return p.fail(step, "expected the %s to close the stream, got %v", p.peer, err)
		}
	default:
		want, err := p.exp.Next()
		if err != nil {
			return p.fail(step, "the transcript's element does not parse: %v", err)
		}
		wantPretty := pretty(want)
		wantToks := significant(want)
		got, err := p.act.Next()
		if err != nil {
			return p.fail(step, "expected from the %s:\n%s\ngot %v", p.peer, wantPretty, err)
		}
		if diff := p.matchElement(want, wantToks, got); diff != "" {
			return p.fail(step, "the %s sent something else (%s):\n--- transcript\n%s\n+++ %s\n%s", p.peer, diff, wantPretty, p.peer, pretty(got))
		}
	}
	return nil
}

func (p *player) fail(step Step, format string, args ...any) error {
	return fmt.Errorf("xmpptest: %s:%d: %s", p.tr.Name, step.Line, fmt.Sprintf(format, args...))
}

// significant returns the element's tokens without white-space-only text.
func significant(el *xmlstream.Element) []xmlstream.Token {
	var toks []xmlstream.Token
	for _, t := range el.Tokens {
		if t.Kind == xmlstream.Text && strings.TrimSpace(t.Text) == "" {
			continue
		}
		toks = append(toks, t)
	}
	return toks
}

// matchElement compares want (from the transcript) with got, returning ""
// when they match or a short reason.
func (p *player) matchElement(wantEl *xmlstream.Element, want []xmlstream.Token, gotEl *xmlstream.Element) string {
	got := significant(gotEl)
	for i := range max(len(want), len(got)) {
		if i >= len(want) || i >= len(got) {
			return "a different number of elements or texts"
		}
		w, g := &want[i], &got[i]
		if w.Kind != g.Kind || w.Name != g.Name {
			return fmt.Sprintf("<%s> where <%s> was expected", describe(g), describe(w))
		}
		switch w.Kind {
		case xmlstream.StartElement:
			if diff := p.matchAttrs(wantEl.TokenAttrs(w), gotEl.TokenAttrs(g)); diff != "" {
				return "in <" + w.Name.Local + ">: " + diff
			}
		case xmlstream.Text:
			if !p.matchValue(strings.TrimSpace(w.Text), strings.TrimSpace(g.Text)) {
				return fmt.Sprintf("text %q where %q was expected", g.Text, w.Text)
			}
		}
	}
	return ""
}

func describe(t *xmlstream.Token) string {
	switch t.Kind {
	case xmlstream.StartElement:
		return t.Name.Local
	case xmlstream.EndElement:
		return "/" + t.Name.Local
	}
	return "text"
}

func (p *player) matchAttrs(want, got []xmlstream.Attr) string {
	for _, w := range want {
		i := slices.IndexFunc(got, func(g xmlstream.Attr) bool { return g.Name == w.Name })
		if i < 0 {
			return fmt.Sprintf("attribute %s missing", w.Name.Local)
		}
		if !p.matchValue(w.Value, got[i].Value) {
			return fmt.Sprintf("attribute %s=%q where %q was expected", w.Name.Local, got[i].Value, w.Value)
		}
	}
	for _, g := range got {
		if !slices.ContainsFunc(want, func(w xmlstream.Attr) bool { return w.Name == g.Name }) {
			return fmt.Sprintf("unexpected attribute %s=%q", g.Name.Local, g.Value)
		}
	}
	return ""
}

var placeholder = regexp.MustCompile(`^\{\{([\w*.-]+)\}\}$`)

// matchValue compares a transcript value with a received one, handling
// placeholders.
func (p *player) matchValue(want, got string) bool {
	m := placeholder.FindStringSubmatch(want)
	if m == nil {
		return want == got
	}
	name := m[1]
	if name == "*" {
		return true
	}
	if v, ok := p.vars[name]; ok {
		return v == got
	}
	p.vars[name] = got
	return true
}

var placeholderUse = regexp.MustCompile(`\{\{([\w.-]+)\}\}`)

// substitute replaces the placeholders in s with captured values, escaped
// for XML.
func (p *player) substitute(s string) (string, error) {
	var missing string
	out := placeholderUse.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-2]
		v, ok := p.vars[name]
		if !ok {
			missing = name
			return m
		}
		b, err := xmlstream.AppendAttr(nil, v)
		if err != nil {
			missing = name
			return m
		}
		return strings.ReplaceAll(string(b), `"`, "&quot;")
	})
	if missing != "" {
		return "", fmt.Errorf("placeholder {{%s}} has no captured value", missing)
	}
	return out, nil
}

// pretty writes an element one tag or text per line, with sorted
// attributes and resolved namespaces, for diffs.
func pretty(el *xmlstream.Element) string {
	var b strings.Builder
	depth := 0
	for _, t := range significant(el) {
		switch t.Kind {
		case xmlstream.StartElement:
			b.WriteString(strings.Repeat("  ", depth))
			fmt.Fprintf(&b, "<%s xmlns='%s'", t.Name.Local, t.Name.Space)
			attrs := slices.Clone(el.TokenAttrs(&t))
			slices.SortFunc(attrs, func(x, y xmlstream.Attr) int {
				return strings.Compare(x.Name.Space+" "+x.Name.Local, y.Name.Space+" "+y.Name.Local)
			})
			for _, a := range attrs {
				fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
			}
			b.WriteString(">\n")
			depth++
		case xmlstream.EndElement:
			depth--
			fmt.Fprintf(&b, "%s</%s>\n", strings.Repeat("  ", depth), t.Name.Local)
		case xmlstream.Text:
			fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), strings.TrimSpace(t.Text))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
