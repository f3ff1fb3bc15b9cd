// Package hints reads and writes Message Processing Hints (XEP-0334):
// the elements by which a sender asks servers to store a message in
// archives or not, and not to copy it to the user's other devices.
//
//	hints.Add(m, hints.NoStore, hints.NoCopy) // a transient signal
//	if hints.Has(m, hints.NoCopy) { ... }
//
// Hints are requests: a server may ignore them, and a received hint says
// only what its sender wanted. Smack's MessageProcessingHintsManager
// adds the same elements (NoStoreHint, NoCopyHint, StoreHint,
// NoPermanentStoreHint).
package hints
