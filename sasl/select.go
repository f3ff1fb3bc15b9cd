package sasl

import (
	"fmt"
	"slices"
	"strings"
)

// preferred is the order Select tries mechanisms in, strongest first.
var preferred = []string{
	"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
	"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1",
	"EXTERNAL", "OAUTHBEARER", "X-OAUTH2", "ANONYMOUS", "PLAIN",
}

// obsolete are mechanisms servers still offer that this package does not
// implement (RFC 6331 moved DIGEST-MD5 to Historic; CRAM-MD5 is as weak).
var obsolete = []string{"DIGEST-MD5", "CRAM-MD5"}

// Preferred returns the mechanisms this package implements, in the order
// Select prefers them: SCRAM with channel binding (SHA-512, SHA-256,
// SHA-1), SCRAM without, EXTERNAL, OAUTHBEARER, X-OAUTH2, ANONYMOUS, PLAIN.
// The caller may change the returned slice.
func Preferred() []string { return slices.Clone(preferred) }

// cleartext mechanisms hand the secret itself to the server.
func cleartext(name string) bool {
	return name == "PLAIN" || name == "X-OAUTH2" || name == "OAUTHBEARER"
}

// eligible reports why the named mechanism cannot run with cfg on st, or
// "" if it can.
func eligible(name string, cfg *Config, st Stream) string {
	if cfg.Mechanisms != nil && !slices.Contains(cfg.Mechanisms, name) {
		return "not in the allow list"
	}
	if cleartext(name) && st.TLS == nil && !cfg.AllowPlainWithoutTLS {
		return "the stream is not encrypted"
	}
	hasPassword := cfg.Username != "" && cfg.Password != ""
	switch {
	case strings.HasSuffix(name, "-PLUS"):
		if !hasPassword {
			return "no password"
		}
		if _, ok := chooseBinding(st); !ok {
			return "no channel binding in common"
		}
	case strings.HasPrefix(name, "SCRAM-"), name == "PLAIN":
		if !hasPassword {
			return "no password"
		}
	case name == "EXTERNAL":
		if !cfg.External {
			return "Config.External is not set"
		}
		if st.TLS == nil {
			return "the stream is not encrypted, so there is no client certificate"
		}
	case name == "OAUTHBEARER":
		if cfg.Token == "" {
			return "no token"
		}
	case name == "X-OAUTH2":
		if cfg.Token == "" || cfg.Username == "" {
			return "no token and username"
		}
	case name == "ANONYMOUS":
		if cfg.Username != "" || cfg.Token != "" || cfg.External {
			return "credentials were given"
		}
	}
	return ""
}

// Select returns the strongest mechanism that the server offers (in
// st.Mechanisms), cfg allows and the credentials can run, by the order of
// Preferred. When there is none, the error matches ErrNoMechanism and says
// why each offered mechanism was passed over; if PLAIN was passed over only
// because the stream is not encrypted, it matches ErrPlainWithoutTLS too.
func Select(cfg *Config, st Stream) (Mechanism, error) {
	var why []string
	plainRefused := false
	for _, name := range preferred {
		if !slices.Contains(st.Mechanisms, name) {
			continue
		}
		reason := eligible(name, cfg, st)
		if reason == "" {
			return New(name, cfg, st)
		}
		plainRefused = plainRefused || (cleartext(name) && reason == "the stream is not encrypted")
		why = append(why, name+": "+reason)
	}
	for _, name := range st.Mechanisms {
		if slices.Contains(obsolete, name) {
			why = append(why, name+": obsolete (RFC 6331), not implemented")
		} else if !slices.Contains(preferred, name) {
			why = append(why, name+": not implemented")
		}
	}
	if len(st.Mechanisms) == 0 {
		why = append(why, "the server offered none")
	}
	err := fmt.Errorf("%w (%s)", ErrNoMechanism, strings.Join(why, "; "))
	if plainRefused {
		err = fmt.Errorf("%w: %w", ErrPlainWithoutTLS, err)
	}
	return nil, err
}

// New returns the named mechanism set up for cfg and st, whether or not
// Select would choose it; it still refuses a cleartext mechanism on an
// unencrypted stream unless cfg allows it. For SCRAM, st decides the GS2
// channel-binding flag: "p" with the chosen binding for a -PLUS mechanism;
// otherwise "y" when the connection could bind but the server offers no
// -PLUS mechanism, and "n" when the client cannot bind (no TLS, or no
// binding type in common with a server that offers -PLUS).
func New(name string, cfg *Config, st Stream) (Mechanism, error) {
	if cleartext(name) && st.TLS == nil && !cfg.AllowPlainWithoutTLS {
		return nil, fmt.Errorf("%w: %s", ErrPlainWithoutTLS, name)
	}
	switch name {
	case "PLAIN":
		return newPlain(cfg)
	case "X-OAUTH2":
		return newXOAuth2(cfg)
	case "OAUTHBEARER":
		return newOAuthBearer(cfg)
	case "ANONYMOUS":
		return newAnonymous(cfg)
	case "EXTERNAL":
		return newExternal(cfg)
	}
	hashName, ok := strings.CutPrefix(name, "SCRAM-")
	if !ok {
		return nil, fmt.Errorf("%w: %s is not implemented", ErrNoMechanism, name)
	}
	hashName, plus := strings.CutSuffix(hashName, "-PLUS")
	if scramHashes[hashName] == nil {
		return nil, fmt.Errorf("%w: %s is not implemented", ErrNoMechanism, name)
	}
	if plus {
		b, ok := chooseBinding(st)
		if !ok {
			return nil, fmt.Errorf("%w: %s: no channel-binding type in common", ErrNoMechanism, name)
		}
		return withOffer(newSCRAM(name, hashName, cfg, "p", b), st), nil
	}
	flag := "n"
	if canBind(st.TLS) && !offersPlus(st.Mechanisms) {
		flag = "y"
	}
	return withOffer(newSCRAM(name, hashName, cfg, flag, binding{}), st), nil
}

// withOffer keeps what the server advertised, for XEP-0474's check.
func withOffer(s *scram, st Stream) *scram {
	SetOffer(s, st)
	return s
}

func offersPlus(mechanisms []string) bool {
	for _, m := range mechanisms {
		if strings.HasPrefix(m, "SCRAM-") && strings.HasSuffix(m, "-PLUS") {
			return true
		}
	}
	return false
}
