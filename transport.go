package sockjs

import (
	"fmt"
	"net/http"
)

// Transport names a way the handler carries sessions, as sockjs-node names
// them: Conn.Transport tells which one a session uses, and
// Options.Transports lists those a handler serves.
type Transport string

// The transports. The iframe-based transports of sockjs-client
// (iframe-eventsource, iframe-htmlfile, iframe-xhr-polling) use
// TransportEventSource, TransportHTMLFile and TransportXHRPolling.
const (
	TransportWebsocket    Transport = "websocket"     // SockJS frames over a websocket
	TransportWebsocketRaw Transport = "websocket-raw" // plain messages over <prefix>/websocket
	TransportXHRStreaming Transport = "xhr-streaming"
	TransportXHRPolling   Transport = "xhr-polling"
	TransportEventSource  Transport = "eventsource"
	TransportHTMLFile     Transport = "htmlfile"
	TransportJSONPPolling Transport = "jsonp-polling"
)

// allTransports are the transports, in the order of their bits in a
// transportSet.
var allTransports = [...]Transport{
	TransportWebsocket, TransportWebsocketRaw, TransportXHRStreaming, TransportXHRPolling,
	TransportEventSource, TransportHTMLFile, TransportJSONPPolling,
}

// transportSet is a set of transports.
type transportSet uint8

// setOf returns the set of ts. It panics on a name that is not a transport.
func setOf(ts ...Transport) transportSet {
	var set transportSet
next:
	for _, t := range ts {
		for i, u := range allTransports {
			if t == u {
				set |= 1 << i
				continue next
			}
		}
		panic(fmt.Sprintf("sockjs: unknown transport %q", t))
	}
	return set
}

// has reports whether the set holds t.
func (set transportSet) has(t Transport) bool { return set&setOf(t) != 0 }

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
	name         string       // in the URL
	id           Transport    // of the sessions it opens; "" for the sending ones
	uses         transportSet // served when the handler serves one of these
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
