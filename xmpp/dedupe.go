package xmpp

import (
	"hash/maphash"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// recentMessages remembers the last messages received, so that a message
// delivered twice reaches the listeners once. Servers do deliver twice:
// a sender whose session could not be resumed sends its unacknowledged
// messages again, a server that misreports its handled count after a
// resumption (ejabberd does, when the lost stream still had stanzas in
// flight) gets some of them a second time, and a server sends as
// offline messages (XEP-0160) what its archive (XEP-0313) holds too.
//
// A message is known by two keys. Its content key (sender, type, id and
// bodies) goes into ring, the last size messages. Its stanza-id key
// (sender and the <stanza-id/> its recipient's server stamped, by the
// account's bare JID, XEP-0359) goes into marks, with the keys of what
// was delivered from elsewhere (Conn.RecordReceived): both keys of a
// message fetched from the archive, whose stanza-id is its archive id.
//
// The sender is in both keys: the sender's bare JID, or in group chats
// the occupant's full JID. A stanza-id is written by whoever sends the
// message when the account's server does not remove forged ones, so a
// forged stanza-id only matches the forger's own messages: a forger can
// make its own message look like a repeat, never anyone else's.
//
// It costs nothing until messages arrive, then one 64-bit hash per
// message in ring, found through index (twice as many slots), and, in marks, a slot of its ring and a map entry per
// key: at most maxMarks keys, about 200 KiB. Safe for concurrent use (the
// reader of a stream and, around a reconnection, the reader of the next;
// the callers of RecordReceived).
type recentMessages struct {
	size int // how many are remembered; 0: none

	mu   sync.Mutex // guards the rest; a leaf in the lock order (see Conn.mu)
	seed maphash.Seed
	ring []uint64 // grows up to size, then wraps at next
	next int
	// index finds a key in ring without comparing it with every other:
	// an open-addressed table (linear probing) of the keys in ring, 0
	// for a free slot (no key is 0: see keys), each from the slot of its
	// low bits (keys are seeded hashes). Its length is a power of two at
	// least twice len(ring); nil until the first key.
	index []uint64
	// marks is the set of stanza-id keys and of the content keys
	// recorded, the last maxMarks; nil until the first.
	marks *markSet
}

// maxMarks bounds marks: a catch-up's worth of archived messages (two
// keys each) with the live messages that arrive meanwhile.
const maxMarks = 8192

// markSet is a set of keys that forgets the oldest past maxMarks.
type markSet struct {
	set  map[uint64]struct{}
	ring []uint64 // the keys in set, oldest at next once full
	next int
}

func (s *markSet) has(k uint64) bool {
	_, ok := s.set[k]
	return ok
}

func (s *markSet) add(k uint64) {
	if s.has(k) {
		return
	}
	if len(s.ring) < maxMarks {
		s.ring = append(s.ring, k)
	} else {
		delete(s.set, s.ring[s.next])
		s.ring[s.next] = k
		s.next = (s.next + 1) % maxMarks
	}
	s.set[k] = struct{}{}
}

func newRecentMessages(size int) *recentMessages {
	return &recentMessages{size: size, seed: maphash.MakeSeed()}
}

// stanzaIDNS is the namespace of XEP-0359's <stanza-id/>.
const stanzaIDNS = "urn:xmpp:sid:0"

// sender is the sender as the keys know it: its bare JID, or in group
// chats the occupant's full JID.
func sender(m *stanza.Message) string {
	if m.Type != stanza.Groupchat {
		return m.From.Bare().String()
	}
	return m.From.String()
}

// keys returns m's content key, ok when m has an id and a body: the
// hash of its sender, type, id and bodies (each body's language and
// text), 0 bytes between them (XML text holds none, so no two messages
// give the same bytes). Error messages (replies that echo the id of
// what they answer) have none. The bytes are put together first and
// hashed at once: a hash fed field by field, byte by byte, was most of
// the check's cost.
func (r *recentMessages) keys(m *stanza.Message) (content uint64, ok bool) {
	if m.ID == "" || len(m.Bodies) == 0 {
		return 0, false
	}
	var buf [256]byte
	b := append(buf[:0], sender(m)...)
	b = append(b, 0)
	b = append(b, m.Type...)
	b = append(b, 0)
	b = append(b, m.ID...)
	for i := range m.Bodies {
		t := &m.Bodies[i]
		b = append(b, 0)
		b = append(b, t.Lang...)
		b = append(b, 0)
		b = append(b, t.Value...)
	}
	content = maphash.Bytes(r.seed, b)
	if content == 0 {
		content = 1 // 0 marks a free slot of index
	}
	return content, true
}

// sidKey is the stanza-id key of id on m: a 1 byte between sender and
// id keeps it apart from the content keys.
func (r *recentMessages) sidKey(m *stanza.Message, id string) uint64 {
	var buf [128]byte
	b := append(buf[:0], sender(m)...)
	b = append(b, 1)
	b = append(b, id...)
	return maphash.Bytes(r.seed, b)
}

// stanzaID returns the one stanza-id on m by account's bare JID, or ""
// when there is none, or several (one of them forged).
func stanzaID(m *stanza.Message, account jid.JID) string {
	id := ""
	for i := range m.Extensions {
		n := &m.Extensions[i]
		if n.Name.Local != "stanza-id" || n.Name.Space != stanzaIDNS {
			continue
		}
		if by, err := jid.Parse(n.Attr("by")); err != nil || by.Bare() != account.Bare() {
			continue
		}
		v := n.Attr("id")
		if v == "" || (id != "" && v != id) {
			return ""
		}
		id = v
	}
	return id
}

// seen reports whether m, received on a stream bound to account,
// repeats a message received or recorded before, and remembers it if
// not. Messages with neither an id and a body nor a stanza-id by the
// account (receipts, chat states, signals whose ids some senders reuse)
// and errors are never taken for repeats.
func (r *recentMessages) seen(m *stanza.Message, account jid.JID) bool {
	if r.size <= 0 || m.Type == stanza.MessageError {
		return false
	}
	id := stanzaID(m, account)
	if id == "" && (m.ID == "" || len(m.Bodies) == 0) {
		return false // the common case of signals: no hashing
	}
	return r.check(m, id, false)
}

// record is RecordReceived's: it reports whether m, whose archive id is
// archiveID ("" if none), repeats a message received or recorded
// before, and marks it if not.
func (r *recentMessages) record(m *stanza.Message, archiveID string) bool {
	if r.size <= 0 || m.Type == stanza.MessageError {
		return false
	}
	return r.check(m, archiveID, true)
}

// check reports whether m, with the stanza-id id ("" if none), repeats
// a message received or recorded before, and remembers its keys if
// not: its stanza-id key in marks, and its content key in marks when
// recorded, else in ring.
func (r *recentMessages) check(m *stanza.Message, id string, recorded bool) bool {
	content, hasContent := r.keys(m)
	var sid uint64
	if id != "" {
		sid = r.sidKey(m, id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if hasContent && r.inRing(content) {
		return true
	}
	if r.marks != nil && ((hasContent && r.marks.has(content)) || (id != "" && r.marks.has(sid))) {
		return true
	}
	if id != "" {
		r.mark(sid)
	}
	switch {
	case !hasContent:
	case recorded:
		r.mark(content)
	default:
		r.remember(content)
	}
	return false
}

// remember puts k, not in ring, into ring and index, in place of the
// oldest key once ring holds size. The caller holds r.mu.
func (r *recentMessages) remember(k uint64) {
	if len(r.ring) < r.size {
		r.ring = append(r.ring, k)
		if 2*len(r.ring) > len(r.index) {
			r.reindex()
		} else {
			r.indexKey(k)
		}
		return
	}
	r.unindex(r.ring[r.next])
	r.ring[r.next] = k
	r.indexKey(k)
	if r.next++; r.next == r.size { // not %: a division per message
		r.next = 0
	}
}

// inRing reports whether k is in ring. The caller holds r.mu.
func (r *recentMessages) inRing(k uint64) bool {
	if len(r.index) == 0 {
		return false
	}
	mask := len(r.index) - 1
	for i := int(k) & mask; r.index[i] != 0; i = (i + 1) & mask {
		if r.index[i] == k {
			return true
		}
	}
	return false
}

// indexKey adds k to index. The caller holds r.mu.
func (r *recentMessages) indexKey(k uint64) {
	mask := len(r.index) - 1
	i := int(k) & mask
	for r.index[i] != 0 {
		i = (i + 1) & mask
	}
	r.index[i] = k
}

// unindex removes k, which is in ring, from index, moving back the keys
// after it that would no longer be found (deletion in linear probing,
// without tombstones). The caller holds r.mu.
func (r *recentMessages) unindex(k uint64) {
	mask := len(r.index) - 1
	i := int(k) & mask
	for r.index[i] != k {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; r.index[j] != 0; j = (j + 1) & mask {
		home := int(r.index[j]) & mask
		// The key at j may take the free slot i unless its home is
		// between them, (i, j] going round.
		if (j-home)&mask >= (j-i)&mask {
			r.index[i] = r.index[j]
			i = j
		}
	}
	r.index[i] = 0
}

// reindex makes index anew for ring, at least twice its length. The
// caller holds r.mu.
func (r *recentMessages) reindex() {
	n := 16
	for n < 2*len(r.ring) {
		n *= 2
	}
	r.index = make([]uint64, n)
	for _, k := range r.ring {
		r.indexKey(k)
	}
}

// mark adds k to marks, made at the first. The caller holds r.mu.
func (r *recentMessages) mark(k uint64) {
	if r.marks == nil {
		r.marks = &markSet{set: make(map[uint64]struct{})}
	}
	r.marks.add(k)
}
