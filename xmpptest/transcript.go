package xmpptest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Side is one end of an XMPP stream.
type Side uint8

// The two sides.
const (
	Client Side = iota + 1
	Server
)

// String returns "client" or "server" (a number for any other value).
func (s Side) String() string {
	switch s {
	case Client:
		return "client"
	case Server:
		return "server"
	}
	return fmt.Sprintf("Side(%d)", uint8(s))
}

// Step is what one side sends at one point of a transcript: a stream
// header, one or more elements, a stream end, or several of those.
type Step struct {
	// From is the side that sent the step: Client for "C:" and SENT
	// lines, Server for "S:" and RECV lines.
	From Side
	// XML is the text sent, its lines joined and trimmed; it may hold
	// {{name}} placeholders.
	XML  string
	Line int // the line of the transcript where the step starts
}

// Transcript is a recorded XMPP session, the steps in the order they
// happened.
type Transcript struct {
	// Name names the transcript in error messages: for LoadTranscript,
	// the file's path.
	Name string
	// Steps are the transcript's steps, in order.
	Steps []Step
}

// The line markers: "C:" and "S:", or Smack's debugger output
// ("SENT (0): ..." for what the client sent, "RECV (0): ..." for what it
// received), after anything (a time stamp, a logcat tag).
var (
	plainMarker = regexp.MustCompile(`^([CS]):\s?(.*)$`)
	smackMarker = regexp.MustCompile(`(?:^|\s)(SENT|RECV) \(\d+\):\s?(.*)$`)
)

// ParseTranscript reads a transcript. The format is lines:
//
//	# a comment
//	C: <stream:stream to='example.com' ...>     what the client sent
//	S: <stream:features>                        what the server sent;
//	     <bind xmlns='...'/>                    lines without a marker
//	   </stream:features>                       continue the step above
//
// It also accepts the SENT and RECV lines of Smack's debugger, so a log of
// a real Smack session can be pasted in as it is. Values in the form
// {{name}} are placeholders (see Replay).
func ParseTranscript(name string, r io.Reader) (*Transcript, error) {
	tr := &Transcript{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(text), "#") {
			continue
		}
		var from Side
		var body string
		if m := plainMarker.FindStringSubmatch(text); m != nil {
			from, body = Server, m[2]
			if m[1] == "C" {
				from = Client
			}
		} else if m := smackMarker.FindStringSubmatch(text); m != nil {
			from, body = Server, m[2]
			if m[1] == "SENT" {
				from = Client
			}
		}
		if from != 0 {
			tr.Steps = append(tr.Steps, Step{From: from, XML: body, Line: line})
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if len(tr.Steps) == 0 {
			return nil, fmt.Errorf("xmpptest: %s:%d: text before the first C:, S:, SENT or RECV line", name, line)
		}
		last := &tr.Steps[len(tr.Steps)-1]
		last.XML += "\n" + text
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("xmpptest: %s: %w", name, err)
	}
	for i := range tr.Steps {
		tr.Steps[i].XML = strings.TrimSpace(tr.Steps[i].XML)
	}
	return tr, nil
}

// LoadTranscript reads the transcript in the named file.
func LoadTranscript(path string) (*Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseTranscript(path, f)
}

// MustLoadTranscript is LoadTranscript for tests: it fails tb on error.
func MustLoadTranscript(tb TB, path string) *Transcript {
	tb.Helper()
	tr, err := LoadTranscript(path)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return tr
}

// MustParseTranscript is ParseTranscript of text for tests: it fails tb
// on error. name is what diffs and errors call the transcript.
func MustParseTranscript(tb TB, name, text string) *Transcript {
	tb.Helper()
	tr, err := ParseTranscript(name, strings.NewReader(text))
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return tr
}

// Stream returns everything side sent, in order, as one stream.
func (tr *Transcript) Stream(side Side) string {
	var b strings.Builder
	for _, s := range tr.Steps {
		if s.From == side {
			b.WriteString(s.XML)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
