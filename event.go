package sockjs

// EventType tells what happened to a session.
type EventType uint8

// The events delivered to a Callback, in the order a session goes through them.
const (
	// EventInit opens a session. The callback gets it before the open frame
	// is written, so that messages sent from it reach the client first.
	EventInit EventType = iota
	// EventRecv carries one message from the client in Event.Data.
	EventRecv
	// EventInfo carries a value posted to the session with Conn.Post in
	// Event.Info: the way for other goroutines to run code in the session's
	// callback, like an Erlang message sent to a sockjs-erlang session.
	EventInfo
	// EventClosed ends a session. The callback gets it exactly once, for
	// every session that got EventInit, whatever ended the session.
	EventClosed
)

// String returns the name of the event type.
func (t EventType) String() string {
	switch t {
	case EventInit:
		return "init"
	case EventRecv:
		return "recv"
	case EventInfo:
		return "info"
	case EventClosed:
		return "closed"
	}
	return "unknown"
}

// Event is one thing that happened to a session.
type Event struct {
	// Type tells what happened.
	Type EventType
	// Data is the message received, for EventRecv.
	Data string
	// Binary marks Data as a binary message, which only the raw websocket
	// endpoint carries, with Options.BinaryMessages.
	Binary bool
	// Info is the value given to Conn.Post, for EventInfo.
	Info any
	// Code and Reason tell why the session ended, for EventClosed: the
	// code and reason of the close frame the client got, whoever closed
	// the session.
	Code   int
	Reason string
}

// Callback handles the events of a session. It gets the session's
// connection, the event and the session's current state, and returns the
// session's new state. Each session starts from the state given to
// NewHandler.
//
// Calls for one session never overlap and come in order; calls for
// different sessions run in parallel. A callback that panics ends its
// session (the panic is logged and the client gets a close frame); it never
// ends the process. A callback may block, but while it runs its session
// handles no other event.
type Callback[S any] func(c *Conn, ev Event, state S) S
