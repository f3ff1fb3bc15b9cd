package avatar

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/base64text"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Namespaces of User Avatar (XEP-0084), also the names of its two PEP
// nodes, and the feature of XEP-0398's conversion.
const (
	// NSData is the node (and namespace) of the images.
	NSData = "urn:xmpp:avatar:data"
	// NSMetadata is the node (and namespace) of the metadata, whose
	// notifications tell contacts of a change.
	NSMetadata = "urn:xmpp:avatar:metadata"
	// NSConversion is the feature of an account's server that keeps
	// the vCard's photo (XEP-0153) and the avatar (XEP-0084) in step
	// (XEP-0398).
	NSConversion = "urn:xmpp:pep-vcard-conversion:0"
)

var (
	dataName     = xml.Name{Space: NSData, Local: "data"}
	metadataName = xml.Name{Space: NSMetadata, Local: "metadata"}
)

// Errors of the avatar's data.
var (
	// ErrMalformed is wrapped by the errors of metadata or data that
	// cannot be read.
	ErrMalformed = errors.New("avatar: malformed avatar")
	// ErrHashMismatch is returned by Fetch for data whose SHA-1 is not
	// the id it was asked by: the bytes are not the avatar announced.
	ErrHashMismatch = errors.New("avatar: the data does not match its id")
	// ErrNotFound is returned by Fetch when the owner's data node has no
	// item of that id.
	ErrNotFound = errors.New("avatar: no such avatar")
)

// Info describes one version of an avatar (an <info/> of the
// metadata). The zero Info describes nothing.
type Info struct {
	// ID is the hex SHA-1 of the image's bytes: the data item's id.
	ID string
	// Bytes is the image's size.
	Bytes int
	// Type is its MIME type, such as "image/png".
	Type string
	// Width and Height are its size in pixels; 0 when not given.
	Width, Height int
	// URL is where to fetch the image over HTTP instead of from the
	// data node; "" for an image published to the data node.
	URL string
}

// Change is what OnChange listeners hear: an account's avatar metadata,
// as its PEP service announced it. An empty Infos means the account
// has no avatar (it disabled it, or purged or deleted the node). A
// change of the node's configuration, a retraction, or items without
// <metadata/> are not reported.
type Change struct {
	// From is the account's bare JID: a contact's, or the user's own.
	From jid.JID
	// Infos are the versions of the new avatar, the first the one to
	// show (XEP-0084 section 4.2.1); the image is fetched with
	// Manager.Fetch(ctx, From, Infos[0].ID).
	Infos []Info
	// Event is the notification that told it.
	Event pubsub.Event
}

// Manager publishes the user's avatar and hears its contacts' through
// PEP (XEP-0084), on one connection (Smack's UserAvatarManager). For
// returns the one a connection has; its zero value is not usable. Its
// methods are safe for concurrent use and may be called from
// listeners.
type Manager struct {
	c       *xmpp.Conn
	removes listeners.Removals // the listeners' registrations on p, for Close
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's UserAvatarManager.getInstanceFor), together with pep.For
// (and so caps and pubsub). For is safe for concurrent use; after Close
// it attaches a fresh Manager.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	pep.For(c)
	return &Manager{c: c}
}

// Close detaches the Manager (For then attaches a fresh one): its
// listeners hear nothing more, and the interest in avatars they
// announced is withdrawn. Each request and registration goes through
// the pep.Manager attached at that time (pep.For): closing the
// pep.Manager (or the pubsub.Manager below it) drops the OnChange
// listeners registered through it; those registered later go through
// the fresh one. It is safe to call more than once.
func (m *Manager) Close() {
	xmpp.Detach(m.c, m)
	m.removes.Close()
}

// ID returns the avatar id of data: its hex SHA-1.
func ID(data []byte) string {
	sum := sha1.Sum(data)
	return hex.EncodeToString(sum[:])
}

