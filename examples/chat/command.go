package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// command is one line the user typed, parsed. Parsing does no I/O, so the
// whole command language is tested without a connection.
type command struct {
	// name is the command's name without the slash ("msg", "join", ...),
	// aliases resolved; "" for text to the current conversation, and for
	// a blank line (text "" then: nothing to do).
	name string
	to   jid.JID     // the contact or room the command is about
	who  jid.JID     // /invite: the user invited
	show stanza.Show // /presence: the availability
	text string      // the message, contact name, status, nickname, reason, file name or (/help) command
	n    int         // /history: how many messages
	// field is /setvcard's field, in capitals ("FN", "NOTE").
	field string
	// autojoin is /bookmark's word autojoin: enter the room at start.
	autojoin bool
}

// commandSpec describes one command for the parser and for /help.
type commandSpec struct {
	name    string
	aliases []string
	args    string // the arguments as /help shows them; "" for none
	summary string // one line for /help
	details string // more for /help NAME; "" for none
	// parse reads the arguments (the line after the name, trimmed); nil
	// means the command takes none.
	parse func(args string) (command, error)
}

// shows are the availabilities /presence takes, in the order /help lists
// them, with what each means.
var shows = []struct {
	word string
	show stanza.Show
	desc string
}{
	{"available", "", "online"},
	{"chat", stanza.ShowChat, "free for chat"},
	{"away", stanza.ShowAway, "away for a while"},
	{"xa", stanza.ShowXA, "away for long"},
	{"dnd", stanza.ShowDND, "do not disturb"},
}

// commands is the command language, in the order /help lists it. It is
// filled in by init, because /help's parser refers to it.
var commands []*commandSpec

