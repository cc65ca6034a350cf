package multiplex_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/multiplex"
)

// eventLog records the events of every channel as "topic type [data]".
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(ch *multiplex.Channel, ev sockjs.Event) {
	s := ch.Topic() + " " + ev.Type.String()
	switch ev.Type {
	case sockjs.EventRecv:
		s += " " + ev.Data
	case sockjs.EventInfo:
		s += " " + fmt.Sprint(ev.Info)
	}
	l.mu.Lock()
	l.events = append(l.events, s)
	l.mu.Unlock()
}

func (l *eventLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// newMux returns a multiplexer with the test topics:
//
//	echo   echoes; "close" closes the channel, "post" posts "posted" to it,
//	       "spam" sends 100 messages from another goroutine then closes
//	upper  echoes in upper case and counts messages in its state
//	probe  echoes, unlogged
func newMux(log *eventLog) *multiplex.Multiplexer {
	m := multiplex.New()
	multiplex.Handle(m, "echo", func(ch *multiplex.Channel, ev sockjs.Event, _ struct{}) struct{} {
		log.add(ch, ev)
		switch ev.Type {
		case sockjs.EventRecv:
			switch ev.Data {
			case "close":
				if err := ch.Close(); err != nil {
					panic(err)
				}
			case "post":
				ch.Post("posted")
			case "spam":
				go func() {
					for i := range 100 {
						ch.Send(fmt.Sprint(i))
					}
					ch.Close()
				}()
			default:
				ch.Send(ev.Data)
			}
		case sockjs.EventInfo:
			ch.Send(fmt.Sprint("info:", ev.Info))
		}
		return struct{}{}
	}, struct{}{})
	multiplex.Handle(m, "upper", func(ch *multiplex.Channel, ev sockjs.Event, n int) int {
		log.add(ch, ev)
		if ev.Type == sockjs.EventRecv {
			n++
			ch.Send(fmt.Sprintf("%d:%s", n, strings.ToUpper(ev.Data)))
		}
		return n
	}, 0)
	multiplex.Handle(m, "probe", func(ch *multiplex.Channel, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			ch.Send(ev.Data)
		}
		return struct{}{}
	}, struct{}{})
	return m
}

// client is a SockJS websocket client that sends and reads single messages.
type client struct {
	t     *testing.T
	ws    *websocket.Conn
	queue []string
}

func dial(t *testing.T, url string) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/mux/000/abc/websocket", nil)
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	c := &client{t: t, ws: ws}
	require.Equal(t, "o", c.frame())
	return c
}

func (c *client) frame() string {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ws.ReadMessage()
	require.NoError(c.t, err)
	return string(b)
}

func (c *client) send(msgs ...string) {
	c.t.Helper()
	b, err := json.Marshal(msgs)
	require.NoError(c.t, err)
	require.NoError(c.t, c.ws.WriteMessage(websocket.TextMessage, b))
}

// read returns the next message, failing on a close frame or after 5s.
func (c *client) read() string {
	c.t.Helper()
	for len(c.queue) == 0 {
		f := c.frame()
		switch f[0] {
		case 'h':
		case 'a':
			var msgs []string
			require.NoError(c.t, json.Unmarshal([]byte(f[1:]), &msgs))
			c.queue = append(c.queue, msgs...)
		default:
			c.t.Fatalf("unexpected frame %q", f)
		}
	}
	m := c.queue[0]
	c.queue = c.queue[1:]
	return m
}

