package lastactivity

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

// NS is the namespace of Last Activity (XEP-0012), also the feature a
// Manager announces.
const NS = "jabber:iq:last"

// queryName is the payload of requests and results.
var queryName = xml.Name{Space: NS, Local: "query"}

// ErrMalformed is wrapped by the error Query returns for a result that is
// not a last activity: no <query xmlns='jabber:iq:last'/>, or a seconds
// attribute that is missing or not a whole number of seconds.
var ErrMalformed = errors.New("lastactivity: malformed answer")

// Activity is what an entity answered (Smack's LastActivity). What Idle
// measures depends on whom was asked (XEP-0012): a contact's full JID,
// how long its user has been idle; a contact's bare JID, how long ago it
// went offline (0 while it is online); a server or component, how long
// it has been running. The zero Activity is an entity active now that
// said nothing.
type Activity struct {
	// Idle is the number of seconds the entity answered, as a duration.
	Idle time.Duration
	// Status is the text of the query, "" when empty: for a bare JID,
	// the status of the contact's last unavailable presence.
	Status string
}

// Manager answers last activity requests on one connection with the idle
// time the user gives it, and asks other entities theirs (Smack's
// LastActivityManager). For returns the one a connection has; its zero
// value is not usable. All methods are safe for concurrent use.
type Manager struct {
	c *xmpp.Conn

	mu         sync.Mutex
	lastActive time.Time

	close func() // from iqquery.Serve
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's LastActivityManager.getInstanceFor), connected or not. From
// then on c answers last activity requests addressed to it with the time
// since SetLastActive, or service-unavailable while none is set, as
// XEP-0012 section 4 says of a client that does not tell; and announces
// NS for service discovery. It stays attached across streams until
// Close; For after Close attaches a new one.
//
// For panics when c has a handler for last activity requests registered
// by other means (xmpp.Conn.HandleIQ). It is safe for concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c}
	m.close = iqquery.Serve(c, m, queryName, NS, m.answer)
	return m
}

// SetLastActive records when the user last interacted with the
// application (typed, clicked, sent something): requests are answered,
// from the next one on, with the whole seconds since t (0 for a t in the
// future). The zero t, the default, makes the Manager answer
// service-unavailable: it does not know, or the user does not want to
// tell. Call it as the user acts; it costs a lock.
func (m *Manager) SetLastActive(t time.Time) {
	m.mu.Lock()
	m.lastActive = t
	m.mu.Unlock()
}

// LastActive returns the time SetLastActive recorded, zero for none.
func (m *Manager) LastActive() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastActive
}

// Close detaches the Manager from its connection: last activity requests
// are answered service-unavailable, as any request nobody handles, and
// the feature is withdrawn. It does not close the connection. For then
// attaches a new Manager, with no last activity. Close is safe to call
// more than once, from any goroutine. Query still works after Close: it
// only asks.
func (m *Manager) Close() {
	m.close()
}

// answer is the answer to a request addressed to this client: the idle
// seconds, or nil (service-unavailable) when the user gave no last
// activity.
func (m *Manager) answer() *stanza.Node {
	last := m.LastActive()
	if last.IsZero() {
		return nil
	}
	n := node(Activity{Idle: max(time.Since(last), 0)})
	return &n
}

// node writes a as an answer, in whole seconds.
func node(a Activity) stanza.Node {
	n := stanza.Node{Name: queryName, Attrs: []xml.Attr{{Name: xml.Name{Local: "seconds"}, Value: strconv.FormatInt(int64(a.Idle/time.Second), 10)}}}
	if a.Status != "" {
		n.Nodes = []stanza.Node{{Text: a.Status}}
	}
	return n
}

// Query asks to for its last activity: a contact's full JID for its
// user's idle time, a contact's bare JID for the time since it went
// offline (the server answers, and only to those subscribed to the
// contact's presence: others get forbidden), the zero JID or a domain
// for a server's uptime (the zero JID asks the account's server, its
// domain). An error reply is returned as an error wrapping its
// *stanza.Error (a client that does not tell answers
// service-unavailable); a result that cannot be read matches
// ErrMalformed.
//
// Only a reply from to (or, for the account's server, from the server)
// counts, as for xmpp.Conn.SendIQ. Query waits for the reply on the
// caller's goroutine: ctx bounds the whole call, and when it ends Query
// returns ctx.Err() and a late reply is dropped; when the session ends
// first the error matches xmpp.ErrNotConnected. It may be called from a
// listener or IQ handler, and concurrently.
func (m *Manager) Query(ctx context.Context, to jid.JID) (Activity, error) {
	return iqquery.Get(ctx, m.c, "lastactivity", to, queryName, parse)
}

// maxSeconds bounds the seconds read so that they fit a time.Duration.
const maxSeconds = int64(1<<63-1) / int64(time.Second)

// parse reads a result's payload.
func parse(q *stanza.Node) (Activity, error) {
	if q == nil || q.Name != queryName {
		return Activity{}, fmt.Errorf("%w: no query", ErrMalformed)
	}
	s := q.Attr("seconds")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec < 0 || sec > maxSeconds || s[0] == '+' {
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return Activity{}, fmt.Errorf("%w: seconds=%q", ErrMalformed, s)
	}
	return Activity{Idle: time.Duration(sec) * time.Second, Status: strings.TrimSpace(q.InnerText())}, nil
}
