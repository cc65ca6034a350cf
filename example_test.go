package sockjs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// wsDialer opens sessions over the websocket transport, so that each Example
// runs the same way every time.
var wsDialer = &client.Dialer{Transports: []client.Transport{client.Websocket}}

// An echo service: every message comes back to its sender. The handler is
// mounted on a ServeMux at its prefix, with and without the trailing slash.
func ExampleNewHandler() {
	echo := func(c *sockjs.Conn, ev sockjs.Event, state struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			c.Send(ev.Data)
		}
		return state
	}
	h := sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{})
	mux := http.NewServeMux()
	mux.Handle("/echo", h)
	mux.Handle("/echo/", h)
	srv := httptest.NewServer(mux) // in production: http.ListenAndServe(":8081", mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsDialer.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "bye")
	c.Send(ctx, "hello")
	msg, err := c.Recv(ctx)
	fmt.Println(msg, err)
	// Output: hello <nil>
}

// The state returned by the callback is handed to its next call for the same
// session: here, a per-session message counter.
func ExampleCallback() {
	counter := func(c *sockjs.Conn, ev sockjs.Event, n int) int {
		switch ev.Type {
		case sockjs.EventInit:
			c.Send("welcome")
		case sockjs.EventRecv:
			n++
			c.Send(fmt.Sprintf("message %d: %s", n, ev.Data))
		}
		return n
	}
	srv := httptest.NewServer(sockjs.NewHandler("/count", counter, 0, sockjs.Options{}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsDialer.Dial(ctx, srv.URL+"/count")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "bye")
	c.Send(ctx, "a")
	c.Send(ctx, "b")
	for range 3 {
		msg, _ := c.Recv(ctx)
		fmt.Println(msg)
	}
	// Output:
	// welcome
	// message 1: a
	// message 2: b
}

// Conn.Post runs code in a session's callback from any goroutine, in order
// with the session's other events, like a message sent to a sockjs-erlang
// session process. Here a worker started by the session posts its progress,
// which the callback sends on.
func ExampleConn_Post() {
	worker := func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		switch ev.Type {
		case sockjs.EventRecv:
			go func(job string) {
				for step := 1; step <= 3; step++ {
					c.Post(fmt.Sprintf("%s: step %d of 3", job, step))
				}
			}(ev.Data)
		case sockjs.EventInfo:
			c.Send(ev.Info.(string))
		}
		return s
	}
	srv := httptest.NewServer(sockjs.NewHandler("/jobs", worker, struct{}{}, sockjs.Options{}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsDialer.Dial(ctx, srv.URL+"/jobs")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "bye")
	c.Send(ctx, "backup")
	for range 3 {
		msg, _ := c.Recv(ctx)
		fmt.Println(msg)
	}
	// Output:
	// backup: step 1 of 3
	// backup: step 2 of 3
	// backup: step 3 of 3
}

// A chat room: Broadcast sends a message to every session of the handler,
// encoding it once.
func ExampleHandler_Broadcast() {
	var room *sockjs.Handler
	room = sockjs.NewHandler("/chat", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			room.Broadcast("someone said " + ev.Data)
		}
		return s
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(room)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := wsDialer.Dial(ctx, srv.URL+"/chat")
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close(1000, "bye")
	bob, err := wsDialer.Dial(ctx, srv.URL+"/chat")
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close(1000, "bye")
	alice.Send(ctx, "hi")
	a, _ := alice.Recv(ctx)
	b, _ := bob.Recv(ctx)
	fmt.Println("alice got:", a)
	fmt.Println("bob got:", b)
	// Output:
	// alice got: someone said hi
	// bob got: someone said hi
}

// Shutdown closes every session with 1001 "Server shutting down" before the
// HTTP server stops, which http.Server.Shutdown alone does not do for
// streaming responses and websockets; the client sees the close code.
func ExampleHandler_Shutdown() {
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} { return s }, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsDialer.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "bye")
	if err := h.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	_, err = c.Recv(ctx)
	var ce *client.CloseError
	if errors.As(err, &ce) {
		fmt.Println(ce.Code == sockjs.CloseShutdown, ce.Code, ce.Reason)
	}
	// Output: true 1001 Server shutting down
}
