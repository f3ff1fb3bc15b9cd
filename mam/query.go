package mam

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/forward"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/rsm"
	"github.com/gosmack/gosmack/stanza"
)

// DefaultMax is the page size a Query asks for when its Max is 0. An
// archive may send fewer (Prosody sends at most 50 unless configured).
const DefaultMax = 50

// fullText are the vars under which servers offer a full-text filter
// in their query form: MongooseIM's, ejabberd's, and the one XEP-0431
// defines.
var fullText = []string{"full-text-search", "withtext", "{urn:xmpp:fulltext:0}fulltext"}

// Query says which archived messages to fetch, and which page of them.
// Filters (With, Start, End, AfterID, BeforeID, Text, Fields) choose the
// messages; paging (Max, After, Before, Latest) chooses the page. The
// zero Query asks for the first DefaultMax messages of the whole
// archive, oldest first.
//
// To page forwards, ask again with After set to the page's Last (or use
// Page.Next); to page backwards from the most recent, start with Latest
// and ask again with Before set to the page's First (Page.Previous).
// Catching up after a gap is paging forwards from the last archive id
// seen until a page is Complete.
type Query struct {
	// With keeps only the messages exchanged with this JID: a bare JID
	// matches all its resources, a full JID only that one (in a room's
	// archive, an occupant's real JID, where the room discloses it).
	With jid.JID
	// Start and End keep the messages archived at or after Start and at
	// or before End; the zero time sets no bound.
	Start, End time.Time
	// AfterID and BeforeID keep the messages archived after (before)
	// the one with this archive id, that one excluded. An archive that
	// lists NSExtended takes them as filters (the after-id and
	// before-id fields); for another they are sent as RSM's after and
	// before, which page from there in the same direction, and a Query
	// that sets After or Before too is ErrUnsupported there.
	AfterID, BeforeID string
	// Text keeps the messages that contain it, where the archive's
	// query form offers full-text search; elsewhere it is
	// ErrUnsupported.
	Text string
	// Fields are further fields to fill in the archive's query form
	// (see Client.Fields), as the server defines them.
	Fields []dataform.Field

	// Max is the most messages wanted in the page; 0 asks for
	// DefaultMax.
	Max int
	// After asks for the page after the message with this archive id:
	// the next page, paging forwards.
	After string
	// Before asks for the page before the message with this archive
	// id: the previous page, paging backwards.
	Before string
	// Latest asks for the most recent page (RSM's empty <before/>); it
	// is ignored when Before or After is set.
	Latest bool
}

// Result is one archived message (XEP-0313 section 4.2).
type Result struct {
	// ID is the message's archive id: what Query.After, Before, AfterID
	// and BeforeID take, and what XEP-0359's stanza-id of the live
	// message said.
	ID string
	// Stamp is when the archive received the message (the forwarded
	// delay); zero when the archive did not say.
	Stamp time.Time
	// Message is the archived message as the archive forwarded it:
	// its from and to say who sent it to whom (in a room's archive,
	// from is the occupant's room JID).
	Message *stanza.Message
	// Archive is the bare JID of the archive it came from: the
	// account's for the user's archive, the room's for a room.
	Archive jid.JID
}

// Page is one page of results.
type Page struct {
	// Archive is the bare JID of the archive asked.
	Archive jid.JID
	// Query is the query this page answers.
	Query Query
	// Results are the page's messages, in archive order (oldest
	// first), whichever direction the query paged in.
	Results []Result
	// Complete reports that the archive has nothing further in the
	// direction of paging: no later page for a query with After (or
	// none), no earlier one for a query with Before or Latest.
	Complete bool
	// Stable is false when the archive warned that the results may
	// change if asked again (XEP-0313 section 4.3.2); true otherwise.
	Stable bool
	// First and Last are the archive ids of the page's first and last
	// messages, as the archive's RSM answer gave them; "" for an empty
	// page.
	First, Last string
	// Count is the number of messages the query matches in the whole
	// archive, as the archive estimated it; -1 when it did not say.
	Count int
}

// Next returns the query for the page after p: p's query with After set
// to p.Last.
func (p *Page) Next() Query {
	q := p.Query
	if p.Last != "" {
		q.After, q.Before, q.Latest = p.Last, "", false
	}
	return q
}

// Previous returns the query for the page before p: p's query with
// Before set to p.First.
func (p *Page) Previous() Query {
	q := p.Query
	if p.First != "" {
		q.Before, q.After, q.Latest = p.First, "", false
	}
	return q
}

