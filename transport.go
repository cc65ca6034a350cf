package sockjs

import "net/http"

// transportKind tells how a transport carries a session.
type transportKind uint8

const (
	polling       transportKind = iota // a response carries one frame
	streaming                          // a response carries frames up to ResponseLimit bytes
	sending                            // a request carries messages to the session
	websocketKind                      // a websocket carries frames both ways
)

// transport describes one /<server>/<session>/<transport> endpoint.
type transport struct {
	name         string
	kind         transportKind
	method       string // the method that uses it
	allow        string // the Allow header of a 405
	options      string // methods listed in a preflight answer; "" if no preflight
	provesOrigin bool   // browsers send an Origin header the server can trust

	// The wire format of receiving transports: the response's content
	// type, whether it takes a callback name (c= or callback=), the
	// prelude that opens a streaming response, and the encoder of frames.
	contentType string
	callback    bool
	prelude     func(callback string) []byte
	encoder     func(callback string) encodeFunc

	serve func(h *Handler, w http.ResponseWriter, r *http.Request, sid string, t *transport)
}

const (
	get, post = http.MethodGet, http.MethodPost
	xhrAllow  = "OPTIONS, POST"
)

// transports are the endpoints of a session; each transport file defines
// its own.
var transports = [...]*transport{
	&websocketTransport, &xhrPolling, &xhrStreaming, &xhrSend,
	&eventSourceTransport, &htmlfileTransport, &jsonpPolling, &jsonpSend,
}

// lookupTransport returns the transport of that name, or nil.
func lookupTransport(name string) *transport {
	for _, t := range transports {
		if t.name == name {
			return t
		}
	}
	return nil
}

// always returns the encoder of a wire format that takes no callback name.
func always(e encodeFunc) func(string) encodeFunc {
	return func(string) encodeFunc { return e }
}

// constant returns the prelude of a wire format that takes no callback name.
func constant(p []byte) func(string) []byte {
	return func(string) []byte { return p }
}
