package sockjstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/client"
)

// A Conn is a client connection bound to a test: its methods wait at most
// Timeout and fail the test, with t.Fatal, instead of returning errors.
// Client gives the connection itself, for anything they do not cover.
type Conn struct {
	Client  *client.Conn
	T       testing.TB
	Timeout time.Duration // zero means DefaultTimeout
}

// Transport returns the transport of the connection.
func (c *Conn) Transport() client.Transport { return c.Client.Transport() }

// Send sends msgs, in order.
func (c *Conn) Send(msgs ...string) {
	c.T.Helper()
	ctx, cancel := c.context()
	defer cancel()
	for _, m := range msgs {
		if err := c.Client.Send(ctx, m); err != nil {
			c.T.Fatalf("sockjstest: %s: Send(%.40q): %v", c.Transport(), m, err)
		}
	}
}

// Recv returns the next message.
func (c *Conn) Recv() string {
	c.T.Helper()
	ctx, cancel := c.context()
	defer cancel()
	m, err := c.Client.Recv(ctx)
	if err != nil {
		c.T.Fatalf("sockjstest: %s: Recv: %v", c.Transport(), err)
	}
	return m
}

// RecvN returns the next n messages.
func (c *Conn) RecvN(n int) []string {
	c.T.Helper()
	msgs := make([]string, 0, n)
	for range n {
		msgs = append(msgs, c.Recv())
	}
	return msgs
}

// ExpectClose waits for the server to close the session with code and
// reason, failing the test on a message before it or on another end.
func (c *Conn) ExpectClose(code int, reason string) {
	c.T.Helper()
	ctx, cancel := c.context()
	defer cancel()
	m, err := c.Client.Recv(ctx)
	var ce *client.CloseError
	switch {
	case err == nil:
		c.T.Fatalf("sockjstest: %s: got message %.40q, want the close %d %q", c.Transport(), m, code, reason)
	case !errors.As(err, &ce):
		c.T.Fatalf("sockjstest: %s: %v, want the close %d %q", c.Transport(), err, code, reason)
	case ce.Code != code || ce.Reason != reason:
		c.T.Fatalf("sockjstest: %s: closed with %d %q, want %d %q", c.Transport(), ce.Code, ce.Reason, code, reason)
	}
}

// Close closes the connection with code and reason.
func (c *Conn) Close(code int, reason string) {
	c.T.Helper()
	if err := c.Client.Close(code, reason); err != nil {
		c.T.Fatalf("sockjstest: %s: %v", c.Transport(), err)
	}
}

func (c *Conn) context() (context.Context, context.CancelFunc) {
	d := c.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeout(context.Background(), d)
}
