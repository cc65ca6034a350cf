package sockjstest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// A service under test, greeting every message.
func greet(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		c.Send("hello, " + ev.Data)
	}
	return st
}

// Start a service and talk to it over every transport.
func Example() {
	srv := sockjstest.NewServer(sockjs.NewHandler("/greet", greet, struct{}{}, sockjs.Options{}))
	defer srv.Close()
	ctx := context.Background()
	for _, tr := range srv.Transports {
		c, err := srv.Dial(ctx, tr)
		if err != nil {
			fmt.Println(err)
			return
		}
		c.Send(ctx, string(tr))
		msg, err := c.Recv(ctx)
		fmt.Println(msg, err)
		c.Close(1000, "")
	}
	// Output:
	// hello, websocket <nil>
	// hello, xhr-streaming <nil>
	// hello, eventsource <nil>
	// hello, xhr-polling <nil>
	// hello, htmlfile <nil>
	// hello, jsonp-polling <nil>
}

// In a test, Run runs the same case over every transport, each in a
// subtest of its own with its own connection.
func ExampleServer_Run() {
	var t *testing.T // the *testing.T of the test
	srv := sockjstest.NewServer(sockjs.NewHandler("/greet", greet, struct{}{}, sockjs.Options{}))
	defer srv.Close()
	cases := []struct{ in, want string }{{"you", "hello, you"}, {"", "hello, "}}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			srv.Run(t, func(t *testing.T, c *sockjstest.Conn) {
				c.Send(tc.in)
				if got := c.Recv(); got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		})
	}
}

// Connect opens one connection for a test, over the transport it names.
func ExampleServer_Connect() {
	var t *testing.T // the *testing.T of the test
	srv := sockjstest.NewServer(sockjs.NewHandler("/greet", greet, struct{}{}, sockjs.Options{}))
	defer srv.Close()
	c := srv.Connect(t, client.XHRPolling)
	c.Send("poller")
	if got := c.Recv(); got != "hello, poller" {
		t.Errorf("got %q", got)
	}
}