func init() {
	commands = []*commandSpec{
		{name: "help", aliases: []string{"?"}, args: "[COMMAND]", summary: "list the commands, or explain one",
			parse: func(args string) (command, error) {
				name, rest := cut(args)
				if rest != "" {
					return command{}, fmt.Errorf("one command at a time")
				}
				name = strings.ToLower(strings.TrimPrefix(name, "/"))
				if name != "" && lookup(name) == nil {
					return command{}, fmt.Errorf("no command /%s", name)
				}
				return command{name: "help", text: name}, nil
			}},
		{name: "roster", aliases: []string{"contacts"}, summary: "list your contacts with their presence",
			details: "Each line shows a contact's address, the name you gave it, the subscription (mutual: you see each other's presence; you see them; they see you; none) and its presence now."},
		{name: "msg", aliases: []string{"m"}, args: "JID TEXT", summary: "send TEXT to a contact, who becomes the current conversation",
			details: "To a bare JID (bob@example.com) the message follows the conversation: it goes to the device that last wrote to you, else wherever the server delivers it. To a full JID (bob@example.com/phone) it goes to that device, and the conversation stays there until the contact writes from another or that device goes offline.",
			parse:   jidAndText("msg", true)},
		{name: "to", args: "JID", summary: "make a contact or a joined room the current conversation, without sending",
			parse: func(args string) (command, error) { return oneJID("to", args) }},
		{name: "reply", aliases: []string{"r"}, args: "TEXT", summary: "answer whoever last sent you a chat message",
			parse: func(args string) (command, error) {
				if args == "" {
					return command{}, fmt.Errorf("nothing to send")
				}
				return command{name: "reply", text: args}, nil
			}},
		{name: "correct", args: "TEXT", summary: "replace the text of the last message you sent in the current conversation",
			details: "The contact's client shows TEXT in place of your last message to it (XEP-0308); clients that do not know corrections show it as a new message.",
			parse:   textArg("correct")},
		{name: "me", args: "ACTION", summary: "send an action to the current conversation: /me waves shows as * you waves",
			parse: textArg("me")},
		{name: "add", args: "JID [NAME]", summary: "add a contact to your roster and ask to see its presence",
			parse: func(args string) (command, error) {
				c, err := jidAndText("add", false)(args)
				if err != nil {
					return c, err
				}
				c.to = c.to.Bare()
				return c, nil
			}},
		{name: "remove", args: "JID", summary: "remove a contact from your roster (and the subscriptions both ways)",
			parse: bareJID("remove")},
		{name: "approve", args: "JID", summary: "let JID see your presence (answers a subscription request)",
			parse: bareJID("approve")},
		{name: "deny", args: "JID", summary: "refuse a subscription request, or stop JID seeing your presence",
			parse: bareJID("deny")},
		{name: "presence", aliases: []string{"p"}, args: "[SHOW] [STATUS]", summary: "set your availability and status text for everyone (and your rooms)",
			details: "SHOW is one of " + showHelp() + " Without arguments: available, no status.",
			parse:   parsePresence},
		{name: "status", args: "[STATUS]", summary: "change your status text, keeping your availability (none: clear it)",
			parse: func(args string) (command, error) { return command{name: "status", text: args}, nil }},
		{name: "join", aliases: []string{"j"}, args: "ROOM@SERVICE [NICK]", summary: "enter a room (created if it does not exist), which becomes the current conversation",
			details: "NICK defaults to your user name; ROOM@SERVICE/NICK works too. A new room is created open to everyone, as an instant room.",
			parse:   parseJoin},
		{name: "say", args: "ROOM TEXT", summary: "send TEXT to everyone in a joined room, which becomes the current conversation",
			parse: jidAndText("say", true)},
		{name: "who", args: "[ROOM]", summary: "list the occupants of a joined room (default: the current one)",
			parse: optionalJID("who")},
		{name: "rooms", summary: "list the rooms you are in"},
		{name: "invite", args: "ROOM JID [REASON]", summary: "invite JID into a joined room",
			parse: parseInvite},
		{name: "leave", aliases: []string{"part"}, args: "[ROOM]", summary: "leave a room (default: the current one)",
			parse: optionalJID("leave")},
		{name: "bookmarks", summary: "list your room bookmarks, which your server keeps for all your clients",
			details: bookmarksHelp},
		{name: "bookmark", args: "ROOM [NICK] [autojoin]", summary: "bookmark a room, with your nickname in it; with the word autojoin last, your clients enter it at start",
			details: bookmarkHelp,
			parse:   parseBookmark},
		{name: "unbookmark", args: "ROOM", summary: "remove a room's bookmark",
			parse: parseUnbookmark},
		{name: "history", aliases: []string{"h"}, args: "JID [N]", summary: "show the last N (default " + strconv.Itoa(defaultHistory) + ") archived messages with a contact, or of a joined room",
			details: "Oldest first, one [history] line each: the time (UTC), who wrote (me, the contact, or the nickname in a room) and the text; then how many were shown. The messages come from your server's archive (a room's from the room's), which keeps what was said even while you were offline.",
			parse:   parseHistory},
		{name: "vcard", args: "[JID]", summary: "show the vCard (profile) of JID (default: your own)",
			details: "One [vcard] line per filled field, in this order: " + vcardOrder() + "; then [vcard] end. PHOTO shows the picture's SHA-1, type and size.",
			parse:   parseVCardJID},
		{name: "setvcard", args: "FIELD [VALUE]", summary: "set one field of your vCard, keeping the others (no VALUE: clear it)",
			details: "FIELD is one of " + settableFields() + ". EMAIL and TEL set the first address or number. NICKNAME is also published as your nickname (XEP-0172). The picture is set by /setavatar.",
			parse:   parseSetVCard},
		{name: "avatar", args: "JID", summary: "show the avatar of a contact: its SHA-1, type and size, or none",
			details: "The avatar a contact published (XEP-0084), else its vCard's picture. When a contact's avatar changes, [avatar] JID changed: SHA1 tells it, once, whichever way the news comes (the avatar, or the picture's hash in the contact's presence, XEP-0153).",
			parse:   bareJID("avatar")},
		{name: "setavatar", args: "FILE", summary: "make a PNG or JPEG image your avatar (up to " + strconv.Itoa(maxAvatar>>10) + " KiB)",
			details: "Published as your avatar (XEP-0084) and as your vCard's picture, so that every kind of client shows it (one of them when your server keeps the two in step). A name with spaces goes in double quotes.",
			parse:   fileArg("setavatar", false)},
		{name: "block", args: "JID", summary: "block JID: nothing it sends reaches you, and you appear offline to it",
			details: "The server blocks it (XEP-0191) for all your clients. A bare JID blocks all its devices, a domain a whole server.",
			parse:   func(args string) (command, error) { return oneJID("block", args) }},
		{name: "unblock", args: "JID", summary: "unblock JID",
			parse: func(args string) (command, error) { return oneJID("unblock", args) }},
		{name: "blocked", summary: "list the JIDs you block"},
		{name: "version", args: "JID", summary: "ask JID (a server, or a contact's device) its software name and version",
			parse: func(args string) (command, error) { return oneJID("version", args) }},
		{name: "time", args: "JID", summary: "ask JID (a server, or a contact's device) its time and time zone offset",
			parse: func(args string) (command, error) { return oneJID("time", args) }},
		{name: "last", args: "JID", summary: "ask how long a device has been idle, a contact was last seen or a server has been up",
			details: "What the answer means depends on JID: a contact's device (user@domain/resource) tells how long its user has been idle; a contact's account (user@domain), how long ago it went offline (while it is online, 0 or the time since its last logout, as the server has it); a server (domain), how long it has been running.",
			parse:   func(args string) (command, error) { return oneJID("last", args) }},
		{name: "upload", args: "FILE [JID]", summary: "upload a file and send its link to JID (default: the current conversation)",
			details: "The file goes to your server's upload service (XEP-0363), which says how large a file may be; the link goes as a message that clients show as a file (XEP-0066). A name with spaces goes in double quotes.",
			parse:   fileArg("upload", true)},
		{name: "inactive", summary: "tell the server you are not looking, so it may hold back presence and typing notifications"},
		{name: "active", summary: "tell the server you are looking again (the default)"},
		{name: "quit", aliases: []string{"exit"}, summary: "leave every room, sign off and exit (so does end of input, Ctrl-D)"},
	}
}

