// Package sockjstest runs SockJS services for tests, as net/http/httptest
// runs HTTP handlers: it starts a service on a loopback port and connects
// clients of package client to it, forced onto one transport each, so
// that a test runs every case over every transport.
//
//	func TestEcho(t *testing.T) {
//		srv := sockjstest.NewServer(sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{}))
//		defer srv.Close()
//		srv.Run(t, func(t *testing.T, c *sockjstest.Conn) {
//			c.Send("hello")
//			if got := c.Recv(); got != "hello" {
//				t.Errorf("got %q", got)
//			}
//		})
//	}
package sockjstest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// DefaultTimeout bounds every wait of a Server and its Conns whose Timeout
// is zero: a dial, a Send, a Recv, the handler's shutdown.
const DefaultTimeout = 10 * time.Second

// A Server is a SockJS service listening on a loopback port.
type Server struct {
	// URL is the service's URL, such as "http://127.0.0.1:40123/echo":
	// the address of HTTP and the service's prefix.
	URL string
	// HTTP is the server underneath.
	HTTP *httptest.Server
	// Transports are those Run runs over, in order; NewServer sets them to
	// every SockJS transport: client.Transports(), then client.HTMLFile
	// and client.JSONPPolling, which only browsers choose. Add
	// client.WebsocketRaw to run over the raw websocket endpoint too.
	Transports []client.Transport
	// Timeout bounds every wait; zero means DefaultTimeout.
	Timeout time.Duration

	handler *sockjs.Handler // nil for any other http.Handler
}

// NewServer starts h, whose prefix it serves it under, on a loopback port.
// The caller must Close the server.
func NewServer(h *sockjs.Handler) *Server {
	s := NewHandlerServer(h.Prefix(), h)
	s.handler = h
	return s
}

// NewHandlerServer starts h on a loopback port; h serves a SockJS service
// at prefix: an *sockjs.Handler behind middleware, a mux holding one, or
// another SockJS server. The caller must Close the server.
func NewHandlerServer(prefix string, h http.Handler) *Server {
	srv := httptest.NewServer(h)
	return &Server{
		URL:        srv.URL + strings.TrimSuffix(prefix, "/"),
		HTTP:       srv,
		Transports: append(client.Transports(), client.HTMLFile, client.JSONPPolling),
	}
}

// Close shuts the service down: it closes every session, with
// sockjs.Handler.Shutdown when the server was started with NewServer, then
// every connection, and stops the server. It returns the error of Shutdown.
func (s *Server) Close() error {
	var err error
	if s.handler != nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
		err = s.handler.Shutdown(ctx)
		cancel()
	}
	s.HTTP.CloseClientConnections()
	s.HTTP.Close()
	return err
}

// Dialer returns a Dialer for the server forced onto tr. It uses the
// server's HTTP client, whose connections Close closes, and gives each
// attempt the whole Timeout, for slow test machines.
func (s *Server) Dialer(tr client.Transport) *client.Dialer {
	return &client.Dialer{
		Transports: []client.Transport{tr},
		Timeout:    s.timeout(),
		HTTPClient: s.HTTP.Client(),
	}
}

// Dial opens a session over tr.
func (s *Server) Dial(ctx context.Context, tr client.Transport) (*client.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	return s.Dialer(tr).Dial(ctx, s.URL)
}

// Connect opens a session over tr for the test t, and closes it when the
// test ends. It fails the test if the session does not open.
func (s *Server) Connect(t testing.TB, tr client.Transport) *Conn {
	t.Helper()
	c, err := s.Dial(context.Background(), tr)
	if err != nil {
		t.Fatalf("sockjstest: %v", err)
	}
	t.Cleanup(func() { c.Close(1000, "") })
	return &Conn{Client: c, T: t, Timeout: s.timeout()}
}

// Run runs f in a subtest of t for each transport of s.Transports, named
// after it, with a connection over that transport, closed when the
// subtest ends. A transport the service turns off in its /info (the
// websocket ones, with sockjs.Options.DisableWebsocket) is skipped.
func (s *Server) Run(t *testing.T, f func(t *testing.T, c *Conn)) {
	t.Helper()
	websocketOff := s.websocketOff(t)
	for _, tr := range s.Transports {
		t.Run(string(tr), func(t *testing.T) {
			if websocketOff && (tr == client.Websocket || tr == client.WebsocketRaw) {
				t.Skip("sockjstest: the service turns websocket off")
			}
			f(t, s.Connect(t, tr))
		})
	}
}

// websocketOff reports whether the service's /info turns websocket off.
func (s *Server) websocketOff(t *testing.T) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/info", nil)
	if err != nil {
		t.Fatalf("sockjstest: %v", err)
	}
	resp, err := s.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("sockjstest: %v", err)
	}
	defer resp.Body.Close()
	var info struct {
		Websocket *bool `json:"websocket"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return json.Unmarshal(b, &info) == nil && info.Websocket != nil && !*info.Websocket
}

func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}
