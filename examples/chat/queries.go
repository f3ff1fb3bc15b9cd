package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/blocking"
	"github.com/gosmack/gosmack/entitytime"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/lastactivity"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/version"
)

// Blocking (XEP-0191) and the small queries: software version
// (XEP-0092), entity time (XEP-0202) and last activity (XEP-0012).

// softwareName is what the client answers software version requests
// with.
const softwareName = "gosmack chat"

// attachQueries attaches blocking and the answers to the small queries:
// the software's name (no operating system), the time in the local zone,
// and the user's idle time, counted from the last line typed.
func (cl *client) attachQueries() {
	blocking.For(cl.c).SetFetchAtLogin(true)
	version.For(cl.c).SetName(softwareName)
	entitytime.For(cl.c)
	cl.acted()
}

// acted records that the user did something now: last activity requests
// are answered with the time since.
func (cl *client) acted() {
	lastactivity.For(cl.c).SetLastActive(time.Now())
}

// block runs /block, /unblock and /blocked.
func (cl *client) block(ctx context.Context, cmd command) error {
	b := blocking.For(cl.c)
	switch cmd.name {
	case "block":
		if err := b.Block(ctx, cmd.to); err != nil {
			return err
		}
		cl.out.print(tagInfo, "blocked %s", cmd.to)
	case "unblock":
		if err := b.Unblock(ctx, cmd.to); err != nil {
			return err
		}
		cl.out.print(tagInfo, "unblocked %s", cmd.to)
	default:
		list, err := b.List(ctx)
		if err != nil {
			return err
		}
		for _, j := range list {
			cl.out.print(tagBlocked, "%s", clean(j.String()))
		}
		cl.out.print(tagBlocked, "end")
	}
	return nil
}

// query runs /version, /time and /last: one request to cmd.to, and
// [info] with its answer.
func (cl *client) query(ctx context.Context, cmd command) error {
	var answer string
	var err error
	switch cmd.name {
	case "version":
		var info version.Info
		info, err = version.For(cl.c).Query(ctx, cmd.to)
		answer = versionText(info)
	case "time":
		var t time.Time
		t, err = entitytime.For(cl.c).Query(ctx, cmd.to)
		answer = "time " + t.Format(time.RFC3339)
	default:
		var a lastactivity.Activity
		a, err = lastactivity.For(cl.c).Query(ctx, cmd.to)
		answer = lastText(cmd.to, a)
	}
	if err != nil {
		return queryError(cmd.to, err)
	}
	cl.out.print(tagInfo, "%s: %s", cmd.to, answer)
	return nil
}

// queryError says that asking who failed, and why: the stanza error's
// condition and text when who (or its server) answered with one.
func queryError(who jid.JID, err error) error {
	var se *stanza.Error
	if errors.As(err, &se) {
		return fmt.Errorf("%s: %s", who, errorText(se))
	}
	return fmt.Errorf("%s: %w", who, err)
}

// versionText is a software version as /version shows it: "software
// Prosody 0.12.3 (Linux)", the operating system only when told.
func versionText(v version.Info) string {
	s := "software " + clean(v.Name)
	if v.Version != "" {
		s += " " + clean(v.Version)
	}
	if v.OS != "" {
		s += " (" + clean(v.OS) + ")"
	}
	return s
}

// lastText is a last activity answer as /last shows it, in the words of
// what it measures for whom was asked: a server's "up 3h0m0s", a
// device's "idle 5m0s", an account's "last seen 1h0m0s ago" (0s while
// online), with the status text when one came.
func lastText(who jid.JID, a lastactivity.Activity) string {
	var s string
	switch {
	case who.Localpart() == "":
		s = "up " + a.Idle.String()
	case who.Resourcepart() != "":
		s = "idle " + a.Idle.String()
	default:
		s = "last seen " + a.Idle.String() + " ago"
	}
	if a.Status != "" {
		s += ": " + clean(a.Status)
	}
	return s
}
