package client

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gosockjs/sockjs/internal/frame"
)

// queueLen is how many received messages a Conn holds for Recv before it
// stops reading from the server.
const queueLen = 32

// A Conn is a client's SockJS session. Send, Recv and Close may be called
// from any goroutine; Send calls are carried one at a time, in the order they
// get in. Each Conn owns one goroutine, which reads from the server until
// the session ends and has ended when Close returns.
type Conn struct {
	transport Transport
	sessionID string
	impl      transport
	onFrame   func(Frame)
	onMessage func(string)

	msgs    chan string   // received messages; closed when the reader ends
	opened  chan struct{} // closed on the open frame
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the reader has ended
	sem     chan struct{} // held by the Send in progress

	// Owned by the reading goroutine.
	open       bool
	closeFrame bool // the reader ended on a close frame
	request    int
	scratch    []string

	mu        sync.Mutex
	err       error // why the connection ended; set once
	closeOnce sync.Once
	closed    atomic.Bool // Close was called
}

// transport is the part of a Conn that knows the wire.
type transport interface {
	// run reads frames and hands each to c.frame, until it or c.frame
	// fails; it returns that error.
	run(c *Conn) error
	// send carries one message to the server.
	send(ctx context.Context, msg string) error
	// close starts the close handshake of a local Close, if the transport
	// has one, and waits at most a short while for the reader to end.
	close(code int, reason string)
	// abort makes run and send return soon; it may be called many times.
	abort()
}

// A Frame is one SockJS frame as the server sent it, as Dialer.OnFrame sees
// it.
type Frame struct {
	// Request counts the receiving requests of the connection: 0 for the
	// frames of the first one, 1 for those of the request that replaced
	// it when it ended (a new poll, or a streaming response reopened after
	// the server's response limit), and so on. A websocket has one.
	Request int
	// Data is the frame as sockjs-client hands it to its frame handler:
	// "o", "h" (or the xhr-streaming prelude, 2048 'h'), `a["x","y"]`,
	// `c[3000,"Go away!"]`; the data of an eventsource event after
	// decodeURI; on the raw websocket endpoint, a message. It is valid only
	// during the call.
	Data []byte
}

func newConn(tr Transport, sessionID string, impl transport, d *Dialer) *Conn {
	return &Conn{
		transport: tr,
		sessionID: sessionID,
		impl:      impl,
		onFrame:   d.OnFrame,
		onMessage: d.OnMessage,
		msgs:      make(chan string, queueLen),
		opened:    make(chan struct{}),
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
		sem:       make(chan struct{}, 1),
	}
}

// Transport returns the transport the connection uses.
func (c *Conn) Transport() Transport { return c.transport }

// SessionID returns the session id the connection put in its URLs, or ""
// on the raw websocket endpoint, which has none.
func (c *Conn) SessionID() string { return c.sessionID }

