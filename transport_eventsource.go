package sockjs

import "github.com/gosockjs/sockjs/internal/frame"

// eventSourceTransport is GET .../eventsource: frames as server-sent events
// until the response limit.
var eventSourceTransport = transport{name: "eventsource", id: TransportEventSource, uses: setOf(TransportEventSource), kind: streaming,
	method: get, allow: "GET", provesOrigin: true,
	contentType: contentEvents, prelude: constant(frame.EventSourcePrelude), encoder: always(frame.AppendEventSource),
	serve: (*Handler).serveReceiver}
