package receipts

import (
	"encoding/xml"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of Message Delivery Receipts, also the feature the
// Tracker announces for service discovery.
const NS = "urn:xmpp:receipts"

// ErrNoID is the error for a <received/> that names no message: it has
// neither id (XEP-0184 1.4 makes it required) nor Openfire's msgId.
var ErrNoID = errors.New("receipts: receipt without an id")

var (
	requestName  = xml.Name{Space: NS, Local: "request"}
	receivedName = xml.Name{Space: NS, Local: "received"}
	// requestNode is what Request marshals to; it has no attributes or
	// children, so appending the value shares nothing mutable.
	requestNode = stanza.Node{Name: requestName}
)

// Request is <request xmlns='urn:xmpp:receipts'/>, which asks the
// recipient of a message for a receipt (Smack's DeliveryReceiptRequest).
// It has no content; its zero value is the element.
type Request struct{}

var _ stanza.Extension = (*Request)(nil)

// ExtensionName returns {urn:xmpp:receipts}request.
func (Request) ExtensionName() xml.Name { return requestName }

// MarshalNode returns the element.
func (Request) MarshalNode() (stanza.Node, error) { return requestNode, nil }

// UnmarshalNode accepts any element with Request's name: attributes and
// children that a future version may add are ignored.
func (*Request) UnmarshalNode(n stanza.Node) error {
	if n.Name != requestName {
		return fmt.Errorf("receipts: <%s xmlns='%s'/> is not a receipt request", n.Name.Local, n.Name.Space)
	}
	return nil
}

// Received is <received xmlns='urn:xmpp:receipts' id='...'/>, the receipt
// for the message whose id it names (Smack's DeliveryReceipt). Its zero
// value names no message and does not marshal.
//
// Openfire deployments such as the one in the project's seed send
// <received msgId='...' status='1' time='2018-10-20 14:50:16:566'/>
// instead: UnmarshalNode reads msgId as ID when id is absent, and keeps
// status and time as they came. MarshalNode always writes the standard
// id, and status and time only when set.
type Received struct {
	// ID is the id of the message this receipt acknowledges.
	ID string
	// Status and Time are Openfire's non-standard attributes, verbatim;
	// empty when absent. gosmack gives them no meaning.
	Status, Time string
}

var _ stanza.Extension = (*Received)(nil)

// ExtensionName returns {urn:xmpp:receipts}received.
func (Received) ExtensionName() xml.Name { return receivedName }

// MarshalNode returns the element, or ErrNoID when ID is empty.
func (r Received) MarshalNode() (stanza.Node, error) {
	if r.ID == "" {
		return stanza.Node{}, ErrNoID
	}
	attrs := make([]xml.Attr, 1, 3)
	attrs[0] = xml.Attr{Name: xml.Name{Local: "id"}, Value: r.ID}
	if r.Status != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "status"}, Value: r.Status})
	}
	if r.Time != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "time"}, Value: r.Time})
	}
	return stanza.Node{Name: receivedName, Attrs: attrs}, nil
}

// UnmarshalNode fills r from a received element: id, or Openfire's msgId
// when id is absent or empty. It returns ErrNoID when there is neither
// (r.ID is then empty, Status and Time are still read).
func (r *Received) UnmarshalNode(n stanza.Node) error {
	if n.Name != receivedName {
		return fmt.Errorf("receipts: <%s xmlns='%s'/> is not a receipt", n.Name.Local, n.Name.Space)
	}
	*r = Received{ID: n.Attr("id"), Status: n.Attr("status"), Time: n.Attr("time")}
	if r.ID == "" {
		r.ID = n.Attr("msgId")
	}
	if r.ID == "" {
		return ErrNoID
	}
	return nil
}

// AddRequest adds a receipt request to m, unless it has one already, and
// reports whether m now carries one. It refuses (false) a message of type
// error, which is never a content message, and an ack message (one that
// carries <received/>): XEP-0184 forbids a request there, to prevent
// loops.
//
// AddRequest adds a request to a groupchat message if asked, as XEP-0184
// allows, although it does not recommend it: every occupant's client may
// answer. The Tracker's automatic requests skip groupchat.
//
// m needs an id for the receipt to name: Conn.Send gives m one when it
// has none and writes it into m, so after Send, m.ID is the id a receipt
// will carry. AddRequest never changes the array behind the caller's
// m.Extensions: when a node is appended, the slice is reallocated if it
// has spare capacity that another message might share.
func AddRequest(m *stanza.Message) bool {
	if m.Type == stanza.MessageError || m.Error != nil {
		return false
	}
	switch hasRequest, hasReceived := scan(m.Extensions); {
	case hasReceived:
		return false
	case hasRequest:
		return true
	}
	m.Extensions = append(slices.Clip(m.Extensions), requestNode)
	return true
}

// scan reports whether nodes hold a receipt request and a receipt.
func scan(nodes []stanza.Node) (request, received bool) {
	for i := range nodes {
		n := &nodes[i].Name
		if n.Space != NS {
			continue
		}
		switch n.Local {
		case "request":
			request = true
		case "received":
			received = true
		}
	}
	return request, received
}