func TestMultiplex(t *testing.T) {
	spam := make([]string, 0, 101)
	for i := range 100 {
		spam = append(spam, fmt.Sprintf("msg,echo,%d", i))
	}
	spam = append(spam, "uns,echo")

	tests := []struct {
		name string
		// steps alternate: messages sent, then the messages expected back
		send   [][]string
		expect [][]string
		// events is every channel event once the connection has closed
		events []string
	}{
		{
			name:   "echo",
			send:   [][]string{{"sub,echo", "msg,echo,hi"}},
			expect: [][]string{{"msg,echo,hi"}},
			events: []string{"echo init", "echo recv hi", "echo closed"},
		},
		{
			name:   "two channels interleaved",
			send:   [][]string{{"sub,echo", "sub,upper", "msg,upper,abc", "msg,echo,x", "msg,upper,d"}},
			expect: [][]string{{"msg,upper,1:ABC", "msg,echo,x", "msg,upper,2:D"}},
			events: []string{"echo init", "upper init", "upper recv abc", "echo recv x", "upper recv d", "echo closed", "upper closed"},
		},
		{
			name:   "payload with commas",
			send:   [][]string{{"sub,echo", "msg,echo,a,b,,c", "msg,echo,"}},
			expect: [][]string{{"msg,echo,a,b,,c", "msg,echo,"}},
			events: []string{"echo init", "echo recv a,b,,c", "echo recv ", "echo closed"},
		},
		{
			name:   "unknown topics, unsubscribed topics and garbage ignored",
			send:   [][]string{{"sub,nope", "msg,nope,x", "msg,echo,y", "uns,echo", "", "garbage", "sub", "xyz,echo,1", "sub,echo", "msg,echo,z"}},
			expect: [][]string{{"msg,echo,z"}},
			events: []string{"echo init", "echo recv z", "echo closed"},
		},
		{
			name:   "sub twice is idempotent",
			send:   [][]string{{"sub,upper", "msg,upper,a", "sub,upper", "msg,upper,b"}},
			expect: [][]string{{"msg,upper,1:A", "msg,upper,2:B"}},
			events: []string{"upper init", "upper recv a", "upper recv b", "upper closed"},
		},
		{
			name: "uns closes the channel, sub reopens it with fresh state",
			send: [][]string{
				{"sub,upper", "sub,echo", "msg,upper,a"},
				{"uns,upper", "msg,upper,ignored", "msg,echo,still"},
				{"sub,upper", "msg,upper,b"},
			},
			expect: [][]string{{"msg,upper,1:A"}, {"msg,echo,still"}, {"msg,upper,1:B"}},
			events: []string{"upper init", "echo init", "upper recv a", "upper closed", "echo recv still", "upper init", "upper recv b", "echo closed", "upper closed"},
		},
		{
			name: "server closes a channel",
			send: [][]string{
				{"sub,echo", "sub,upper", "msg,echo,close"},
				{"msg,echo,ignored", "msg,upper,u"},
				{"sub,echo", "msg,echo,again"},
			},
			expect: [][]string{{"uns,echo"}, {"msg,upper,1:U"}, {"msg,echo,again"}},
			events: []string{"echo init", "upper init", "echo recv close", "echo closed", "upper recv u", "echo init", "echo recv again", "echo closed", "upper closed"},
		},
		{
			// The close request is still queued when the client subscribes
			// again: the old channel ends first, the new one stays open.
			name:   "server close racing a new sub",
			send:   [][]string{{"sub,echo", "msg,echo,close", "sub,echo", "msg,echo,again"}},
			expect: [][]string{{"uns,echo", "msg,echo,again"}},
			events: []string{"echo init", "echo recv close", "echo closed", "echo init", "echo recv again", "echo closed"},
		},
		{
			name:   "post",
			send:   [][]string{{"sub,echo", "msg,echo,post"}},
			expect: [][]string{{"msg,echo,info:posted"}},
			events: []string{"echo init", "echo recv post", "echo info posted", "echo closed"},
		},
		{
			name:   "send and close from another goroutine",
			send:   [][]string{{"sub,echo", "msg,echo,spam"}},
			expect: [][]string{spam},
			events: []string{"echo init", "echo recv spam", "echo closed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &eventLog{}
			srv := httptest.NewServer(newMux(log).NewHandler("/mux", sockjs.Options{}))
			defer srv.Close()
			c := dial(t, srv.URL)
			for i, msgs := range tt.send {
				c.send(msgs...)
				for _, want := range tt.expect[i] {
					require.Equal(t, want, c.read())
				}
			}
			// Nothing else arrives before the answer on the probe channel.
			c.send("sub,probe", "msg,probe,p")
			require.Equal(t, "msg,probe,p", c.read())
			c.ws.Close()
			require.Eventually(t, func() bool { return len(log.get()) >= len(tt.events) }, 5*time.Second, 5*time.Millisecond)
			time.Sleep(20 * time.Millisecond)
			require.Equal(t, tt.events, log.get())
		})
	}
}

