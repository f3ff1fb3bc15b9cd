package roster

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/internal/atomicfile"
	"github.com/gosmack/gosmack/jid"
)

// Store keeps a roster and its version between logins, for roster
// versioning (RFC 6121 section 2.6; Smack's RosterStore); Roster.SetStore
// gives one to the Roster. The Roster calls it one call at a time, never
// holding a lock that Entries or Entry take: Load when a fetch takes the
// Store (on the connection's dispatcher for the fetch at login, on the
// caller's goroutine for Roster.Load), Replace and Update on the
// dispatcher, in the order of the changes. A slow Store thus holds up the
// connection's dispatcher, not the readers of the roster.
//
// A Store must keep what it saved consistent: after a failed Replace or
// Update, Load must return an earlier complete state (an older version
// with its entries) or nothing, never a mixture, because the Roster asks
// the server for the changes since the version Load returns.
type Store interface {
	// Load returns the stored version and entries; an empty store
	// returns "" and none. The Roster calls it once, when the first
	// fetch after SetStore takes the Store.
	Load() (ver string, entries []Entry, err error)
	// Replace replaces everything stored with a full roster.
	Replace(ver string, entries []Entry) error
	// Update applies a change: each entry replaces the stored entry with
	// its JID, or is added; an entry whose Subscription is
	// SubscriptionRemove deletes it. ver becomes the stored version
	// (an empty ver leaves it as it was).
	Update(ver string, changed []Entry) error
}

// snapshot is a roster's state, as both stores keep it.
type snapshot struct {
	ver     string
	entries map[jid.JID]Entry
}

func (s *snapshot) replace(ver string, entries []Entry) {
	s.ver = ver
	s.entries = make(map[jid.JID]Entry, len(entries))
	for _, e := range entries {
		s.entries[e.JID] = e.clone()
	}
}

func (s *snapshot) update(ver string, changed []Entry) {
	if ver != "" {
		s.ver = ver
	}
	if s.entries == nil {
		s.entries = make(map[jid.JID]Entry)
	}
	for _, e := range changed {
		if e.Subscription == SubscriptionRemove {
			delete(s.entries, e.JID)
		} else {
			s.entries[e.JID] = e.clone()
		}
	}
}

func (s *snapshot) list() []Entry {
	l := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		l = append(l, e.clone())
	}
	slices.SortFunc(l, byJID)
	return l
}

// MemoryStore is a Store in memory, the one a Roster starts with: the
// version survives reconnecting the same Conn, not the process. Its zero value is
// an empty store, ready to use; it is safe for concurrent use.
type MemoryStore struct {
	mu sync.Mutex
	s  snapshot
}

// Load returns what the store holds.
func (m *MemoryStore) Load() (string, []Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s.ver, m.s.list(), nil
}

// Replace stores a full roster.
func (m *MemoryStore) Replace(ver string, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.replace(ver, entries)
	return nil
}

// Update applies a change.
func (m *MemoryStore) Update(ver string, changed []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s.update(ver, changed)
	return nil
}

// ErrCorruptStore means a FileStore's file could not be read as a roster.
// The error that says so names the file and the cause; delete the file
// (the next login fetches the whole roster again) or fix it.
var ErrCorruptStore = errors.New("roster: corrupt roster store")

// fileFormat is the file's JSON.
type fileFormat struct {
	Format  int         `json:"format"` // fileVersion
	Ver     string      `json:"ver"`
	Entries []fileEntry `json:"entries"`
}

type fileEntry struct {
	JID          string       `json:"jid"`
	Name         string       `json:"name,omitempty"`
	Groups       []string     `json:"groups,omitempty"`
	Subscription Subscription `json:"subscription"`
	Ask          Ask          `json:"ask,omitempty"`
	Approved     bool         `json:"approved,omitempty"`
}

const fileVersion = 1

// FileStore is a Store in one JSON file. Every change writes the whole
// roster to a temporary file in the same directory, syncs it and renames
// it over the old one, so that the file always holds a complete state,
// even after a crash. It keeps a copy in memory: Load does not read the
// file again, and after a failed write the next one writes everything.
// A FileStore is safe for concurrent use, but two FileStores (or two
// processes) must not share a file. OpenFileStore makes one; the zero
// value is not usable.
type FileStore struct {
	path string
	mu   sync.Mutex
	s    snapshot
}

// OpenFileStore returns a store kept in the file at path. A missing file
// is an empty store (the file is written at the first change); a file
// that is not a roster store is reported with an error matching
// ErrCorruptStore.
func OpenFileStore(path string) (*FileStore, error) {
	f := &FileStore{path: path}
	var ff fileFormat
	switch found, err := atomicfile.OpenStore(path, fileVersion, &ff, ErrCorruptStore, "roster: opening the store"); {
	case err != nil:
		return nil, err
	case !found:
		return f, nil
	}
	entries := make([]Entry, 0, len(ff.Entries))
	for i, fe := range ff.Entries {
		j, err := jid.Parse(fe.JID)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: entry %d: %w", ErrCorruptStore, path, i, err)
		}
		switch fe.Subscription {
		case SubscriptionNone, SubscriptionTo, SubscriptionFrom, SubscriptionBoth:
		default:
			return nil, fmt.Errorf("%w: %s: entry %d: subscription %q", ErrCorruptStore, path, i, fe.Subscription)
		}
		entries = append(entries, Entry{JID: j, Name: fe.Name, Groups: fe.Groups,
			Subscription: fe.Subscription, Ask: fe.Ask, Approved: fe.Approved})
	}
	f.s.replace(ff.Ver, entries)
	return f, nil
}

// Path returns the file's path.
func (f *FileStore) Path() string { return f.path }

// Load returns what the store holds.
func (f *FileStore) Load() (string, []Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s.ver, f.s.list(), nil
}

// Replace stores a full roster and writes the file.
func (f *FileStore) Replace(ver string, entries []Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.replace(ver, entries)
	return f.writeLocked()
}

// Update applies a change and writes the file.
func (f *FileStore) Update(ver string, changed []Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.update(ver, changed)
	return f.writeLocked()
}

// writeLocked writes the whole snapshot atomically (internal/atomicfile):
// after a crash the file holds the old snapshot or the new one.
func (f *FileStore) writeLocked() error {
	ff := fileFormat{Format: fileVersion, Ver: f.s.ver, Entries: []fileEntry{}}
	for _, e := range f.s.list() {
		ff.Entries = append(ff.Entries, fileEntry{JID: e.JID.String(), Name: e.Name, Groups: e.Groups,
			Subscription: e.subscription(), Ask: e.Ask, Approved: e.Approved})
	}
	return atomicfile.WriteJSON(f.path, ff, true, "roster: saving the store")
}
