package sockjs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// An echo service, mounted on a ServeMux at its prefix and at everything
// under it: every message comes back to its sender.
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
	srv := httptest.NewServer(mux) // or http.ListenAndServe(":8081", mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")
	c.Send(ctx, "hello")
	msg, err := c.Recv(ctx)
	fmt.Println(msg, err)
	// Output: hello <nil>
}

// The state returned by the callback is handed to its next call for the same
// session: here, a per-session message counter, which the session still has
// when it ends.
func ExampleCallback() {
	total := make(chan int, 1)
	counter := func(c *sockjs.Conn, ev sockjs.Event, n int) int {
		switch ev.Type {
		case sockjs.EventInit:
			c.Send("welcome")
		case sockjs.EventRecv:
			n++
			c.Send(fmt.Sprintf("message %d: %s", n, ev.Data))
		case sockjs.EventClosed:
			total <- n
		}
		return n
	}
	srv := httptest.NewServer(sockjs.NewHandler("/count", counter, 0, sockjs.Options{}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL+"/count")
	if err != nil {
		log.Fatal(err)
	}
	c.Send(ctx, "a")
	c.Send(ctx, "b")
	for range 3 {
		fmt.Println(c.Recv(ctx))
	}
	c.Close(1000, "")
	select {
	case n := <-total:
		fmt.Println("the session counted", n)
	case <-ctx.Done():
		fmt.Println(ctx.Err())
	}
	// Output:
	// welcome <nil>
	// message 1: a <nil>
	// message 2: b <nil>
	// the session counted 2
}

// Conn.Post runs code in a session's callback from any goroutine, in order
// with the session's other events, like a message sent to a sockjs-erlang
// session process: here, a job done off the callback hands its result back
// to the session, whose state it then updates without a lock.
func ExampleConn_Post() {
	type result struct{ job, out string }
	jobs := func(c *sockjs.Conn, ev sockjs.Event, pending int) int {
		switch ev.Type {
		case sockjs.EventRecv:
			go func(job string) { // slow work, which must not hold up the session
				c.Post(result{job, strings.ToUpper(job)})
			}(ev.Data)
			pending++
			c.Send(fmt.Sprintf("%s: started, %d pending", ev.Data, pending))
		case sockjs.EventInfo:
			r := ev.Info.(result)
			pending--
			c.Send(fmt.Sprintf("%s: done, %s, %d pending", r.job, r.out, pending))
		}
		return pending
	}
	srv := httptest.NewServer(sockjs.NewHandler("/jobs", jobs, 0, sockjs.Options{}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL+"/jobs")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")
	c.Send(ctx, "shout")
	for range 2 {
		msg, _ := c.Recv(ctx)
		fmt.Println(msg)
	}
	// Output:
	// shout: started, 1 pending
	// shout: done, SHOUT, 0 pending
}

// A chat room: Broadcast sends a message to every session of the handler,
// encoding it once for all of them.
func ExampleHandler_Broadcast() {
	var room *sockjs.Handler
	room = sockjs.NewHandler("/chat", func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			room.Broadcast(ev.Data)
		}
		return st
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(room)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ann, err := client.Dial(ctx, srv.URL+"/chat")
	if err != nil {
		log.Fatal(err)
	}
	defer ann.Close(1000, "")
	bob, err := client.Dial(ctx, srv.URL+"/chat")
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close(1000, "")

	ann.Send(ctx, "ann: hi all")
	msg, _ := ann.Recv(ctx)
	fmt.Println("ann got", msg)
	msg, _ = bob.Recv(ctx)
	fmt.Println("bob got", msg)
	// Output:
	// ann got ann: hi all
	// bob got ann: hi all
}

// Shutdown closes every session with a close frame (1001, "Server shutting
// down") and waits for their ends, which http.Server.Shutdown alone does not
// do for streaming responses and websockets: call it first.
func ExampleHandler_Shutdown() {
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} { return s }, struct{}{}, sockjs.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "http://"+ln.Addr().String()+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")

	fmt.Println("handler:", h.Shutdown(ctx))
	fmt.Println("server:", srv.Shutdown(ctx))
	_, err = c.Recv(ctx)
	var ce *client.CloseError
	if errors.As(err, &ce) {
		fmt.Println("client:", ce.Code, ce.Reason)
	}
	// Output:
	// handler: <nil>
	// server: <nil>
	// client: 1001 Server shutting down
}

// Broadcast sends one message to a group of connections, such as the members
// of a chat room, encoding it once, and tells how many took it.
func ExampleBroadcast() {
	joined := make(chan *sockjs.Conn, 2)
	h := sockjs.NewHandler("/room", func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		if ev.Type == sockjs.EventInit {
			joined <- c
		}
		return st
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var clients []*client.Conn
	for range 2 {
		c, err := client.Dial(ctx, srv.URL+"/room")
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close(1000, "")
		clients = append(clients, c)
	}
	members := []*sockjs.Conn{<-joined, <-joined}

	fmt.Println(sockjs.Broadcast(members, "the room is closing"), "members notified")
	for _, c := range clients {
		fmt.Println(c.Recv(ctx))
	}
	// Output:
	// 2 members notified
	// the room is closing <nil>
	// the room is closing <nil>
}

// AllowOrigins restricts every transport to pages of the listed origins:
// a browser request from any other page gets 403.
func ExampleAllowOrigins() {
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} { return s }, struct{}{}, sockjs.Options{
		CheckOrigin: sockjs.AllowOrigins("https://app.example.com", "https://*.example.org"),
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, origin := range []string{"https://app.example.com", "https://www.example.org", "https://evil.example"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/echo/info", nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(origin, resp.Status)
	}
	// Output:
	// https://app.example.com 200 OK
	// https://www.example.org 200 OK
	// https://evil.example 403 Forbidden
}

// Stats snapshots a handler's counters, for expvar, Prometheus or logs:
// here, after one session that echoed two messages. Shutdown waits for the
// session's end, so that the counts are final.
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

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range []string{"one", "two"} {
		c.Send(ctx, m)
		c.Recv(ctx)
	}
	c.Close(1000, "")
	select { // the session is counted closed once its callback hears of it
	case <-closed:
	case <-ctx.Done():
		log.Fatal(ctx.Err())
	}

	st := h.Stats()
	fmt.Println("sessions:", st.Sessions, "opened:", st.SessionsOpened, "closed:", st.SessionsClosed, st.ClosedByCode)
	fmt.Println("messages in:", st.MessagesIn, "out:", st.MessagesOut, "bytes in:", st.BytesIn)
	// Output:
	// sessions: 0 opened: 1 closed: 1 map[1000:1]
	// messages in: 2 out: 2 bytes in: 6
}

// Options.Authenticate decides who may open a session, here by a token in
// the query string, which clients keep on every request; the identity it
// returns is the session's Conn.Identity.
func ExampleConn_Identity() {
	users := map[string]string{"s3cret": "alice"}
	h := sockjs.NewHandler("/chat", func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		if ev.Type == sockjs.EventInit {
			c.Send("hello, " + c.Identity().(string))
		}
		return st
	}, struct{}{}, sockjs.Options{
		Authenticate: func(r *http.Request) (any, error) {
			if user, ok := users[r.URL.Query().Get("token")]; ok {
				return user, nil
			}
			return nil, sockjs.ErrUnauthorized // 401; any other error is 403
		},
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := client.Dialer{Transports: []client.Transport{client.Websocket}}
	if _, err := d.Dial(ctx, srv.URL+"/chat?token=guess"); err != nil {
		fmt.Println("token guess refused with 401:", strings.Contains(err.Error(), "401 Unauthorized"))
	}
	c, err := d.Dial(ctx, srv.URL+"/chat?token=s3cret")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")
	fmt.Println(c.Recv(ctx))
	// Output:
	// token guess refused with 401: true
	// hello, alice <nil>
}

// EventClosed tells the callback why its session ended, whoever ended it:
// Event.Code and Event.Reason are those of the close frame the client got,
// or of the client's own close frame.
func ExampleEvent_closed() {
	ended := make(chan sockjs.Event, 1)
	h := sockjs.NewHandler("/game", func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		switch {
		case ev.Type == sockjs.EventRecv && ev.Data == "cheat":
			c.Close(4001, "Kicked out")
		case ev.Type == sockjs.EventClosed:
			ended <- ev
		}
		return st
	}, struct{}{}, sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	serverSaw := func() {
		select {
		case ev := <-ended:
			fmt.Println("server:", ev.Code, ev.Reason)
		case <-ctx.Done():
			fmt.Println(ctx.Err())
		}
	}

	cheat, err := client.Dial(ctx, srv.URL+"/game")
	if err != nil {
		log.Fatal(err)
	}
	defer cheat.Close(1000, "")
	cheat.Send(ctx, "cheat") // the server closes this session
	_, err = cheat.Recv(ctx)
	fmt.Println("client:", err)
	serverSaw()

	quit, err := client.Dial(ctx, srv.URL+"/game")
	if err != nil {
		log.Fatal(err)
	}
	quit.Close(4000, "Player left") // the client closes this one
	serverSaw()
	// Output:
	// client: client: closed by the server: 4001 "Kicked out"
	// server: 4001 Kicked out
	// server: 4000 Player left
}
