package xmpp

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/gosmack/gosmack/internal/xmlstream"
)

// recorder writes the streams to the debug logger and the transcript
// recorder. A nil *recorder does nothing.
type recorder struct {
	log *slog.Logger
	// mu writes one line at a time in w, and guards end. It is a leaf,
	// often taken under the write lock: the Recorder's Write runs under
	// both (see Conn.mu).
	mu  sync.Mutex
	w   io.Writer
	end string // the server's end of the stream, under mu
}

func newRecorder(cfg *Config) *recorder {
	if cfg.Logger == nil && cfg.Recorder == nil {
		return nil
	}
	return &recorder{log: cfg.Logger, w: cfg.Recorder}
}

func (r *recorder) sent(b []byte) {
	if r == nil {
		return
	}
	r.line("C: ", string(b))
}

func (r *recorder) received(el *xmlstream.Element) {
	if r == nil {
		return
	}
	r.line("S: ", el.Raw)
}

// header records the server's stream header as received, as its elements
// are: they may use the namespace prefixes it declares.
func (r *recorder) header(h *xmlstream.Header) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.end = h.End()
	r.mu.Unlock()
	r.line("S: ", h.Raw)
}

func (r *recorder) streamEnd() {
	if r == nil {
		return
	}
	r.mu.Lock()
	end := r.end
	r.mu.Unlock()
	r.line("S: ", end)
}

func (r *recorder) line(prefix, x string) {
	if r.log != nil && r.log.Enabled(context.Background(), slog.LevelDebug) {
		dir := "sent"
		if prefix == "S: " {
			dir = "received"
		}
		r.log.Debug("xmpp: "+dir, "xml", x)
	}
	if r.w == nil {
		return
	}
	x = oneLine(x)
	r.mu.Lock()
	io.WriteString(r.w, prefix+x+"\n")
	r.mu.Unlock()
}

// oneLine rewrites an element so that it fits on one transcript line and
// means the same XML: a line break in character data becomes a character
// reference, one inside a tag (white space between attributes, or in an
// attribute value, which XML normalizes to a space anyway) a space.
func oneLine(x string) string {
	if !strings.ContainsAny(x, "\r\n") {
		return x
	}
	var b strings.Builder
	inTag := false
	for i := 0; i < len(x); i++ {
		c := x[i]
		switch {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case c == '\r' || c == '\n':
			switch {
			case inTag:
				b.WriteByte(' ')
			case c == '\n':
				b.WriteString("&#xA;")
			default:
				b.WriteString("&#xD;")
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
