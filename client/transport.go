package client

// Transport names a way of carrying SockJS frames, as sockjs-client names it
// in its transports option.
type Transport string

// The transports the client speaks. All but WebsocketRaw are SockJS
// transports: they carry the session's frames (open, heartbeat, messages,
// close) at <prefix>/<server>/<session>/<name>. WebsocketRaw is the raw
// endpoint some servers offer for clients that do not speak SockJS.
// HTMLFile and JSONPPolling are transports of browsers, spoken here so that
// a test (see package sockjstest) can drive a service over every transport
// its users' browsers may choose.
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
	// HTMLFile receives frames as the scripts of a long GET response to
	// htmlfile, an HTML document that a browser loads in a hidden iframe,
	// and sends with POSTs to xhr_send. Browsers fall back to it; Dial
	// uses it only when Dialer.Transports names it.
	HTMLFile Transport = "htmlfile"
	// JSONPPolling receives frames by long polling jsonp with GETs, each
	// answered with a script that calls a callback with one frame, and
	// sends with form POSTs to jsonp_send, as the oldest browsers do. Dial
	// uses it only when Dialer.Transports names it.
	JSONPPolling Transport = "jsonp-polling"
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
	case Websocket, XHRStreaming, EventSource, XHRPolling, WebsocketRaw, HTMLFile, JSONPPolling:
		return true
	}
	return false
}

// websocket reports whether t runs over a WebSocket, which the server's
// /info can turn off.
func (t Transport) websocket() bool { return t == Websocket || t == WebsocketRaw }