// Publish makes data (an image of MIME type typ, width × height pixels;
// 0 for unknown) the user's avatar: it publishes the bytes to the data
// node under their id, then the metadata, which tells the contacts
// (XEP-0084 section 4.1), and returns the Info published. Both nodes
// take the server's default access model (presence: the contacts who
// see the user's presence).
//
// ctx bounds the two requests, which run on the caller's goroutine; the
// server's refusal is its *stanza.Error. When the metadata fails after
// the data went out, the old avatar stays the one announced.
func (m *Manager) Publish(ctx context.Context, data []byte, typ string, width, height int) (Info, error) {
	if len(data) == 0 {
		return Info{}, errors.New("avatar: no image to publish")
	}
	info := Info{ID: ID(data), Bytes: len(data), Type: typ, Width: width, Height: height}
	payload := stanza.Node{Name: dataName, Nodes: []stanza.Node{{Text: base64.StdEncoding.EncodeToString(data)}}}
	if _, err := pep.For(m.c).Publish(ctx, NSData, pubsub.Item{ID: info.ID, Payload: &payload}, pubsub.PublishOptions{}); err != nil {
		return Info{}, fmt.Errorf("avatar: publishing the image: %w", err)
	}
	if err := m.PublishMetadata(ctx, info); err != nil {
		return Info{}, err
	}
	return info, nil
}

// PublishMetadata publishes the metadata of an avatar: infos in the
// order to prefer, the first naming an image on the data node (or one
// at a URL). No infos disables the avatar: contacts are told that the
// user has none (XEP-0084 section 4.5). ctx bounds the request as for
// Publish.
func (m *Manager) PublishMetadata(ctx context.Context, infos ...Info) error {
	payload := metadata(infos)
	id := "current"
	if len(infos) > 0 {
		id = infos[0].ID
	}
	if _, err := pep.For(m.c).Publish(ctx, NSMetadata, pubsub.Item{ID: id, Payload: &payload}, pubsub.PublishOptions{}); err != nil {
		return fmt.Errorf("avatar: publishing the metadata: %w", err)
	}
	return nil
}

// Disable tells the contacts that the user has no avatar (empty
// metadata, XEP-0084 section 4.5). ctx bounds the request as for
// Publish.
func (m *Manager) Disable(ctx context.Context) error { return m.PublishMetadata(ctx) }

// Metadata asks for the avatar metadata owner (a bare JID; the zero
// JID: the user's own) last published: nil when it has none (no node,
// no item, or disabled). ctx bounds the request, on the caller's
// goroutine; the reply is taken only from owner's account.
func (m *Manager) Metadata(ctx context.Context, owner jid.JID) ([]Info, error) {
	page, err := pep.For(m.c).Node(owner, NSMetadata).Items(ctx, pubsub.ItemsQuery{Last: 1})
	if errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("avatar: metadata: %w", err)
	}
	if len(page.Items) == 0 {
		return nil, nil
	}
	return ParseMetadata(page.Items[len(page.Items)-1].Payload)
}

// Fetch returns the image of owner's avatar id (a bare JID; the zero JID:
// the user's own), fetched from owner's data node, after checking that
// its SHA-1 is id: bytes that are not the avatar announced are refused
// with ErrHashMismatch. An id the node does not hold is ErrNotFound.
// ctx bounds the request as for Metadata.
func (m *Manager) Fetch(ctx context.Context, owner jid.JID, id string) ([]byte, error) {
	page, err := pep.For(m.c).Node(owner, NSData).Items(ctx, pubsub.ItemsQuery{IDs: []string{id}})
	if errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("avatar: fetching %s: %w", id, err)
	}
	for _, it := range page.Items {
		if it.ID != id {
			continue
		}
		data, err := parseData(it.Payload)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(ID(data), id) {
			return nil, ErrHashMismatch
		}
		return data, nil
	}
	return nil, ErrNotFound
}

// Converts reports whether the user's server keeps the vCard photo
// (XEP-0153) and the avatar (XEP-0084) in step (XEP-0398): then
// publishing one updates the other. ctx bounds the service discovery
// query, which disco caches. Without a session (the account's JID is
// not known yet) it returns an error matching xmpp.ErrNotConnected.
func (m *Manager) Converts(ctx context.Context) (bool, error) {
	own := m.c.JID()
	if own.IsZero() {
		return false, fmt.Errorf("avatar: %w", xmpp.ErrNotConnected)
	}
	return disco.For(m.c).Supports(ctx, own.Bare(), NSConversion)
}

