package sockjs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

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
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	c, err := d.Dial(ctx, srv.URL+"/echo")
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
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	c, err := d.Dial(ctx, srv.URL+"/count")
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
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	c, err := d.Dial(ctx, srv.URL+"/jobs")
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
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	alice, err := d.Dial(ctx, srv.URL+"/chat")
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close(1000, "bye")
	bob, err := d.Dial(ctx, srv.URL+"/chat")
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
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	c, err := d.Dial(ctx, srv.URL+"/echo")
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

// Broadcast sends one message to a group of connections, such as the members
// of a chat room, encoding it once, and counts those that took it: a member
// whose session has closed is skipped.
func ExampleBroadcast() {
	joined, left := make(chan *sockjs.Conn, 2), make(chan struct{}, 2)
	h := sockjs.NewHandler("/room", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		switch ev.Type {
		case sockjs.EventInit:
			joined <- c
		case sockjs.EventClosed:
			left <- struct{}{}
		}
		return s
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	var clients []*client.Conn
	for range 2 {
		c, err := d.Dial(ctx, srv.URL+"/room")
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close(1000, "bye")
		clients = append(clients, c)
	}
	members := []*sockjs.Conn{<-joined, <-joined} // Dial returned after EventInit
	clients[1].Close(1000, "bye")
	select {
	case <-left:
	case <-ctx.Done():
		log.Fatal(ctx.Err())
	}
	fmt.Println(sockjs.Broadcast(members, "the room is closing"), "member notified")
	msg, _ := clients[0].Recv(ctx)
	fmt.Println("the one who stayed got:", msg)
	// Output:
	// 1 member notified
	// the one who stayed got: the room is closing
}

// AllowOrigins restricts every transport to pages of the listed origins: a
// page of another origin is refused with 403 from /info on.
func ExampleAllowOrigins() {
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} { return s }, struct{}{}, sockjs.Options{
		CheckOrigin: sockjs.AllowOrigins("https://app.example.com", "https://*.example.org"),
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	hc := &http.Client{Timeout: 10 * time.Second}
	for _, origin := range []string{"https://app.example.com", "https://www.example.org", "https://evil.example"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/echo/info", nil)
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		resp, err := hc.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(origin, resp.StatusCode)
	}
	// Output:
	// https://app.example.com 200
	// https://www.example.org 200
	// https://evil.example 403
}

// Stats snapshots a handler's counters, for expvar, Prometheus or logs: here
// after one session that exchanged two messages each way and that its client
// closed with 1000.
func ExampleHandler_Stats() {
	closed := make(chan struct{})
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		switch ev.Type {
		case sockjs.EventRecv:
			c.Send(ev.Data)
		case sockjs.EventClosed:
			close(closed)
		}
		return s
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	c, err := d.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	for _, msg := range []string{"one", "two"} {
		c.Send(ctx, msg)
		c.Recv(ctx)
	}
	c.Close(1000, "bye")
	select {
	case <-closed:
	case <-ctx.Done():
		log.Fatal(ctx.Err())
	}
	h.Shutdown(ctx) // returns once the closed session was counted
	st := h.Stats()
	fmt.Println("sessions:", st.Sessions, "opened:", st.SessionsOpened, "closed:", st.SessionsClosed, st.ClosedByCode)
	fmt.Println("messages in:", st.MessagesIn, "out:", st.MessagesOut, "bytes in:", st.BytesIn)
	// Output:
	// sessions: 0 opened: 1 closed: 1 map[1000:1]
	// messages in: 2 out: 2 bytes in: 6
}

// Options.Authenticate decides who may open a session, here by a token in
// the query string of the service's URL, which the client keeps on every
// request; what it returns is the session's Conn.Identity.
func Example_authenticate() {
	users := map[string]string{"s3cret": "alice"}
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		if ev.Type == sockjs.EventInit {
			c.Send("hello " + c.Identity().(string))
		}
		return s
	}, struct{}{}, sockjs.Options{
		Authenticate: func(r *http.Request) (any, error) {
			if user, ok := users[r.URL.Query().Get("token")]; ok {
				return user, nil
			}
			return nil, sockjs.ErrUnauthorized
		},
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	for _, token := range []string{"s3cret", "guess"} {
		c, err := d.Dial(ctx, srv.URL+"/echo?token="+token)
		if err != nil {
			fmt.Println(token, "refused with 401:", strings.Contains(err.Error(), "401 Unauthorized"))
			continue
		}
		msg, _ := c.Recv(ctx)
		fmt.Println(token, "accepted:", msg)
		c.Close(1000, "bye")
	}
	// Output:
	// s3cret accepted: hello alice
	// guess refused with 401: true
}

// EventClosed tells the callback why its session ended: a websocket client
// that closes with a code of 3000-4999 and a reason hands both to
// Event.Code and Event.Reason.
func ExampleEvent_closed() {
	closed := make(chan sockjs.Event, 1)
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		if ev.Type == sockjs.EventClosed {
			closed <- ev
		}
		return s
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &client.Dialer{Transports: []client.Transport{client.Websocket}}
	c, err := d.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	c.Close(4001, "user logged out")
	select {
	case ev := <-closed:
		fmt.Println(ev.Type, ev.Code, ev.Reason)
	case <-ctx.Done():
		fmt.Println(ctx.Err())
	}
	// Output: closed 4001 user logged out
}