// Query fetches one page of the archive of archive (the zero JID: the
// account's own; a room's bare JID: the room's), Smack's queryArchive.
//
// Results arrive as messages before the query's reply; Query collects
// them from the connection's reader (xmpp.Collector), so it works when
// called from a listener. A result is taken only when it comes from
// the archive asked and carries the query's own id, fresh and
// unguessable for each query: for the user's archive, from the
// account's bare JID or with no from (the server speaking for the
// account, RFC 6120 section 8.1.2.1); for a room, from the room's bare
// JID. Anything else is dropped, never returned. A result whose
// forwarded message cannot be read is skipped. The result messages
// reach the connection's message listeners (Conn.HandleMessage) too,
// as every received stanza does: a <message/> with no body and a
// <result/> child, from the archive; package chat takes none of them.
//
// The Client first learns the archive's version (see Version), and,
// for Text, its query form (see Fields). ctx bounds the whole call;
// when it ends Query returns ctx.Err(), and results that arrive later
// are dropped. When the session ends first, Query returns an error
// matching xmpp.ErrNotConnected. The archive's error reply is returned
// as its *stanza.Error (item-not-found for an After or Before id it
// does not know).
func (m *Client) Query(ctx context.Context, archive jid.JID, q Query) (*Page, error) {
	if !archive.IsZero() {
		archive = archive.Bare()
	}
	key := m.archiveOf(archive)
	v, err := m.version(ctx, archive)
	if err != nil {
		return nil, err
	}
	form, set, err := m.request(ctx, archive, v, q)
	if err != nil {
		return nil, err
	}
	max := set.Max

	qid := newQueryID()
	payload := &stanza.Node{Name: name(v.ns, "query"), Attrs: []xml.Attr{attr("queryid", qid)}}
	if form != nil {
		if payload.Nodes, err = stanza.AppendExtension(payload.Nodes, form); err != nil {
			return nil, fmt.Errorf("mam: %w", err)
		}
	}
	if payload.Nodes, err = stanza.AppendExtension(payload.Nodes, &set); err != nil {
		return nil, fmt.Errorf("mam: %w", err)
	}
	iq := &stanza.IQ{Type: stanza.Set, Payload: payload}
	iq.To = archive

	// Created before sending: the results come before the reply. Room
	// for one more than asked for, and mam:0's closing message.
	col := m.c.Collect(accepts(archive, m.own(), qid), max+16)
	defer col.Close()
	reply, err := m.c.SendIQ(ctx, iq)
	if err != nil {
		return nil, fmt.Errorf("mam: querying %s: %w", key, err)
	}
	page := &Page{Archive: key, Query: q, Count: -1, Stable: true}
	var f *fin
	if reply.Payload != nil {
		f, err = readFin(reply.Payload)
		if err != nil {
			return nil, fmt.Errorf("mam: querying %s: %w", key, err)
		}
	}
	if f == nil && v.ns != NS0 {
		return nil, fmt.Errorf("%w: %s answered without <fin/>", ErrMalformed, key)
	}
	// Every result sent before the reply is collected already: the
	// reader offered it before it handed over the reply. mam:0 sends
	// its <fin/> in a message after the reply, and results before it.
	poll, cancel := context.WithCancel(ctx)
	if f != nil {
		cancel()
	} else {
		defer cancel()
	}
	for {
		st, err := col.Next(poll)
		if err != nil {
			if f != nil {
				break // all collected
			}
			return nil, fmt.Errorf("mam: querying %s: waiting for the end of the results: %w", key, err)
		}
		msg := st.(*stanza.Message)
		if r, ok := readResult(msg, qid); ok {
			if r == nil {
				continue // unreadable: skipped
			}
			r.Archive = key
			page.Results = append(page.Results, *r)
			continue
		}
		if f != nil {
			continue // a second <fin/>
		}
		for i := range msg.Extensions {
			if isMAM(msg.Extensions[i].Name.Space) && msg.Extensions[i].Name.Local == "fin" {
				if f, err = readFin(&msg.Extensions[i]); err != nil {
					return nil, fmt.Errorf("mam: querying %s: %w", key, err)
				}
				break
			}
		}
		if f != nil {
			cancel() // collect what is left, without waiting
		}
	}
	if f == nil {
		return nil, fmt.Errorf("%w: %s answered without <fin/>", ErrMalformed, key)
	}
	if len(page.Results) > max {
		return nil, fmt.Errorf("%w: %s sent more than %d results", ErrMalformed, key, max)
	}
	page.Complete, page.Stable = f.complete, f.stable
	page.First, page.Last, page.Count = f.set.First, f.set.Last, f.set.Count
	return page, nil
}

