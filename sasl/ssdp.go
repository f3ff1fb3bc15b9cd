package sasl

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
)

// ErrDowngrade: the server signed, in its SCRAM server-first-message
// (XEP-0474's "h" attribute), an offer of mechanisms and channel-binding
// types other than the one the client received: someone between them
// changed the offer, to make the client choose a weaker mechanism or
// binding. The login must end.
var ErrDowngrade = errors.New("sasl: the server's signed offer differs from the one received (XEP-0474): a downgrade")

// SetOffer tells m, chosen before the server's stream features arrived
// (an exchange written ahead), what the server advertised: the
// mechanisms (of the SASL profile in use: RFC 6120's or SASL2's) and the
// channel-binding types, which the SCRAM mechanisms check against the
// server's signed list (XEP-0474). Other mechanisms ignore it. Call it
// before the first Step with a challenge.
func SetOffer(m Mechanism, st Stream) {
	if s, ok := m.(*scram); ok {
		s.offer = Stream{Mechanisms: slices.Clone(st.Mechanisms), Bindings: slices.Clone(st.Bindings)}
	}
}

// ssdpHash is XEP-0474's hash of the offer, base64: the sorted
// mechanisms joined by 0x1E, then, when the server listed channel-binding
// types (XEP-0440), 0x1F and the sorted types joined by 0x1E, hashed with
// the SCRAM mechanism's hash.
func (s *scram) ssdpHash() string {
	mechs := slices.Clone(s.offer.Mechanisms)
	slices.Sort(mechs)
	str := strings.Join(mechs, "\x1e")
	if s.offer.Bindings != nil {
		types := slices.Clone(s.offer.Bindings)
		slices.Sort(types)
		str += "\x1f" + strings.Join(types, "\x1e")
	}
	h := s.h()
	h.Write([]byte(str))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// checkSSDP compares the server's signed offer, when it sent one, with
// the offer received.
func (s *scram) checkSSDP(h string, present bool) error {
	if !present {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(h), []byte(s.ssdpHash())) != 1 {
		return ErrDowngrade
	}
	return nil
}
