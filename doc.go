// Package sockjs serves the SockJS protocol from any net/http server, with
// the callback API of sockjs-erlang.
//
// SockJS gives a browser a bidirectional, ordered message channel to the
// server that works where a bare WebSocket does not: behind proxies that
// block upgrades, on old corporate networks, through load balancers. The
// browser side is the sockjs-client library; it picks the best transport the
// browser and the network allow, and this package serves all of them:
//
//	websocket       SockJS frames over a WebSocket (RFC 6455, and hixie-76 as relayed by old HAProxy)
//	xhr_streaming   a long POST response carrying frames, with xhr_send for the way back
//	eventsource     server-sent events, with xhr_send
//	htmlfile        a forever-loading page of script blocks, inside the iframe transports
//	xhr, jsonp      long polling, with xhr_send or jsonp_send
//
// plus the raw WebSocket endpoint <prefix>/websocket, which carries plain
// messages with no SockJS framing, for non-browser clients.
//
// # The callback model
//
// An application is one Callback. For every session the handler calls it
// with EventInit, then EventRecv for each message, EventInfo for each value
// posted with Conn.Post, and finally EventClosed, exactly once. The callback
// returns the session's new state; each session starts from the state given
// to NewHandler. Calls for one session never overlap and keep their order, so
// the state needs no lock; calls for different sessions run in parallel.
//
//	func echo(c *sockjs.Conn, ev sockjs.Event, n int) int {
//		if ev.Type == sockjs.EventRecv {
//			c.Send(ev.Data)
//			return n + 1
//		}
//		return n
//	}
//
//	h := sockjs.NewHandler("/echo", echo, 0, sockjs.Options{})
//	mux.Handle("/echo", h)
//	mux.Handle("/echo/", h)
//
// Conn.Send queues a message and never blocks; the session writes it to the
// client as soon as a transport is attached. A session whose client reads
// too slowly is closed once its queue passes Options.MaxQueuedBytes. A
// callback that panics closes its own session only.
//
// # Mounting
//
// The handler's prefix is matched literally against the request path as the
// handler sees it: mount it at the prefix and at everything under it. With
// http.StripPrefix, give NewHandler the path that remains after stripping.
// Note that http.ServeMux redirects paths it considers unclean (such as
// "/echo//"), where the protocol expects 404; real clients never send such
// paths.
//
// # Deployment behind proxies and load balancers
//
// A session lives in the process that created it, so every request of a
// session must reach the same process. The client puts a server id and the
// session id in every URL (/<prefix>/<server>/<session>/<transport>); route
// on the session segment (consistent hashing on the path) or, with
// Options.CookieNeeded, on the JSESSIONID cookie. Proxies must pass the
// Upgrade and Connection headers for websockets, must not buffer responses
// (the handler sends X-Accel-Buffering: no for nginx) and must keep idle
// connections open longer than Options.HeartbeatDelay. For nginx:
//
//	location /echo/ {
//		proxy_pass http://backend;
//		proxy_http_version 1.1;
//		proxy_set_header Upgrade $http_upgrade;
//		proxy_set_header Connection $connection_upgrade;
//		proxy_buffering off;
//		proxy_read_timeout 75s;
//	}
//
// To route on the session segment without cookies, hash it:
//
//	map $uri $sockjs_session {
//		~^/echo/[^/.]+/(?<sid>[^/.]+)/ $sid;
//		default $request_id;
//	}
//	upstream backend {
//		hash $sockjs_session consistent;
//		server 127.0.0.1:8101;
//		server 127.0.0.1:8102;
//	}
//
// With Options.CookieNeeded, a balancer with cookie affinity (HAProxy's
// "cookie JSESSIONID prefix") works instead. To reach sessions on other
// nodes, package github.com/gosockjs/sockjs/pubsub relays broadcasts through
// a broker such as Redis (github.com/gosockjs/sockjs/pubsub/redis), one
// Handler.Broadcast per node; examples/cluster puts it all together.
//
// # Shutting down
//
// http.Server.Shutdown waits for streaming responses forever and ignores
// hijacked websockets. Call Handler.Shutdown first: it closes every session
// with a close frame, ends the responses and sockets, and waits for every
// EventClosed.
package sockjs
