// Package receipts will hold Message Delivery Receipts (XEP-0184):
// requesting receipts, answering requests by policy, and a listener for
// receipts received.
//
// It is empty until the first-managers issue builds it. It stands for
// Smack's DeliveryReceiptManager.
package receipts
