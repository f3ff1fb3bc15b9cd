package caps

import (
	"sync"

	"github.com/gosmack/gosmack/disco"
)

// DefaultCacheSize is how many verification strings a Cache keeps when its
// Max is zero.
const DefaultCacheSize = 1024

// key names one capability set: a verification string and its algorithm.
type key struct{ hash, ver string }

// Cache maps verification strings to the info they stand for. It holds
// only verified entries: Add checks the hash, so an entry can be trusted
// whichever connection put it there, and one Cache may be shared by many
// managers (pass it in Config.Cache); that is the only way managers share
// anything. It keeps at most Max entries, forgetting the oldest first.
//
// The zero Cache is empty and ready to use, with room for
// DefaultCacheSize entries. A Cache is safe for concurrent use; set Max
// before the first use.
type Cache struct {
	// Max bounds the number of entries; zero means DefaultCacheSize.
	Max int

	mu    sync.Mutex
	m     map[key]*disco.Info
	order []key // insertion order, for eviction
}

// Get returns the info for ver of the named algorithm, or nil. The info
// is shared: the caller must not change it.
func (c *Cache) Get(hashName, ver string) *disco.Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key{hashName, ver}]
}

// Add stores info under ver after checking that info hashes to ver with
// the named algorithm (see Verify, whose errors it returns). The cache
// keeps a copy without the node. Adding a ver already present changes
// nothing. Add can fill a cache from a store of earlier sessions.
func (c *Cache) Add(hashName, ver string, info *disco.Info) error {
	if err := Verify(info, hashName, ver); err != nil {
		return err
	}
	k := key{hashName, ver}
	info = info.Clone()
	info.Node = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return nil
	}
	if c.m == nil {
		c.m = make(map[key]*disco.Info)
	}
	limit := c.Max
	if limit <= 0 {
		limit = DefaultCacheSize
	}
	for len(c.m) >= limit && len(c.order) > 0 {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[k] = info
	c.order = append(c.order, k)
	return nil
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
