// Package xmpp will hold the connection: configuration, connect (DNS SRV,
// direct TLS, STARTTLS), SASL login, resource binding, the reader loop,
// listeners, IQ request and response, and close.
//
// It is empty until the connection issue builds it. It stands for Smack's
// XMPPTCPConnection and XMPPTCPConnectionConfiguration.
package xmpp
