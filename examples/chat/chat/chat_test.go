package chat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/pubsub"
)

// client speaks the chat protocol over the raw websocket endpoint.
type client struct {
	t  *testing.T
	ws *websocket.Conn
	id string
}

func dial(t *testing.T, srv *httptest.Server) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/chat/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	c := &client{t: t, ws: ws}
	c.id = c.expect("welcome").ID
	return c
}

func (c *client) send(ev Event) {
	c.t.Helper()
	if err := c.ws.WriteJSON(ev); err != nil {
		c.t.Fatal(err)
	}
}

// expect reads the next event, which must have type typ.
func (c *client) expect(typ string) Event {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil || ev.Type != typ {
		c.t.Fatalf("got %s, want a %s event", b, typ)
	}
	return ev
}

func serve(t *testing.T, hub *Hub) *httptest.Server {
	srv := httptest.NewServer(hub.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hub.Handler().Shutdown(ctx)
		srv.Close()
	})
	return srv
}

func TestRooms(t *testing.T) {
	srv := serve(t, NewHub("/chat", Options{Node: "n1"}))
	a, b := dial(t, srv), dial(t, srv)
	a.send(Event{Type: "nick", Nick: "ada"})
	if ev := a.expect("nick"); ev.Nick != "ada" {
		t.Errorf("nick %+v", ev)
	}
	a.send(Event{Type: "join", Room: "lobby"})
	if ev := a.expect("joined"); ev.Nick != "ada" || ev.ID != a.id || ev.Node != "n1" {
		t.Errorf("joined %+v", ev)
	}
	b.send(Event{Type: "say", Room: "lobby", Text: "hi"})
	b.expect("error")
	b.send(Event{Type: "join", Room: "lobby"})
	b.expect("joined")
	a.expect("joined")
	b.send(Event{Type: "say", Room: "lobby", Text: "  hello  "})
	for _, c := range []*client{a, b} {
		if ev := c.expect("message"); ev.Text != "hello" || ev.ID != b.id || ev.TS == 0 {
			t.Errorf("message %+v", ev)
		}
	}
	b.send(Event{Type: "leave", Room: "lobby"})
	b.expect("left")
	if ev := a.expect("left"); ev.ID != b.id {
		t.Errorf("left %+v", ev)
	}
	for _, bad := range []Event{{Type: "join", Room: "Bad Room"}, {Type: "nick"}, {Type: "dance"}, {Type: "say", Room: "lobby", Text: strings.Repeat("x", MaxText+1)}} {
		b.send(bad)
		b.expect("error")
	}
	b.ws.Close()
	a.send(Event{Type: "say", Room: "lobby", Text: "alone"})
	a.expect("message")
}

func TestClosedSessionLeaves(t *testing.T) {
	srv := serve(t, NewHub("/chat", Options{}))
	a, b := dial(t, srv), dial(t, srv)
	a.send(Event{Type: "join", Room: "r"})
	a.expect("joined")
	b.send(Event{Type: "join", Room: "r"})
	b.expect("joined")
	a.expect("joined")
	b.ws.Close()
	if ev := a.expect("left"); ev.ID != b.id {
		t.Errorf("left %+v", ev)
	}
}

// Two hubs joined by relays on one broker: a cluster in a test.
func TestHubsAcrossRelay(t *testing.T) {
	broker := pubsub.NewLocal()
	t.Cleanup(func() { broker.Close() }) // after the relays' Shutdown
	var srvs []*httptest.Server
	var hubs []*Hub
	var relays []*pubsub.Relay
	for _, node := range []string{"n1", "n2"} {
		hub := NewHub("/chat", Options{Node: node})
		relay, err := pubsub.NewRelay(context.Background(), broker, "chat", hub, pubsub.RelayOptions{Node: node})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { relay.Shutdown(context.Background()) })
		hub.SetPublish(relay.Publish)
		relays = append(relays, relay)
		hubs = append(hubs, hub)
		srvs = append(srvs, serve(t, hub))
	}
	a, b := dial(t, srvs[0]), dial(t, srvs[1])
	a.send(Event{Type: "join", Room: "r"})
	a.expect("joined")
	// a's join reaches n2 through the broker; b joins after it did, or b
	// would see it too.
	deadline := time.Now().Add(5 * time.Second)
	for relays[1].Stats().Received == 0 {
		if time.Now().After(deadline) {
			t.Fatal("n2 never received n1's join")
		}
		time.Sleep(time.Millisecond)
	}
	b.send(Event{Type: "join", Room: "r"})
	b.expect("joined")
	a.expect("joined")
	for i := range 20 {
		b.send(Event{Type: "say", Room: "r", Text: string(rune('a' + i))})
	}
	for _, c := range []*client{a, b} {
		for i := range 20 {
			if ev := c.expect("message"); ev.Text != string(rune('a'+i)) || ev.Node != "n2" {
				t.Fatalf("message %d: %+v", i, ev)
			}
		}
	}
	if r := hubs[0].Rooms(); r["r"] != 1 {
		t.Errorf("rooms of n1: %v", r)
	}
	hubs[0].Notice("hello from n1")
	a.expect("notice")
}

var _ pubsub.Target = (*Hub)(nil)
var _ http.Handler = (*sockjs.Handler)(nil)

func TestPage(t *testing.T) {
	srv := httptest.NewServer(Page(PageData{SockJSURL: "/js/sockjs.min.js", Prefix: "/chat", Title: "test"}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	io.Copy(&b, resp.Body)
	page := b.String()
	if resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<script src="/js/sockjs.min.js">`, `const PREFIX = "`, "· test"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page refers to another site")
	}
}
