// Command chat is an interactive terminal client, in the spirit of Spark
// but line by line: it logs in, shows the roster with each contact's
// presence, prints messages, presence changes, room messages and
// invitations as they arrive, and reads commands from its standard input.
//
// Against the local Prosody of scripts/servers/prosody.sh, as alice:
//
//	scripts/servers/prosody.sh start   # prints the CA path
//	XMPP_PASSWORD=alice-secret go run ./examples/chat \
//		-jid alice@localhost/terminal -addr 127.0.0.1:15222 -ca /tmp/gosmack/prosody/pki/ca.pem
//
// and as bob in another terminal. Then type /help. A session:
//
//	[info] online as alice@localhost/terminal via tcp; /help lists the commands
//	[roster] bob@localhost "Bob" (mutual): available
//	/msg bob@localhost hello
//	[chat] bob@localhost/desk: hi Alice
//	/join lounge@conference.localhost
//	[room] lounge@conference.localhost * you created the room and joined as alice; occupants: alice (moderator)
//	[room] lounge@conference.localhost * bob joined
//	welcome, Bob
//	[room] lounge@conference.localhost <alice> welcome, Bob
//	/quit
//	[room] lounge@conference.localhost * you left
//	[info] signing off
//
// The commands (/help shows them, /help COMMAND explains one):
//
//	/help [COMMAND]                   list the commands, or explain one
//	/roster                           the contacts, their subscription and presence
//	/msg JID TEXT                     send a chat message; JID becomes the current conversation
//	/to JID                           make a contact or joined room the current conversation
//	/reply TEXT                       answer whoever last sent a chat message
//	/correct TEXT                     replace the last message sent in the current conversation
//	/me ACTION                        send an action ("/me waves") to the current conversation
//	/add JID [NAME]                   add a contact and ask to see its presence
//	/remove JID                       remove a contact
//	/approve JID, /deny JID           answer a subscription request
//	/presence [SHOW] [STATUS]         available, chat, away, xa or dnd, with a status text
//	/status [STATUS]                  change the status text alone
//	/join ROOM@SERVICE [NICK]         enter a room, creating it when needed
//	/say ROOM TEXT                    talk in a joined room
//	/who [ROOM], /rooms               the occupants of a room, the rooms joined
//	/invite ROOM JID [REASON]         invite someone into a joined room
//	/leave [ROOM]                     leave a room
//	/history JID [N]                  the last N (20) archived messages with a contact, or of a joined room
//	/bookmarks                        your room bookmarks, kept by your server for all your clients
//	/bookmark ROOM [NICK] [autojoin]  bookmark a room; autojoin: your clients enter it at start
//	/unbookmark ROOM                  remove a room's bookmark
//	/vcard [JID]                      a vCard: yours, or JID's
//	/setvcard FIELD [VALUE]           set (or clear) one field of your vCard, keeping the others
//	/avatar JID                       a contact's avatar: its SHA-1, type and size
//	/setavatar FILE                   make a PNG or JPEG image your avatar
//	/block JID, /unblock JID          block or unblock someone (XEP-0191)
//	/blocked                          the JIDs you block
//	/version JID, /time JID, /last JID  ask a server or a contact's device its software, time, idle time
//	/upload FILE [JID]                upload a file and send its link (default: to the current conversation)
//	/inactive, /active                tell the server whether you are looking (XEP-0352)
//	/quit                             leave the rooms, sign off and exit
//
// A line that does not start with "/" goes to the current conversation, a
// contact or a room; "//" at the start sends a line that begins with "/".
//
// At start, the client enters the rooms bookmarked with autojoin
// (XEP-0402), each shown as /join shows it ("[room] ROOM * you joined as
// NICK; occupants: ..."), with the bookmark's nickname or your user name;
// a room that refuses shows as an [error].
//
// # Output
//
// Everything is printed on standard output one line at a time, each line
// starting with a tag that says what it is: [chat] (a message received,
// "from: text"; what your other clients sent, "me (DEVICE) -> to: text",
// and received, "from (to DEVICE): text", through message carbons),
// [room] ("room <nick> text" for a room message, "room *
// what happened" for its events), [presence] ("jid: available", "jid: away:
// status", "jid: offline"), [roster], [subscribe] (someone asks to see
// your presence: /approve or /deny), [invite], [history] (/history's
// "TIMESTAMP FROM: TEXT" lines, oldest first, the time in RFC 3339 UTC and
// FROM "me", the contact's bare JID or a room's nickname, then "end (K
// messages)"), [vcard] (/vcard's "JID: FIELD=VALUE" lines for the filled
// fields, in the order FN, NICKNAME, EMAIL, TEL, URL, ORG, TITLE, ROLE,
// BDAY, NOTE, DESC, PHOTO, then "end"), [avatar] (/avatar's "JID: SHA1
// TYPE BYTES" or "JID: none", and "JID changed: SHA1" when a contact's
// avatar changes, and at login for each contact's current one, as the
// server sends it: heard as a User Avatar, XEP-0084, or as the hash of a
// vCard picture in presence, XEP-0153, both of which name the image by
// the SHA-1 of its bytes, so a change heard both ways prints once),
// [bookmark] (/bookmarks's "ROOM NAME autojoin=yes|no" lines, sorted by
// room, NAME "-" for a bookmark without one, then "end"; "set by another
// client: ROOM NAME autojoin=yes|no" and "removed by another client:
// ROOM" when another of your clients changes them and your server
// announces it, which ejabberd does not do for removals), [blocked]
// (/blocked's JIDs, then "end"), [upload] (/upload's "FILE: N bytes,
// URL"), [info] (what a command did, and /version's, /time's and
// /last's "JID: ..." answers; a refusal is an [error] with the stanza
// error's condition),
// and a message that arrived while a lost session was being replaced,
// fetched from the message archive after the new session starts, as
// "[chat] bob@example.com/desk (archived 2026-01-02T03:04:05Z): text"
// (the archive's time, RFC 3339 UTC). The place in the archive is kept in
// memory, so this happens only after a session lost while the client
// runs, not for what arrived before it started (offline messages the
// server keeps show as "(sent while you were away)" then),
// [error] and [help]. A correction of a message (XEP-0308) shows as
// "[chat] bob@example.com/desk (corrected): the new text", and only when it
// comes from the sender of the message it replaces; an action (XEP-0245)
// as "[chat] * bob@example.com waves". [typing] says that a contact "is
// typing" or "paused" (XEP-0085), once per change; the client itself
// sends no typing notifications (it reads whole lines), only the
// "active" that goes with each message. Text from the network is printed on one line, its
// line breaks as \n and its control characters escaped, so that nobody
// can send escape sequences to your terminal. There is no prompt: what
// you type is echoed by the terminal, and other lines may arrive while
// you type.
//
// A message to a bare JID follows the conversation (RFC 6121 section 5.1,
// package chat): it goes to the device the contact last wrote from, or to
// the server's choice. A message to a full JID (user@domain/resource) goes
// to that device, and the conversation stays with it until the contact
// writes from another or that device goes offline.
//
// # Ending
//
// /quit, the end of the input (Ctrl-D) and SIGINT or SIGTERM (Ctrl-C) leave
// the rooms, close the connection and exit 0. When the server ends the
// connection, chat prints why and exits 1; so does a failed login, with one
// line on stderr. The flags are those of every example
// (examples/internal/cli); run with -h for the list.
package main

import (
	"context"
	"os"

	"github.com/gosmack/gosmack/examples/internal/cli"
	"github.com/gosmack/gosmack/xmpp"
)

func main() {
	cli.Main("chat", nil, func(ctx context.Context, cfg xmpp.Config) error {
		return newClient(cfg, os.Stdout).run(ctx, os.Stdin)
	})
}