// textArg parses the arguments of a command that takes text, which must
// not be empty.
func textArg(name string) func(string) (command, error) {
	return func(args string) (command, error) {
		if args == "" {
			return command{}, fmt.Errorf("nothing to send")
		}
		return command{name: name, text: args}, nil
	}
}

// lookup returns the command named name or one of its aliases, or nil.
func lookup(name string) *commandSpec {
	for _, s := range commands {
		if s.name == name {
			return s
		}
		for _, a := range s.aliases {
			if a == name {
				return s
			}
		}
	}
	return nil
}

// usage is a command's synopsis: "/msg JID TEXT".
func (s *commandSpec) usage() string {
	if s.args == "" {
		return "/" + s.name
	}
	return "/" + s.name + " " + s.args
}

// parseError says what is wrong with a line; when the line named a
// command, it shows that command's usage.
type parseError struct {
	spec *commandSpec // nil for an unknown command
	msg  string
}

func (e *parseError) Error() string {
	if e.spec == nil {
		return e.msg
	}
	return fmt.Sprintf("/%s: %s (usage: %s)", e.spec.name, e.msg, e.spec.usage())
}

// parseLine parses one input line. A line that starts with "/" is a
// command; "//" at the start escapes a slash, so that "//etc" sends the text
// "/etc". Any other line is text for the current conversation; a blank line
// is the zero command.
func parseLine(line string) (command, error) {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return command{}, nil
	case strings.HasPrefix(line, "//"):
		return command{text: line[1:]}, nil
	case !strings.HasPrefix(line, "/"):
		return command{text: line}, nil
	}
	name, args := cut(line[1:])
	spec := lookup(strings.ToLower(name))
	if spec == nil {
		return command{}, &parseError{msg: fmt.Sprintf("unknown command /%s (/help lists them)", name)}
	}
	if spec.parse == nil {
		if args != "" {
			return command{}, &parseError{spec: spec, msg: "takes no arguments"}
		}
		return command{name: spec.name}, nil
	}
	c, err := spec.parse(args)
	if err != nil {
		return command{}, &parseError{spec: spec, msg: err.Error()}
	}
	return c, nil
}

