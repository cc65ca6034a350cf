package client

// Transport names a way of carrying SockJS frames, as sockjs-client names it
// in its transports option.
type Transport string

// The transports the client speaks. The first four are SockJS transports:
// they carry the session's frames (open, heartbeat, messages, close) at
// <prefix>/<server>/<session>/<name>. WebsocketRaw is the raw endpoint some
// servers offer for clients that do not speak SockJS.
const (
	// Websocket carries frames over a WebSocket, one frame per text
	// message.
	Websocket Transport = "websocket"
	// XHRStreaming receives frames on long POST responses to xhr_streaming,
	// one frame per line, and sends with POSTs to xhr_send.
	XHRStreaming Transport = "xhr-streaming"
	// EventSource receives frames as the server-sent events of GET
	// requests to eventsource, and sends with POSTs to xhr_send.
	EventSource Transport = "eventsource"
	// XHRPolling receives frames by long polling xhr with POSTs, and sends
	// with POSTs to xhr_send.
	XHRPolling Transport = "xhr-polling"
	// WebsocketRaw is the endpoint <prefix>/websocket: every WebSocket
	// message is one message, with no SockJS framing, session id or
	// heartbeat frames. Recv returns the bytes of a binary message as it
	// returns a text one; Send sends text. Dial uses it only when
	// Dialer.Transports names it.
	WebsocketRaw Transport = "websocket-raw"
)

// Transports returns the SockJS transports in the order Dial tries them when
// Dialer.Transports is nil, which is sockjs-client's order among the
// transports it has outside a browser: websocket, xhr-streaming, eventsource,
// xhr-polling.
func Transports() []Transport {
	return []Transport{Websocket, XHRStreaming, EventSource, XHRPolling}
}

// valid reports whether t is one of the transports the client speaks.
func (t Transport) valid() bool {
	switch t {
	case Websocket, XHRStreaming, EventSource, XHRPolling, WebsocketRaw:
		return true
	}
	return false
}

// websocket reports whether t runs over a WebSocket, which the server's
// /info can turn off.
func (t Transport) websocket() bool { return t == Websocket || t == WebsocketRaw }
