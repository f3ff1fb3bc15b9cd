package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/chatstate"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
)

// The prefixes of the lines the client prints. Every line it writes on
// stdout starts with one, so that a program can follow a session.
const (
	tagChat      = "[chat]"      // a one-to-one message received, or a carbon copy
	tagRoom      = "[room]"      // a room's message or event
	tagPresence  = "[presence]"  // a contact's presence changed
	tagRoster    = "[roster]"    // the roster, or a change to it
	tagSubscribe = "[subscribe]" // someone asks to see your presence
	tagInvite    = "[invite]"    // an invitation to a room
	tagHistory   = "[history]"   // an archived message, shown by /history
	tagInfo      = "[info]"      // what a command did
	tagError     = "[error]"     // what went wrong
	tagHelp      = "[help]"      // /help's text
	tagTyping    = "[typing]"    // a contact is typing, or paused
	tagVCard     = "[vcard]"     // a vCard's field, shown by /vcard
	tagAvatar    = "[avatar]"    // an avatar, shown by /avatar, or a contact's new one
	tagBlocked   = "[blocked]"   // a JID blocked, listed by /blocked
	tagUpload    = "[upload]"    // a file uploaded by /upload
	tagBookmark  = "[bookmark]"  // a room bookmark, listed by /bookmarks, or another client's change
)

// printer writes whole lines, one at a time: listeners on the connection's
// dispatcher and the command loop print at once.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

// print writes one line: the tag, a space and the formatted text.
func (p *printer) print(tag, format string, args ...any) {
	line := tag + " " + fmt.Sprintf(format, args...) + "\n"
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, line) // nothing to do about a terminal that is gone
}

// clean makes text from the network safe to print on one line of a
// terminal: line breaks become \n, and control characters (escape
// sequences could rewrite the screen), bidirectional overrides (which could
// make text read backwards) and line separators become escapes. Tabs become
// spaces; invalid UTF-8 becomes U+FFFD.
func clean(s string) string {
	safe := true
	for _, r := range s {
		if r == unicode.ReplacementChar || unsafeRune(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x100 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r must not reach the terminal as it is.
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r): // C0, DEL, C1
		return true
	case r == '\u2028' || r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
		return true // bidirectional embeddings, overrides, isolates and marks
	}
	return false
}

// showWord names an availability as /presence spells it.
func showWord(s stanza.Show) string {
	for _, w := range shows {
		if w.show == s {
			return w.word
		}
	}
	return clean(string(s)) // a value the RFC does not have
}

// presenceText says what a presence means: "available", "away: at lunch",
// "offline", "error: remote-server-not-found".
func presenceText(p *stanza.Presence) string {
	var what string
	switch p.Type {
	case stanza.Available:
		what = showWord(p.Show)
	case stanza.Unavailable:
		what = "offline"
	case stanza.PresenceError:
		what = "error"
		if p.Error != nil {
			what += ": " + errorText(p.Error)
		}
		return what
	default:
		what = clean(string(p.Type))
	}
	if status := p.Status(""); status != "" {
		what += ": " + clean(status)
	}
	return what
}

// errorText says what a stanza error says: its condition and its text.
func errorText(e *stanza.Error) string {
	s := string(e.Condition)
	if s == "" {
		s = "error"
	}
	if e.Text != "" {
		s += " (" + clean(e.Text) + ")"
	}
	return clean(s)
}

// subscriptionText says in words who sees whose presence.
func subscriptionText(e roster.Entry) string {
	var s string
	switch e.Subscription {
	case roster.SubscriptionBoth:
		s = "mutual"
	case roster.SubscriptionTo:
		s = "you see them"
	case roster.SubscriptionFrom:
		s = "they see you"
	default:
		s = "none"
	}
	if e.SubscriptionPending() {
		s += ", request pending"
	}
	return s
}

// entryText is one contact as /roster and the roster events show it:
// `bob@example.com "Bob" (mutual)`.
func entryText(e roster.Entry) string {
	s := e.JID.String()
	if e.Name != "" {
		s += fmt.Sprintf(" %q", clean(e.Name))
	}
	s += " (" + subscriptionText(e) + ")"
	if len(e.Groups) > 0 {
		groups := make([]string, len(e.Groups))
		for i, g := range e.Groups {
			groups[i] = clean(g)
		}
		s += " in " + strings.Join(groups, ", ")
	}
	return s
}

// bodyText is a message's text: its body, after its subject when it has
// one.
func bodyText(m *stanza.Message) string {
	body := clean(m.Body(""))
	if subject := m.Subject(""); subject != "" {
		return "(" + clean(subject) + ") " + body
	}
	return body
}

// isDelayed reports whether m was stored and sent later (XEP-0203): room
// history, offline messages.
func isDelayed(m *stanza.Message) bool {
	for i := range m.Extensions {
		if n := m.Extensions[i].Name; n.Space == "urn:xmpp:delay" && n.Local == "delay" {
			return true
		}
	}
	return false
}

// chatText is a one-to-one message as [chat] shows it:
// "bob@example.com/phone: hello".
func chatText(m *stanza.Message) string {
	s := clean(m.From.String()) + ": " + bodyText(m)
	if isDelayed(m) {
		s += " (sent while you were away)"
	}
	return s
}

// archivedText is a message the catch-up fetched from the archive, one
// that arrived while the client was away, as [chat] shows it:
// "bob@example.com/desk (archived 2026-01-02T03:04:05Z): hello", the
// archive's time in RFC 3339 UTC.
func archivedText(a mam.Archived) string {
	return clean(a.Message.From.String()) + " (archived " + a.Stamp.UTC().Format(time.RFC3339) + "): " + bodyText(a.Message)
}

