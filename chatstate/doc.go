// Package chatstate implements Chat State Notifications (XEP-0085): the
// "is typing", "paused", "active", "inactive" and "gone" signals of a
// one-to-one conversation. It stands for Smack's ChatStateManager, with
// ChatState (State) and ChatStateListener (OnChatState, Event).
//
//	cs := chatstate.For(c)
//	cs.OnChatState(func(e chatstate.Event) {
//		if e.State == chatstate.Composing {
//			fmt.Println(e.From.Bare(), "is typing")
//		}
//	})
//	// on a key press in bob's window:
//	_, err := cs.SetState(ctx, bob, chatstate.Composing)
//
// Of and Set read and write a state on any message, for a caller that
// builds its own (a room's, for one).
//
// # When states are sent
//
// The Manager follows XEP-0085 section 5 for one-to-one chats, peers told
// apart by bare JID:
//
//   - Every chat message with a body that the connection sends gets
//     <active/> (a content message means the user is active), unless it
//     carries a state already or its peer is known not to support states.
//     The first such message to a peer is also the question whether it
//     supports them.
//   - A peer supports states once it has sent one. It does not when it
//     answers with a content message without a state, or returns an error
//     to a message that carried one; then it gets no more, not even
//     <active/>, until it sends a state again.
//   - SetState sends a standalone notification (a chat message with the
//     state alone) only to a peer that supports states, and never the
//     state last sent to it (a content message counts as active).
//
// Not done by the Manager: timers (composing becoming paused after a
// while, active becoming inactive) belong to the user interface, which
// knows when the user types; states in rooms (section 5.5), where an
// application writes the state itself with Set on its groupchat message.
// At most 1024 peers are remembered, the oldest forgotten first.
//
// # Concurrency
//
// The Manager registers one interceptor and one message listener and
// announces the chat states feature; Close removes them. OnChatState
// listeners run on the connection's dispatcher goroutine in wire order
// with the other listeners; the interceptor runs on the goroutine that
// calls Send. No goroutine is started. Every method is safe for
// concurrent use.
//
// # Coming from Smack
//
//	ChatStateManager.getInstance(connection)        chatstate.For(c)
//	setCurrentState(state, chat)                    cs.SetState(ctx, jid, state)
//	addChatStateListener(listener)                  cs.OnChatState(func(chatstate.Event)), which returns its remove func
//	ChatStateExtension                              chatstate.Of(m), chatstate.Set(m, state)
package chatstate
