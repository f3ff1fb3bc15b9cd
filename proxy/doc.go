// Package proxy connects to an XMPP server through a proxy: SOCKS5 or an
// HTTP proxy's CONNECT tunnel. It stands for Smack's ProxyInfo (package
// org.jivesoftware.smack.proxy). The dialer it returns goes into
// xmpp.Config.Dialer; the TLS, the login and everything after run through
// the tunnel as they would over a direct connection, and the certificate
// is still checked against the XMPP domain.
//
//	u, _ := url.Parse("socks5://user:secret@proxy.example.com:1080")
//	d, err := proxy.FromURL(u, nil)
//	if err != nil { ... } // a scheme other than socks5, socks5h or http
//	c := xmpp.New(xmpp.Config{JID: j, Password: pw, Dialer: d})
//
// It lives beside package xmpp rather than in it: the HTTP CONNECT
// tunnel needs net/http, which every program that imports xmpp would
// otherwise link (about half a megabyte) whether it uses a proxy or not.
// SOCKS5 is golang.org/x/net/proxy's; HTTP CONNECT (RFC 9110 section
// 9.3.6) is written here, reading the proxy's answer a byte at a time so
// that the server's first bytes stay in the connection.
package proxy
