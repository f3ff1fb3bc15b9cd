// Package upload implements HTTP File Upload (XEP-0363): finding the
// account's upload service and its size limit, asking it for a slot, and
// PUTting a file there over HTTPS, so that anyone given the slot's GET URL
// can download it. Share sends that URL the way clients show a file: as
// the body of a message and as out-of-band data (XEP-0066, jabber:x:oob).
// It stands for Smack's HttpFileUploadManager (getInstanceFor(connection)
// is For(c)), with UploadService (Service) and Slot, and OutOfBandData
// (OOB).
//
//	up := upload.For(c)
//	f, _ := os.Open("photo.jpg")
//	defer f.Close()
//	st, _ := f.Stat()
//	u, err := up.Upload(ctx, upload.File{
//		Name: "photo.jpg", Size: st.Size(), ContentType: "image/jpeg", Body: f,
//		Progress: func(p upload.Progress) { fmt.Printf("\r%d/%d", p.Sent, p.Size) },
//	})
//	var tooLarge *upload.TooLargeError
//	if errors.As(err, &tooLarge) { ... } // nothing was sent
//	if err == nil {
//		_, err = up.Share(ctx, bob, stanza.Chat, u.String())
//	}
//
// # The service
//
// Service asks the server (disco#info) and then each of its items
// (disco#items, then disco#info of each) for urn:xmpp:http:upload:0, and
// reads the limit from the service's XEP-0128 form (max-file-size). The
// answer, "none" included, is kept for the session: a resumed session
// keeps it, a new one asks again.
//
// # Uploading
//
// Upload refuses a file larger than the service's limit with a
// *TooLargeError before it asks for a slot, so nothing of the file is
// sent; a service that refuses the size itself (<file-too-large/>) gives
// a *TooLargeError too, with the limit it names. The file comes from an
// io.Reader, read as the bytes go out, never whole in memory: the caller
// gives its exact size, which is the slot's size and the PUT's
// Content-Length, and an upload whose reader yields more or fewer bytes
// fails with ErrSizeMismatch (nothing past the size is sent). A Progress
// func hears how far it went. Of the headers a slot gives, only those
// XEP-0363 allows are sent (Authorization, Cookie, Expires), with line
// breaks removed; the others are dropped.
//
// # HTTPS
//
// The HTTP client (net/http, linked only into programs that import this
// package) verifies certificates as the XMPP connection does: it takes
// the connection's Config.TLS (its roots, versions, suites and extra
// checks; the system roots when nil), verifies each URL's own host, and
// never skips verification, whatever Config.TLS says; it sends no client
// certificate and no Encrypted Client Hello. Config.TLS's
// VerifyConnection and VerifyPeerCertificate, when set, run for the HTTP
// hosts as well as for the XMPP server. A PUT URL often holds a
// credential (an HMAC in its path, a token in its query): errors show
// its scheme and host only. It dials with the connection's Config.Dialer, so a proxy
// configured for XMPP carries the upload too. A slot whose PUT or GET URL
// is not https is refused with ErrInsecureURL unless SetAllowHTTP(true)
// says otherwise, and redirects are not followed.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use, and uploads may run at once. It
// registers one state listener (to forget the service at a new session)
// and starts no goroutine of its own; net/http runs the transfers. Every
// blocking method runs on the caller's goroutine and may be called from a
// listener; ctx bounds the whole call, discovery, slot request and
// transfer included; a late IQ reply is dropped.
//
// # Coming from Smack
//
//	HttpFileUploadManager.getInstanceFor(connection)  upload.For(c)
//	isUploadServiceDiscovered(), getDefaultUploadService()  up.Service(ctx)
//	uploadFile(file, listener)                         up.Upload(ctx, upload.File{..., Progress: f})
//	requestSlot(filename, size, contentType)           up.RequestSlot(ctx, name, size, contentType)
//	setTlsContext(sslContext)                          xmpp.Config.TLS (shared with the stream)
//	UploadProgressListener                             File.Progress
package upload