// Send sends msg to the server. It returns once the message was written to
// the websocket, or, on the HTTP transports, once the server accepted the
// request that carried it. A message that is not valid UTF-8 is sent as
// Recv would return it: the three-byte WTF-8 form of a lone surrogate goes
// out as its \u escape, any other invalid byte as U+FFFD. On the raw
// websocket endpoint, whose text messages must be UTF-8, every invalid
// byte becomes U+FFFD.
//
// If ctx ends before the message goes out, Send returns ctx.Err() and the
// connection stays usable. A write or request that fails, or that ctx
// interrupts, fails the connection: the message may or may not have
// arrived, so Send and Recv return that error from then on. A websocket
// write is bounded by ctx's deadline and Dialer.WriteTimeout; cancelling
// ctx without a deadline does not interrupt it.
func (c *Conn) Send(ctx context.Context, msg string) error {
	select {
	case c.sem <- struct{}{}:
	case <-c.done:
		return c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := c.Err(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.impl.send(ctx, msg); err != nil {
		c.fail(err)
		return c.Err()
	}
	return nil
}

// Recv returns the next message from the server. Messages come in the
// order the server sent them, each exactly once, across the requests of
// the HTTP transports. A \u escape of a lone UTF-16 surrogate, which UTF-8
// cannot encode, is returned as the three-byte WTF-8 form of that surrogate
// (\ud800 as "\xed\xa0\x80"), as package sockjs decodes it and as Send
// encodes it back; a surrogate pair is the UTF-8 of the character it
// encodes.
//
// Once the session has ended and the messages received before the end were
// returned, Recv returns why it ended: a *CloseError when the server closed
// it, ErrClosed after Close, or the error that broke the connection. If
// ctx ends first, Recv returns ctx.Err() and the connection stays usable.
func (c *Conn) Recv(ctx context.Context) (string, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	select {
	case m, ok := <-c.msgs:
		if !ok {
			return "", c.Err()
		}
		return m, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Close ends the session. On the websocket transports it sends a WebSocket
// close frame with code and reason and waits a short while for the
// server's; on the HTTP transports it aborts the requests in progress, as
// sockjs-client does, which the server takes for the client going away:
// their protocol has no way to carry a code to the server. Code must be
// 1000 or in 3000-4999 and reason at most 123 bytes, as sockjs-client
// requires; otherwise Close returns an error and does nothing.
//
// Close returns once the connection's goroutine has ended. It may be called
// many times and after the server closed the session; the calls after the
// first do nothing.
func (c *Conn) Close(code int, reason string) error {
	if code != 1000 && (code < 3000 || code > 4999) {
		return fmt.Errorf("client: close code %d: must be 1000 or 3000-4999", code)
	}
	if len(reason) > 123 {
		return fmt.Errorf("client: close reason of %d bytes: at most 123 are allowed", len(reason))
	}
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.setErr(ErrClosed)
		close(c.closing)
		c.impl.close(code, reason)
		c.impl.abort()
	})
	<-c.done
	return nil
}

// Err returns why the connection ended, or nil while it is open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// setErr records err as the reason the connection ended, unless one was
// recorded already.
func (c *Conn) setErr(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// fail ends the connection with err.
func (c *Conn) fail(err error) {
	c.setErr(err)
	c.impl.abort()
}

// shutdown fails the connection with err and waits for its goroutine.
func (c *Conn) shutdown(err error) {
	c.fail(err)
	<-c.done
}

// start runs the reading goroutine.
func (c *Conn) start() {
	go func() {
		err := c.impl.run(c)
		c.setErr(err)
		// A Send in flight when the server closed the session over HTTP
		// goes on to its answer: the server may have taken the message
		// in before it closed (it does when the callback closes on it).
		if !c.closeFrame || c.transport.websocket() {
			c.impl.abort()
		}
		close(c.msgs)
		close(c.done)
	}()
}

// frame interprets one frame f, as sockjs-client does; it returns an error
// when the connection must end.
func (c *Conn) frame(f []byte) error {
	if c.onFrame != nil {
		c.onFrame(Frame{Request: c.request, Data: f})
	}
	if len(f) == 0 {
		return protocolError("empty frame")
	}
	switch f[0] {
	case 'h':
		return nil
	case 'o':
		if c.open {
			return protocolError("open frame on an open session: the server lost it")
		}
		c.open = true
		close(c.opened)
		return nil
	case 'c':
		code, reason, err := decodeClose(f[1:])
		if err != nil {
			return err
		}
		c.closeFrame = true
		return &CloseError{Code: code, Reason: reason}
	case 'a', 'm':
		if !c.open {
			return protocolError("message frame %.40q before the open frame", f)
		}
		// 'a' carries an array of messages, 'm' (older servers) one.
		want := byte('[')
		if f[0] == 'm' {
			want = '"'
		}
		if first(f[1:]) != want {
			return protocolError("malformed message frame %.40q", f)
		}
		msgs, err := frame.DecodeMessages(c.scratch[:0], f[1:])
		if err != nil {
			return protocolError("malformed message frame %.40q", f)
		}
		for _, m := range msgs {
			if err := c.deliver(m); err != nil {
				return err
			}
		}
		clear(msgs)
		c.scratch = msgs[:0]
		return nil
	}
	return protocolError("unknown frame %.40q", f)
}

// deliver queues m for Recv, waiting while the queue is full, or hands it
// to OnMessage.
func (c *Conn) deliver(m string) error {
	if c.onMessage != nil {
		c.onMessage(m)
		return nil
	}
	select {
	case c.msgs <- m:
		return nil
	case <-c.closing:
		return ErrClosed
	}
}

// first returns the first byte of b that is not JSON white space, or 0.
func first(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// decodeClose parses the payload of a close frame, [code,"reason"].
func decodeClose(b []byte) (int, string, error) {
	var v []json.RawMessage
	var code int
	if err := json.Unmarshal(b, &v); err != nil || len(v) != 2 || json.Unmarshal(v[0], &code) != nil {
		return 0, "", protocolError("malformed close frame c%.40q", b)
	}
	reason, err := frame.DecodeMessages(nil, v[1])
	if err != nil || first(v[1]) != '"' {
		return 0, "", protocolError("malformed close frame c%.40q", b)
	}
	return code, reason[0], nil
}
