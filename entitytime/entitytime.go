package entitytime

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/iqquery"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Entity Time (XEP-0202), also the feature a
// Manager announces.
const NS = "urn:xmpp:time"

// timeName is the payload of requests and results.
var timeName = xml.Name{Space: NS, Local: "time"}

// ErrMalformed is wrapped by the error Query returns for a result that is
// not an entity time: no <time xmlns='urn:xmpp:time'/>, a missing <utc/>
// or <tzo/>, a <utc/> that is not an XEP-0082 date and time, or a <tzo/>
// that is not an offset of the form +hh:mm, -hh:mm or Z.
var ErrMalformed = errors.New("entitytime: malformed answer")

// Manager answers entity time requests on one connection and asks other
// entities theirs (Smack's EntityTimeManager). For returns the one a
// connection has; its zero value is not usable. All methods are safe for
// concurrent use.
type Manager struct {
	c *xmpp.Conn

	mu  sync.Mutex
	loc *time.Location

	close func() // from iqquery.Serve
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's EntityTimeManager.getInstanceFor), connected or not. From then
// on c answers entity time requests addressed to it with the current
// time and the offset of its zone (time.Local until SetLocation), and
// announces NS for service discovery. It stays attached across streams
// until Close; For after Close attaches a new one.
//
// For panics when c has a handler for entity time requests registered by
// other means (xmpp.Conn.HandleIQ). It is safe for concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, loc: time.Local}
	m.close = iqquery.Serve(c, m, timeName, NS, m.answer)
	return m
}

// SetLocation sets the zone whose offset answers carry, from the next
// request on: time.UTC hides where the user is (XEP-0202 section 7); nil
// restores the default, time.Local.
func (m *Manager) SetLocation(loc *time.Location) {
	if loc == nil {
		loc = time.Local
	}
	m.mu.Lock()
	m.loc = loc
	m.mu.Unlock()
}

// Location returns the zone whose offset answers carry.
func (m *Manager) Location() *time.Location {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loc
}

// Close detaches the Manager from its connection: entity time requests
// are answered service-unavailable, as any request nobody handles, and
// the feature is withdrawn. It does not close the connection. For then
// attaches a new Manager. Close is safe to call more than once, from any
// goroutine. Query still works after Close: it only asks.
func (m *Manager) Close() {
	m.close()
}

// answer is the answer to a request addressed to this client: the time
// now, in UTC with the zone's offset.
func (m *Manager) answer() *stanza.Node {
	n := node(time.Now().In(m.Location()))
	return &n
}

// node writes t as an answer: its offset and its instant in UTC.
func node(t time.Time) stanza.Node {
	return stanza.Node{Name: timeName, Nodes: []stanza.Node{
		{Name: xml.Name{Space: NS, Local: "tzo"}, Nodes: []stanza.Node{{Text: offset(t)}}},
		{Name: xml.Name{Space: NS, Local: "utc"}, Nodes: []stanza.Node{{Text: t.UTC().Format("2006-01-02T15:04:05.000Z")}}},
	}}
}

// offset writes t's zone offset as XEP-0082 does, +hh:mm or -hh:mm
// (seconds, which no zone has had since 1972, are dropped).
func offset(t time.Time) string {
	_, sec := t.Zone()
	return formatOffset(sec)
}

// formatOffset writes sec seconds east of UTC as +hh:mm or -hh:mm.
func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d:%02d", sign, sec/3600, sec/60%60)
}

// Query asks to (a contact's full JID, a server or a component; the zero
// JID asks the account's server, its domain) for its time. The result is
// the instant the entity gave, in a fixed zone with the offset it gave
// (Location().String() is that offset, as "+01:00"): t.UTC() is the
// instant, t.Format shows the entity's wall clock. Subtract time.Now to
// estimate the clocks' difference, which includes the reply's trip. An
// error reply is returned as an error wrapping its *stanza.Error; a
// result that cannot be read matches ErrMalformed and says what is wrong.
//
// Only a reply from to (or, for the account's server, from the server)
// counts, as for xmpp.Conn.SendIQ. Query waits for the reply on the
// caller's goroutine: ctx bounds the whole call, and when it ends Query
// returns ctx.Err() and a late reply is dropped; when the session ends
// first the error matches xmpp.ErrNotConnected. It may be called from a
// listener or IQ handler, and concurrently.
func (m *Manager) Query(ctx context.Context, to jid.JID) (time.Time, error) {
	return iqquery.Get(ctx, m.c, "entitytime", to, timeName, parse)
}

// parse reads a result's payload.
func parse(q *stanza.Node) (time.Time, error) {
	if q == nil || q.Name != timeName {
		return time.Time{}, fmt.Errorf("%w: no <time/>", ErrMalformed)
	}
	tzo, utc := q.Child(NS, "tzo"), q.Child(NS, "utc")
	if tzo == nil || utc == nil {
		return time.Time{}, fmt.Errorf("%w: <tzo/> or <utc/> missing", ErrMalformed)
	}
	off, err := parseOffset(strings.TrimSpace(tzo.InnerText()))
	if err != nil {
		return time.Time{}, err
	}
	s := strings.TrimSpace(utc.InnerText())
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !dateTime(s) {
		return time.Time{}, fmt.Errorf("%w: <utc>%s</utc> is not a date and time", ErrMalformed, clip(s))
	}
	return t.In(time.FixedZone(formatOffset(off), off)), nil
}

// dateTime reports whether s has XEP-0082's DateTime form, which
// time.Parse's RFC 3339 layout is laxer about (a lower-case t or z, a
// fraction of no digits...): CCYY-MM-DDThh:mm:ss[.sss]TZD.
func dateTime(s string) bool {
	const head = "0000-00-00T00:00:00"
	if len(s) < len(head)+1 {
		return false
	}
	for i := range len(head) {
		if (head[i] == '0') != (s[i] >= '0' && s[i] <= '9') || head[i] != '0' && s[i] != head[i] {
			return false
		}
	}
	rest := s[len(head):]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	if rest == "Z" {
		return true
	}
	_, err := parseOffset(rest)
	return err == nil
}

// parseOffset reads XEP-0082's TZD: Z, or +hh:mm or -hh:mm with hh up to
// 23 and mm up to 59; it returns seconds east of UTC.
func parseOffset(s string) (int, error) {
	if s == "Z" {
		return 0, nil
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, fmt.Errorf("%w: <tzo>%s</tzo> is not an offset", ErrMalformed, clip(s))
	}
	h, err1 := strconv.ParseUint(s[1:3], 10, 8)
	mm, err2 := strconv.ParseUint(s[4:6], 10, 8)
	if err1 != nil || err2 != nil || h > 23 || mm > 59 {
		return 0, fmt.Errorf("%w: <tzo>%s</tzo> is not an offset", ErrMalformed, clip(s))
	}
	sec := int(h)*3600 + int(mm)*60
	if s[0] == '-' {
		sec = -sec
	}
	return sec, nil
}

// clip keeps an error's quote of what a peer sent short.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
