package client_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// eachTransport runs f in a parallel subtest per transport.
func eachTransport(t *testing.T, f func(t *testing.T, tr client.Transport)) {
	for _, tr := range allTransports {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			f(t, tr)
		})
	}
}

func TestRecvContext(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		c := dial(t, dialer(t, tr), base+"/echo")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := c.Recv(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		send(t, c, "still open")
		assert.Equal(t, []string{"still open"}, recv(t, c, 1))
	})
}

func TestSendContext(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		c := dial(t, dialer(t, tr), base+"/echo")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		assert.ErrorIs(t, c.Send(ctx, "not sent"), context.Canceled)
		send(t, c, "sent")
		assert.Equal(t, []string{"sent"}, recv(t, c, 1), "the cancelled message went out")
	})
}

// TestSendOrder sends from many goroutines at once: every message arrives
// once, and those of each goroutine in order.
func TestSendOrder(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		c := dial(t, dialer(t, tr), base+"/echo")
		const senders, each = 4, 50
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for i := range each {
					assert.NoError(t, c.Send(testContext(t), fmt.Sprintf("%d/%d", g, i)))
				}
			})
		}
		got := recv(t, c, senders*each)
		wg.Wait()
		next := make([]int, senders)
		for _, m := range got {
			var g, i int
			_, err := fmt.Sscanf(m, "%d/%d", &g, &i)
			require.NoError(t, err)
			require.Equal(t, next[g], i, "sender %d: message %d out of order", g, i)
			next[g]++
		}
	})
}

func TestCloseArguments(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	c := dial(t, dialer(t, client.XHRStreaming), base+"/echo")
	for _, code := range []int{0, 999, 1001, 2010, 2999, 5000} {
		assert.Error(t, c.Close(code, ""), "code %d", code)
	}
	assert.Error(t, c.Close(1000, strings.Repeat("r", 124)))
	send(t, c, "still open")
	assert.Equal(t, []string{"still open"}, recv(t, c, 1))
	assert.NoError(t, c.Close(3000, strings.Repeat("r", 123)))
}

// TestCloseConcurrent closes a connection from many goroutines while
// another waits in Recv.
func TestCloseConcurrent(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		c := dial(t, dialer(t, tr), base+"/echo")
		recvErr := make(chan error, 1)
		go func() {
			_, err := c.Recv(testContext(t))
			recvErr <- err
		}()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { assert.NoError(t, c.Close(1000, "")) })
		}
		wg.Wait()
		assert.ErrorIs(t, <-recvErr, client.ErrClosed)
		assert.ErrorIs(t, c.Err(), client.ErrClosed)
	})
}

// TestCloseUnread closes a connection whose messages nobody reads, so that
// its goroutine waits for Recv.
func TestCloseUnread(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		c := dial(t, dialer(t, tr), base+"/amplify")
		for range 100 {
			send(t, c, "3")
		}
		assert.NoError(t, c.Close(1000, ""))
		_, err := c.Recv(testContext(t))
		assert.ErrorIs(t, err, client.ErrClosed, "Recv after Close")
	})
}

// TestCloseEndsServerSession checks that the server ends the session when
// the client closes it: with the client's code on the websockets, as the
// client going away (1002) on the HTTP transports, which cannot carry one.
func TestCloseEndsServerSession(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	closed := map[string]sockjs.Event{} // by session path
	base := goServer(t, serverOptions{}, func(prefix string, c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventClosed {
			mu.Lock()
			closed[c.Path()] = ev
			mu.Unlock()
		}
	})
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		prefix := "/echo"
		if tr == client.WebsocketRaw {
			prefix = "/amplify" // the only websocket-raw session of the server
		}
		c := dial(t, dialer(t, tr), base+prefix)
		send(t, c, "1")
		recv(t, c, 1)
		require.NoError(t, c.Close(4000, "bye"))
		var ev sockjs.Event
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			for path, e := range closed {
				if tr == client.WebsocketRaw && path == prefix+"/websocket" || tr != client.WebsocketRaw && strings.Contains(path, "/"+c.SessionID()+"/") {
					ev = e
					return true
				}
			}
			return false
		}, waitFor, time.Millisecond, "no EventClosed")
		if isWebsocket(tr) {
			assert.Equal(t, 4000, ev.Code)
			assert.Equal(t, "bye", ev.Reason)
		} else {
			assert.Equal(t, 1002, ev.Code)
		}
	})
}

// TestSendFailure fails a connection whose xhr_send is refused.
func TestSendFailure(t *testing.T) {
	t.Parallel()
	for _, tr := range []client.Transport{client.XHRStreaming, client.EventSource, client.XHRPolling} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			body := "o\n"
			if tr == client.EventSource {
				body = "data: o\r\n\r\n"
			}
			s := (&script{recv: []string{body}, sendStatus: 404}).start(t)
			c := dial(t, dialer(t, tr), s.URL)
			err := c.Send(testContext(t), "x")
			assert.ErrorIs(t, err, client.ErrProtocol)
			assert.ErrorContains(t, err, "404")
			_, rerr := c.Recv(testContext(t))
			assert.Equal(t, err, rerr, "Recv after the failed Send")
			assert.Equal(t, err, c.Send(testContext(t), "y"))
		})
	}
}

