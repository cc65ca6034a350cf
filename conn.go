package sockjs

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
)

// Errors returned by Conn methods.
var (
	// ErrClosed is returned by the methods of a Conn whose session has closed.
	ErrClosed = errors.New("sockjs: session closed")
	// ErrQueueFull is returned by Send when the message would take the
	// session's outbound queue over Options.MaxQueuedBytes. The session is
	// then closed with code 1013.
	ErrQueueFull = errors.New("sockjs: outbound queue full")
	// ErrBinaryUnsupported is returned by SendBinary on a session that
	// cannot carry binary messages.
	ErrBinaryUnsupported = errors.New("sockjs: binary messages need the raw websocket endpoint and Options.BinaryMessages")
)

// Conn is the application's side of one SockJS session, whatever transport
// carries it. Its methods are safe for concurrent use.
type Conn struct {
	s         *session
	id        string
	transport Transport
	identity  any
	remote    string
	local     string
	path      string
	header    http.Header
}

// safeHeaders are the request headers a Conn exposes. Cookies and
// credentials are never among them.
var safeHeaders = []string{
	"Accept-Language",
	"Forwarded",
	"Host",
	"Origin",
	"Referer",
	"User-Agent",
	"Via",
	"X-Client-Ip",
	"X-Cluster-Client-Ip",
	"X-Forwarded-For",
	"X-Forwarded-Host",
	"X-Forwarded-Proto",
	"X-Real-Ip",
}

// init fills c's description from the request that opened the session.
func (c *Conn) init(s *session, transport Transport, r *http.Request) {
	c.s = s
	c.transport = transport
	c.remote = r.RemoteAddr
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		c.local = a.String()
	}
	c.path = r.URL.Path
	for _, k := range safeHeaders {
		if v := r.Header.Values(k); len(v) > 0 {
			if c.header == nil {
				c.header = make(http.Header, 4)
			}
			c.header[k] = append([]string(nil), v...)
		}
	}
	if r.Host != "" {
		if c.header == nil {
			c.header = make(http.Header, 1)
		}
		c.header["Host"] = []string{r.Host}
	}
}

// Send queues msg for the client and returns at once. Messages arrive in the
// order they were sent. Send returns ErrClosed once the session has closed,
// and ErrQueueFull (closing the session) when the client is too slow.
func (c *Conn) Send(msg string) error {
	return c.s.send(msg, nil, false)
}

// SendBinary queues p as a binary message, on a session of the raw
// websocket endpoint of a handler with Options.BinaryMessages; elsewhere it
// returns ErrBinaryUnsupported. It is Send otherwise.
func (c *Conn) SendBinary(p []byte) error {
	if !c.s.raw || !c.s.h.opts.BinaryMessages {
		return ErrBinaryUnsupported
	}
	return c.s.send(string(p), nil, true)
}

// Close closes the session with the given code and reason: messages already
// sent are delivered first, then the client gets a close frame with them.
// A code of 0 means 3000 "Go away!". Applications should use codes 3000
// through 4999. The callback then gets EventClosed. Close returns ErrClosed
// if the session has already closed.
func (c *Conn) Close(code int, reason string) error {
	if code == 0 {
		code, reason = CloseGoAway, reasonGoAway
	}
	return c.s.close(code, reason, elsewhere)
}

// Post delivers info to the session's callback as EventInfo, on another
// goroutine, in order with the session's other events. It returns at once,
// or ErrClosed if the session has closed.
func (c *Conn) Post(info any) error {
	return c.s.post(info)
}

// ID returns a unique random identifier of the connection. It is not the
// session id of the URL, which the protocol keeps from the application.
func (c *Conn) ID() string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.id == "" {
		var b [12]byte
		rand.Read(b[:])
		c.id = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return c.id
}

// Identity returns the value that Options.Authenticate returned for the
// request that opened the session, or nil.
func (c *Conn) Identity() any { return c.identity }

// Transport returns the transport that opened the session.
func (c *Conn) Transport() Transport { return c.transport }

// RemoteAddr returns the network address of the client that opened the
// session, as http.Request.RemoteAddr gives it. Behind a proxy it is the
// proxy's; see Header for the forwarding headers.
func (c *Conn) RemoteAddr() string { return c.remote }

// LocalAddr returns the server's local network address that the session was
// opened on, or "" if unknown.
func (c *Conn) LocalAddr() string { return c.local }

// Path returns the URL path of the request that opened the session.
func (c *Conn) Path() string { return c.path }

// Header returns a copy of selected headers of the request that opened the
// session: Host, Origin, Referer, User-Agent, Accept-Language and the
// forwarding headers (X-Forwarded-For, X-Real-Ip, Forwarded, Via, ...).
// Cookie and Authorization are never included.
func (c *Conn) Header() http.Header { return c.header.Clone() }

// Context returns a context that is cancelled when the session closes.
func (c *Conn) Context() context.Context { return c.s.context() }