// OnChange registers f to hear the avatar changes of the user's contacts
// (and the user's own), and announces interest in them
// (urn:xmpp:avatar:metadata+notify, see pep.Manager.OnEvent) while it
// is registered: the contacts' servers then send each change, and the
// current metadata when a contact comes online. Notifications are taken
// only from the account whose node it is (package pep); metadata that
// cannot be read is dropped. f runs on the connection's dispatcher, in
// order with the stanzas around the notification. The returned func
// removes exactly this registration and is safe to call more than once.
// A nil f panics.
func (m *Manager) OnChange(f func(Change)) (remove func()) {
	if f == nil {
		panic("avatar: OnChange with a nil listener")
	}
	stop := pep.For(m.c).OnEvent(NSMetadata, func(e pubsub.Event) {
		ch := Change{From: e.Service, Event: e}
		switch e.Kind {
		case pubsub.EventItems:
			// The last item that carries metadata; none (a retraction of
			// an old version, an item without payload): nothing to show.
			var meta *stanza.Node
			for i := len(e.Items) - 1; i >= 0 && meta == nil; i-- {
				if p := e.Items[i].Payload; p != nil && p.Name == metadataName {
					meta = p
				}
			}
			if meta == nil {
				return
			}
			infos, err := ParseMetadata(meta)
			if err != nil {
				return
			}
			ch.Infos = infos
		case pubsub.EventPurge, pubsub.EventDelete:
		default:
			return // a configuration change says nothing of the avatar
		}
		f(ch)
	})
	return m.removes.Track(stop)
}

// metadata returns the <metadata/> element of infos.
func metadata(infos []Info) stanza.Node {
	n := stanza.Node{Name: metadataName}
	for _, in := range infos {
		n.Nodes = append(n.Nodes, in.node())
	}
	return n
}

// node returns the <info/> element.
func (in Info) node() stanza.Node {
	n := stanza.Node{Name: xml.Name{Space: NSMetadata, Local: "info"}}
	attr := func(name, value string) {
		if value != "" {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: name}, Value: value})
		}
	}
	attr("bytes", strconv.Itoa(in.Bytes))
	attr("id", in.ID)
	attr("type", in.Type)
	if in.Width > 0 {
		attr("width", strconv.Itoa(in.Width))
	}
	if in.Height > 0 {
		attr("height", strconv.Itoa(in.Height))
	}
	attr("url", in.URL)
	return n
}

// ParseMetadata reads a <metadata xmlns='urn:xmpp:avatar:metadata'/>
// element: its infos, in order (none: the avatar is disabled). An info
// without an id or a valid byte count, or a payload that is not
// metadata, is an error wrapping ErrMalformed.
func ParseMetadata(n *stanza.Node) ([]Info, error) {
	if n == nil || n.Name != metadataName {
		return nil, fmt.Errorf("%w: not avatar metadata", ErrMalformed)
	}
	var infos []Info
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.Name.Space != NSMetadata || c.Name.Local != "info" {
			continue // <pointer/> and the unknown
		}
		in := Info{ID: c.Attr("id"), Type: c.Attr("type"), URL: c.Attr("url")}
		var err error
		if in.Bytes, err = strconv.Atoi(c.Attr("bytes")); err != nil || in.Bytes < 0 || in.ID == "" {
			return nil, fmt.Errorf("%w: an <info/> without a valid id and size", ErrMalformed)
		}
		in.Width, _ = strconv.Atoi(c.Attr("width"))
		in.Height, _ = strconv.Atoi(c.Attr("height"))
		in.Width, in.Height = max(in.Width, 0), max(in.Height, 0)
		infos = append(infos, in)
	}
	return infos, nil
}

// parseData reads a <data xmlns='urn:xmpp:avatar:data'/> element.
func parseData(n *stanza.Node) ([]byte, error) {
	if n == nil || n.Name != dataName {
		return nil, fmt.Errorf("%w: not avatar data", ErrMalformed)
	}
	data, err := base64text.Decode(n.InnerText())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return data, nil
}
