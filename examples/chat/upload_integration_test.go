//go:build integration

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
)

// TestIntegrationChatTerminalUpload: alice uploads a file (its name has
// a space, given in quotes) to bob, named in /upload, then one to the
// current conversation, bob again; bob gets each link, which serves the
// bytes uploaded. A file over the service's limit (10 MiB, as
// scripts/servers configure it) is refused before anything is sent. It
// needs the servers' upload services.
func TestIntegrationChatTerminalUpload(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminalUpload(t, bin, s) })
}

func chatTerminalUpload(t *testing.T, bin string, s *testserver.Server) {
	id := testserver.Unique("")
	a, b := startPair(t, bin, s, "upload", false)
	qaFull := regexp.QuoteMeta(a.jid)
	dir := t.TempDir()

	data := bytes.Repeat([]byte("gosmack chat upload "+id+"\n"), 4096)
	named := filepath.Join(dir, "notes "+id+".txt")
	require.NoError(t, os.WriteFile(named, data, 0o600))
	a.send(t, `/upload "`+named+`" `+b.jid)
	url := a.expectSub(t, `^\[upload\] `+regexp.QuoteMeta(named)+`: `+strconv.Itoa(len(data))+` bytes, (https://\S+)$`)
	b.expect(t, `^\[chat\] `+qaFull+`: `+regexp.QuoteMeta(url)+`$`)
	assert.Equal(t, data, httpsGet(t, s, url), "%s: the file served is the one uploaded", s.Name)

	small := filepath.Join(dir, "small-"+id+".bin")
	require.NoError(t, os.WriteFile(small, []byte{0, 1, 2, 3}, 0o600))
	a.send(t, "/to "+b.jid)
	a.send(t, "/upload "+small)
	url = a.expectSub(t, `^\[upload\] `+regexp.QuoteMeta(small)+`: 4 bytes, (https://\S+)$`)
	b.expect(t, `^\[chat\] `+qaFull+`: `+regexp.QuoteMeta(url)+`$`)
	assert.Equal(t, []byte{0, 1, 2, 3}, httpsGet(t, s, url), s.Name)

	large := filepath.Join(dir, "large-"+id+".bin")
	f, err := os.Create(large)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(10<<20+1)) // sparse: nothing written
	require.NoError(t, f.Close())
	a.send(t, "/upload "+large)
	a.expect(t, `^\[error\] /upload: `+regexp.QuoteMeta(large)+`: upload: a file of 10485761 bytes is too large .*\(nothing was sent\)$`)

	for _, tm := range []*terminal{a, b} {
		tm.send(t, "/quit")
		require.Equal(t, 0, tm.wait(t), "%s's exit code", tm.jid)
	}
}

// expectSub waits for a line matching pattern, as expect does, and
// returns what its first group matched.
func (tm *terminal) expectSub(t *testing.T, pattern string) string {
	t.Helper()
	return regexp.MustCompile(pattern).FindStringSubmatch(tm.expect(t, pattern))[1]
}

// httpsGet fetches url, trusting only s's CA.
func httpsGet(t *testing.T, s *testserver.Server, url string) []byte {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLSConfig()}, Timeout: waitTimeout}
	defer client.CloseIdleConnections()
	res, err := client.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "%s: GET %s", s.Name, url)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return body
}
