package mam_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// presenceSent is the initial presence, which a catch-up holds back
// until it reached the archive's end; then it asks, with the query
// {{q9}}, for what arrived after the archive id after until the server
// took the presence: here nothing.
func presenceSent(after string) string {
	return `
C: <presence id='{{p}}'/>` + catchUpQuery("q9", "qid9", after) + `
S: <iq type='result' id='{{q9}}'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'/></fin></iq>`
}

// withPresence has the connection send its initial presence.
func withPresence(cfg *xmpp.Config) { cfg.NoInitialPresence = false }

// withID gives the archived message of a result (see result) the id id.
func withID(result, id string) string {
	return strings.Replace(result, ` type='chat'>`, ` type='chat' id='`+id+`'>`, 1)
}

// offlineMsg is a chat message from from that the server kept offline,
// with a delay and, when sid is not "", the stanza-id sid by by.
func offlineMsg(from, id, body, sid, by string) string {
	s := ""
	if sid != "" {
		s = `<stanza-id xmlns='urn:xmpp:sid:0' id='` + sid + `' by='` + by + `'/>`
	}
	return `
S: <message from='` + from + `' to='alice@localhost' type='chat' id='` + id + `'><body>` + body + `</body><delay xmlns='urn:xmpp:delay' from='localhost' stamp='2026-01-02T03:04:00Z'/>` + s + `</message>`
}

// TestCatchUpOffline: the initial presence waits for the catch-up to
// reach the archive's end; then the server sends its offline messages,
// which its archive holds too: those the catch-up delivered are
// dropped, known by their stanza-id (the archive id) or, without one,
// by their sender, id and body; one newer than the archive's end is
// delivered. One more page fetches what arrived before the server took
// the presence: what came live since (three) is not delivered again,
// what did not (four: Prosody sends no offline messages to a session
// that queried the archive) is, and moves the Store; since that page
// found something new, the catch-up asks once more from the same
// place, and finds nothing new.
func TestCatchUpOffline(t *testing.T) {
	tr := transcript(t, discoAs("d1")+discoAs("d2")+catchUpQuery("q1", "a", "A0")+
		result(mam.NS, "", "{{a}}", "A1", "2026-01-02T03:04:05Z", "bob@localhost/b", "alice@localhost", "one")+
		withID(result(mam.NS, "", "{{a}}", "A2", "2026-01-02T03:04:06Z", "bob@localhost/b", "alice@localhost", "two"), "m-two")+
		finOf("q1", "A1", "A2", true)+`
C: <presence id='{{p}}'/>`+
		catchUpQuery("q2", "b", "A2")+
		offlineMsg("bob@localhost/b", "m-one", "one", "A1", "alice@localhost")+
		offlineMsg("bob@localhost/b", "m-two", "two", "", "")+
		offlineMsg("bob@localhost/b", "m-three", "three", "A3", "alice@localhost")+
		result(mam.NS, "", "{{b}}", "A3", "2026-01-02T03:04:07Z", "bob@localhost/b", "alice@localhost", "three")+
		result(mam.NS, "", "{{b}}", "A4", "2026-01-02T03:04:08Z", "bob@localhost/b", "alice@localhost", "four")+
		finOf("q2", "A3", "A4", true)+
		catchUpQuery("q3", "c", "A2")+ // four was not received live: once more, from the same place
		result(mam.NS, "", "{{c}}", "A3", "2026-01-02T03:04:07Z", "bob@localhost/b", "alice@localhost", "three")+
		result(mam.NS, "", "{{c}}", "A4", "2026-01-02T03:04:08Z", "bob@localhost/b", "alice@localhost", "four")+
		finOf("q3", "A3", "A4", true)+
		caughtUpSent+ctlDone)
	log, store := playCatchUp(t, tr, "A0", withPresence)
	assert.Equal(t, []string{
		"archived A1 2026-01-02T03:04:05Z bob@localhost/b: one",
		"archived A2 2026-01-02T03:04:06Z bob@localhost/b: two",
		"live three",
		"archived A4 2026-01-02T03:04:08Z bob@localhost/b: four",
		"caught up 3 A4 <nil>",
	}, log.Lines())
	last, err := store.Load()
	require.NoError(t, err)
	assert.Equal(t, "A4", last)
}

