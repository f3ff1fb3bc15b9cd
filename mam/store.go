package mam

import (
	"errors"
	"sync"

	"github.com/gosmack/gosmack/internal/atomicfile"
)

// Store keeps the archive id of the last message of the account's
// archive that the user has seen, between sessions and, for a Store
// that outlives the process, between runs: where the next catch-up
// starts (see Client.SetCatchUp). Client.SetStore gives one to the
// Client. The Client calls it one call at a time: Load when a catch-up
// starts, on the catch-up's goroutine; Save on the connection's
// dispatcher, after the messages up to that id were delivered, and for
// each live message whose archive id the Client trusts while no
// catch-up runs. A slow Store thus holds up the connection's
// dispatcher.
//
// A Store must keep what it saved whole: after a failed Save, Load
// returns an earlier id or "", never a damaged one.
type Store interface {
	// Load returns the stored archive id; an empty store returns "".
	Load() (last string, err error)
	// Save replaces the stored archive id with last.
	Save(last string) error
}

// MemoryStore is a Store in memory, the one a Client starts with: the
// id survives a new session of the same Conn, not the process. Its zero
// value is an empty store, ready to use; it is safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	last string
}

// Load returns the stored id.
func (m *MemoryStore) Load() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, nil
}

// Save stores last.
func (m *MemoryStore) Save(last string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = last
	return nil
}

// ErrCorruptStore means a FileStore's file could not be read as a
// catch-up store. The error that says so names the file and the cause;
// delete the file (the next catch-up then starts at the archive's end)
// or fix it.
var ErrCorruptStore = errors.New("mam: corrupt catch-up store")

// fileFormat is the file's JSON.
type fileFormat struct {
	Format int    `json:"format"` // fileVersion
	Last   string `json:"last"`
}

const fileVersion = 1

// FileStore is a Store in one JSON file. Every Save writes a temporary
// file in the same directory, syncs it and renames it over the old one,
// so that the file always holds a whole id, even after a crash. It
// keeps a copy in memory: Load does not read the file again. A
// FileStore is safe for concurrent use, but two FileStores (or two
// processes, or two accounts) must not share a file. OpenFileStore
// makes one; the zero value is not usable.
type FileStore struct {
	path string
	mu   sync.Mutex
	last string
}

// OpenFileStore returns a store kept in the file at path. A missing
// file is an empty store (the file is written at the first Save); a
// file that is not a catch-up store is reported with an error matching
// ErrCorruptStore.
func OpenFileStore(path string) (*FileStore, error) {
	f := &FileStore{path: path}
	var ff fileFormat
	found, err := atomicfile.OpenStore(path, fileVersion, &ff, ErrCorruptStore, "mam: opening the store")
	if err != nil {
		return nil, err
	}
	if found {
		f.last = ff.Last
	}
	return f, nil
}

// Path returns the file's path.
func (f *FileStore) Path() string { return f.path }

// Load returns the stored id.
func (f *FileStore) Load() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, nil
}

// Save stores last and writes the file. After a failed write the file
// keeps the id saved before, and Load returns last.
func (f *FileStore) Save(last string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = last
	return f.writeLocked()
}

// writeLocked writes the id atomically (internal/atomicfile).
func (f *FileStore) writeLocked() error {
	return atomicfile.WriteJSON(f.path, fileFormat{Format: fileVersion, Last: f.last}, false, "mam: saving the store")
}
