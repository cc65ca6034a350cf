package sockjs

import (
	"log/slog"
	"net/http"
	"time"
)

// DefaultSockJSURL is the client script that the iframe page loads when
// Options.SockJSURL is empty: the sockjs-client 1.x bundle from a public CDN.
const DefaultSockJSURL = "https://cdn.jsdelivr.net/npm/sockjs-client@1/dist/sockjs.min.js"

// Default values of the options left at their zero value.
const (
	DefaultHeartbeatDelay  = 25 * time.Second
	DefaultDisconnectDelay = 5 * time.Second
	DefaultResponseLimit   = 128 * 1024
	DefaultMaxMessageSize  = 1 << 20
	DefaultMaxQueuedBytes  = 4 << 20
	DefaultMaxSessions     = 100_000
	DefaultWriteTimeout    = 10 * time.Second
	DefaultPongTimeout     = 60 * time.Second
)

// Options configures a Handler. The zero value is ready to use: every field
// left at its zero value takes the default that its comment names. The first
// group mirrors the options of sockjs-erlang.
type Options struct {
	// SockJSURL is the address of the sockjs-client script that the iframe
	// page loads (the iframe-based transports run the client inside that
	// page). It should serve the same client version the application uses.
	// Default: DefaultSockJSURL.
	SockJSURL string

	// DisableWebsocket turns the websocket transports off: /info then reports
	// "websocket": false and the websocket URLs answer 404. sockjs-erlang
	// calls this option websocket (true by default).
	DisableWebsocket bool

	// CookieNeeded makes /info report "cookie_needed": true and makes every
	// session response set a JSESSIONID cookie (echoing the client's one, or
	// "dummy"), so that load balancers with cookie affinity can route a
	// session's requests to one node. It protects nothing: the cookie is not
	// checked against the session.
	CookieNeeded bool

	// AffinityCookie, when set, chooses the cookie that every session
	// response sets, in place of CookieNeeded's JSESSIONID, for balancers
	// that route on a cookie of their own (HAProxy's "cookie SERVERID
	// insert", a node id). It gets the request and returns the cookie, or
	// nil for none. Setting it implies CookieNeeded.
	AffinityCookie func(r *http.Request) *http.Cookie

	// HeartbeatDelay is the interval of the "h" frames sent while a receiving
	// connection is open and idle, which keep proxies from closing it, and of
	// the pings that find dead websocket peers (see PongTimeout).
	// Default: 25 seconds.
	HeartbeatDelay time.Duration

	// DisableHeartbeats turns the "h" frames and websocket pings off. Idle
	// connections then carry nothing, so proxies may close them, and a
	// websocket whose peer vanished is only found when a write to it fails.
	DisableHeartbeats bool

	// DisconnectDelay is how long a session of the HTTP transports lives
	// without a receiving connection before it is closed. Default: 5 seconds.
	DisconnectDelay time.Duration

	// ResponseLimit is the number of bytes a streaming response (xhr-streaming,
	// eventsource, htmlfile) carries before the server ends it, making the
	// client open a new one, so that browsers do not hold ever-growing
	// responses in memory. Default: 128 KiB.
	ResponseLimit int

	// Logger receives the handler's logs: warnings and errors (a callback's
	// panic with its stack, a full queue, a client too slow to take its
	// writes, a failed websocket upgrade), and at debug level one record per
	// request and per session opened and closed. Default: slog.Default().
	Logger *slog.Logger

	// Transports lists the transports the handler serves; the others answer
	// 404 and clients fall back to what is left. An unknown name makes
	// NewHandler panic. Default: every transport (less the websocket ones
	// under DisableWebsocket).
	Transports []Transport

	// Authenticate, when set, decides whether a request may open a session.
	// It runs on the request that would open one, before anything of the
	// session exists: the websocket upgrades (before upgrading) and the
	// first xhr, xhr_streaming, eventsource, htmlfile or jsonp request of a
	// session id. It gets the whole request (cookies, query string, headers)
	// and returns a value that identifies the client, which Conn.Identity
	// returns for the session's life, or an error to refuse the request:
	// ErrUnauthorized (or an error wrapping it) is answered with 401
	// "Unauthorized.", any other with 403 "Forbidden."; a panic with 500.
	// Requests that need a session (xhr_send, jsonp_send, later polls),
	// /info and the iframe page are not guarded: see the README's section
	// on authentication. Default: nil, every request may open a session.
	Authenticate func(r *http.Request) (identity any, err error)

	// MaxMessageSize bounds the size of one inbound request body (xhr_send,
	// jsonp_send) and of one inbound websocket frame, in bytes. Larger input
	// is refused with 413 or closes the websocket with 1009.
	// Default: 1 MiB.
	MaxMessageSize int

	// MaxQueuedBytes bounds the encoded messages that wait in a session's
	// outbound queue because its client is slow or absent. A session over
	// the bound is closed with 1013 "Outbound queue full" and the overflow is
	// logged. Default: 4 MiB.
	MaxQueuedBytes int

	// MaxSessions bounds the number of live sessions of the handler. A
	// request that would open one more is refused with 503.
	// Default: 100,000.
	MaxSessions int

	// WriteTimeout bounds every write to a client; a client that does not
	// read for that long is disconnected. Default: 10 seconds.
	WriteTimeout time.Duration

	// PongTimeout is how long a websocket may stay silent before it is
	// considered dead. The server pings each websocket every HeartbeatDelay,
	// and browsers answer pings, so a live peer is never silent that long.
	// Default: 60 seconds.
	PongTimeout time.Duration

	// CheckOrigin decides which browser pages may use the handler, by the
	// Origin header of their requests; AllowOrigins builds one from a list.
	// It applies alike to CORS preflights, /info, the websocket upgrades and
	// every session request: a request whose Origin it refuses gets 403.
	// Requests without an Origin header (same-origin requests and clients
	// that are not browsers) pass, except on the transports that cannot
	// prove their origin because browsers load them as documents or scripts
	// (the iframe page, htmlfile and JSONP): with a CheckOrigin set, those
	// are refused outright, and clients fall back to the transports that
	// can. Default: nil, every origin is allowed, as the SockJS protocol
	// expects.
	CheckOrigin func(r *http.Request) bool

	// BinaryMessages lets the raw websocket endpoint carry binary messages:
	// a binary frame arrives as an EventRecv with Event.Binary set, and
	// Conn.SendBinary sends one. SockJS framing stays text only. Without it,
	// every data frame must hold valid UTF-8 and arrives as text.
	BinaryMessages bool

	// Compression negotiates permessage-deflate (RFC 7692) on the
	// websocket endpoints with clients that offer it, at CompressionLevel
	// (1, fastest, to 9, smallest; 0 means 1). It saves bandwidth on large,
	// repetitive messages at a cost in CPU and memory per connection; see
	// the README's figures. Default: off.
	Compression      bool
	CompressionLevel int

	// WebsocketReadBufferSize and WebsocketWriteBufferSize size the buffers
	// of each websocket, in bytes. The read buffer stays with the connection
	// (default 1024, which keeps idle sessions small); write buffers are
	// lent from a pool while a write runs (default 4096).
	WebsocketReadBufferSize, WebsocketWriteBufferSize int
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.SockJSURL == "" {
		o.SockJSURL = DefaultSockJSURL
	}
	orDefault(&o.HeartbeatDelay, DefaultHeartbeatDelay)
	orDefault(&o.DisconnectDelay, DefaultDisconnectDelay)
	orDefault(&o.ResponseLimit, DefaultResponseLimit)
	orDefault(&o.MaxMessageSize, DefaultMaxMessageSize)
	orDefault(&o.MaxQueuedBytes, DefaultMaxQueuedBytes)
	orDefault(&o.MaxSessions, DefaultMaxSessions)
	orDefault(&o.WriteTimeout, DefaultWriteTimeout)
	orDefault(&o.PongTimeout, DefaultPongTimeout)
	orDefault(&o.CompressionLevel, 1)
	orDefault(&o.WebsocketReadBufferSize, 1024)
	orDefault(&o.WebsocketWriteBufferSize, 4096)
	if o.AffinityCookie != nil {
		o.CookieNeeded = true
	}
	return o
}

// orDefault sets *v to def when it is zero or negative.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
