// Package examples holds runnable programs, one main package per folder,
// each taking the flags of examples/internal/cli (-jid, -password or
// XMPP_PASSWORD, -addr, -direct-tls, -ca, -mechanism, -v, -record):
//
//   - echobot: answers every chat or normal message with its text
//     (make demo runs it on a local Prosody);
//   - echoclient: sends a few messages to a bot and checks the echoes.
//
// A MUC bot and a terminal chat client come with the MUC and roster
// issues.
package examples
