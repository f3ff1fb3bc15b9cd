package roster_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ roster.Store = (*roster.MemoryStore)(nil)
var _ roster.Store = (*roster.FileStore)(nil)

var storeEntries = []roster.Entry{
	{JID: jid.MustParse("0347a8a25e9074b0@oatest.dgcb.com.cn"), Name: "李**", Subscription: roster.SubscriptionTo},
	{JID: jid.MustParse("romeo@example.net"), Name: "Romeo", Groups: []string{"Friends", "Lovers"}, Subscription: roster.SubscriptionBoth},
	{JID: jid.MustParse("nurse@example.com"), Subscription: roster.SubscriptionNone, Ask: roster.AskSubscribe, Approved: true},
}

// TestStores: both stores replace, update (add, change, remove) and load
// in the same way; a FileStore opened again on its file has it all.
func TestStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.json")
	fs, err := roster.OpenFileStore(path)
	require.NoError(t, err)
	for name, s := range map[string]roster.Store{"memory": new(roster.MemoryStore), "file": fs} {
		t.Run(name, func(t *testing.T) {
			ver, entries, err := s.Load()
			require.NoError(t, err)
			assert.Empty(t, ver)
			assert.Empty(t, entries)

			require.NoError(t, s.Replace("v1", storeEntries))
			require.NoError(t, s.Update("v2", []roster.Entry{
				{JID: jid.MustParse("romeo@example.net"), Subscription: roster.SubscriptionRemove},
				{JID: jid.MustParse("tybalt@example.com"), Name: "Tybalt", Subscription: roster.SubscriptionFrom},
			}))
			require.NoError(t, s.Update("", []roster.Entry{{JID: jid.MustParse("nurse@example.com"), Name: "Nurse", Subscription: roster.SubscriptionBoth}}))
			want := []roster.Entry{
				storeEntries[0],
				{JID: jid.MustParse("nurse@example.com"), Name: "Nurse", Subscription: roster.SubscriptionBoth},
				{JID: jid.MustParse("tybalt@example.com"), Name: "Tybalt", Subscription: roster.SubscriptionFrom},
			}
			ver, entries, err = s.Load()
			require.NoError(t, err)
			assert.Equal(t, "v2", ver, "an empty ver keeps the stored one")
			assert.Equal(t, want, entries)
			entries[0].Groups = append(entries[0].Groups, "x")
			_, again, _ := s.Load()
			assert.Equal(t, want, again, "Load returns copies")

			if f, ok := s.(*roster.FileStore); ok {
				reopened, err := roster.OpenFileStore(f.Path())
				require.NoError(t, err)
				ver, entries, err := reopened.Load()
				require.NoError(t, err)
				assert.Equal(t, "v2", ver)
				assert.Equal(t, want, entries)
			}
		})
	}
}

// TestFileStoreAtomic: each write goes to a temporary file renamed over
// the old one: no temporary file stays behind, a failed write leaves the
// old file whole, and the next write after a failure writes everything.
func TestFileStoreAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.json")
	s, err := roster.OpenFileStore(path)
	require.NoError(t, err)
	require.NoError(t, s.Replace("v1", storeEntries))
	names := func() []string {
		des, err := os.ReadDir(dir)
		require.NoError(t, err)
		var l []string
		for _, de := range des {
			l = append(l, de.Name())
		}
		return l
	}
	assert.Equal(t, []string{"roster.json"}, names())
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	// Make the rename fail: the path becomes a non-empty directory.
	moved := filepath.Join(dir, "moved.json")
	require.NoError(t, os.Rename(path, moved))
	require.NoError(t, os.MkdirAll(filepath.Join(path, "x"), 0o755))
	err = s.Update("v2", []roster.Entry{{JID: jid.MustParse("tybalt@example.com"), Subscription: roster.SubscriptionBoth}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.ElementsMatch(t, []string{"moved.json", "roster.json"}, names(), "the temporary file is removed")
	after, err := os.ReadFile(moved)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	// The store still has the change, and writes it all next time.
	require.NoError(t, os.RemoveAll(path))
	require.NoError(t, s.Update("v3", nil))
	reopened, err := roster.OpenFileStore(path)
	require.NoError(t, err)
	ver, entries, _ := reopened.Load()
	assert.Equal(t, "v3", ver)
	assert.Len(t, entries, 4)
}

// TestFileStoreCorrupt: a file that is not a roster store is refused
// with an error that names it and matches ErrCorruptStore; a missing file
// is an empty store.
func TestFileStoreCorrupt(t *testing.T) {
	dir := t.TempDir()
	s, err := roster.OpenFileStore(filepath.Join(dir, "missing.json"))
	require.NoError(t, err)
	ver, entries, err := s.Load()
	require.NoError(t, err)
	assert.Empty(t, ver)
	assert.Empty(t, entries)

	for name, content := range map[string]string{
		"garbage":      "not json",
		"truncated":    `{"format":1,"ver":"v1","entries":[{"jid":"romeo@example.net",`,
		"format":       `{"format":99,"ver":"v1","entries":[]}`,
		"no format":    `{"ver":"v1","entries":[]}`,
		"bad jid":      `{"format":1,"ver":"v1","entries":[{"jid":"@example.net","subscription":"both"}]}`,
		"subscription": `{"format":1,"ver":"v1","entries":[{"jid":"romeo@example.net","subscription":"remove"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".json")
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			_, err := roster.OpenFileStore(path)
			require.ErrorIs(t, err, roster.ErrCorruptStore)
			assert.Contains(t, err.Error(), path)
		})
	}
}
