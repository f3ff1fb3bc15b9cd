package muc

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Namespaces of XEP-0045.
const (
	NS      = "http://jabber.org/protocol/muc"
	NSUser  = "http://jabber.org/protocol/muc#user"
	NSAdmin = "http://jabber.org/protocol/muc#admin"
	NSOwner = "http://jabber.org/protocol/muc#owner"
	// NSRoomConfig is the FORM_TYPE of the room configuration form.
	NSRoomConfig = "http://jabber.org/protocol/muc#roomconfig"
)

// Status codes of XEP-0045 section 15.6 that this package acts upon.
const (
	StatusSelf         = 110 // the presence is the user's own
	StatusCreated      = 201 // a new room was created
	StatusNickAssigned = 210 // the service assigned or changed the user's nickname
	StatusBanned       = 301 // the occupant was banned
	StatusNickChanged  = 303 // the occupant changed nickname (unavailable presence)
	StatusKicked       = 307 // the occupant was kicked
	StatusAffiliation  = 321 // removed because of an affiliation change
	StatusMembersOnly  = 322 // removed because the room became members-only
	StatusShutdown     = 332 // removed because the service is shutting down
)

// Role is an occupant's role in a room (XEP-0045 section 5.1).
type Role string

// The roles.
const (
	RoleNone        Role = "none"
	RoleVisitor     Role = "visitor"
	RoleParticipant Role = "participant"
	RoleModerator   Role = "moderator"
)

// Affiliation is a user's long-lived standing with a room (XEP-0045
// section 5.2).
type Affiliation string

// The affiliations.
const (
	AffiliationNone    Affiliation = "none"
	AffiliationOutcast Affiliation = "outcast"
	AffiliationMember  Affiliation = "member"
	AffiliationAdmin   Affiliation = "admin"
	AffiliationOwner   Affiliation = "owner"
)

// Occupant is someone in a room, as the room's presences describe them
// (Smack's Occupant). JID is the occupant's real JID, zero when the room
// does not show it to the user. Presence is the last presence received
// from the occupant. The zero Occupant is nobody.
type Occupant struct {
	// Nick is the occupant's nickname, the resourcepart of its room JID.
	Nick string
	// JID is the occupant's real JID, the jid attribute of the presence's
	// <item/>; zero when the room does not show it.
	JID jid.JID
	// Role is the role attribute of the presence's <item/>.
	Role Role
	// Affiliation is the affiliation attribute of the presence's <item/>.
	Affiliation Affiliation
	// Presence is the last presence received from the occupant.
	Presence *stanza.Presence
}

// Errors of this package. The errors of Join, Create and ChangeNick that
// come from the room wrap both one of these and the *stanza.Error.
var (
	// ErrNickInUse: the nickname is taken (conflict).
	ErrNickInUse = errors.New("muc: nickname in use")
	// ErrRegistrationRequired: the room is members-only and the user is
	// not a member (registration-required).
	ErrRegistrationRequired = errors.New("muc: membership required")
	// ErrBanned: the user is banned from the room (forbidden).
	ErrBanned = errors.New("muc: banned from the room")
	// ErrPassword: the room's password was missing or wrong (not-authorized).
	ErrPassword = errors.New("muc: password required or wrong")
	// ErrRoomFull: the room has reached its maximum number of occupants
	// (service-unavailable).
	ErrRoomFull = errors.New("muc: room full")
	// ErrRoomLocked: the room does not exist or is locked until its
	// owner configures it (item-not-found).
	ErrRoomLocked = errors.New("muc: room locked or nonexistent")
	// ErrNotAcceptable: the nickname breaks the room's rules
	// (not-acceptable, jid-malformed).
	ErrNotAcceptable = errors.New("muc: nickname not acceptable")
	// ErrRoomExists: Create found the room already there; the user has
	// joined it nonetheless.
	ErrRoomExists = errors.New("muc: room already exists")
	// ErrNotJoined: the operation needs the user to be in the room.
	ErrNotJoined = errors.New("muc: not in the room")
	// ErrAlreadyJoined: Join or Create while the user is in the room.
	ErrAlreadyJoined = errors.New("muc: already in the room")
	// ErrExited: the user was removed from the room (kicked, banned, room
	// destroyed, connection lost) while an operation was waiting.
	ErrExited = errors.New("muc: removed from the room")
)

