// Package sasl will hold the client SASL mechanisms (PLAIN, SCRAM-SHA-1,
// -256 and -512 with their -PLUS channel-binding forms, ANONYMOUS, EXTERNAL,
// OAUTHBEARER, X-OAUTH2) as I/O-free state machines.
//
// It is empty until the sasl issue builds it. It stands for Smack's
// SASLMechanism classes and SASLAuthentication.
package sasl
