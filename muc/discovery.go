package muc

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// NSRoomInfo is the FORM_TYPE of the extended room information a room
// adds to its disco#info result (XEP-0045 section 6.4).
const NSRoomInfo = "http://jabber.org/protocol/muc#roominfo"

// Services returns the multi-user chat services of server (Smack's
// getMucServiceDomains): the server's disco#items whose disco#info has
// the identity conference/text (XEP-0045 section 6.1). An item that does
// not answer, or answers with an error, is skipped; the error of the
// server's items query is returned.
func Services(ctx context.Context, c *xmpp.Conn, server jid.JID) ([]jid.JID, error) {
	d := disco.For(c)
	items, err := d.Items(ctx, server, "")
	if err != nil {
		return nil, fmt.Errorf("muc: services of %s: %w", server, err)
	}
	var services []jid.JID
	for _, it := range items {
		info, err := d.Info(ctx, it.JID, it.Node)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("muc: services of %s: %w", server, ctx.Err())
			}
			continue
		}
		if info.HasIdentity("conference", "text") {
			services = append(services, it.JID)
		}
	}
	return services, nil
}

// Rooms returns the rooms a multi-user chat service lists (Smack's
// getRoomsHostedBy): its disco#items (XEP-0045 section 6.3). Services
// list their public rooms only. Each item's JID is a room, its Name the
// room's name.
func Rooms(ctx context.Context, c *xmpp.Conn, service jid.JID) ([]disco.Item, error) {
	items, err := disco.For(c).Items(ctx, service, "")
	if err != nil {
		return nil, fmt.Errorf("muc: rooms of %s: %w", service, err)
	}
	return items, nil
}

// RoomInfo is what a room says about itself in its disco#info result
// (XEP-0045 section 6.4; Smack's RoomInfo): the muc_* features and the
// muc#roominfo form. The fields of the form are "" (or -1 for Occupants
// and MaxHistoryFetch) when the room does not give them; Info keeps the
// whole answer.
type RoomInfo struct {
	// Room is the room's JID, the one asked.
	Room jid.JID
	Name string // the name of the conference identity

	PasswordProtected bool // muc_passwordprotected (else muc_unsecured)
	MembersOnly       bool // muc_membersonly (else muc_open)
	Moderated         bool // muc_moderated (else muc_unmoderated)
	NonAnonymous      bool // muc_nonanonymous (else muc_semianonymous)
	Persistent        bool // muc_persistent (else muc_temporary)
	Public            bool // muc_public (else muc_hidden)

	Description     string    // muc#roominfo_description
	Subject         string    // muc#roominfo_subject
	SubjectMod      bool      // muc#roominfo_subjectmod: occupants may change the subject
	Occupants       int       // muc#roominfo_occupants, -1 when not given
	ContactJIDs     []jid.JID // muc#roominfo_contactjid
	Lang            string    // muc#roominfo_lang
	Logs            string    // muc#roominfo_logs (a URL)
	LDAPGroup       string    // muc#roominfo_ldapgroup
	MaxHistoryFetch int       // muc#maxhistoryfetch, -1 when not given

	// Form is the muc#roominfo form, nil when the room sent none.
	Form *dataform.Form
	// Info is the whole disco#info result the fields were read from.
	Info *disco.Info
}

// Feature vars of rooms (XEP-0045 section 17.2.1).
const (
	FeaturePasswordProtected = "muc_passwordprotected"
	FeatureUnsecured         = "muc_unsecured"
	FeatureMembersOnly       = "muc_membersonly"
	FeatureOpen              = "muc_open"
	FeatureModerated         = "muc_moderated"
	FeatureUnmoderated       = "muc_unmoderated"
	FeatureNonAnonymous      = "muc_nonanonymous"
	FeatureSemiAnonymous     = "muc_semianonymous"
	FeaturePersistent        = "muc_persistent"
	FeatureTemporary         = "muc_temporary"
	FeaturePublic            = "muc_public"
	FeatureHidden            = "muc_hidden"
	// FeatureSelfPingOptimization: the room answers self-pings itself
	// (XEP-0410 section 3.2).
	FeatureSelfPingOptimization = "http://jabber.org/protocol/muc#self-ping-optimization"
)

// GetRoomInfo asks room for its disco#info and reads it as a RoomInfo
// (Smack's getRoomInfo). The room's refusal (item-not-found for a room
// that does not exist, forbidden...) is its *stanza.Error.
func GetRoomInfo(ctx context.Context, c *xmpp.Conn, room jid.JID) (*RoomInfo, error) {
	info, err := disco.For(c).Info(ctx, room, "")
	if err != nil {
		return nil, fmt.Errorf("muc: room info of %s: %w", room, err)
	}
	return ParseRoomInfo(room, info), nil
}

// ParseRoomInfo reads a room's disco#info result. Values of the form that
// do not parse are left at their "not given" value.
func ParseRoomInfo(room jid.JID, info *disco.Info) *RoomInfo {
	ri := &RoomInfo{
		Room:              room,
		PasswordProtected: info.HasFeature(FeaturePasswordProtected),
		MembersOnly:       info.HasFeature(FeatureMembersOnly),
		Moderated:         info.HasFeature(FeatureModerated),
		NonAnonymous:      info.HasFeature(FeatureNonAnonymous),
		Persistent:        info.HasFeature(FeaturePersistent),
		Public:            info.HasFeature(FeaturePublic),
		Occupants:         -1,
		MaxHistoryFetch:   -1,
		Info:              info,
	}
	for _, id := range info.Identities {
		if id.Category == "conference" {
			ri.Name = id.Name
			break
		}
	}
	f := info.Form(NSRoomInfo)
	if f == nil {
		return ri
	}
	ri.Form = f
	ri.Description = f.Value("muc#roominfo_description")
	ri.Subject = f.Value("muc#roominfo_subject")
	if b, err := f.Bool("muc#roominfo_subjectmod"); err == nil {
		ri.SubjectMod = b
	}
	if n, err := strconv.Atoi(f.Value("muc#roominfo_occupants")); err == nil {
		ri.Occupants = n
	}
	if n, err := strconv.Atoi(f.Value("muc#maxhistoryfetch")); err == nil {
		ri.MaxHistoryFetch = n
	}
	for _, v := range f.Values("muc#roominfo_contactjid") {
		if j, err := jid.Parse(v); err == nil {
			ri.ContactJIDs = append(ri.ContactJIDs, j)
		}
	}
	ri.Lang = f.Value("muc#roominfo_lang")
	ri.Logs = f.Value("muc#roominfo_logs")
	ri.LDAPGroup = f.Value("muc#roominfo_ldapgroup")
	return ri
}