// sentinelFor maps a stanza error from a room to the error of this
// package it means on joining (XEP-0045 section 7.2).
func sentinelFor(e *stanza.Error) error {
	switch e.Condition {
	case stanza.Conflict:
		return ErrNickInUse
	case stanza.RegistrationRequired:
		return ErrRegistrationRequired
	case stanza.Forbidden:
		return ErrBanned
	case stanza.NotAuthorized:
		return ErrPassword
	case stanza.ServiceUnavailable:
		return ErrRoomFull
	case stanza.ItemNotFound:
		return ErrRoomLocked
	case stanza.NotAcceptable, stanza.JIDMalformed:
		return ErrNotAcceptable
	}
	return nil
}

// roomError wraps a stanza error from the room with the operation and,
// when there is one, its sentinel.
func roomError(op string, room jid.JID, e *stanza.Error) error {
	if e == nil {
		e = stanza.NewError(stanza.Cancel, stanza.UndefinedCondition)
	}
	if s := sentinelFor(e); s != nil {
		return fmt.Errorf("muc: %s %s: %w: %w", op, room, s, e)
	}
	return fmt.Errorf("muc: %s %s: %w", op, room, e)
}

// JoinConfig is how Join and Create enter a room (Smack's
// MucEnterConfiguration). Its zero value enters without a password and
// takes the history the room sends by default.
type JoinConfig struct {
	// Password is the room's password (XEP-0045 section 7.2.6); "" for
	// none.
	Password string
	// History limits the discussion history the room sends on entering
	// (section 7.2.14); the zero History leaves it to the room.
	History History
}

// History limits the discussion history a room sends on entering
// (XEP-0045 section 7.2.14). Limits that are set all apply; the zero
// History sets none, and the room sends what it sends by default.
type History struct {
	// None asks for no history at all (maxchars='0', as XEP-0045's
	// example 41 and Smack's requestNoHistory). The other limits are
	// then not sent.
	None bool
	// MaxChars limits the history to that many characters of XML in all;
	// 0 for no limit.
	MaxChars int
	// MaxStanzas limits the history to the last that many messages; 0
	// for no limit (set None for no message at all).
	MaxStanzas int
	// Seconds limits the history to the messages of the last that many
	// seconds; 0 for no limit.
	Seconds int
	// Since limits the history to the messages sent since then; zero for
	// no limit.
	Since time.Time
}

// node returns the <x xmlns='http://jabber.org/protocol/muc'/> element.
func (c *JoinConfig) node() stanza.Node {
	x := stanza.Node{Name: xml.Name{Space: NS, Local: "x"}}
	var h []xml.Attr
	if c.History.None {
		h = append(h, xml.Attr{Name: xml.Name{Local: "maxchars"}, Value: "0"})
	} else {
		for _, a := range []struct {
			name string
			v    int
		}{{"maxchars", c.History.MaxChars}, {"maxstanzas", c.History.MaxStanzas}, {"seconds", c.History.Seconds}} {
			if a.v > 0 {
				h = append(h, xml.Attr{Name: xml.Name{Local: a.name}, Value: strconv.Itoa(a.v)})
			}
		}
		if !c.History.Since.IsZero() {
			h = append(h, xml.Attr{Name: xml.Name{Local: "since"}, Value: c.History.Since.UTC().Format(time.RFC3339)})
		}
	}
	if len(h) > 0 {
		x.Nodes = append(x.Nodes, stanza.Node{Name: xml.Name{Space: NS, Local: "history"}, Attrs: h})
	}
	if c.Password != "" {
		x.Nodes = append(x.Nodes, stanza.Node{Name: xml.Name{Space: NS, Local: "password"},
			Nodes: []stanza.Node{{Text: c.Password}}})
	}
	return x
}

// userX is what a presence's <x xmlns='http://jabber.org/protocol/muc#user'/>
// says.
type userX struct {
	present     bool
	codes       map[int]bool
	nick        string // item nick: the new nickname with 303
	jid         jid.JID
	role        Role
	affiliation Affiliation
	actor       string // the nick (or JID) of who kicked or banned
	reason      string
	destroy     *Destroyed
}

