package pep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
)

// Errors of PublishPrivate. Each one it returns wraps one of them, or is
// a request's error (the service's *stanza.Error, a connection error,
// ctx.Err()).
var (
	// ErrNoPrivate: the account's server does not say it keeps PEP data
	// private (XEP-0223 section 5: no pubsub/pep identity, or no
	// publish-options feature), so nothing was published.
	ErrNoPrivate = errors.New("pep: the server cannot keep private data")
	// ErrNotPrivate: the service refused to make the node private
	// (conflict with precondition-not-met: the node exists with another
	// access model); nothing was published, and nothing weaker was
	// tried. The error wraps the service's *stanza.Error too.
	ErrNotPrivate = errors.New("pep: the node cannot be made private")
	// ErrOpenPrivate: PublishPrivate was asked for an access model other
	// than whitelist.
	ErrOpenPrivate = errors.New("pep: private data takes the whitelist access model")
)

// PublishPrivate publishes item to the account's own PEP node node as
// private data (XEP-0223): with the publish-options
// pubsub#persist_items true and pubsub#access_model whitelist, so that
// nobody but the account reads it, and returns the item's id. opts may
// add further options (MaxItems, SendLastPublishedItem, Fields); its
// AccessModel must be "" or pubsub.AccessWhitelist (any other is
// ErrOpenPrivate, and nothing is sent), and PersistItems is set.
//
// First it asks the account's server (disco#info, one request every
// call) whether it is a PEP service that takes publish-options; when it
// is not, PublishPrivate returns ErrNoPrivate and publishes nothing,
// since a service that ignores the options would publish with its
// default access model.
//
// Services differ in the further options they take. ejabberd 23.01
// refuses pubsub#max_items and pubsub#send_last_published_item
// (resource-constraint, "Unknown field") and then makes nodes of one
// item; Prosody 0.12 refuses a publish whose options differ from the
// configuration of an existing node (conflict, precondition-not-met),
// which another client may have made with another pubsub#max_items. So
// a refusal with extra options (bad-request, not-acceptable,
// resource-constraint, feature-not-implemented, or conflict) is
// followed by a look at the node's configuration: a node that is not
// whitelist is ErrNotPrivate at once, and nothing is published;
// otherwise the further options are set in the configuration (XEP-0060
// section 8.2) where its form has them with other values, and the item
// is published once more with only persist_items and the whitelist
// access model, which keep it private. For a node that did not exist,
// the configuration follows that publish, which creates it.
//
// A refusal of those two preconditions (conflict, precondition-not-met:
// the node exists and is not private) is returned wrapping ErrNotPrivate
// and the service's *stanza.Error: the access model is never weakened,
// nor any node configured to another one. A configuration the service
// refuses is returned as the error (when it follows the publish, the
// item is stored nonetheless).
//
// ctx bounds the whole call, which runs on the caller's goroutine and
// may be called from a listener; when it ends PublishPrivate returns
// ctx.Err() and a late reply is dropped.
func (m *Manager) PublishPrivate(ctx context.Context, node string, item pubsub.Item, opts pubsub.PublishOptions) (string, error) {
	if opts.AccessModel != "" && opts.AccessModel != pubsub.AccessWhitelist {
		return "", fmt.Errorf("%w, not %q", ErrOpenPrivate, opts.AccessModel)
	}
	ok, err := m.privateSupported(ctx)
	if err != nil {
		return "", fmt.Errorf("pep: publish private data to %q: %w", node, err)
	}
	if !ok {
		return "", fmt.Errorf("pep: publish private data to %q: %w", node, ErrNoPrivate)
	}
	opts.AccessModel, opts.PersistItems = pubsub.AccessWhitelist, true
	n := pubsub.For(m.c).Node(jid.JID{}, node)
	id, err := n.Publish(ctx, item, opts)
	if err == nil {
		return id, nil
	}
	extra := opts.MaxItems != 0 || opts.SendLastPublishedItem != "" || len(opts.Fields) > 0
	conflict := errors.Is(err, &stanza.Error{Condition: stanza.Conflict})
	switch {
	case conflict && !extra:
		return "", fmt.Errorf("%w: %w", ErrNotPrivate, err)
	case !extra || (!conflict && !optionsRefused(err)):
		return "", err
	}
	existed, err := configure(ctx, n, opts)
	if err != nil {
		return "", err
	}
	id, err = n.Publish(ctx, item, pubsub.PublishOptions{AccessModel: pubsub.AccessWhitelist, PersistItems: true})
	if errors.Is(err, &stanza.Error{Condition: stanza.Conflict}) {
		return "", fmt.Errorf("%w: %w", ErrNotPrivate, err)
	}
	if err != nil {
		return "", err
	}
	if !existed {
		if _, err := configure(ctx, n, opts); err != nil {
			return "", err
		}
	}
	return id, nil
}

// optionsRefused reports whether err is a service's refusal of the form
// rather than of the preconditions.
func optionsRefused(err error) bool {
	for _, c := range []stanza.Condition{stanza.BadRequest, stanza.NotAcceptable, stanza.ResourceConstraint, stanza.FeatureNotImplemented} {
		if errors.Is(err, &stanza.Error{Condition: c}) {
			return true
		}
	}
	return false
}

// configure sets in the configuration of n the further options of opts
// (those beyond access model and persistence) that its configuration
// form has with other values, and reports whether n exists. A node
// whose access model is not whitelist is ErrNotPrivate, and is left as
// it is.
func configure(ctx context.Context, n pubsub.Node, opts pubsub.PublishOptions) (bool, error) {
	form, err := n.Config(ctx)
	if errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if am := form.Value(pubsub.VarAccessModel); am != "" && am != pubsub.AccessWhitelist {
		return true, fmt.Errorf("%w: its access model is %q", ErrNotPrivate, am)
	}
	want := opts.Fields
	switch {
	case opts.MaxItems > 0:
		want = append(want, dataform.Field{Var: pubsub.VarMaxItems, Values: []string{strconv.Itoa(opts.MaxItems)}})
	case opts.MaxItems == pubsub.MaxItemsMax:
		want = append(want, dataform.Field{Var: pubsub.VarMaxItems, Values: []string{"max"}})
	}
	if opts.SendLastPublishedItem != "" {
		want = append(want, dataform.Field{Var: pubsub.VarSendLastPublishedItem, Values: []string{opts.SendLastPublishedItem}})
	}
	var change []dataform.Field
	for _, f := range want {
		if form.Field(f.Var) != nil && !slices.Equal(form.Values(f.Var), f.Values) {
			change = append(change, dataform.Field{Var: f.Var, Values: f.Values})
		}
	}
	if len(change) == 0 {
		return true, nil
	}
	return true, n.Configure(ctx, pubsub.NodeConfig(change...))
}

// privateSupported asks the account's server whether it is a PEP
// service that takes publish-options (XEP-0223 section 5).
func (m *Manager) privateSupported(ctx context.Context) (bool, error) {
	info, err := disco.For(m.c).Info(ctx, jid.JID{}, "")
	if err != nil {
		return false, err
	}
	return SupportsPrivate(info), nil
}

// SupportsPrivate reports whether info, the disco#info of an account, says that
// its PEP service keeps private data (XEP-0223 section 5): the identity
// pubsub/pep and the publish-options feature.
func SupportsPrivate(info *disco.Info) bool {
	if info == nil {
		return false
	}
	return info.HasIdentity("pubsub", "pep") && info.HasFeature(pubsub.NSPublishOptions)
}
