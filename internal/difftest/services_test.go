package difftest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosockjs/sockjs"
)

// The sockjs options both servers run with.
const (
	responseLimit   = 4096 // of /echo and /cmd
	heartbeatDelay  = 25 * time.Second
	disconnectDelay = 5 * time.Second
)

// startServer serves, on an httptest.Server, the services of the reference
// server (testdata/sockjs-node/server.js) built with this package, and
// returns its base URL. Every session ends when the test does.
func startServer(t *testing.T) string {
	opts := sockjs.Options{HeartbeatDelay: heartbeatDelay, DisconnectDelay: disconnectDelay}
	limited := opts
	limited.ResponseLimit = responseLimit
	noWS := opts
	noWS.DisableWebsocket = true
	cookie := opts
	cookie.CookieNeeded = true

	var broadcast *sockjs.Handler
	broadcast = sockjs.NewHandler("/broadcast", func(c *sockjs.Conn, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			broadcast.Broadcast(ev.Data)
		}
		return struct{}{}
	}, struct{}{}, opts)
	handlers := []*sockjs.Handler{
		sockjs.NewHandler("/echo", echo, struct{}{}, limited),
		sockjs.NewHandler("/close", closer, struct{}{}, opts),
		sockjs.NewHandler("/amplify", amplify, struct{}{}, opts),
		broadcast,
		sockjs.NewHandler("/disabled_websocket_echo", echo, struct{}{}, noWS),
		sockjs.NewHandler("/cookie_needed_echo", echo, struct{}{}, cookie),
		sockjs.NewHandler("/cmd", command, struct{}{}, limited),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range handlers {
			if p := h.Prefix(); r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
				h.ServeHTTP(w, r)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, h := range handlers {
			if err := h.Shutdown(ctx); err != nil {
				t.Errorf("shutting down %s: %v", h.Prefix(), err)
			}
		}
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

func echo(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
	return st
}

func closer(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventInit {
		c.Close(3000, "Go away!")
	}
	return st
}

// amplify answers "N" with 2^N 'x', N from 1 to 18 (1 otherwise).
func amplify(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		n, err := strconv.Atoi(ev.Data)
		if err != nil || n < 1 || n > 18 {
			n = 1
		}
		c.Send(strings.Repeat("x", 1<<n))
	}
	return st
}

// command runs the commands of /cmd as server.js does: "close CODE REASON"
// and "send N", CODE and N being numbers as number reads them; it echoes
// every other message.
func command(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type != sockjs.EventRecv {
		return st
	}
	w := strings.Split(ev.Data, " ")
	n, ok := 0, false
	if len(w) >= 2 {
		n, ok = number(w[1])
	}
	switch {
	case w[0] == "close" && ok:
		c.Close(n, strings.Join(w[2:], " "))
	case w[0] == "send" && ok && len(w) == 2:
		for i := 1; i <= min(n, 1000); i++ {
			c.Send(strconv.Itoa(i))
		}
	default:
		c.Send(ev.Data)
	}
	return st
}

// number reads a number of 1 to 4 digits without a leading 0.
func number(s string) (int, bool) {
	if len(s) == 0 || len(s) > 4 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
