package csi

// SetAfterSend has f run as each write of a state returns, before the
// Manager notes what the stream was told.
func SetAfterSend(f func()) (restore func()) {
	afterSend = f
	return func() { afterSend = nil }
}
