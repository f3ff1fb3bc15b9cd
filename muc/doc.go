// Package muc will hold multi-user chat (XEP-0045): discovering, creating,
// configuring, joining and moderating rooms, invitations, and MUC self-ping
// (XEP-0410).
//
// It is empty until the muc issue builds it. It stands for Smack's
// MultiUserChatManager and MultiUserChat.
package muc
