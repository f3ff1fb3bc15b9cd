package muc

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NodeRooms is the disco#items node of a client that lists the rooms its
// user is in (XEP-0045 section 6.7).
const NodeRooms = "http://jabber.org/protocol/muc#rooms"

// RoomItems returns a room's disco#items (XEP-0045 section 6.5): its
// occupants' JIDs (room/nick) when the room makes them public, none when
// it keeps them private. The room's refusal is its *stanza.Error.
func RoomItems(ctx context.Context, c *xmpp.Conn, room jid.JID) ([]disco.Item, error) {
	items, err := disco.For(c).Items(ctx, room.Bare(), "")
	if err != nil {
		return nil, fmt.Errorf("muc: items of %s: %w", room, err)
	}
	return items, nil
}

// Supports reports whether the entity j (a contact's full JID, usually)
// lists multi-user chat among its features (XEP-0045 section 6.7; Smack's
// MultiUserChatManager.isServiceEnabled). It asks every time; package caps
// answers from its cache for contacts that announce capabilities. The
// entity's error reply is its *stanza.Error.
func Supports(ctx context.Context, c *xmpp.Conn, j jid.JID) (bool, error) {
	info, err := disco.For(c).Info(ctx, j, "")
	if err != nil {
		return false, fmt.Errorf("muc: support of %s: %w", j, err)
	}
	return info.HasFeature(NS), nil
}

// JoinedRooms asks the user j (a full JID) which rooms they are in
// (XEP-0045 section 6.7; Smack's MultiUserChatManager.getJoinedRooms for
// another user): the items of the node muc#rooms, each a room's JID with,
// when the client tells it, the nickname as Name. A client that keeps
// this private answers no items; one that does not know the node answers
// an error (item-not-found, service-unavailable), returned as its
// *stanza.Error.
func JoinedRooms(ctx context.Context, c *xmpp.Conn, j jid.JID) ([]disco.Item, error) {
	items, err := disco.For(c).Items(ctx, j, NodeRooms)
	if err != nil {
		return nil, fmt.Errorf("muc: rooms of %s: %w", j, err)
	}
	return items, nil
}

// AnswerJoinedRooms makes the connection's service discovery (disco.For)
// answer other entities' JoinedRooms questions about this user (the node
// muc#rooms, XEP-0045 section 6.7). With share, the answer lists the
// rooms the user is in (Client.Rooms), with the nickname as the item's
// name, to anyone who asks; without it, the answer is empty, as the XEP
// asks of a client that keeps this private. Without a call, the node is
// answered item-not-found. The returned func stops answering; it is safe
// to call more than once. A second call before that panics, as a second
// handler for one node does in package disco. Smack answers with the
// rooms by default; this package shares nothing unless asked to.
func (m *Client) AnswerJoinedRooms(share bool) (remove func()) {
	d := disco.For(m.c)
	return d.HandleNode(NodeRooms, disco.NodeHandler{
		Info: func(context.Context, *stanza.IQ) (*disco.Info, error) { return &disco.Info{}, nil },
		Items: func(context.Context, *stanza.IQ) ([]disco.Item, error) {
			if !share {
				return nil, nil
			}
			var items []disco.Item
			for _, r := range m.Rooms() {
				if nick := r.Nick(); nick != "" {
					items = append(items, disco.Item{JID: r.JID(), Name: nick})
				}
			}
			slices.SortFunc(items, func(a, b disco.Item) int { return cmp.Compare(a.JID.String(), b.JID.String()) })
			return items, nil
		},
	})
}
