package roster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// SubscriptionMode says how the Roster answers a contact's request to
// see the user's presence (RFC 6121 section 3.1.3; Smack's
// Roster.SubscriptionMode). The zero SubscriptionMode is Manual, Smack's
// default.
type SubscriptionMode int

// Subscription modes.
const (
	// Manual leaves the answer to the listeners: SubscriptionRequested
	// may decide at once, or later with Approve or Deny. A request no
	// one answers stays pending at the server, which delivers it again
	// at the next login (RFC 6121 section 3.1.3).
	Manual SubscriptionMode = iota
	// AcceptAll approves every request (the Roster sends subscribed).
	AcceptAll
	// RejectAll denies every request (the Roster sends unsubscribed).
	RejectAll
)

// WithSubscriptionMode sets how subscription requests are answered
// (Smack's setSubscriptionMode); the default is Manual.
func WithSubscriptionMode(m SubscriptionMode) Option {
	return func(r *Roster) { r.mode = m }
}

// SubscribeBack makes every approval (by AcceptAll, by a listener's
// Accept, or by Approve) also request a subscription to the contact's
// presence, unless the roster shows one already or one is pending
// (Smack's SubscribeAnswer.ApproveAndAlsoRequestIfRequired). Off by
// default.
func SubscribeBack(on bool) Option { return func(r *Roster) { r.back = on } }

// Answer is what a SubscriptionRequested listener decides.
type Answer int

// Answers.
const (
	// Undecided leaves the request to the next listener, and to Approve
	// or Deny later (Smack's SubscribeListener returning null).
	Undecided Answer = iota
	// Accept approves the request, as Approve does.
	Accept
	// Reject denies it, as Deny does.
	Reject
)

// ErrNoPreApproval means PreApprove was called on a connection whose
// server does not advertise subscription pre-approval (RFC 6121 section
// 3.4), or that is not connected.
var ErrNoPreApproval = errors.New("roster: the server does not offer subscription pre-approval")

// sendTimeout bounds the answers the Roster sends by itself.
const sendTimeout = 30 * time.Second

// Subscribe asks the contact j for a subscription to its presence (RFC
// 6121 section 3.1.1; Smack's sendSubscriptionRequest). The server adds j
// to the roster if needed, with Ask set until the contact answers; the
// roster pushes show the outcome (Subscription to or both, or Ask gone
// after a denial). j must be a bare JID. Subscribe returns when the
// request was written; ctx bounds the write, as in xmpp.Conn.Send.
func (r *Roster) Subscribe(ctx context.Context, j jid.JID) error {
	return r.sendSub(ctx, j, stanza.Subscribe, "subscribing to")
}

// Unsubscribe cancels the user's subscription to j's presence (RFC 6121
// section 3.3.1: a presence of type unsubscribe), or withdraws a request
// still pending. The entry stays in the roster (Remove drops it and both
// subscriptions). It returns as Subscribe does.
func (r *Roster) Unsubscribe(ctx context.Context, j jid.JID) error {
	return r.sendSub(ctx, j, stanza.Unsubscribe, "unsubscribing from")
}

// Approve lets j see the user's presence (RFC 6121 section 3.1.4:
// presence of type subscribed), answering j's request. With
// SubscribeBack, it also asks j for a subscription when the roster shows
// none and none is pending. It returns as Subscribe does.
func (r *Roster) Approve(ctx context.Context, j jid.JID) error {
	if err := r.sendSub(ctx, j, stanza.Subscribed, "approving"); err != nil {
		return err
	}
	if r.wantsBack(j) {
		return r.Subscribe(ctx, j)
	}
	return nil
}

// Deny refuses j's subscription request, or cancels the subscription j
// has to the user's presence (RFC 6121 sections 3.1.4 and 3.2.1): both
// are a presence of type unsubscribed, so one method does both (Smack's
// SubscribeAnswer.Deny, and cancelling). It also withdraws a
// pre-approval. It returns as Subscribe does.
func (r *Roster) Deny(ctx context.Context, j jid.JID) error {
	return r.sendSub(ctx, j, stanza.Unsubscribed, "denying")
}

// PreApprove approves j's subscription before j asks (RFC 6121 section
// 3.4; Smack's preApprove): the server answers j's later request itself,
// and the entry shows Approved meanwhile. Only servers that advertise
// urn:xmpp:features:pre-approval take it; with others PreApprove sends
// nothing and returns ErrNoPreApproval. It returns as Subscribe does.
func (r *Roster) PreApprove(ctx context.Context, j jid.JID) error {
	if !r.c.IsConnected() || !r.c.Features().Has(FeaturePreApproval.Space, FeaturePreApproval.Local) {
		return fmt.Errorf("roster: pre-approving %s: %w", j, ErrNoPreApproval)
	}
	return r.sendSub(ctx, j, stanza.Subscribed, "pre-approving")
}

// PreApprovalSupported says whether the server advertised subscription
// pre-approval on the current stream (Smack's isSubscriptionPreApprovalSupported).
func (r *Roster) PreApprovalSupported() bool {
	return r.c.Features().Has(FeaturePreApproval.Space, FeaturePreApproval.Local)
}

func (r *Roster) sendSub(ctx context.Context, j jid.JID, typ stanza.PresenceType, what string) error {
	if err := checkJID(j); err != nil {
		return err
	}
	p := &stanza.Presence{Type: typ}
	p.To = j
	if err := r.c.Send(ctx, p); err != nil {
		return fmt.Errorf("roster: %s %s: %w", what, j, err)
	}
	return nil
}

// wantsBack says whether approving j also subscribes to j.
func (r *Roster) wantsBack(j jid.JID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.back {
		return false
	}
	e, ok := r.entries[j.Bare()]
	if !ok {
		return true
	}
	s := e.subscription()
	return s != SubscriptionTo && s != SubscriptionBoth && !e.SubscriptionPending()
}

// onSubscribe handles a subscription request, on the dispatcher: the
// mode or the listeners answer it (in batch order, see run).
func (r *Roster) onSubscribe(p *stanza.Presence) {
	if p.From.IsZero() {
		return
	}
	r.mu.Lock()
	r.waitRoomLocked()
	if r.closed {
		r.mu.Unlock()
		return
	}
	run := r.queueLocked(batch{request: clonePresence(p), mode: r.mode})
	r.mu.Unlock()
	if run {
		r.drain()
	}
}

// answer answers the request p as the mode or the listeners ls decide.
func (r *Roster) answer(p *stanza.Presence, mode SubscriptionMode, ls []*Listener) {
	a := Undecided
	switch mode {
	case AcceptAll:
		a = Accept
	case RejectAll:
		a = Reject
	default:
		for _, l := range ls {
			if l.SubscriptionRequested == nil {
				continue
			}
			if a = l.SubscriptionRequested(clonePresence(p)); a != Undecided {
				break
			}
		}
	}
	if a == Undecided {
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, sendTimeout)
	defer cancel()
	j := p.From.Bare()
	// An error here means the stream ended: the server delivers the
	// request again at the next login.
	if a == Accept {
		_ = r.Approve(ctx, j)
	} else {
		_ = r.Deny(ctx, j)
	}
}

// SetSubscriptionMode changes how later subscription requests are
// answered (Smack's setSubscriptionMode).
func (r *Roster) SetSubscriptionMode(m SubscriptionMode) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}
