package caps

import (
	"sync"

	"github.com/gosmack/gosmack/disco"
)

// DefaultCacheSize is how many verification strings a Cache keeps until
// SetMax says otherwise.
const DefaultCacheSize = 1024

// key names one capability set: a verification string and its algorithm.
type key struct{ hash, ver string }

// Cache maps verification strings to the info they stand for. It holds
// only verified entries: Add checks the hash, so an entry can be trusted
// whichever connection put it there, and one Cache may be shared by the
// Trackers of many connections (Tracker.SetCache); that is the only way
// they share anything. It keeps at most Max entries, forgetting the
// oldest first.
//
// The zero Cache is empty and ready to use, with room for
// DefaultCacheSize entries. A Cache is safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	max   int // 0: DefaultCacheSize
	m     map[key]*disco.Info
	order []key // insertion order, for eviction
}

// SetMax bounds the number of entries; n <= 0 means DefaultCacheSize. It
// takes effect at once: a Cache holding more forgets its oldest entries.
func (c *Cache) SetMax(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = max(n, 0)
	c.evict(0)
}

// Max returns the bound on the number of entries (see SetMax).
func (c *Cache) Max() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit()
}

func (c *Cache) limit() int {
	if c.max == 0 {
		return DefaultCacheSize
	}
	return c.max
}

// evict forgets the oldest entries until room more fit; c.mu is held.
func (c *Cache) evict(room int) {
	for len(c.m)+room > c.limit() && len(c.order) > 0 {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
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
	c.evict(1)
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