// TestCatchUpForgedStanzaID: a server that does not announce
// urn:xmpp:sid:0 lets senders write stanza-ids. One by another JID than
// the account is no key at all; one by the account that a stranger
// copies from a real archive id (here carol, A1 and A2 being bob's) is
// carol's: neither suppresses bob's messages, nor are carol's taken for
// repeats of bob's.
func TestCatchUpForgedStanzaID(t *testing.T) {
	tr := transcript(t, discoNoSID+catchUpQuery("q1", "a", "A0")+
		offlineMsg("carol@localhost/c", "c-1", "spoof", "A1", "alice@localhost")+
		offlineMsg("dave@localhost/d", "d-1", "other by", "A2", "bob@localhost")+
		result(mam.NS, "", "{{a}}", "A1", "2026-01-02T03:04:05Z", "bob@localhost/b", "alice@localhost", "one")+
		result(mam.NS, "", "{{a}}", "A2", "2026-01-02T03:04:06Z", "bob@localhost/b", "alice@localhost", "two")+
		finOf("q1", "A1", "A2", true)+
		presenceSent("A2")+caughtUpSent+
		offlineMsg("carol@localhost/c", "c-2", "spoof again", "A2", "alice@localhost")+
		offlineMsg("bob@localhost/b", "m-new", "new", "A2", "carol@localhost")+
		ctlDone)
	log, _ := playCatchUp(t, tr, "A0", withPresence)
	assert.Equal(t, []string{
		"live spoof", "live other by",
		"archived A1 2026-01-02T03:04:05Z bob@localhost/b: one",
		"archived A2 2026-01-02T03:04:06Z bob@localhost/b: two",
		"caught up 2 A2 <nil>",
		"live spoof again", "live new",
	}, log.Lines())
}

// TestCatchUpEmptyArchive: at the first login, with nothing stored and
// an empty archive, the catch-up lets the presence go at once,
// delivers nothing and stores nothing; the next new session of the
// same Client starts at the archive's beginning, with the presence
// held until the archive's end.
func TestCatchUpEmptyArchive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scripts := []string{
			// A first login: the presence goes out at once.
			login + bind + discoAs("d1") + `
C: <presence id='{{p}}'/>` + discoAs("d2") + `
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{a}}'><set xmlns='http://jabber.org/protocol/rsm'><max>1</max><before/></set></query></iq>
S: <iq type='result' id='{{q}}'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'/></fin></iq>` +
				caughtUpSent,
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='3' previd='sm-1'/>
S: <failed xmlns='urn:xmpp:sm:3'/>
` + bind + strings.ReplaceAll(caughtUpSent, "{{s}}", "{{again}}") + // unacknowledged, sent again
				discoAs("d1") + discoAs("d2") + `
C: <iq type='set' id='{{q}}'><query xmlns='urn:xmpp:mam:2' queryid='{{a}}'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max></set></query></iq>` +
				result(mam.NS, "", "{{a}}", "A1", "2026-01-02T03:04:07Z", "bob@localhost/b", "alice@localhost", "first") +
				finOf("q", "A1", "A1", true) + presenceSent("A1") + caughtUpSent + ctlDone,
		}
		log := playSessions(t, scripts, withPresence, func(cfg *xmpp.Config) {
			cfg.StreamManagement.RequestEvery = 100 // no ack request in the way
		})
		assert.Equal(t, []string{
			"state authenticated", "caught up 0  <nil>",
			"state closed", "state authenticated",
			"archived A1 2026-01-02T03:04:07Z bob@localhost/b: first",
			"caught up 1 A1 <nil>",
		}, log)
	})
}
