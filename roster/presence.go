package roster

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Bounds on the presence the Roster keeps, so that a flood of presence
// from strangers or from one contact's made-up resources costs bounded
// memory (see the package doc).
const (
	// MaxStrangers is how many bare JIDs that are neither roster
	// entries nor the account's own are tracked at a time; presence from
	// more is not tracked (nor heard by OnPresenceChanged listeners) until some go
	// unavailable.
	MaxStrangers = 256
	// MaxResources is how many available resources of one bare JID are
	// tracked; an available presence from one more resource is not
	// tracked.
	MaxResources = 64
	// MaxStrangerResources is MaxResources for a stranger (a bare JID
	// that is neither a roster entry nor the account's own).
	MaxStrangerResources = 4
	// MaxStrangerStatus is how many bytes of a stranger's status text
	// are kept: the Roster keeps a trimmed copy of a stranger's
	// presence, with one status (cut at this length) and no extensions.
	MaxStrangerStatus = 1024
)

// contact is what the Roster knows of one bare JID's presence.
type contact struct {
	avail    map[string]tracked // by resource, available ones only
	last     *stanza.Presence   // the last unavailable (or error) presence, nil if none
	stranger bool               // counted in Roster.strangers
}

// trimStranger returns p as the Roster keeps it for a stranger: no
// extensions, and at most one status of at most MaxStrangerStatus bytes.
func trimStranger(p *stanza.Presence) *stanza.Presence {
	c := *p
	c.Extensions = nil
	c.Statuses = nil
	if len(p.Statuses) > 0 {
		// The status Status("") picks, with its language.
		v := p.Status("")
		t := p.Statuses[0]
		for _, s := range p.Statuses {
			if s.Value == v {
				t = s
				break
			}
		}
		t.Value = strings.ToValidUTF8(truncate(t.Value, MaxStrangerStatus), "")
		c.Statuses = []stanza.Text{t}
	}
	if p.Error != nil {
		e := *p.Error
		c.Error = &e
	}
	return &c
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// setStrangerLocked notes whether c, the contact of bare, is a stranger
// now, keeping the count right.
func (r *Roster) setStrangerLocked(bare jid.JID, c *contact) {
	s := !r.keepsLocked(bare)
	if s == c.stranger {
		return
	}
	c.stranger = s
	if s {
		r.strangers++
	} else {
		r.strangers--
	}
}

// dropLocked forgets bare's presence.
func (r *Roster) dropLocked(bare jid.JID) {
	if c := r.pres[bare]; c != nil && c.stranger {
		r.strangers--
	}
	delete(r.pres, bare)
}

// tracked is an available presence and when it came, to break ties.
type tracked struct {
	p   *stanza.Presence
	seq uint64
}

// showRank orders shows from most to least available (Smack's
// Presence.Mode order): chat, available, away, xa, dnd.
func showRank(s stanza.Show) int {
	switch s {
	case stanza.ShowChat:
		return 0
	case "":
		return 1
	case stanza.ShowAway:
		return 2
	case stanza.ShowXA:
		return 3
	case stanza.ShowDND:
		return 4
	}
	return 1 // an unknown show counts as plainly available
}

// better orders tracked presences best first: highest priority, then most
// available show, then the most recent.
func better(a, b tracked) int {
	if c := cmp.Compare(b.p.Priority, a.p.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(showRank(a.p.Show), showRank(b.p.Show)); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

func clonePresence(p *stanza.Presence) *stanza.Presence {
	c := *p
	c.Statuses = slices.Clone(p.Statuses)
	c.Extensions = slices.Clone(p.Extensions)
	if p.Error != nil {
		e := *p.Error
		c.Error = &e
	}
	return &c
}

func unavailableFrom(j jid.JID) *stanza.Presence {
	p := &stanza.Presence{Type: stanza.Unavailable}
	p.From = j
	return p
}

// Presence returns the best presence of the contact j (its bare JID is
// looked up; Smack's getPresence): of its available resources, the one
// with the highest priority, then the most available show (chat,
// available, away, xa, dnd), then the latest. With no resource available,
// it is the last unavailable (or error) presence received from j, or an
// unavailable presence from j's bare JID when there was none. The result
// is a copy.
func (r *Roster) Presence(j jid.JID) *stanza.Presence {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.availableLocked(j.Bare())
	if len(l) > 0 {
		return clonePresence(l[0].p)
	}
	return r.unavailableLocked(j.Bare())
}

// Presences returns the available presences of j's resources, best first
// as Presence orders them (Smack's getAvailablePresences and
// getAllPresences); with none available, a list of one: what Presence
// returns. The results are copies.
func (r *Roster) Presences(j jid.JID) []*stanza.Presence {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.availableLocked(j.Bare())
	if len(l) == 0 {
		return []*stanza.Presence{r.unavailableLocked(j.Bare())}
	}
	ps := make([]*stanza.Presence, len(l))
	for i, t := range l {
		ps[i] = clonePresence(t.p)
	}
	return ps
}

// PresenceOf returns the presence of the full JID j (Smack's
// getPresenceResource): available if that resource is, else what
// Presence returns for the bare JID when no resource is available, else
// an unavailable presence from j.
func (r *Roster) PresenceOf(j jid.JID) *stanza.Presence {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.pres[j.Bare()]; c != nil {
		if t, ok := c.avail[j.Resourcepart()]; ok {
			return clonePresence(t.p)
		}
		if len(c.avail) == 0 && c.last != nil && c.last.From == j {
			return clonePresence(c.last)
		}
	}
	return unavailableFrom(j)
}

func (r *Roster) availableLocked(bare jid.JID) []tracked {
	c := r.pres[bare]
	if c == nil {
		return nil
	}
	l := make([]tracked, 0, len(c.avail))
	for _, t := range c.avail {
		l = append(l, t)
	}
	slices.SortFunc(l, better)
	return l
}

func (r *Roster) unavailableLocked(bare jid.JID) *stanza.Presence {
	if c := r.pres[bare]; c != nil && c.last != nil {
		return clonePresence(c.last)
	}
	return unavailableFrom(bare)
}

// trackedLocked says whether presence from bare is kept: a roster entry,
// the account itself, or a stranger while there is room.
func (r *Roster) trackedLocked(bare jid.JID) bool {
	if _, ok := r.pres[bare]; ok {
		return true
	}
	if r.keepsLocked(bare) {
		return true
	}
	return r.strangers < MaxStrangers
}

// keepsLocked says whether bare's last unavailable presence is kept once
// no resource is available: only for entries and the account.
func (r *Roster) keepsLocked(bare jid.JID) bool {
	_, ok := r.entries[bare]
	return ok || bare == r.c.JID().Bare()
}

// onPresence tracks availability and handles subscription requests, on
// the dispatcher.
func (r *Roster) onPresence(p *stanza.Presence) {
	switch p.Type {
	case stanza.Available, stanza.Unavailable, stanza.PresenceError:
		r.onAvailability(p)
	case stanza.Subscribe:
		r.onSubscribe(p)
	}
}

func (r *Roster) onAvailability(p *stanza.Presence) {
	if p.From.IsZero() {
		return // from the account's server itself; nothing to track
	}
	bare, res := p.From.Bare(), p.From.Resourcepart()
	r.mu.Lock()
	if r.closed || !r.trackedLocked(bare) {
		r.mu.Unlock()
		return
	}
	c := r.pres[bare]
	limit := MaxResources
	if r.keepsLocked(bare) {
		p = clonePresence(p)
	} else {
		p = trimStranger(p)
		limit = MaxStrangerResources
	}
	if p.Type == stanza.Available && c != nil && len(c.avail) >= limit {
		if _, ok := c.avail[res]; !ok {
			r.mu.Unlock()
			return
		}
	}
	if c == nil {
		c = &contact{avail: make(map[string]tracked)}
		r.pres[bare] = c
	}
	r.setStrangerLocked(bare, c)
	switch {
	case p.Type == stanza.Available:
		r.seq++
		c.avail[res] = tracked{p, r.seq}
	case p.Type == stanza.PresenceError && res == "":
		// An error from the bare JID (the contact's server, say) makes
		// every resource unavailable.
		clear(c.avail)
		c.last = p
	default:
		delete(c.avail, res)
		c.last = p
	}
	if len(c.avail) == 0 && !r.keepsLocked(bare) {
		r.dropLocked(bare)
	}
	r.mu.Unlock()
	r.tellPresences([]*stanza.Presence{p})
}

// tellPresences tells the OnPresenceChanged listeners about l, on the
// dispatcher, each a copy.
func (r *Roster) tellPresences(l []*stanza.Presence) {
	for _, p := range l {
		for f := range r.presences.All() {
			f(clonePresence(p))
		}
	}
}

// OnPresenceChanged registers f to hear every presence that changed what
// Presence, Presences or PresenceOf return (Smack's
// RosterListener.presenceChanged): an available, unavailable or error
// presence from a contact, from another resource of the account, or from
// a stranger while the Roster tracks it (see the package doc); and, when
// the session ends, an unavailable presence from each resource that was
// available. Each is a copy (a stranger's trimmed, see the package doc).
// f runs on the connection's dispatcher, in order with the stanzas. The
// returned func removes f; it is safe to call more than once. A nil f
// panics.
func (r *Roster) OnPresenceChanged(f func(*stanza.Presence)) (remove func()) {
	mustListen("OnPresenceChanged", f == nil)
	return r.presences.Add(f)
}

// offlineLocked makes every tracked resource unavailable, as when the
// stream ends, and returns the unavailable presences to announce.
func (r *Roster) offlineLocked() []*stanza.Presence {
	var l []*stanza.Presence
	for bare, c := range r.pres {
		for res := range c.avail {
			j := bare
			if res != "" {
				j, _ = bare.WithResource(res)
			}
			p := unavailableFrom(j)
			l = append(l, p)
			c.last = p
		}
		clear(c.avail)
		if !r.keepsLocked(bare) {
			r.dropLocked(bare)
		}
	}
	slices.SortFunc(l, func(a, b *stanza.Presence) int { return cmp.Compare(a.From.String(), b.From.String()) })
	return l
}

// forgetLocked drops what is kept of the presence of contacts that left
// the roster and have no resource available.
func (r *Roster) forgetLocked(deleted []Entry) {
	for _, e := range deleted {
		if c := r.pres[e.JID]; c != nil && len(c.avail) == 0 && !r.keepsLocked(e.JID) {
			r.dropLocked(e.JID)
		}
	}
}

// SetPresence broadcasts the user's availability to every subscriber (RFC
// 6121 section 4.2: presence with no to; Smack's sendStanza of an available
// Presence with a mode, status and priority). An empty show is plainly
// available; status may be empty; priority ranges from -128 to 127, and a
// negative one keeps messages sent to the bare JID away from this
// resource. The presence becomes the connection's LastPresence
// (xmpp.Conn.LastPresence), which a new session sends again. ctx bounds
// the write, as in xmpp.Conn.Send.
func (r *Roster) SetPresence(ctx context.Context, show stanza.Show, status string, priority int8) error {
	p := &stanza.Presence{Show: show, Priority: priority}
	if status != "" {
		p.Statuses = []stanza.Text{{Value: status}}
	}
	return r.c.Send(ctx, p)
}

// SendDirected sends p to j alone (directed presence, RFC 6121 section
// 4.6): j sees the user's availability without a subscription, as a MUC
// room or a contact the user writes to does. p's address is set to j; a
// nil p is plain available presence. It does not change the
// connection's LastPresence. ctx bounds the write, as in xmpp.Conn.Send.
func (r *Roster) SendDirected(ctx context.Context, j jid.JID, p *stanza.Presence) error {
	if j.IsZero() {
		return errors.New("roster: directed presence needs an address")
	}
	if p == nil {
		p = &stanza.Presence{}
	}
	p.To = j
	return r.c.Send(ctx, p)
}
