//go:build integration

package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
)

// TestIntegrationChatTerminalProfile: two terminals on new accounts
// subscribed to each other. alice fills her vCard field by field and bob
// reads it; alice makes a PNG her avatar and bob hears the change once
// and reads it with /avatar; alice blocks bob, lists him, drops what he
// sends meanwhile, and unblocks him; alice asks the server and bob's
// terminal their software version, time and last activity, and gets
// an error for a device that is not online; alice goes
// inactive and active, still getting messages.
func TestIntegrationChatTerminalProfile(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminalProfile(t, bin, s) })
}

func chatTerminalProfile(t *testing.T, bin string, s *testserver.Server) {
	id := testserver.Unique("")
	a, b := startPair(t, bin, s, "profile", true)
	aliceBare, bobBare := jid.MustParse(a.jid).Bare().String(), jid.MustParse(b.jid).Bare().String()
	qa, qb := regexp.QuoteMeta(aliceBare), regexp.QuoteMeta(bobBare)
	qbFull := regexp.QuoteMeta(b.jid)
	qd := regexp.QuoteMeta(s.Domain)

	// vCard: set field by field (each a read-modify-write), read by bob.
	for _, f := range [][2]string{
		{"FN", "Alice Example"}, {"NICKNAME", "ally"}, {"EMAIL", "alice@example.com"},
		{"URL", "https://example.com/alice"}, {"NOTE", "note " + id},
	} {
		a.send(t, "/setvcard "+f[0]+" "+f[1])
		a.expect(t, `^\[info\] set `+f[0]+` in your vCard$`)
	}
	b.send(t, "/vcard "+aliceBare)
	b.expectRun(t, `^\[vcard\] end$`,
		`^\[vcard\] `+qa+`: FN=Alice Example$`,
		`^\[vcard\] `+qa+`: NICKNAME=ally$`,
		`^\[vcard\] `+qa+`: EMAIL=alice@example\.com$`,
		`^\[vcard\] `+qa+`: URL=https://example\.com/alice$`,
		`^\[vcard\] `+qa+`: NOTE=note `+id+`$`)
	a.send(t, "/vcard")
	a.expect(t, `^\[vcard\] `+qa+`: NOTE=note `+id+`$`)

	// Avatar. bob's interest (+notify in his caps) may reach the server
	// after a first publish: a new image until bob hears one.
	dir := t.TempDir()
	var sum string
	var size int
	for attempt := 0; ; attempt++ {
		file := filepath.Join(dir, "avatar-"+strconv.Itoa(attempt)+".png")
		img := image.NewRGBA(image.Rect(0, 0, 4, 3))
		img.Set(0, 0, color.RGBA{R: uint8(attempt), G: 100, A: 255})
		var buf bytes.Buffer
		require.NoError(t, png.Encode(&buf, img))
		require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o600))
		h := sha1.Sum(buf.Bytes())
		sum, size = hex.EncodeToString(h[:]), buf.Len()
		a.send(t, "/setavatar "+file)
		a.expect(t, `^\[info\] `+regexp.QuoteMeta(file)+` \(4x3\) published as your avatar .*: `+sum+` image/png `+strconv.Itoa(size)+`$`)
		if _, ok := b.await(`^\[avatar\] `+qa+` changed: `+sum+`$`, 5*time.Second); ok {
			break
		}
		require.Less(t, attempt, 4, "%s: bob heard none of alice's avatars", s.Name)
	}
	b.send(t, "/avatar "+aliceBare)
	b.expect(t, `^\[avatar\] `+qa+`: `+sum+` image/png `+strconv.Itoa(size)+`$`)
	b.send(t, "/vcard "+aliceBare)
	b.expect(t, `^\[vcard\] `+qa+`: PHOTO=`+sum+` image/png `+strconv.Itoa(size)+`$`)
	a.send(t, "/avatar "+bobBare)
	a.expect(t, `^\[avatar\] `+qb+`: none$`)
	// By now both kinds of news of the change (XEP-0084, XEP-0153) have
	// come: the avatar was printed once.
	assert.Equal(t, 1, b.count(`^\[avatar\] `+qa+` changed: `+sum+`$`), "%s: the change printed once", s.Name)

	// Blocking: nothing bob sends reaches alice while she blocks him.
	a.send(t, "/block "+bobBare)
	a.expect(t, `^\[info\] blocked `+qb+`$`)
	// The list shows the change at once, though ejabberd may push it
	// after Block's answer.
	a.send(t, "/blocked")
	a.expect(t, `^\[blocked\] end$`)
	assert.Equal(t, 1, a.count(`^\[blocked\] `+qb+`$`), "%s: the block list shows %s", s.Name, bobBare)
	b.send(t, "/msg "+a.jid+" while blocked "+id)
	// The server handles bob's stanzas in order: once it answers this,
	// it has dropped the message.
	b.send(t, "/version "+s.Domain)
	b.expect(t, `^\[info\] `+qd+`: software `)
	a.send(t, "/unblock "+bobBare)
	a.expect(t, `^\[info\] unblocked `+qb+`$`)
	b.send(t, "/msg "+a.jid+" after the block "+id)
	a.expect(t, `^\[chat\] `+qbFull+`: after the block `+id+`$`)
	assert.Zero(t, a.count(`while blocked`), "%s: a message from a blocked contact was shown", s.Name)

	// The small queries, of the server and of bob's terminal.
	stamp := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)`
	a.send(t, "/version "+s.Domain)
	a.expect(t, `^\[info\] `+qd+`: software \S+`)
	a.send(t, "/version "+b.jid)
	a.expect(t, `^\[info\] `+qbFull+`: software gosmack chat \S+$`)
	a.send(t, "/time "+s.Domain)
	a.expect(t, `^\[info\] `+qd+`: time `+stamp+`$`)
	a.send(t, "/time "+b.jid)
	a.expect(t, `^\[info\] `+qbFull+`: time `+stamp+`$`)
	a.send(t, "/last "+s.Domain)
	a.expect(t, `^\[info\] `+qd+`: up \S+$`)
	a.send(t, "/last "+b.jid)
	a.expect(t, `^\[info\] `+qbFull+`: idle \d+(\.\d+)?[hms]`)
	// A device that is not there: the server's stanza error.
	a.send(t, "/time "+bobBare+"/nowhere")
	a.expect(t, `^\[error\] /time: `+qb+`/nowhere: service-unavailable`)

	// Client state: messages still come while inactive. The [info]
	// line may come before the server has the <inactive/>: after a
	// round trip it has, so that bob's message is not written out (and
	// held by Prosody's mod_csi_simple, which pauses the writes still
	// buffered, a message among them) while the server takes it.
	a.send(t, "/inactive")
	a.expect(t, `^\[info\] you are inactive: `)
	a.send(t, "/last "+s.Domain)
	a.expectCount(t, `^\[info\] `+qd+`: up `, 2)
	b.send(t, "/msg "+a.jid+" while inactive "+id)
	a.expect(t, `^\[chat\] `+qbFull+`: while inactive `+id+`$`)
	a.send(t, "/active")
	a.expect(t, `^\[info\] you are active: `)

	for _, tm := range []*terminal{a, b} {
		tm.send(t, "/quit")
		require.Equal(t, 0, tm.wait(t), "%s's exit code", tm.jid)
	}
}

// startPair makes two accounts on s, PREFIX-alice and PREFIX-bob,
// subscribed to each other when subscribe, and runs a terminal for each
// (resource "chat"); it returns once both have listed their roster.
func startPair(t *testing.T, bin string, s *testserver.Server, prefix string, subscribe bool) (alice, bob *terminal) {
	t.Helper()
	aliceCfg, bobCfg := s.NewAccount(t, prefix+"-alice"), s.NewAccount(t, prefix+"-bob")
	if subscribe {
		testserver.SubscribeMutually(t, aliceCfg, bobCfg)
	}
	alice = startTerminal(t, bin, s, aliceCfg.JID.String()+"/chat", aliceCfg.Password)
	bob = startTerminal(t, bin, s, bobCfg.JID.String()+"/chat", bobCfg.Password)
	for _, tm := range []*terminal{alice, bob} {
		tm.expect(t, `^\[info\] online as `)
		tm.expect(t, `^\[roster\] `)
	}
	return alice, bob
}
