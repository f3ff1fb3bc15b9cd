package xmpp

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// In-band registration stays in the core package, beside Connect: an
// account is created on a stream that is secured but never logged in,
// which only the negotiation here can open (open, negotiationIQ), and
// ChangePassword updates the configuration the next login uses. A
// package of its own would need those internals exported for it alone.

// NSRegister is the namespace of in-band registration (XEP-0077): of
// accounts here, and of room nicknames in package muc.
const NSRegister = "jabber:iq:register"

// ErrRegistrationNotOffered is returned by CreateAccount when the server
// does not offer in-band registration.
var ErrRegistrationNotOffered = errors.New("xmpp: the server does not offer in-band registration")

func registerQuery(children ...stanza.Node) *stanza.Node {
	return &stanza.Node{Name: xmlstream.Name{Space: NSRegister, Local: "query"}, Nodes: children}
}

func registerField(name, value string) stanza.Node {
	n := stanza.Node{Name: xmlstream.Name{Space: NSRegister, Local: name}}
	if value != "" {
		n.Nodes = []stanza.Node{{Text: value}}
	}
	return n
}

// CreateAccount registers the account cfg.JID with cfg.Password on its
// server by in-band registration (XEP-0077; Smack's
// AccountManager.createAccount), before any login. It connects and
// secures the stream as Connect does, asks the server which fields it
// wants, sends the username, the password and attrs (other fields the
// server asks for, such as "email"), and closes. A field the server
// requires that attrs lacks is reported without registering.
//
// The server's refusal is a *stanza.Error: conflict when the name is
// taken, not-acceptable when a field is missing or bad. ctx bounds the
// whole exchange.
func CreateAccount(ctx context.Context, cfg Config, attrs map[string]string) error {
	if cfg.JID.Localpart() == "" || cfg.Password == "" {
		return errors.New("xmpp: CreateAccount needs a JID with a localpart and a password")
	}
	c := New(cfg)
	s, err := c.open(ctx, nil, nil, func(ctx context.Context, s *stream, f Features) error {
		defer s.closeStream()
		if !f.Has(nsRegisterF, "register") {
			return ErrRegistrationNotOffered
		}
		domain := cfg.JID.Domain()
		form, err := c.negotiationIQ(ctx, s, &stanza.IQ{Common: stanza.Common{To: domain}, Type: stanza.Get, Payload: registerQuery()}, "")
		if err != nil {
			return fmt.Errorf("xmpp: registration form: %w", err)
		}
		set := registerQuery(
			registerField("username", cfg.JID.Localpart()),
			registerField("password", cfg.Password),
		)
		var missing []string
		if form.Payload != nil {
			for _, n := range form.Payload.Nodes {
				name := n.Name.Local
				if n.IsText() || n.Name.Space != NSRegister || name == "username" || name == "password" || name == "instructions" || name == "registered" {
					continue
				}
				if v, ok := attrs[name]; ok {
					set.Nodes = append(set.Nodes, registerField(name, v))
				} else {
					missing = append(missing, name)
				}
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("xmpp: the server asks for registration fields %q that were not given", missing)
		}
		if _, err := c.negotiationIQ(ctx, s, &stanza.IQ{Common: stanza.Common{To: domain}, Type: stanza.Set, Payload: set}, ""); err != nil {
			return fmt.Errorf("xmpp: registering %s: %w", cfg.JID.Bare(), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.conn.Close()
	return nil
}

// ChangePassword changes the account's password on the server (XEP-0077
// section 3.3; Smack's AccountManager.changePassword). The connection
// stays logged in; log in with the new password next time. ctx bounds
// the request, as in SendIQ.
func (c *Conn) ChangePassword(ctx context.Context, password string) error {
	if password == "" {
		return errors.New("xmpp: ChangePassword: empty password")
	}
	iq := &stanza.IQ{Type: stanza.Set, Payload: registerQuery(
		registerField("username", c.cfg.JID.Localpart()),
		registerField("password", password),
	)}
	iq.To = c.cfg.JID.Domain()
	if _, err := c.SendIQ(ctx, iq); err != nil {
		return fmt.Errorf("xmpp: changing the password: %w", err)
	}
	c.mu.Lock()
	c.cfg.Password = password // so that connecting again works
	c.mu.Unlock()
	return nil
}

// DeleteAccount removes the account from the server (XEP-0077 section 3.2;
// Smack's AccountManager.deleteAccount). The server ends the stream
// afterwards; DeleteAccount then closes the connection. ctx bounds the
// request.
func (c *Conn) DeleteAccount(ctx context.Context) error {
	iq := &stanza.IQ{Type: stanza.Set, Payload: registerQuery(registerField("remove", ""))}
	if _, err := c.SendIQ(ctx, iq); err != nil {
		// The server may end the stream before its reply reaches us;
		// that is a success too, but not one we can tell apart.
		return fmt.Errorf("xmpp: deleting the account: %w", err)
	}
	return c.Close()
}
