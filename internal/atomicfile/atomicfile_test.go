package atomicfile

import (
	"os"
	"path/filepath"
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
