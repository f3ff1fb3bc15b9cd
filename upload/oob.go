package upload

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// NSOOB is the namespace of out-of-band data in messages (XEP-0066's
// jabber:x:oob), which clients read to show a shared file.
const NSOOB = "jabber:x:oob"

var oobName = xml.Name{Space: NSOOB, Local: "x"}

// OOB is out-of-band data (XEP-0066 section 2): a URL and an optional
// description, carried in a message as <x xmlns='jabber:x:oob'/>. It
// implements stanza.Extension. Its zero value has no URL.
type OOB struct {
	// URL is the resource's address (<url/>).
	URL string
	// Desc describes it (<desc/>); "" for none.
	Desc string
}

// ExtensionName is <x xmlns='jabber:x:oob'/>.
func (OOB) ExtensionName() xml.Name { return oobName }

// MarshalNode returns the <x/> element; a URL is required.
func (o OOB) MarshalNode() (stanza.Node, error) {
	if o.URL == "" {
		return stanza.Node{}, fmt.Errorf("upload: out-of-band data needs a URL")
	}
	n := stanza.Node{Name: oobName, Nodes: []stanza.Node{
		{Name: xml.Name{Space: NSOOB, Local: "url"}, Nodes: []stanza.Node{{Text: o.URL}}},
	}}
	if o.Desc != "" {
		n.Nodes = append(n.Nodes, stanza.Node{Name: xml.Name{Space: NSOOB, Local: "desc"}, Nodes: []stanza.Node{{Text: o.Desc}}})
	}
	return n, nil
}

// UnmarshalNode reads an <x/> element: the text of its first <url/> and
// <desc/>, trimmed. An element without a URL is an error.
func (o *OOB) UnmarshalNode(n stanza.Node) error {
	*o = OOB{}
	if u := n.Child(NSOOB, "url"); u != nil {
		o.URL = strings.TrimSpace(u.InnerText())
	}
	if d := n.Child(NSOOB, "desc"); d != nil {
		o.Desc = strings.TrimSpace(d.InnerText())
	}
	if o.URL == "" {
		return fmt.Errorf("upload: out-of-band data without a URL")
	}
	return nil
}

// ReadOOB returns the out-of-band data of m, and whether it carries one
// with a URL. It reads what the sender claims: the URL may point
// anywhere.
func ReadOOB(m *stanza.Message) (OOB, bool) {
	var o OOB
	ok, err := stanza.FindExtension(m.Extensions, &o)
	return o, ok && err == nil
}

// Message returns a message of type typ to to that shares url the way
// clients show a file: the URL as the body, and as out-of-band data
// (XEP-0066) with desc as its description ("" for none). Send it with
// xmpp.Conn.Send, or with Share.
func Message(to jid.JID, typ stanza.MessageType, url, desc string) *stanza.Message {
	m := &stanza.Message{Type: typ, Bodies: []stanza.Text{{Value: url}}}
	m.To = to
	n, err := OOB{URL: url, Desc: desc}.MarshalNode()
	if err == nil {
		m.Extensions = []stanza.Node{n}
	}
	return m
}

// Share sends Message(to, typ, url, "") on the Manager's connection:
// the usual way to give a file just uploaded to a contact (typ
// stanza.Chat) or a room (stanza.Groupchat). It returns the message sent
// (with its id) and Send's error; ctx is Send's.
func (m *Manager) Share(ctx context.Context, to jid.JID, typ stanza.MessageType, url string) (*stanza.Message, error) {
	if url == "" {
		return nil, fmt.Errorf("upload: Share needs a URL")
	}
	msg := Message(to, typ, url, "")
	if err := m.c.Send(ctx, msg); err != nil {
		return nil, err
	}
	return msg, nil
}
