// Package examples holds runnable programs, one main package per folder,
// each taking the flags of examples/internal/cli (-jid, -password or
// XMPP_PASSWORD, -addr, -direct-tls, -ca, -mechanism, -v, -record):
//
//   - echobot: answers every chat or normal message with its text
//     (make demo runs it on a local Prosody);
//   - echoclient: sends a few messages to a bot and checks the echoes;
//   - mucbot: joins rooms (-room, may repeat; -nick) and the rooms it is
//     invited to, and answers "<nick>: text" with the text;
//   - chat: a line-oriented terminal client (roster and presence,
//     messages, rooms, invitations); /help lists its commands.
package examples
