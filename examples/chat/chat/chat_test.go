package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/pubsubtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// client speaks the chat protocol over the raw websocket endpoint. A
// goroutine reads its events into a channel until the connection ends.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	id     string
	events chan Event
	done   chan struct{}
}

func dial(t *testing.T, srv *httptest.Server) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/chat/websocket", nil)
	require.NoError(t, err)
	c := &client{t: t, ws: ws, events: make(chan Event, 100_000), done: make(chan struct{})}
	go c.read()
	t.Cleanup(c.close)
	c.id = c.expect("welcome").ID
	return c
}

func (c *client) read() {
	defer close(c.done)
	defer close(c.events)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			c.t.Errorf("bad event %s", b)
			return
		}
		c.events <- ev
	}
}

// close closes the connection and waits for the reader.
func (c *client) close() {
	c.ws.Close()
	<-c.done
}

func (c *client) send(ev Event) {
	c.t.Helper()
	require.NoError(c.t, c.ws.WriteJSON(ev))
}

// next returns the next event.
func (c *client) next() Event {
	c.t.Helper()
	select {
	case ev, ok := <-c.events:
		require.True(c.t, ok, "the connection ended")
		return ev
	case <-time.After(10 * time.Second):
		c.t.Fatal("no event in 10 s")
	}
	return Event{}
}

// expect returns the next event, which must have type typ.
func (c *client) expect(typ string) Event {
	c.t.Helper()
	ev := c.next()
	require.Equal(c.t, typ, ev.Type, "event %+v", ev)
	return ev
}

// join joins room after offset after and waits for its own joined event,
// returning the events that came before it.
func (c *client) join(room, after string) []Event {
	c.t.Helper()
	c.send(Event{Type: "join", Room: room, After: after})
	var before []Event
	for {
		ev := c.next()
		if ev.Type == "joined" && ev.ID == c.id {
			return append(before, ev)
		}
		before = append(before, ev)
	}
}

// newHub returns a hub on relay, served by an httptest.Server.
func newHub(t *testing.T, relay *pubsub.Relay, node string) *httptest.Server {
	hub := NewHub("/chat", relay, Options{Node: node})
	srv := httptest.NewServer(hub.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hub.Handler().Shutdown(ctx)
		hub.Close()
		srv.Close()
	})
	return srv
}

