package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/client"
)

// dialTimeout bounds the opening of one session, /info included. Opening
// thousands of sessions at once keeps a server busy: far longer than the
// time package client derives from the round trip of /info.
const dialTimeout = 15 * time.Second

// wire counts the bytes the load generator's connections carried, at the
// TCP level: HTTP requests and responses, WebSocket handshakes and frames
// (compressed ones as they are compressed).
type wire struct {
	in, out atomic.Int64
	// deflate counts the WebSockets whose handshake response accepted
	// permessage-deflate.
	deflate atomic.Int64
	// streams counts the xhr_streaming requests, reopened ones included.
	streams atomic.Int64
}

// countingConn is a net.Conn that adds what it reads and writes to a wire.
type countingConn struct {
	net.Conn
	w     *wire
	sniff bool // look for the handshake response in the first read
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.w.in.Add(int64(n))
	if c.sniff && n > 0 {
		c.sniff = false
		if bytes.Contains(bytes.ToLower(b[:n]), []byte("permessage-deflate")) {
			c.w.deflate.Add(1)
		}
	}
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.w.out.Add(int64(n))
	return n, err
}

// dialFunc returns a DialContext that wraps its connections in
// countingConns; sniff marks WebSocket connections.
func (w *wire) dialFunc(keepAlive time.Duration, sniff bool) func(context.Context, string, string) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, w: w, sniff: sniff}, nil
	}
}

// countStreams is an http.RoundTripper that counts xhr_streaming requests.
type countStreams struct {
	next http.RoundTripper
	w    *wire
}

func (t countStreams) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/xhr_streaming") {
		t.w.streams.Add(1)
	}
	return t.next.RoundTrip(r)
}

// noJar keeps no cookies: the benchmark servers set none, and a jar per
// session would only cost the load generator memory.
type noJar struct{}

func (noJar) SetCookies(*url.URL, []*http.Cookie) {}
func (noJar) Cookies(*url.URL) []*http.Cookie     { return nil }

// opener opens sessions with package client over one forced transport,
// all of them sharing one HTTP client and one WebSocket dialer.
type opener struct {
	base      string
	transport client.Transport
	http      *http.Client
	ws        *websocket.Dialer
	wire      *wire
}

// newOpener returns an opener for the sessions of cfg.
func newOpener(cfg *config) (*opener, error) {
	tr := client.Transport(cfg.Transport)
	switch {
	case cfg.Kind == "raw" && cfg.Transport == "websocket":
		tr = client.WebsocketRaw
	case cfg.Kind == "raw":
		return nil, fmt.Errorf("raw server has no %s transport", cfg.Transport)
	case cfg.Kind != "sockjs":
		return nil, fmt.Errorf("unknown kind %q", cfg.Kind)
	case tr != client.Websocket && tr != client.XHRStreaming && tr != client.XHRPolling:
		return nil, fmt.Errorf("transport %q not supported here", cfg.Transport)
	}
	if cfg.Deflate && tr != client.Websocket && tr != client.WebsocketRaw {
		return nil, fmt.Errorf("-deflate needs a websocket transport, not %s", cfg.Transport)
	}
	w := &wire{}
	// Streaming sessions each hold a connection, so the idle pool must be
	// as large as the session count.
	ht := &http.Transport{
		DialContext:         w.dialFunc(-1, false),
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 20000,
		IdleConnTimeout:     120 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &opener{
		base:      cfg.URL,
		transport: tr,
		http:      &http.Client{Transport: countStreams{next: ht, w: w}},
		ws: &websocket.Dialer{
			ReadBufferSize:    4096,
			WriteBufferSize:   4096,
			WriteBufferPool:   &sync.Pool{},
			HandshakeTimeout:  dialTimeout,
			NetDialContext:    w.dialFunc(0, true),
			EnableCompression: cfg.Deflate,
		},
		wire: w,
	}, nil
}

// open opens one session of the service at path; onMsg gets every message,
// on the session's goroutine.
func (o *opener) open(path string, onMsg func(string)) (*session, error) {
	d := client.Dialer{
		Transports:      []client.Transport{o.transport},
		Timeout:         dialTimeout,
		HTTPClient:      o.http,
		Jar:             noJar{},
		WebsocketDialer: o.ws,
		IdleTimeout:     -1, // the scenarios check for dead sessions themselves
		OnMessage:       onMsg,
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	c, err := d.Dial(ctx, o.base+path)
	if err != nil {
		return nil, err
	}
	return &session{c: c}, nil
}

// session is one open session.
type session struct {
	c *client.Conn
}

// Send sends one message; one goroutine at a time.
func (s *session) Send(msg string) error {
	return s.c.Send(context.Background(), msg)
}

// Err returns why the session ended, or nil while it is open.
func (s *session) Err() error { return s.c.Err() }

// Close ends the session and waits for its goroutine.
func (s *session) Close() { s.c.Close(1000, "") }
