package version

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/gosmack/gosmack/internal/iqquery"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Software Version (XEP-0092), also the feature a
// Manager announces.
const NS = "jabber:iq:version"

// DefaultName is the software name a Manager answers with until SetName.
const DefaultName = "gosmack"

// module is gosmack's module path, looked up in the build information
// for the default version.
const module = "github.com/gosmack/gosmack"

// queryName is the payload of requests and results.
var queryName = xml.Name{Space: NS, Local: "query"}

// ErrMalformed is wrapped by the error Query returns for a result that is
// not a software version: no <query xmlns='jabber:iq:version'/>, or one
// without its <name/> or <version/>.
var ErrMalformed = errors.New("version: malformed answer")

// Info is an entity's software version (Smack's Version). The zero Info
// says nothing.
type Info struct {
	// Name is the software's name, as "Prosody".
	Name string
	// Version is its version, as "0.12.3".
	Version string
	// OS is the operating system, "" when the entity did not say
	// (XEP-0092 makes it optional).
	OS string
}

// Manager answers software version requests on one connection and asks
// other entities theirs (Smack's VersionManager). For returns the one a
// connection has; its zero value is not usable. All methods are safe for
// concurrent use.
type Manager struct {
	c *xmpp.Conn

	mu      sync.Mutex
	name    string
	version string
	os      string

	close func() // from iqquery.Serve
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's VersionManager.getInstanceFor), connected or not. From then on
// c answers software version requests addressed to it with Name and
// Version (by default DefaultName and gosmack's module version), and no
// operating system unless SetOS gives one, and announces NS for service
// discovery. It stays attached across streams until Close; For after
// Close attaches a new one.
//
// For panics when c has a handler for version requests registered by
// other means (xmpp.Conn.HandleIQ). It is safe for concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, name: DefaultName, version: moduleVersion()}
	m.close = iqquery.Serve(c, m, queryName, NS, m.answer)
	return m
}

// moduleVersion is gosmack's version as the build information has it,
// "devel" when it has none (a build inside gosmack's own module).
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if bi.Main.Path != module {
		v = ""
		for _, d := range bi.Deps {
			if d.Path == module {
				v = d.Version
				if d.Replace != nil && d.Replace.Version != "" {
					v = d.Replace.Version
				}
			}
		}
	}
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}

// SetName sets the software name that answers carry, from the next
// request on. An empty name, or an empty version, makes the Manager
// answer service-unavailable, as a client that does not tell (XEP-0092
// requires both).
func (m *Manager) SetName(name string) {
	m.mu.Lock()
	m.name = name
	m.mu.Unlock()
}

// Name returns the software name that answers carry.
func (m *Manager) Name() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.name
}

// SetVersion sets the software version that answers carry, from the next
// request on (see SetName for an empty one).
func (m *Manager) SetVersion(v string) {
	m.mu.Lock()
	m.version = v
	m.mu.Unlock()
}

// Version returns the software version that answers carry.
func (m *Manager) Version() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

// SetOS sets the operating system that answers carry, from the next
// request on; "", the default, leaves it out (it tells an attacker what
// to aim at: XEP-0092 section 5).
func (m *Manager) SetOS(os string) {
	m.mu.Lock()
	m.os = os
	m.mu.Unlock()
}

// OS returns the operating system that answers carry, "" for none.
func (m *Manager) OS() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.os
}

// Close detaches the Manager from its connection: version requests are
// answered service-unavailable, as any request nobody handles, and the
// feature is withdrawn. It does not close the connection. For then
// attaches a new Manager, with the default settings. Close is safe to
// call more than once, from any goroutine. Query still works after Close:
// it only asks.
func (m *Manager) Close() {
	m.close()
}

// answer is the answer to a request addressed to this client: the name
// and version, and the OS when set; nil (service-unavailable) when the
// name or the version is empty.
func (m *Manager) answer() *stanza.Node {
	m.mu.Lock()
	info := Info{Name: m.name, Version: m.version, OS: m.os}
	m.mu.Unlock()
	if info.Name == "" || info.Version == "" {
		return nil
	}
	q := &stanza.Node{Name: queryName}
	q.Nodes = append(q.Nodes, textNode("name", info.Name), textNode("version", info.Version))
	if info.OS != "" {
		q.Nodes = append(q.Nodes, textNode("os", info.OS))
	}
	return q
}

func textNode(local, text string) stanza.Node {
	return stanza.Node{Name: xml.Name{Space: NS, Local: local}, Nodes: []stanza.Node{{Text: text}}}
}

// Query asks to (a contact's full JID, a server or a component; the zero
// JID asks the account's server, its domain) for its software version. An error
// reply is returned as an error wrapping its *stanza.Error (a client
// that does not tell answers service-unavailable); a result that is not a
// version matches ErrMalformed.
//
// Only a reply from to (or, for the account's server and bare JID, from
// the server) counts, as for xmpp.Conn.SendIQ. Query waits for the reply
// on the caller's goroutine: ctx bounds the whole call, and when it ends
// Query returns ctx.Err() and a late reply is dropped; when the session
// ends first the error matches xmpp.ErrNotConnected. It may be called
// from a listener or IQ handler, and concurrently.
func (m *Manager) Query(ctx context.Context, to jid.JID) (Info, error) {
	return iqquery.Get(ctx, m.c, "version", to, queryName, parse)
}

// parse reads a result's payload.
func parse(q *stanza.Node) (Info, error) {
	if q == nil || q.Name != queryName {
		return Info{}, fmt.Errorf("%w: no query", ErrMalformed)
	}
	name, version, os := q.Child(NS, "name"), q.Child(NS, "version"), q.Child(NS, "os")
	if name == nil || version == nil {
		return Info{}, fmt.Errorf("%w: no name or no version", ErrMalformed)
	}
	info := Info{Name: strings.TrimSpace(name.InnerText()), Version: strings.TrimSpace(version.InnerText())}
	if os != nil {
		info.OS = strings.TrimSpace(os.InnerText())
	}
	return info, nil
}
