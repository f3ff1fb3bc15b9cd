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
// Roster.SubscriptionMode). The zero SubscriptionMode is Manual, the
// default.
//
// Smack's default changed from accept_all (4.1) to reject_all (4.2 and
// later); gosmack's is neither, because a library should not answer for
// the user: AcceptAll shows the user's presence to anyone who asks, and
// RejectAll sends a refusal the user never made, which the contact sees
// and the server forgets. Manual answers nothing by itself: the listeners
// or the user decide, and a request nobody answers stays pending at the
// server, which delivers it again at each login (RFC 6121 section 3.1.3),
// so nothing is disclosed and nothing lost. An application that has no
// one to ask (a bot) sets AcceptAll or RejectAll.
type SubscriptionMode int

// Subscription modes.
const (
	// Manual leaves the answer to the OnSubscriptionRequest listeners
	// and the user, with Approve or Deny, now or later.
	Manual SubscriptionMode = iota
	// AcceptAll approves every request (the Roster sends subscribed).
	AcceptAll
	// RejectAll denies every request (the Roster sends unsubscribed).
	RejectAll
)

// SubscriptionRequest is a contact's request to see the user's presence
// (RFC 6121 section 3.1.3), as OnSubscriptionRequest hears it.
type SubscriptionRequest struct {
	// From is the contact's bare JID, to give to Approve or Deny.
	From jid.JID
	// Presence is the request as received (a copy): a status or an
	// extension (a nickname, say) may come with it.
	Presence *stanza.Presence
	// Mode is the SubscriptionMode that met the request: with AcceptAll
	// and RejectAll the Roster has sent the answer already; with Manual
	// the answer is the listeners' or the user's to send.
	Mode SubscriptionMode
}

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
// SetSubscribeBack(true), it also asks j for a subscription when the roster shows
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
	if !r.c.IsConnected() || !r.c.Features().Has(NSPreApproval, "sub") {
		return fmt.Errorf("roster: pre-approving %s: %w", j, ErrNoPreApproval)
	}
	return r.sendSub(ctx, j, stanza.Subscribed, "pre-approving")
}

// PreApprovalSupported says whether the server advertised subscription
// pre-approval on the current stream (Smack's isSubscriptionPreApprovalSupported).
func (r *Roster) PreApprovalSupported() bool {
	return r.c.Features().Has(NSPreApproval, "sub")
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
// mode answers it, then the listeners hear it.
func (r *Roster) onSubscribe(p *stanza.Presence) {
	if p.From.IsZero() {
		return
	}
	r.mu.Lock()
	closed, mode := r.closed, r.mode
	r.mu.Unlock()
	if closed {
		return
	}
	if mode == AcceptAll || mode == RejectAll {
		ctx, cancel := context.WithTimeout(r.ctx, sendTimeout)
		// An error here means the stream ended: the server delivers the
		// request again at the next login.
		if mode == AcceptAll {
			_ = r.Approve(ctx, p.From.Bare())
		} else {
			_ = r.Deny(ctx, p.From.Bare())
		}
		cancel()
	}
	for f := range r.requests.All() {
		f(SubscriptionRequest{From: p.From.Bare(), Presence: clonePresence(p), Mode: mode})
	}
}

// OnSubscriptionRequest registers f to hear every contact's request to
// see the user's presence (Smack's addSubscribeListener), after the
// SubscriptionMode answered it, if it does: in Manual mode, f may answer
// with Approve or Deny (or leave it to the user). f runs on the
// connection's dispatcher, in order with the stanzas. The returned func
// removes f; it is safe to call more than once. A nil f panics.
func (r *Roster) OnSubscriptionRequest(f func(SubscriptionRequest)) (remove func()) {
	mustListen("OnSubscriptionRequest", f == nil)
	return r.requests.Add(f)
}

// SetSubscriptionMode sets how contacts' requests are answered (Smack's
// setSubscriptionMode), from the next request the dispatcher hands the
// Roster. The default is Manual (see SubscriptionMode for why).
func (r *Roster) SetSubscriptionMode(m SubscriptionMode) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// SubscriptionMode returns how contacts' requests are answered.
func (r *Roster) SubscriptionMode() SubscriptionMode {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mode
}

// SetSubscribeBack makes every approval (by AcceptAll or by Approve) also
// request a subscription to the contact's presence, unless the roster
// shows one already or one is pending (Smack's
// SubscribeAnswer.ApproveAndAlsoRequestIfRequired); it takes effect from
// the next approval. Off by default.
func (r *Roster) SetSubscribeBack(on bool) {
	r.mu.Lock()
	r.back = on
	r.mu.Unlock()
}

// SubscribeBack reports whether approvals also request a subscription.
func (r *Roster) SubscribeBack() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.back
}
