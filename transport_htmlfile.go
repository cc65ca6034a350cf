package sockjs

import "github.com/gosockjs/sockjs/internal/frame"

// htmlfileTransport is GET .../htmlfile?c=callback: a page that hands each
// frame to the callback of its parent window, until the response limit.
var htmlfileTransport = transport{name: "htmlfile", id: TransportHTMLFile, uses: setOf(TransportHTMLFile), kind: streaming,
	method: get, allow: "GET",
	contentType: contentHTML, callback: true, prelude: frame.HTMLFilePrelude, encoder: always(frame.AppendHTMLFile),
	serve: (*Handler).serveReceiver}
