package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWrite: the file holds the new content, no temporary file is left,
// and a failed write leaves nothing behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	require.NoError(t, Write(path, []byte("one")))
	require.NoError(t, Write(path, []byte("two")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	assert.Error(t, Write(filepath.Join(dir, "missing", "f.json"), []byte("x")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o700))
	assert.Error(t, Write(filepath.Join(dir, "d"), []byte("x")), "a directory in the way")
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the file and the directory only")
}

// TestReadJSON: a missing file is not found and no error; a file of
// another format, or not JSON, is ErrFormat; a good one is read.
func TestReadJSON(t *testing.T) {
	dir := t.TempDir()
	var v struct {
		Format int    `json:"format"`
		Last   string `json:"last"`
	}
	found, err := ReadJSON(filepath.Join(dir, "none.json"), 1, &v)
	assert.False(t, found)
	assert.NoError(t, err)
	for name, content := range map[string]string{"other": `{"format":2,"last":"x"}`, "text": `not json`, "type": `{"format":1,"last":3}`} {
		path := filepath.Join(dir, name)
		require.NoError(t, Write(path, []byte(content)))
		_, err := ReadJSON(path, 1, &v)
		assert.ErrorIs(t, err, ErrFormat, name)
	}
	path := filepath.Join(dir, "good.json")
	require.NoError(t, Write(path, []byte(`{"format":1,"last":"id-7"}`)))
	found, err = ReadJSON(path, 1, &v)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "id-7", v.Last)
}

// TestStore: WriteJSON writes what OpenStore reads back, compact or
// indented; OpenStore wraps a foreign file with the store's sentinel and
// its path, a file system error with op; a failed WriteJSON names op and
// path.
func TestStore(t *testing.T) {
	dir := t.TempDir()
	type format struct {
		Format int    `json:"format"`
		Last   string `json:"last"`
	}
	errCorrupt := errors.New("test: corrupt store")
	for _, indent := range []bool{false, true} {
		path := filepath.Join(dir, "s.json")
		require.NoError(t, WriteJSON(path, format{Format: 1, Last: "id-1"}, indent, "test: saving"))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, indent, strings.Contains(string(b), "\n\t"), "indented")
		assert.True(t, strings.HasSuffix(string(b), "}\n"))
		var v format
		found, err := OpenStore(path, 1, &v, errCorrupt, "test: opening")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "id-1", v.Last)

		found, err = OpenStore(path, 2, &v, errCorrupt, "test: opening")
		assert.True(t, found)
		assert.ErrorIs(t, err, errCorrupt)
		assert.ErrorIs(t, err, ErrFormat)
		assert.ErrorContains(t, err, path)
	}
	var v format
	found, err := OpenStore(filepath.Join(dir, "none.json"), 1, &v, errCorrupt, "test: opening")
	assert.False(t, found)
	assert.NoError(t, err)
	_, err = OpenStore(dir, 1, &v, errCorrupt, "test: opening")
	assert.ErrorContains(t, err, "test: opening: ")
	assert.NotErrorIs(t, err, errCorrupt)

	err = WriteJSON(filepath.Join(dir, "missing", "s.json"), format{}, false, "test: saving")
	assert.ErrorContains(t, err, "test: saving "+filepath.Join(dir, "missing", "s.json")+": ")
	assert.Error(t, WriteJSON(filepath.Join(dir, "f.json"), func() {}, false, "test: saving"), "not JSON")
}
