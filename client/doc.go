// Package client is a SockJS client: it opens a session with any SockJS
// server (this module's package sockjs, sockjs-node, sockjs-erlang, Spring,
// Vert.x) over the transports sockjs-client has outside a browser, and over
// the two a browser falls back to beyond those (htmlfile and jsonp-polling),
// and gives a connection to send and receive messages on.
//
//	c, err := client.Dial(ctx, "https://example.com/echo")
//	if err != nil {
//		return err
//	}
//	defer c.Close(1000, "bye")
//	if err := c.Send(ctx, "hello"); err != nil {
//		return err
//	}
//	msg, err := c.Recv(ctx)
//
// # Transports
//
// Dial chooses the transport as sockjs-client does: it GETs /info, measures
// its round trip, and tries websocket (unless /info turns it off), then
// xhr-streaming, eventsource and xhr-polling, each for at most a time
// derived from that round trip, with a new session id each. Dialer.Transports
// forces one transport or excludes some; WebsocketRaw, the endpoint
// <prefix>/websocket without SockJS framing, and HTMLFile and JSONPPolling,
// whose frames are scripts for a browser to run, are used only when listed.
// Their scripts are parsed as a JavaScript engine parses them, so that a
// test over them sees what a browser would.
//
// The connection handles what the protocol asks of a client: it ignores
// heartbeats, reopens a streaming response when the server ends it at its
// response limit and polls again after every poll, without losing or
// repeating a message; it keeps cookies (the JSESSIONID of load balancers)
// in a cookie jar; it puts the URL's query string and Dialer.Header on
// every request. Frames are decoded as sockjs-client decodes them:
// eventsource data through decodeURI, JSON strings with their lone
// surrogates (see Conn.Recv).
//
// # Ending
//
// A connection ends when the server closes the session (Recv then returns a
// *CloseError with its code and reason, after the messages sent before
// it), when Close is called (ErrClosed), or when the transport fails. Every
// request is bounded (Dialer.IdleTimeout, Dialer.WriteTimeout), each
// connection owns exactly one goroutine, and that goroutine has ended when
// Close returns.
//
// Package sockjstest builds on this package to test a SockJS service over
// every transport.
package client