// parseUserX reads the first <x xmlns='http://jabber.org/protocol/muc#user'/>
// among nodes: its status codes, its item (the first, as XEP-0045 sends
// one: the fields of two items are never mixed) and its destroy.
func parseUserX(nodes []stanza.Node) userX {
	var u userX
	var x *stanza.Node
	for i := range nodes {
		if nodes[i].Name.Space == NSUser && nodes[i].Name.Local == "x" {
			x = &nodes[i]
			break
		}
	}
	if x == nil {
		return u
	}
	u.present = true
	u.codes = map[int]bool{}
	item := false
	for _, n := range x.Nodes {
		if n.Name.Space != NSUser {
			continue
		}
		switch n.Name.Local {
		case "status":
			if c, err := strconv.Atoi(n.Attr("code")); err == nil {
				u.codes[c] = true
			}
		case "item":
			if item {
				continue // one item describes the occupant; a second is ignored
			}
			item = true
			u.nick = n.Attr("nick")
			u.role = Role(n.Attr("role"))
			u.affiliation = Affiliation(n.Attr("affiliation"))
			if j, err := jid.Parse(n.Attr("jid")); err == nil {
				u.jid = j
			}
			if a := n.Child(NSUser, "actor"); a != nil {
				u.actor = a.Attr("nick")
				if u.actor == "" {
					u.actor = a.Attr("jid")
				}
			}
			if r := n.Child(NSUser, "reason"); r != nil {
				u.reason = r.InnerText()
			}
		case "destroy":
			d := &Destroyed{}
			if j, err := jid.Parse(n.Attr("jid")); err == nil {
				d.Alternate = j
			}
			if r := n.Child(NSUser, "reason"); r != nil {
				d.Reason = r.InnerText()
			}
			u.destroy = d
		}
	}
	return u
}

// Destroyed tells that a room was destroyed: the reason its owner gave and
// the room it points to instead, if any.
type Destroyed struct {
	// Reason is the text of <destroy/>'s <reason/>; "" when there is none.
	Reason string
	// Alternate is the jid attribute of <destroy/>, a room to go to
	// instead; zero when absent.
	Alternate jid.JID
}

// EventKind says what happened to an occupant.
type EventKind uint8

// The kinds of occupant events.
const (
	Joined      EventKind = iota + 1 // entered the room
	Left                             // left the room
	Changed                          // changed role, affiliation or presence
	NickChanged                      // changed nickname: Old has the old nickname
	Kicked                           // was kicked (status 307)
	Banned                           // was banned (status 301)
)

// String returns the kind's name, as used in logs.
func (k EventKind) String() string {
	switch k {
	case Joined:
		return "joined"
	case Left:
		return "left"
	case Changed:
		return "changed"
	case NickChanged:
		return "nick-changed"
	case Kicked:
		return "kicked"
	case Banned:
		return "banned"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// OccupantEvent is what an occupant listener receives (Smack's
// ParticipantStatusListener and PresenceListener in one). Occupant is the
// occupant after the change (as last seen, for Left, Kicked and Banned);
// Old is the occupant before it, for Changed and NickChanged. Actor and
// Reason are what the room said about a kick or ban.
type OccupantEvent struct {
	// Kind says what happened.
	Kind EventKind
	// Occupant is the occupant after the change.
	Occupant Occupant
	// Old is the occupant before the change; zero for other kinds than
	// Changed and NickChanged.
	Old Occupant
	// Actor is the nick, or else the JID, of the <actor/> who kicked or
	// banned the occupant; "" when the room does not name one.
	Actor string
	// Reason is the text of the <reason/> for a kick or ban; "" when
	// there is none.
	Reason string
}

// ExitReason says why the user is no longer in a room.
type ExitReason uint8

// The reasons for an exit.
const (
	ExitKicked       ExitReason = iota + 1 // kicked by a moderator (307)
	ExitBanned                             // banned (301)
	ExitDestroyed                          // the room was destroyed
	ExitAffiliation                        // removed by an affiliation change (321)
	ExitMembersOnly                        // the room became members-only (322)
	ExitShutdown                           // the service shut down (332)
	ExitRemoved                            // removed without a reason the package knows
	ExitDisconnected                       // the connection ended
	ExitDropped                            // a self-ping found the user out (XEP-0410)
)

// String returns the reason's name, as used in logs.
func (r ExitReason) String() string {
	switch r {
	case ExitKicked:
		return "kicked"
	case ExitBanned:
		return "banned"
	case ExitDestroyed:
		return "destroyed"
	case ExitAffiliation:
		return "affiliation"
	case ExitMembersOnly:
		return "members-only"
	case ExitShutdown:
		return "shutdown"
	case ExitRemoved:
		return "removed"
	case ExitDisconnected:
		return "disconnected"
	case ExitDropped:
		return "dropped"
	}
	return fmt.Sprintf("ExitReason(%d)", uint8(r))
}

// Exit is what an exit listener receives when the user is removed from a
// room without having asked to leave (Smack's UserStatusListener kicked,
// banned, roomDestroyed). Destroyed is set when the room was destroyed.
type Exit struct {
	// Reason says why the user was removed.
	Reason ExitReason
	// Actor is the nick, or else the JID, of the <actor/> who kicked or
	// banned the user; "" when the room does not name one.
	Actor string
	Text  string // the reason given for a kick or ban
	// Destroyed is the room's <destroy/>, nil unless Reason is
	// ExitDestroyed.
	Destroyed *Destroyed
}