// carbonText is a carbon copy as [chat] shows it: a message another of
// the user's clients sent, "me (phone) -> bob@example.com: hello", or
// one it received, "bob@example.com/desk (to phone): hello".
func carbonText(dir carbons.Direction, m *stanza.Message) string {
	if dir == carbons.Sent {
		return "me (" + clean(m.From.Resourcepart()) + ") -> " + clean(m.To.String()) + ": " + bodyText(m)
	}
	return clean(m.From.String()) + " (to " + clean(m.To.Resourcepart()) + "): " + bodyText(m)
}

// correctedText is a correction as [chat] shows it:
// "bob@example.com/desk (corrected): the new text".
func correctedText(m *stanza.Message) string {
	return clean(m.From.String()) + " (corrected): " + bodyText(m)
}

// actionText is a /me message as [chat] shows it (XEP-0245): "* JID
// action", the sender's bare JID.
func actionText(from jid.JID, action string) string {
	return "* " + clean(from.Bare().String()) + " " + clean(action)
}

// typingText is a chat state worth a [typing] line, and whether it is
// one: composing ("JID is typing") and paused ("JID paused").
func typingText(from jid.JID, s chatstate.State) (string, bool) {
	switch s {
	case chatstate.Composing:
		return clean(from.Bare().String()) + " is typing", true
	case chatstate.Paused:
		return clean(from.Bare().String()) + " paused", true
	}
	return "", false
}

// roomMessageText is a room's message as [room] shows it:
// "lounge@conference.example.com <Bob> hello"; "*" stands for the room
// itself.
func roomMessageText(room jid.JID, m *stanza.Message) string {
	nick := m.From.Resourcepart()
	from := "*"
	if nick != "" {
		from = "<" + clean(nick) + ">"
	}
	s := room.String() + " " + from
	if m.Type == stanza.Chat {
		s += " (private)"
	}
	if isDelayed(m) {
		s += " (earlier)"
	}
	return s + " " + bodyText(m)
}

// occupantText is an occupant event as [room] shows it:
// "lounge@conference.example.com * Bob joined".
func occupantText(room jid.JID, e muc.OccupantEvent) string {
	nick := clean(e.Occupant.Nick)
	var what string
	switch e.Kind {
	case muc.Joined:
		what = nick + " joined"
	case muc.Left:
		what = nick + " left"
		if st := e.Occupant.Presence; st != nil && st.Status("") != "" {
			what += ": " + clean(st.Status(""))
		}
	case muc.NickChanged:
		what = clean(e.Old.Nick) + " is now known as " + nick
	case muc.Kicked, muc.Banned:
		what = nick + " was " + strings.ToLower(e.Kind.String())
		if e.Actor != "" {
			what += " by " + clean(e.Actor)
		}
		if e.Reason != "" {
			what += ": " + clean(e.Reason)
		}
	case muc.Changed:
		if e.Old.Role != e.Occupant.Role {
			what = nick + " is now " + string(e.Occupant.Role)
		} else if e.Old.Affiliation != e.Occupant.Affiliation {
			what = nick + " is now " + string(e.Occupant.Affiliation)
		} else if p := e.Occupant.Presence; p != nil {
			what = nick + " is " + presenceText(p)
		} else {
			what = nick + " changed"
		}
	default:
		what = nick + " " + e.Kind.String()
	}
	return room.String() + " * " + what
}

// exitReasons say in words why the user left a room without asking to.
var exitReasons = map[muc.ExitReason]string{
	muc.ExitKicked:       "you were kicked",
	muc.ExitBanned:       "you were banned",
	muc.ExitDestroyed:    "the room was destroyed",
	muc.ExitAffiliation:  "you were removed as your affiliation changed",
	muc.ExitMembersOnly:  "you were removed as the room became members-only",
	muc.ExitShutdown:     "the service shut down",
	muc.ExitRemoved:      "you were removed",
	muc.ExitDisconnected: "the connection ended",
	muc.ExitDropped:      "you are no longer in the room",
}

// exitText says why the user is no longer in a room.
func exitText(room jid.JID, e muc.Exit) string {
	why, ok := exitReasons[e.Reason]
	if !ok {
		why = "you are no longer in the room (" + e.Reason.String() + ")"
	}
	s := room.String() + " * " + why
	if e.Actor != "" {
		s += " by " + clean(e.Actor)
	}
	if e.Text != "" {
		s += ": " + clean(e.Text)
	}
	if d := e.Destroyed; d != nil {
		if d.Reason != "" {
			s += ": " + clean(d.Reason)
		}
		if !d.Alternate.IsZero() {
			s += " (it moved to " + d.Alternate.String() + ")"
		}
	}
	return s
}

// joinedText is the [room] line of entering room: "ROOM * you joined as
// NICK; occupants: Alice (moderator), NICK", how saying "you joined" or
// "you created the room and joined".
func joinedText(room *muc.Room, how string) string {
	return fmt.Sprintf("%s * %s as %s; occupants: %s", room.JID(), how, clean(room.Nick()), occupantsText(room.Occupants()))
}

// occupantsText lists a room's occupants: "Alice (moderator), Bob".
func occupantsText(occupants []muc.Occupant) string {
	if len(occupants) == 0 {
		return "nobody"
	}
	names := make([]string, len(occupants))
	for i, o := range occupants {
		names[i] = clean(o.Nick)
		if o.Role == muc.RoleModerator {
			names[i] += " (moderator)"
		}
	}
	return strings.Join(names, ", ")
}