// cut splits s at its first run of white space: the first word, and the
// rest with its white space trimmed.
func cut(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// parseJID parses a JID the user typed, with an error that names it.
func parseJID(s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return jid.JID{}, fmt.Errorf("%q is not a valid address (user@domain): %v", s, err)
	}
	return j, nil
}

// jidAndText parses "JID TEXT"; the text is required when needText.
func jidAndText(name string, needText bool) func(string) (command, error) {
	return func(args string) (command, error) {
		word, rest := cut(args)
		if word == "" {
			return command{}, fmt.Errorf("missing JID")
		}
		j, err := parseJID(word)
		if err != nil {
			return command{}, err
		}
		if needText && rest == "" {
			return command{}, fmt.Errorf("nothing to send")
		}
		return command{name: name, to: j, text: rest}, nil
	}
}

// oneJID parses exactly one JID.
func oneJID(name, args string) (command, error) {
	word, rest := cut(args)
	switch {
	case word == "":
		return command{}, fmt.Errorf("missing JID")
	case rest != "":
		return command{}, fmt.Errorf("unexpected %q after the JID", rest)
	}
	j, err := parseJID(word)
	if err != nil {
		return command{}, err
	}
	return command{name: name, to: j}, nil
}

// bareJID parses one JID and keeps its bare part: roster entries and
// subscriptions are per account, not per device.
func bareJID(name string) func(string) (command, error) {
	return func(args string) (command, error) {
		c, err := oneJID(name, args)
		if err != nil {
			return c, err
		}
		c.to = c.to.Bare()
		return c, nil
	}
}

// optionalJID parses zero or one room JID.
func optionalJID(name string) func(string) (command, error) {
	return func(args string) (command, error) {
		if args == "" {
			return command{name: name}, nil
		}
		c, err := oneJID(name, args)
		if err != nil {
			return c, err
		}
		return c, roomJID(c.to)
	}
}

// roomJID checks that j names a room: room@service.
func roomJID(j jid.JID) error {
	if j.Localpart() == "" {
		return fmt.Errorf("%s is not a room: a room is ROOM@SERVICE, such as lounge@conference.example.com", j)
	}
	return nil
}

func parseJoin(args string) (command, error) {
	word, nick := cut(args)
	if word == "" {
		return command{}, fmt.Errorf("missing ROOM@SERVICE")
	}
	j, err := parseJID(word)
	if err != nil {
		return command{}, err
	}
	if err := roomJID(j); err != nil {
		return command{}, err
	}
	if r := j.Resourcepart(); r != "" {
		if nick != "" && nick != r {
			return command{}, fmt.Errorf("two nicknames: %q and %q", r, nick)
		}
		nick = r
	}
	return command{name: "join", to: j.Bare(), text: nick}, nil
}

func parseInvite(args string) (command, error) {
	roomWord, rest := cut(args)
	whoWord, reason := cut(rest)
	if whoWord == "" {
		return command{}, fmt.Errorf("missing ROOM or JID")
	}
	room, err := parseJID(roomWord)
	if err != nil {
		return command{}, err
	}
	if err := roomJID(room); err != nil {
		return command{}, err
	}
	who, err := parseJID(whoWord)
	if err != nil {
		return command{}, err
	}
	return command{name: "invite", to: room.Bare(), who: who, text: reason}, nil
}

// defaultHistory is how many messages /history shows when not told.
const defaultHistory = 20

func parseHistory(args string) (command, error) {
	c, err := jidAndText("history", false)(args)
	if err != nil {
		return c, err
	}
	c.to, c.n = c.to.Bare(), defaultHistory
	if c.text != "" {
		if c.n, err = strconv.Atoi(c.text); err != nil || c.n < 1 {
			return command{}, fmt.Errorf("%q is not a number of messages (1 or more)", c.text)
		}
		c.text = ""
	}
	return c, nil
}

func parsePresence(args string) (command, error) {
	word, status := cut(args)
	if word == "" {
		return command{name: "presence"}, nil
	}
	for _, s := range shows {
		if strings.EqualFold(word, s.word) {
			return command{name: "presence", show: s.show, text: status}, nil
		}
	}
	return command{}, fmt.Errorf("unknown availability %q: one of %s (to change the status text alone, /status)", word, showWords(", "))
}

