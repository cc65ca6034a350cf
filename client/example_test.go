package client_test

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

// echoServer starts an echo service at /echo, for the examples; it would be
// any SockJS server.
func echoServer(opts sockjs.Options) *httptest.Server {
	return httptest.NewServer(sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		switch {
		case ev.Type == sockjs.EventRecv && ev.Data == "bye":
			c.Close(3000, "Go away!")
		case ev.Type == sockjs.EventRecv:
			c.Send(ev.Data)
		}
		return st
	}, struct{}{}, opts))
}

func Example() {
	srv := echoServer(sockjs.Options{})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")
	if err := c.Send(ctx, "hello"); err != nil {
		log.Fatal(err)
	}
	msg, err := c.Recv(ctx)
	fmt.Println(msg, err)
	// Output: hello <nil>
}

// A Dialer forces a transport, and puts a token on every request: in the
// query string, which sockjs-client also keeps, and in a header.
func ExampleDialer() {
	srv := echoServer(sockjs.Options{})
	defer srv.Close()
	ctx := context.Background()

	d := client.Dialer{
		Transports: []client.Transport{client.XHRPolling},
		Header:     http.Header{"Authorization": {"Bearer s3cret"}},
	}
	c, err := d.Dial(ctx, srv.URL+"/echo?token=s3cret")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")
	c.Send(ctx, "polled")
	msg, _ := c.Recv(ctx)
	fmt.Println(c.Transport(), msg)
	// Output: xhr-polling polled
}

// The server closes the session: Recv returns the messages sent before the
// close, then a *CloseError with its code and reason.
func ExampleCloseError() {
	srv := echoServer(sockjs.Options{})
	defer srv.Close()
	ctx := context.Background()

	c, err := client.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(1000, "")
	c.Send(ctx, "last words")
	c.Send(ctx, "bye")
	for {
		msg, err := c.Recv(ctx)
		var ce *client.CloseError
		if errors.As(err, &ce) {
			fmt.Println("closed:", ce.Code, ce.Reason)
			return
		}
		fmt.Println(msg)
	}
	// Output:
	// last words
	// closed: 3000 Go away!
}

// OnFrame sees what Recv does not: here, the frames of an xhr-streaming
// session whose server ends each response after 64 bytes, and the request
// that carried each.
func ExampleDialer_OnFrame() {
	srv := echoServer(sockjs.Options{ResponseLimit: 64})
	defer srv.Close()
	ctx := context.Background()

	frames := make(chan client.Frame, 100)
	d := client.Dialer{
		Transports: []client.Transport{client.XHRStreaming},
		OnFrame: func(f client.Frame) {
			f.Data = append([]byte(nil), f.Data[:min(len(f.Data), 12)]...) // valid only during the call
			frames <- f
		},
	}
	c, err := d.Dial(ctx, srv.URL+"/echo")
	if err != nil {
		log.Fatal(err)
	}
	// The first echo takes the response past its limit, the second is
	// short and goes on the next response.
	for _, m := range []string{"a message long enough to take the response past its limit of 64 bytes", "two"} {
		c.Send(ctx, m)
		c.Recv(ctx)
	}
	c.Close(1000, "")
	close(frames)
	for f := range frames {
		fmt.Printf("request %d: %s\n", f.Request, f.Data)
	}
	// Output:
	// request 0: hhhhhhhhhhhh
	// request 0: o
	// request 0: a["a message
	// request 1: hhhhhhhhhhhh
	// request 1: a["two"]
}
