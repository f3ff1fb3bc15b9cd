package upload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of HTTP File Upload (XEP-0363), also the feature an
// upload service announces in service discovery.
const NS = "urn:xmpp:http:upload:0"

// maxFileSizeField is the field of the service's extended info form
// (XEP-0128) that gives its limit, in bytes.
const maxFileSizeField = "max-file-size"

// ErrNoService is returned when the account's server offers no upload
// service: neither the server nor any of its items announces NS.
var ErrNoService = errors.New("upload: the server offers no HTTP upload service")

// Service is an upload service, as discovered: its address and the
// largest file it takes. The zero value is no service.
type Service struct {
	// JID is the service's address (upload.example.com, or the server
	// itself).
	JID jid.JID
	// MaxFileSize is the largest file the service takes, in bytes, as its
	// service discovery form says; 0 when it names no limit (the service
	// may still refuse a slot for a file it finds too large).
	MaxFileSize int64
}

// Manager uploads files over HTTP on one connection (Smack's
// HttpFileUploadManager). For returns the one a connection has; its zero
// value is not usable. All methods are safe for concurrent use.
type Manager struct {
	c *xmpp.Conn

	allowHTTP atomic.Bool

	mu      sync.Mutex
	service *found        // what discovery found this session, nil before
	asking  chan struct{} // closed when the discovery under way ends; nil when none is
	gen     uint64        // bumped at each new session: older answers are dropped
	client  *http.Client  // made at the first upload (httpClient)

	closeOnce sync.Once
	detach    func()
}

// found is the answer of a discovery: a service, or none (err
// ErrNoService).
type found struct {
	svc Service
	err error
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's HttpFileUploadManager.getInstanceFor), connected or not. It
// stays attached across streams until Close; For after Close attaches a
// new one. For is safe for concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c}
	m.detach = c.OnState(m.state)
	return m
}

// Close detaches the Manager from its connection and forgets the service
// it found; uploads under way go on to their end. For then attaches a new
// Manager. Close is safe to call more than once, from any goroutine.
func (m *Manager) Close() {
	m.closeOnce.Do(func() {
		xmpp.Detach(m.c, m)
		m.detach()
		m.forget()
		m.mu.Lock()
		client := m.client
		m.mu.Unlock()
		if client != nil {
			client.CloseIdleConnections()
		}
	})
}

// AllowHTTP reports whether upload and download URLs that are plain http
// are accepted; false unless SetAllowHTTP(true).
func (m *Manager) AllowHTTP() bool { return m.allowHTTP.Load() }

// SetAllowHTTP lets the Manager PUT to, and hand back, URLs that are
// plain http, from the next upload. XEP-0363 requires https, and by
// default a slot with an http URL is refused (ErrInsecureURL) before
// anything is sent: over http the file and the slot's Authorization or
// Cookie header travel in the clear. Turn it on only for a service on the
// same machine or behind a trusted network.
func (m *Manager) SetAllowHTTP(allow bool) { m.allowHTTP.Store(allow) }

// state forgets the service when the session ends, so that the next one
// asks again: the server may have been reconfigured. A suspended session
// (StateDisconnected), which may be resumed, keeps it. (Forgetting at
// StateAuthenticated instead would race with a discovery made as soon as
// Connect returns, before the dispatcher delivered that state.)
func (m *Manager) state(e xmpp.StateChange) {
	if e.State == xmpp.StateClosed {
		m.forget()
	}
}

func (m *Manager) forget() {
	m.mu.Lock()
	m.service = nil
	m.gen++
	m.mu.Unlock()
}

// Service returns the upload service of the account's server (Smack's
// discoverUploadService): the server itself when its disco#info lists NS,
// else the first of its disco#items whose info does, with the limit its
// form names. It returns ErrNoService when there is none.
//
// The first call of a session asks the server and waits for the answers
// on the caller's goroutine; later calls, and calls made meanwhile, use
// that answer (ErrNoService included) until the next new session (a
// resumed one keeps it). ctx bounds the queries; when it ends, or a query
// fails other than with an error reply, nothing is kept, so a later call
// asks again. Service may be called from a listener (the queries are
// IQs, see xmpp.Conn.SendIQ).
func (m *Manager) Service(ctx context.Context) (Service, error) {
	for {
		m.mu.Lock()
		if f := m.service; f != nil {
			m.mu.Unlock()
			return f.svc, f.err
		}
		if wait := m.asking; wait != nil {
			m.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return Service{}, ctx.Err()
			}
		}
		done := make(chan struct{})
		m.asking = done
		gen := m.gen
		m.mu.Unlock()

		f, err := m.discover(ctx)

		m.mu.Lock()
		m.asking = nil
		close(done)
		if err == nil && m.gen == gen {
			m.service = f
		}
		m.mu.Unlock()
		if err != nil {
			return Service{}, err
		}
		return f.svc, f.err
	}
}

// domain is the account's server: the bound JID's domain, or the
// configured one before login.
func (m *Manager) domain() jid.JID {
	if j := m.c.JID(); !j.IsZero() {
		return j.Domain()
	}
	return m.c.Config().JID.Domain()
}

// discover asks the server, then its items, for NS. err is what stops
// the discovery (the server unreachable, ctx); an entity that answers
// with an error reply counts as not offering the service.
func (m *Manager) discover(ctx context.Context) (*found, error) {
	d := disco.For(m.c)
	server := m.domain()
	info, err := d.Info(ctx, server, "")
	if err := definite(err); err != nil {
		return nil, fmt.Errorf("upload: discovering the service: %w", err)
	}
	if svc, ok := serviceOf(server, info); ok {
		return &found{svc: svc}, nil
	}
	items, err := d.Items(ctx, server, "")
	if err := definite(err); err != nil {
		return nil, fmt.Errorf("upload: discovering the service: %w", err)
	}
	for _, it := range items {
		if it.Node != "" || it.JID.IsZero() || it.JID == server {
			continue
		}
		info, err := d.Info(ctx, it.JID, "")
		if err := definite(err); err != nil {
			return nil, fmt.Errorf("upload: discovering the service: %w", err)
		}
		if svc, ok := serviceOf(it.JID, info); ok {
			return &found{svc: svc}, nil
		}
	}
	return &found{err: ErrNoService}, nil
}

// definite returns err unless it is an answer (an error reply, or a
// reply that cannot be read), which says that the entity offers nothing.
func definite(err error) error {
	var serr *stanza.Error
	if err == nil || errors.As(err, &serr) || errors.Is(err, disco.ErrMalformed) {
		return nil
	}
	return err
}

// serviceOf reports whether info, from entity, is that of an upload
// service, and its limit. A limit that is not a positive number of bytes
// counts as none.
func serviceOf(entity jid.JID, info *disco.Info) (Service, bool) {
	if info == nil || !info.HasFeature(NS) {
		return Service{}, false
	}
	svc := Service{JID: entity}
	if f := info.Form(NS); f != nil {
		if n, err := strconv.ParseInt(f.Value(maxFileSizeField), 10, 64); err == nil && n > 0 {
			svc.MaxFileSize = n
		}
	}
	return svc, true
}
