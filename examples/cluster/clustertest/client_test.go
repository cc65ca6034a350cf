package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosockjs/sockjs/examples/chat/chat"
)

// client is a SockJS client of the chat, written against the wire protocol
// as sockjs-client speaks it. It keeps one session open over its
// transport, joins the room, and opens a new session (joining again) when
// the session is lost, like the chat page does. It records every chat
// message it receives and checks, as they arrive, that the messages of each
// sender come once and in order.
type client struct {
	idx       int
	base      string // http://host:port/chat or /broadcast
	transport string // websocket, xhr_streaming or xhr
	room      string // the chat room; "" for the broadcast service
	hc        *http.Client
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}

	wmu sync.Mutex // serializes sends
	ws  *websocket.Conn

	mu         sync.Mutex
	sid        string
	connID     string
	node       string
	nodes      []string // every node the client was on, in order
	joined     bool
	sessions   int                  // server sessions opened ("o" frames)
	lastK      map[int]int          // sender -> last k received
	got        map[int]map[int]bool // sender -> k -> received
	delivered  int                  // chat messages received
	notices    int
	violations []string
	lostErrs   []string // why sessions were lost
	nextK      int      // the next k this client says
}

func newClient(idx int, base, transport, room string) *client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		idx: idx, base: base, transport: transport, room: room,
		hc: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 4, DisableCompression: true,
		}},
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		lastK: map[int]int{}, got: map[int]map[int]bool{},
	}
	go c.run()
	return c
}

// close ends the client.
func (c *client) close() {
	c.cancel()
	c.wmu.Lock()
	if c.ws != nil {
		c.ws.Close()
	}
	c.wmu.Unlock()
	<-c.done
	c.hc.CloseIdleConnections()
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// run keeps a session open until close.
func (c *client) run() {
	defer close(c.done)
	for c.ctx.Err() == nil {
		sid := randomID()
		c.mu.Lock()
		c.sid, c.joined, c.connID = sid, false, ""
		c.mu.Unlock()
		var err error
		switch c.transport {
		case "websocket":
			err = c.runWebsocket(sid)
		default:
			err = c.runXHR(sid)
		}
		if c.ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		c.joined = false
		c.lostErrs = append(c.lostErrs, err.Error())
		c.mu.Unlock()
		select {
		case <-time.After(100 * time.Millisecond):
		case <-c.ctx.Done():
		}
	}
}

// url returns the URL of endpoint in session sid.
func (c *client) url(sid, endpoint string) string {
	return fmt.Sprintf("%s/%03d/%s/%s", c.base, c.idx%1000, sid, endpoint)
}

var errClosedFrame = errors.New("close frame")

func (c *client) runWebsocket(sid string) error {
	u := "ws" + strings.TrimPrefix(c.url(sid, "websocket"), "http")
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.DialContext(c.ctx, u, nil)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	c.wmu.Lock()
	c.ws = ws
	c.wmu.Unlock()
	defer func() {
		c.wmu.Lock()
		c.ws = nil
		c.wmu.Unlock()
		ws.Close()
	}()
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("websocket read: %w", err)
		}
		if err := c.frame(string(b)); err != nil {
			return err
		}
	}
}

// runXHR polls (xhr) or streams (xhr_streaming) session sid until it is
// lost.
func (c *client) runXHR(sid string) error {
	for {
		req, _ := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url(sid, c.transport), nil)
		resp, err := c.hc.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", c.transport, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("%s: status %d", c.transport, resp.StatusCode)
		}
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, err := br.ReadString('\n')
			if err == io.EOF && line == "" {
				break // the response ended cleanly: poll again
			}
			if err != nil {
				resp.Body.Close()
				return fmt.Errorf("%s read: %w", c.transport, err)
			}
			line = strings.TrimSuffix(line, "\n")
			if len(line) == 2048 && strings.Trim(line, "h") == "" {
				continue // the xhr-streaming prelude
			}
			if err := c.frame(line); err != nil {
				resp.Body.Close()
				return err
			}
		}
		resp.Body.Close()
	}
}