// The channels of a connection all get EventClosed when it closes from the
// server side, and none after.
func TestConnectionClose(t *testing.T) {
	log := &eventLog{}
	m := newMux(log)
	var conn *sockjs.Conn
	var mu sync.Mutex
	h := sockjs.NewHandler("/mux", func(c *sockjs.Conn, ev sockjs.Event, s *multiplex.Session) *multiplex.Session {
		mu.Lock()
		conn = c
		mu.Unlock()
		return m.Callback(c, ev, s)
	}, m.State(), sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := dial(t, srv.URL)
	c.send("sub,upper", "sub,echo", "msg,echo,x")
	require.Equal(t, "msg,echo,x", c.read())
	mu.Lock()
	require.NoError(t, conn.Close(3001, "bye"))
	mu.Unlock()
	require.Equal(t, `c[3001,"bye"]`, c.frame())
	require.Eventually(t, func() bool { return len(log.get()) == 5 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"upper init", "echo init", "echo recv x", "echo closed", "upper closed"}, log.get())
}

// Channel methods report a closed channel.
func TestChannelClosed(t *testing.T) {
	got := make(chan *multiplex.Channel, 1)
	m := multiplex.New()
	multiplex.Handle(m, "t", func(ch *multiplex.Channel, ev sockjs.Event, s struct{}) struct{} {
		if ev.Type == sockjs.EventClosed {
			got <- ch
		}
		return s
	}, struct{}{})
	srv := httptest.NewServer(m.NewHandler("/mux", sockjs.Options{}))
	defer srv.Close()
	c := dial(t, srv.URL)
	c.send("sub,t", "uns,t")
	var ch *multiplex.Channel
	select {
	case ch = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no EventClosed")
	}
	require.Equal(t, "t", ch.Topic())
	require.Equal(t, sockjs.TransportWebsocket, ch.Conn().Transport())
	require.ErrorIs(t, ch.Send("x"), sockjs.ErrClosed)
	require.ErrorIs(t, ch.Post("x"), sockjs.ErrClosed)
	require.ErrorIs(t, ch.Close(), sockjs.ErrClosed)
}

func TestHandlePanics(t *testing.T) {
	nop := func(ch *multiplex.Channel, ev sockjs.Event, s int) int { return s }
	for _, topic := range []string{"", "a,b", "dup"} {
		t.Run(topic, func(t *testing.T) {
			m := multiplex.New()
			multiplex.Handle(m, "dup", nop, 0)
			require.Panics(t, func() { multiplex.Handle(m, topic, nop, 0) })
		})
	}
	m := multiplex.New()
	multiplex.Handle(m, "b", nop, 0)
	multiplex.Handle(m, "a", nop, 0)
	require.Equal(t, []string{"a", "b"}, m.Topics())
}

// A channel callback that panics ends the whole connection, like any
// callback panic: the client gets 1011 and every channel, the panicking one
// included, gets EventClosed.
func TestChannelPanic(t *testing.T) {
	log := &eventLog{}
	m := newMux(log)
	multiplex.Handle(m, "boom", func(ch *multiplex.Channel, ev sockjs.Event, s struct{}) struct{} {
		log.add(ch, ev)
		if ev.Type == sockjs.EventRecv {
			panic("boom")
		}
		return s
	}, struct{}{})
	srv := httptest.NewServer(m.NewHandler("/mux", sockjs.Options{}))
	defer srv.Close()
	c := dial(t, srv.URL)
	c.send("sub,echo", "sub,boom", "msg,boom,x")
	require.Equal(t, `c[1011,"Internal server error"]`, c.frame())
	require.Eventually(t, func() bool { return len(log.get()) == 5 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"echo init", "boom init", "boom recv x", "boom closed", "echo closed"}, log.get())
}

// Handler.Shutdown closes every channel before it returns.
func TestShutdown(t *testing.T) {
	log := &eventLog{}
	h := newMux(log).NewHandler("/mux", sockjs.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := dial(t, srv.URL)
	c.send("sub,echo", "sub,upper", "msg,upper,x")
	require.Equal(t, "msg,upper,1:X", c.read())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, h.Shutdown(ctx))
	require.Equal(t, []string{"echo init", "upper init", "upper recv x", "echo closed", "upper closed"}, log.get())
	require.Equal(t, `c[1001,"Server shutting down"]`, c.frame())
}