// request builds the query form (nil when nothing filters) and the RSM
// request of q for an archive that speaks v.
func (m *Client) request(ctx context.Context, archive jid.JID, v version, q Query) (*dataform.Form, rsm.Request, error) {
	set := rsm.Request{Max: q.Max, After: q.After, Before: q.Before, Last: q.Latest && q.After == "" && q.Before == ""}
	if set.Max <= 0 {
		set.Max = DefaultMax
	}
	var fields []dataform.Field
	if !q.With.IsZero() {
		fields = append(fields, field("with", q.With.String()))
	}
	if !q.Start.IsZero() {
		fields = append(fields, field("start", stamp(q.Start)))
	}
	if !q.End.IsZero() {
		fields = append(fields, field("end", stamp(q.End)))
	}
	if q.AfterID != "" || q.BeforeID != "" {
		switch {
		case v.extended:
			if q.AfterID != "" {
				fields = append(fields, field("after-id", q.AfterID))
			}
			if q.BeforeID != "" {
				fields = append(fields, field("before-id", q.BeforeID))
			}
		case q.After != "" || q.Before != "" || (q.AfterID != "" && q.BeforeID != ""):
			return nil, set, fmt.Errorf("%w: %s takes no id range (%s) with RSM paging", ErrUnsupported, m.archiveOf(archive), NSExtended)
		case q.AfterID != "":
			set.After, set.Last = q.AfterID, false
		default:
			set.Before, set.Last = q.BeforeID, false
		}
	}
	if q.Text != "" {
		form, err := m.Fields(ctx, archive)
		if err != nil {
			return nil, set, err
		}
		i := slices.IndexFunc(fullText, func(v string) bool { return form.Field(v) != nil })
		if i < 0 {
			return nil, set, fmt.Errorf("%w: %s offers no full-text search", ErrUnsupported, m.archiveOf(archive))
		}
		fields = append(fields, field(fullText[i], q.Text))
	}
	fields = append(fields, q.Fields...)
	if len(fields) == 0 {
		return nil, set, nil
	}
	form := dataform.New(dataform.TypeSubmit, v.ns, fields...)
	return &form, set, nil
}

func field(v, value string) dataform.Field {
	return dataform.Field{Var: v, Values: []string{value}}
}

// stamp writes t as XEP-0082 asks, in UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// accepts returns the filter of a query's results: messages from the
// archive asked (see Query) that carry a <result/> or <fin/> with the
// query's id. It runs on the connection's reader for every stanza.
func accepts(archive, own jid.JID, qid string) stanza.Filter {
	return func(st stanza.Stanza) bool {
		msg, ok := st.(*stanza.Message)
		if !ok || msg.Type == stanza.MessageError {
			return false
		}
		if archive.IsZero() || archive == own {
			if !msg.From.IsZero() && msg.From != own {
				return false
			}
		} else if msg.From != archive {
			return false
		}
		for i := range msg.Extensions {
			e := &msg.Extensions[i]
			if isMAM(e.Name.Space) && (e.Name.Local == "result" || e.Name.Local == "fin") && e.Attr("queryid") == qid {
				return true
			}
		}
		return false
	}
}

// isMAM reports whether ns is one of XEP-0313's namespaces. Results and
// the <fin/> are read in any of them whatever the query's: servers have
// answered a newer query in an older namespace, and the query id is
// what ties an answer to its query.
func isMAM(ns string) bool { return ns == NS || ns == NS1 || ns == NS0 }

// readResult reads the <result/> with the query id qid that msg
// carries. ok is false when msg carries none; r is nil when it does but
// the result cannot be read (no id, no forwarded message).
func readResult(msg *stanza.Message, qid string) (r *Result, ok bool) {
	for i := range msg.Extensions {
		e := &msg.Extensions[i]
		if !isMAM(e.Name.Space) || e.Name.Local != "result" || e.Attr("queryid") != qid {
			continue
		}
		return parseResult(e), true
	}
	return nil, false
}

// parseResult reads a <result/> element: its archive id and the message
// it forwards. It returns nil for one that is not a result of that
// shape.
func parseResult(e *stanza.Node) *Result {
	id := e.Attr("id")
	if id == "" {
		return nil
	}
	var f forward.Forwarded
	if ok, err := stanza.FindExtension(e.Nodes, &f); !ok || err != nil {
		return nil
	}
	msg := f.Message()
	if msg == nil {
		return nil
	}
	return &Result{ID: id, Stamp: f.Delay.Stamp, Message: msg}
}

// fin is the end of a query's results (XEP-0313 section 4.3).
type fin struct {
	complete, stable bool
	set              rsm.Response
}

// readFin reads a <fin/> element, or a reply's payload that is one. A
// query reply must carry <fin/> in mam:1 and mam:2; mam:0 sends it in a
// message (the reply then has no payload, or one that is not <fin/>,
// and readFin returns nil).
func readFin(n *stanza.Node) (*fin, error) {
	if !isMAM(n.Name.Space) || n.Name.Local != "fin" {
		return nil, nil
	}
	f := &fin{complete: isTrue(n.Attr("complete")), stable: n.Attr("stable") == "" || isTrue(n.Attr("stable"))}
	f.set = rsm.Response{FirstIndex: -1, Count: -1}
	if _, err := stanza.FindExtension(n.Nodes, &f.set); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return f, nil
}

func isTrue(s string) bool { return s == "true" || s == "1" }

func name(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

func attr(local, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: local}, Value: value} }
