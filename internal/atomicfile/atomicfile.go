// Package atomicfile writes a file so that it holds either its old
// content or its new one, never a part: what the stores of the feature
// packages (a roster's version, the last archive id, a FAST token) rely
// on after a crash. ReadJSON reads such a store back, with the version
// of its format checked.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes b to path: a temporary file in the same directory (so
// that the rename stays on one file system), synced, then renamed over
// path. On failure the temporary file is removed and path is unchanged.
func Write(path string, b []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