// TestSendEncoding checks the bodies Send puts on the wire.
func TestSendEncoding(t *testing.T) {
	t.Parallel()
	msgs := []string{"plain", "\xed\xa0\x80", "a\xffb", "\u2028\"\\", "😀", "\x00"}
	want := []string{`["plain"]`, `["\ud800"]`, `["a\ufffdb"]`, `["\u2028\"\\"]`, `["😀"]`, `["\u0000"]`}
	t.Run("xhr_send", func(t *testing.T) {
		t.Parallel()
		s := (&script{recv: []string{"o\n"}}).start(t)
		c := dial(t, dialer(t, client.XHRStreaming), s.URL)
		send(t, c, msgs...)
		assert.Equal(t, want, s.sends())
	})
	for _, tr := range []client.Transport{client.Websocket, client.WebsocketRaw} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			got := make(chan string, len(msgs))
			s := (&script{ws: func(c *websocket.Conn) {
				if tr == client.Websocket {
					c.WriteMessage(websocket.TextMessage, []byte("o"))
				}
				for {
					_, b, err := c.ReadMessage()
					if err != nil {
						return
					}
					got <- string(b)
				}
			}}).start(t)
			c := dial(t, dialer(t, tr), s.URL)
			send(t, c, msgs...)
			w := want
			if tr == client.WebsocketRaw {
				w = []string{"plain", "\ufffd", "a\ufffdb", "\u2028\"\\", "😀", "\x00"}
			}
			for _, m := range w {
				assert.Equal(t, m, <-got)
			}
		})
	}
}

// TestReopen serves messages over several receiving requests, as a server
// does past its response limit and between polls.
func TestReopen(t *testing.T) {
	t.Parallel()
	type frame struct {
		req  int
		data string
	}
	for _, tr := range []client.Transport{client.XHRStreaming, client.EventSource, client.XHRPolling} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			bodies := []string{"o\na[\"1\"]\n", "a[\"2\"]\nh\n", "\n", "a[\"3\",\"4\"]\n"}
			if tr == client.EventSource {
				for i, b := range bodies {
					var es strings.Builder
					for _, f := range strings.Fields(b) {
						es.WriteString("data: " + f + "\r\n\r\n")
					}
					bodies[i] = "\r\n" + es.String()
				}
			}
			s := (&script{recv: bodies}).start(t)
			d := dialer(t, tr)
			var mu sync.Mutex
			var frames []frame
			d.OnFrame = func(f client.Frame) {
				mu.Lock()
				frames = append(frames, frame{f.Request, string(f.Data)})
				mu.Unlock()
			}
			c := dial(t, d, s.URL)
			assert.Equal(t, []string{"1", "2", "3", "4"}, recv(t, c, 4))
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []frame{{0, "o"}, {0, `a["1"]`}, {1, `a["2"]`}, {1, "h"}, {3, `a["3","4"]`}}, frames)
		})
	}
}

// TestIdleTimeout fails connections on which the server sends nothing.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		body := "o\n"
		if tr == client.EventSource {
			body = "data: o\r\n\r\n"
		}
		s := (&script{recv: []string{body}, hold: true, ws: func(c *websocket.Conn) {
			if tr == client.Websocket {
				c.WriteMessage(websocket.TextMessage, []byte("o"))
			}
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}}).start(t)
		d := dialer(t, tr)
		d.IdleTimeout = 100 * time.Millisecond
		c := dial(t, d, s.URL)
		_, err := recvEnd(t, c)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.ErrorContains(t, err, "silent for 100ms")
	})
}

// TestHeartbeatsKeepAlive keeps a connection open on heartbeats alone for
// many times its IdleTimeout.
func TestHeartbeatsKeepAlive(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{heartbeat: 20 * time.Millisecond}, nil)
	for _, tr := range client.Transports() {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			d := dialer(t, tr)
			d.IdleTimeout = time.Second
			heartbeats := make(chan struct{}, 1000)
			d.OnFrame = func(f client.Frame) {
				if string(f.Data) == "h" {
					heartbeats <- struct{}{}
				}
			}
			c := dial(t, d, base+"/echo")
			start := time.Now()
			for time.Since(start) < 3*time.Second {
				select {
				case <-heartbeats:
				case <-time.After(waitFor):
					t.Fatal("no heartbeat")
				}
			}
			send(t, c, "alive")
			assert.Equal(t, []string{"alive"}, recv(t, c, 1))
		})
	}
}

// TestCloseWaitsForGoroutine holds the connection's goroutine in OnFrame:
// Close must not return before it has ended.
func TestCloseWaitsForGoroutine(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		d := dialer(t, tr)
		held, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		d.OnFrame = func(f client.Frame) {
			if string(f.Data) == `a["hold"]` || string(f.Data) == "hold" {
				once.Do(func() { close(held) })
				<-release
			}
		}
		c := dial(t, d, base+"/echo")
		send(t, c, "hold")
		<-held
		closed := make(chan struct{})
		go func() {
			c.Close(1000, "")
			close(closed)
		}()
		select {
		case <-closed:
			t.Fatal("Close returned while the connection's goroutine was running")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		<-closed
	})
}

// TestOnMessage hands the messages to a callback instead of Recv.
func TestOnMessage(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	eachTransport(t, func(t *testing.T, tr client.Transport) {
		got := make(chan string, 100)
		d := dialer(t, tr)
		d.OnMessage = func(m string) { got <- m }
		c := dial(t, d, base+"/echo")
		var want []string
		for i := range 50 {
			want = append(want, fmt.Sprint(i))
		}
		send(t, c, want...)
		for _, w := range want {
			assert.Equal(t, w, <-got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := c.Recv(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "Recv got a message")
		require.NoError(t, c.Close(1000, ""))
		_, err = c.Recv(testContext(t))
		assert.ErrorIs(t, err, client.ErrClosed)
	})
}