// showWords lists the words /presence takes, joined by sep.
func showWords(sep string) string {
	words := make([]string, len(shows))
	for i, s := range shows {
		words[i] = s.word
	}
	return strings.Join(words, sep)
}

// showHelp explains the availabilities.
func showHelp() string {
	parts := make([]string, len(shows))
	for i, s := range shows {
		parts[i] = s.word + " (" + s.desc + ")"
	}
	return strings.Join(parts, ", ") + "."
}

// helpLines is what /help prints: every command, or one in detail.
func helpLines(name string) []string {
	if name != "" {
		s := lookup(name)
		lines := []string{s.usage() + ": " + s.summary + "."}
		if s.details != "" {
			lines = append(lines, s.details)
		}
		if len(s.aliases) > 0 {
			lines = append(lines, "Also: /"+strings.Join(s.aliases, ", /")+".")
		}
		return lines
	}
	width := 0
	for _, s := range commands {
		width = max(width, len(s.usage()))
	}
	lines := []string{"Commands (CAPITALS are yours to fill in, [brackets] are optional):"}
	for _, s := range commands {
		lines = append(lines, fmt.Sprintf("  %-*s  %s", width, s.usage(), s.summary))
	}
	return append(lines,
		"A line that does not start with / goes to the current conversation (set by /msg, /to, /join and /say); start it with // to send a line that begins with /.",
		"Incoming lines start with [chat], [room], [presence], [roster], [subscribe], [invite], [history], [bookmark], [vcard], [avatar], [blocked], [upload], [info] or [error]. /help COMMAND tells more about one command.",
	)
}

// parseVCardJID parses /vcard's optional JID, kept as typed: a room
// occupant (room@service/nick) has a vCard of its own.
func parseVCardJID(args string) (command, error) {
	if args == "" {
		return command{name: "vcard"}, nil
	}
	return oneJID("vcard", args)
}

func parseSetVCard(args string) (command, error) {
	word, value := cut(args)
	if word == "" {
		return command{}, fmt.Errorf("missing FIELD: one of %s", settableFields())
	}
	field := strings.ToUpper(word)
	f := vcardField(field)
	switch {
	case f == nil:
		return command{}, fmt.Errorf("no vCard field %s: one of %s", word, settableFields())
	case f.set == nil:
		return command{}, fmt.Errorf("%s is not set with /setvcard: /setavatar FILE sets the picture", field)
	}
	return command{name: "setvcard", field: field, text: value}, nil
}

// fileArg parses "FILE", or "FILE [JID]" when withJID: FILE is one word,
// or a name in double quotes that may hold spaces.
func fileArg(name string, withJID bool) func(string) (command, error) {
	return func(args string) (command, error) {
		file, rest, err := cutFile(args)
		if err != nil {
			return command{}, err
		}
		c := command{name: name, text: file}
		switch {
		case rest == "":
			return c, nil
		case !withJID:
			return command{}, fmt.Errorf("unexpected %q after FILE (a name with spaces goes in double quotes)", rest)
		}
		j, err := oneJID(name, rest)
		if err != nil {
			return command{}, err
		}
		c.to = j.to
		return c, nil
	}
}

// cutFile splits off a file name: the first word, or what is between
// double quotes at the start.
func cutFile(args string) (file, rest string, err error) {
	if !strings.HasPrefix(args, `"`) {
		file, rest = cut(args)
		if file == "" {
			return "", "", fmt.Errorf("missing FILE")
		}
		return file, rest, nil
	}
	end := strings.IndexByte(args[1:], '"')
	if end < 0 {
		return "", "", fmt.Errorf("no closing quote after %s", args)
	}
	file, rest = args[1:1+end], strings.TrimSpace(args[2+end:])
	if file == "" {
		return "", "", fmt.Errorf("missing FILE")
	}
	return file, rest, nil
}

// timeout is how long cmd may take: an upload moves a whole file.
func (c command) timeout() time.Duration {
	if c.name == "upload" {
		return uploadTimeout
	}
	return commandTimeout
}
