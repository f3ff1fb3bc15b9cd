package sasl

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"slices"

	// Hashes a server certificate may be signed with, for
	// tls-server-end-point.
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Channel-binding types (RFC 5929, RFC 9266), in the order the client
// prefers them.
const (
	// TLSExporter binds to the TLS session's exported keying material
	// (RFC 9266): the only type TLS 1.3 has, and TLS 1.2 with the extended
	// master secret.
	TLSExporter = "tls-exporter"
	// TLSUnique binds to the first Finished message (RFC 5929); TLS 1.2
	// and older only. The default of RFC 5802 and what Prosody 0.12 and
	// ejabberd 23.01 implement.
	TLSUnique = "tls-unique"
	// TLSServerEndPoint binds to a hash of the server's certificate
	// (RFC 5929): weaker, but works through TLS-terminating proxies.
	TLSServerEndPoint = "tls-server-end-point"
)

var bindingPreference = []string{TLSExporter, TLSUnique, TLSServerEndPoint}

// binding is a channel-binding type and its data for one connection.
type binding struct {
	typ  string
	data []byte
}

// bindingData returns the channel-binding data of type typ for the
// connection, or nil if the connection cannot produce it.
func bindingData(cs *tls.ConnectionState, typ string) []byte {
	if cs == nil || !cs.HandshakeComplete {
		return nil
	}
	switch typ {
	case TLSExporter:
		// RFC 9266: an empty context, which on TLS 1.2 differs from no
		// context (RFC 5705). crypto/tls refuses to export from TLS 1.2
		// without the extended master secret, as RFC 9266 requires.
		b, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
		if err != nil {
			return nil
		}
		return b
	case TLSUnique:
		if cs.Version >= tls.VersionTLS13 || len(cs.TLSUnique) == 0 {
			return nil
		}
		return slices.Clone(cs.TLSUnique)
	case TLSServerEndPoint:
		if len(cs.PeerCertificates) == 0 {
			return nil
		}
		return serverEndPoint(cs.PeerCertificates[0])
	}
	return nil
}

// serverEndPoint hashes the certificate as RFC 5929 section 4.1 says: with
// the hash of its signature algorithm, SHA-256 where that is MD5 or SHA-1.
// Signature algorithms without a single hash (Ed25519) have no defined
// binding, so nil.
func serverEndPoint(cert *x509.Certificate) []byte {
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = crypto.SHA512
	default:
		return nil
	}
	d := h.New()
	d.Write(cert.Raw)
	return d.Sum(nil)
}

// chooseBinding picks the channel binding for this connection, or reports
// ok == false when there is none both sides can use.
//
// When the server lists its types (XEP-0440), the first of the client's
// preferred types that it lists and the connection can produce wins. When
// it does not, the client assumes only the RFC 5802 default, tls-unique,
// and so binds on TLS 1.2 and never on TLS 1.3: ejabberd 23.01 advertises
// -PLUS on TLS 1.3 where it can bind with nothing, and guessing
// tls-exporter there would fail the login.
func chooseBinding(ch Stream) (binding, bool) {
	candidates := ch.Bindings
	if candidates == nil {
		candidates = []string{TLSUnique}
	}
	for _, typ := range bindingPreference {
		if !slices.Contains(candidates, typ) {
			continue
		}
		if data := bindingData(ch.TLS, typ); data != nil {
			return binding{typ: typ, data: data}, true
		}
	}
	return binding{}, false
}

// canBind reports whether the connection can produce any binding type at
// all, which decides between the GS2 flags "y" and "n".
func canBind(cs *tls.ConnectionState) bool {
	for _, typ := range bindingPreference {
		if bindingData(cs, typ) != nil {
			return true
		}
	}
	return false
}