// newRelay returns a relay on b, shut down at the end of the test.
func newRelay(t *testing.T, b pubsub.Broker, node string) *pubsub.Relay {
	r := pubsub.NewRelay(b, pubsub.RelayOptions{Node: node})
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

func newLocal(t *testing.T, maxLen int) *pubsub.Local {
	b := pubsub.NewLocal(pubsub.LocalOptions{MaxLen: maxLen})
	t.Cleanup(func() { b.Close() }) // after the relays' Shutdown
	return b
}

func TestRooms(t *testing.T) {
	srv := newHub(t, newRelay(t, newLocal(t, 100), "n1"), "n1")
	a, b := dial(t, srv), dial(t, srv)
	a.send(Event{Type: "nick", Nick: "ada"})
	assert.Equal(t, "ada", a.expect("nick").Nick)
	a.send(Event{Type: "join", Room: "lobby"})
	ev := a.expect("joined")
	assert.Equal(t, "ada", ev.Nick)
	assert.Equal(t, a.id, ev.ID)
	assert.Equal(t, "n1", ev.Node)
	assert.NotEmpty(t, ev.Offset)
	b.send(Event{Type: "say", Room: "lobby", Text: "hi"})
	b.expect("error")
	b.send(Event{Type: "join", Room: "lobby"})
	b.expect("joined")
	a.expect("joined")
	b.send(Event{Type: "say", Room: "lobby", Text: "  hello  "})
	var offsets []string
	for _, c := range []*client{a, b} {
		ev := c.expect("message")
		assert.Equal(t, "hello", ev.Text)
		assert.Equal(t, b.id, ev.ID)
		assert.NotZero(t, ev.TS)
		offsets = append(offsets, ev.Offset)
	}
	assert.Equal(t, offsets[0], offsets[1], "one offset for every member")
	b.send(Event{Type: "leave", Room: "lobby"})
	b.expect("left")
	assert.Equal(t, b.id, a.expect("left").ID)
	for _, bad := range []Event{
		{Type: "join", Room: "Bad Room"}, {Type: "join", Room: "r", After: "yesterday"}, {Type: "nick"}, {Type: "dance"},
		{Type: "say", Room: "lobby", Text: strings.Repeat("x", MaxText+1)},
	} {
		b.send(bad)
		b.expect("error")
	}
	b.close()
	a.send(Event{Type: "say", Room: "lobby", Text: "alone"})
	a.expect("message")
}

func TestClosedSessionLeaves(t *testing.T) {
	srv := newHub(t, newRelay(t, newLocal(t, 100), "n1"), "n1")
	a, b := dial(t, srv), dial(t, srv)
	a.join("r", "")
	b.join("r", "")
	a.expect("joined")
	b.close()
	assert.Equal(t, b.id, a.expect("left").ID)
}

// Two hubs, each with its relay, on one broker: a cluster in a test.
func TestHubsAcrossRelay(t *testing.T) {
	broker := newLocal(t, 100)
	srv1, srv2 := newHub(t, newRelay(t, broker, "n1"), "n1"), newHub(t, newRelay(t, broker, "n2"), "n2")
	a, b := dial(t, srv1), dial(t, srv2)
	a.join("r", "")
	b.join("r", "")
	a.expect("joined")
	for i := range 20 {
		b.send(Event{Type: "say", Room: "r", Text: fmt.Sprint(i)})
	}
	for _, c := range []*client{a, b} {
		for i := range 20 {
			ev := c.expect("message")
			require.Equal(t, fmt.Sprint(i), ev.Text)
			require.Equal(t, "n2", ev.Node)
		}
	}
}

// A client that disconnects and joins again after the last offset it saw,
// on its node or another, gets every message it missed, once, before the
// new ones, while another client talks all along. The pauses come from a
// fixed seed.
func TestResumeGetsEveryMessageOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	t.Log("seed 14")
	broker := slowHistory{newLocal(t, 10_000)}
	srvs := []*httptest.Server{newHub(t, newRelay(t, broker, "n1"), "n1"), newHub(t, newRelay(t, broker, "n2"), "n2")}
	talker, listener := dial(t, srvs[0]), dial(t, srvs[0])
	talker.join("r", "")
	var got []string
	last := ""
	record := func(evs []Event) {
		for _, ev := range evs {
			if ev.Type == "gap" {
				t.Errorf("gap: %+v", ev)
			}
			if ev.Offset != "" {
				last = ev.Offset
			}
			if ev.Type == "message" && ev.ID == talker.id {
				got = append(got, ev.Text)
			}
		}
	}
	record(listener.join("r", ""))

	// The talker says "0", "1", ... until stopped; its own events are drained.
	stop, said := make(chan struct{}), make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() {
		n := 0
		defer func() { said <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if talker.ws.WriteJSON(Event{Type: "say", Room: "r", Text: fmt.Sprint("t:", n)}) != nil {
				return
			}
			n++
		}
	})
	wg.Go(func() {
		for range talker.events {
		}
	})

	for round := range 8 {
		// Listen a while, then drop the connection and come back, to
		// either node, after a pause.
		deadline := time.After(time.Duration(rng.IntN(40)) * time.Millisecond)
	listen:
		for {
			select {
			case ev := <-listener.events:
				record([]Event{ev})
			case <-deadline:
				break listen
			}
		}
		listener.close()
		for ev := range listener.events { // what arrived before the close
			record([]Event{ev})
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		listener = dial(t, srvs[rng.IntN(2)])
		record(listener.join("r", last))
		t.Logf("round %d: %d messages so far", round, len(got))
	}
	close(stop)
	n := <-said
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case ev := <-listener.events:
			record([]Event{ev})
		case <-deadline:
			t.Fatalf("got %d of %d messages", len(got), n)
		}
	}
	talker.close()
	wg.Wait()
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint("t:", i)
	}
	require.NoError(t, pubsubtest.ExactlyOnce(want, got))
}

// slowHistory is a broker whose Range takes 20 ms, so that the events
// delivered while a client catches up overlap its history.
type slowHistory struct{ *pubsub.Local }

func (b slowHistory) Range(ctx context.Context, ch string, after pubsub.Offset, limit int) ([]pubsub.Message, error) {
	time.Sleep(20 * time.Millisecond)
	return b.Local.Range(ctx, ch, after, limit)
}

// A client that comes back after more messages than the room keeps is told
// so, then gets the new ones.
func TestResumeTooOld(t *testing.T) {
	srv := newHub(t, newRelay(t, newLocal(t, 10), "n1"), "n1")
	talker, listener := dial(t, srv), dial(t, srv)
	talker.join("r", "")
	evs := listener.join("r", "")
	last := evs[len(evs)-1].Offset
	talker.expect("joined")
	listener.close()
	talker.expect("left")
	for i := range 30 {
		talker.send(Event{Type: "say", Room: "r", Text: fmt.Sprint(i)})
		talker.expect("message")
	}
	listener = dial(t, srv)
	evs = listener.join("r", last)
	require.Len(t, evs, 2)
	assert.Equal(t, "gap", evs[0].Type)
	talker.send(Event{Type: "say", Room: "r", Text: "new"})
	assert.Equal(t, "new", listener.expect("message").Text)
}

func TestPage(t *testing.T) {
	srv := httptest.NewServer(Page(PageData{SockJSURL: "/js/sockjs.min.js", Prefix: "/chat", Title: "test"}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	page := string(b)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	for _, want := range []string{`<script src="/js/sockjs.min.js">`, `const PREFIX = "`, "· test"} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, "http://", "the page refers to no other site")
	assert.NotContains(t, page, "https://", "the page refers to no other site")
}