// frame handles one SockJS frame.
func (c *client) frame(f string) error {
	if f == "" {
		return nil
	}
	switch f[0] {
	case 'o':
		// A new server session. Over the HTTP transports it can follow a
		// lost node: the next poll of the session landed on another node,
		// which opened a fresh session with the same id. The chat's
		// welcome follows; the client joins again then.
		c.mu.Lock()
		c.joined = c.room == "" // the broadcast service needs no join
		c.sessions++
		c.mu.Unlock()
	case 'h':
	case 'a':
		var msgs []string
		if err := json.Unmarshal([]byte(f[1:]), &msgs); err != nil {
			return fmt.Errorf("bad frame %q", f)
		}
		for _, m := range msgs {
			c.message(m)
		}
	case 'c':
		return fmt.Errorf("%w %s", errClosedFrame, f[1:])
	default:
		return fmt.Errorf("unknown frame %q", f)
	}
	return nil
}

// message handles one message: a chat event, or with no room (the
// /broadcast service) the text of a message itself.
func (c *client) message(m string) {
	if c.room == "" {
		c.record(m)
		return
	}
	var ev chat.Event
	if err := json.Unmarshal([]byte(m), &ev); err != nil {
		c.violation("bad event %q", m)
		return
	}
	switch ev.Type {
	case "welcome":
		c.mu.Lock()
		c.connID, c.node = ev.ID, ev.Node
		c.nodes = append(c.nodes, ev.Node)
		c.mu.Unlock()
		go c.send(chat.Event{Type: "join", Room: c.room})
	case "joined":
		c.mu.Lock()
		if ev.ID == c.connID {
			c.joined = true
		}
		c.mu.Unlock()
	case "message":
		c.record(ev.Text)
	case "notice":
		c.mu.Lock()
		c.notices++
		c.mu.Unlock()
	case "error":
		c.violation("error from the server: %s", ev.Text)
	}
}

// record records the receipt of message text, "sender:k", checking that it
// is the first receipt and in order.
func (c *client) record(text string) {
	s, k, ok := parseText(text)
	if !ok {
		c.violation("bad text %q", text)
		return
	}
	c.mu.Lock()
	last, seen := c.lastK[s]
	if seen && k <= last {
		c.violations = append(c.violations, fmt.Sprintf("client %d: from %d got %d after %d", c.idx, s, k, last))
	}
	c.lastK[s] = k
	if c.got[s] == nil {
		c.got[s] = map[int]bool{}
	}
	c.got[s][k] = true
	c.delivered++
	c.mu.Unlock()
}

func parseText(t string) (sender, k int, ok bool) {
	a, b, found := strings.Cut(t, ":")
	s, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	return s, n, found && err1 == nil && err2 == nil
}

func (c *client) violation(format string, args ...any) {
	c.mu.Lock()
	c.violations = append(c.violations, fmt.Sprintf("client %d: ", c.idx)+fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// send sends a chat request in the current session.
func (c *client) send(ev chat.Event) error {
	b, _ := json.Marshal(ev)
	return c.sendRaw(string(b))
}

// sendRaw sends a message in the current session.
func (c *client) sendRaw(msg string) error {
	body, _ := json.Marshal([]string{msg})
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.transport == "websocket" {
		if c.ws == nil {
			return errors.New("not connected")
		}
		return c.ws.WriteMessage(websocket.TextMessage, body)
	}
	c.mu.Lock()
	sid := c.sid
	c.mu.Unlock()
	req, _ := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url(sid, "xhr_send"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("xhr_send: status %d", resp.StatusCode)
	}
	return nil
}

// say sends the client's next numbered message to the room.
func (c *client) say() error {
	c.mu.Lock()
	k := c.nextK
	c.nextK++
	c.mu.Unlock()
	text := fmt.Sprintf("%d:%d", c.idx, k)
	if c.room == "" {
		return c.sendRaw(text)
	}
	return c.send(chat.Event{Type: "say", Room: c.room, Text: text})
}

// ready reports whether the client is in the room.
func (c *client) ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joined
}

// snapshot returns the client's state under its lock.
func (c *client) snapshot() (node string, sessions, delivered int, violations []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node, c.sessions, c.delivered, append([]string(nil), c.violations...)
}

// has reports whether the client received message k of sender.
func (c *client) has(sender, k int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[sender][k]
}
