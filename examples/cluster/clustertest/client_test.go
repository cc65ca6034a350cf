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
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosockjs/sockjs/examples/chat/chat"
	"github.com/gosockjs/sockjs/pubsub"
)

// transports are the SockJS transports the clients use, every one the
// protocol has but the iframe wrappers (which run these same ones) and
// xdr (Internet Explorer's).
var transports = []string{"websocket", "xhr_streaming", "xhr", "eventsource", "htmlfile", "jsonp"}

// client is a SockJS client of the chat, written against the wire protocol
// as sockjs-client speaks it. It keeps one session open over its
// transport and joins its room; when the session is lost it opens a new
// one and joins again after the offset of the last room event it got, as
// the chat page does. It counts every chat message it receives, and
// records as a violation a message received twice, a room event whose
// offset does not increase, a gap or a loss notice.
type client struct {
	idx       int
	base      string // http://host:port/chat or /broadcast
	transport string
	room      string // the chat room; "" for the broadcast service
	hc        *http.Client
	dialer    websocket.Dialer
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
	after      pubsub.Offset        // the offset of the last room event
	got        map[string]int       // message text -> receipts
	delivered  int                  // chat messages received
	own        int                  // of them, this client's own
	refused    int                  // "error" events: says the chat refused
	probes     map[string]time.Time // when each probe ("p:...") arrived
	violations []string
	lostErrs   []string // why sessions were lost
	nextK      int      // the next k this client says
}

// newClient starts a client; with cookies it keeps a cookie jar, as a
// browser does, for balancers with cookie affinity.
func newClient(idx int, base, transport, room string, cookies bool) *client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		idx: idx, base: base, transport: transport, room: room,
		hc:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}},
		dialer: websocket.Dialer{HandshakeTimeout: 5 * time.Second},
		ctx:    ctx, cancel: cancel, done: make(chan struct{}),
		got: map[string]int{}, probes: map[string]time.Time{},
	}
	if cookies {
		jar, _ := cookiejar.New(nil)
		c.hc.Jar, c.dialer.Jar = jar, jar
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
		err := c.receive(sid)
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

// receive runs session sid over the client's transport until it is lost.
func (c *client) receive(sid string) error {
	if c.transport == "websocket" {
		return c.receiveWebsocket(sid)
	}
	for { // a poll, or a stream that reached its size limit, ends: go on
		if err := c.poll(sid); err != nil {
			return err
		}
	}
}

func (c *client) receiveWebsocket(sid string) error {
	u := "ws" + strings.TrimPrefix(c.url(sid, "websocket"), "http")
	ws, _, err := c.dialer.DialContext(c.ctx, u, nil)
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

// poll makes one receiving request of an HTTP transport and handles the
// frames of its response until it ends.
func (c *client) poll(sid string) error {
	method, u := http.MethodPost, c.url(sid, c.transport)
	switch c.transport {
	case "eventsource":
		method = http.MethodGet
	case "htmlfile", "jsonp":
		method, u = http.MethodGet, u+"?c=cb"
	}
	req, _ := http.NewRequestWithContext(c.ctx, method, u, nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", c.transport, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", c.transport, resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			return nil // the response ended cleanly
		}
		if err != nil {
			return fmt.Errorf("%s read: %w", c.transport, err)
		}
		f, ok, err := frameOf(c.transport, strings.TrimRight(line, "\r\n"))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := c.frame(f); err != nil {
			return err
		}
	}
}

// frameOf returns the SockJS frame that a line of a response carries over
// transport, if it carries one.
func frameOf(transport, line string) (string, bool, error) {
	switch transport {
	case "xhr", "xhr_streaming":
		if len(line) == 2048 && strings.Trim(line, "h") == "" {
			return "", false, nil // the xhr-streaming prelude
		}
		return line, line != "", nil
	case "eventsource":
		data, ok := strings.CutPrefix(line, "data: ")
		return unescapeEvent(data), ok, nil
	case "htmlfile":
		// <script>\np("frame");\n</script>: the middle line.
		s, ok := strings.CutPrefix(line, "p(")
		if !ok {
			return "", false, nil // the prelude, or the script tags
		}
		return jsString(strings.TrimSuffix(s, ");"))
	case "jsonp":
		s, ok := strings.CutPrefix(line, "/**/cb(")
		if !ok {
			return "", false, fmt.Errorf("jsonp: %q", line)
		}
		return jsString(strings.TrimSuffix(s, ");"))
	}
	return "", false, fmt.Errorf("unknown transport %s", transport)
}

// jsString decodes a JavaScript string literal that is also JSON, as the
// htmlfile and jsonp transports write them.
func jsString(lit string) (string, bool, error) {
	var f string
	if err := json.Unmarshal([]byte(lit), &f); err != nil {
		return "", false, fmt.Errorf("bad string %q: %w", lit, err)
	}
	return f, true, nil
}

// unescapeEvent reverses the percent-escapes of eventsource data (%25,
// %0D, %0A, %00), as sockjs-client's decodeURI does.
var unescapeEvent = strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%00", "\x00").Replace

// frame handles one SockJS frame.
func (c *client) frame(f string) error {
	if f == "" {
		return nil
	}
	switch f[0] {
	case 'o':
		// A new server session. Over the HTTP transports it can follow a
		// lost node: the next request of the session landed on another
		// node, which opened a fresh session with the same id. The
		// chat's welcome follows; the client joins again then.
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
	if ev.Offset != "" {
		o, err := pubsub.ParseOffset(ev.Offset)
		c.mu.Lock()
		if err != nil || o.Compare(c.after) <= 0 {
			c.violations = append(c.violations, fmt.Sprintf("client %d: event %s at %s after %v", c.idx, ev.Type, ev.Offset, c.after))
		}
		c.after = o
		c.mu.Unlock()
	}
	switch ev.Type {
	case "welcome":
		c.mu.Lock()
		c.connID, c.node = ev.ID, ev.Node
		c.nodes = append(c.nodes, ev.Node)
		after := ""
		if !c.after.IsZero() {
			after = c.after.String()
		}
		c.mu.Unlock()
		c.send(chat.Event{Type: "join", Room: c.room, After: after}) // if the session is lost, the next one joins
	case "joined":
		c.mu.Lock()
		if ev.ID == c.connID {
			c.joined = true
		}
		c.mu.Unlock()
	case "message":
		c.record(ev.Text)
	case "error":
		// A say that the chat refused, such as one sent in a session that
		// the client has not noticed yet (a request that met a node that
		// came back, which opened a new session of the same id): never
		// delivered to anyone, and that is right.
		c.mu.Lock()
		c.refused++
		c.mu.Unlock()
	case "gap", "notice":
		c.violation("%s from the server: %s", ev.Type, ev.Text)
	}
}

// record counts the receipt of message text.
func (c *client) record(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got[text]++
	if c.got[text] > 1 {
		c.violations = append(c.violations, fmt.Sprintf("client %d: %q received %d times", c.idx, text, c.got[text]))
	}
	c.delivered++
	if strings.HasPrefix(text, "p:") {
		c.probes[text] = time.Now()
	} else if s, _, _ := strings.Cut(text, ":"); s == strconv.Itoa(c.idx) {
		c.own++
	}
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

// sendRaw sends a message in the current session: over the websocket, or
// with xhr_send, or with jsonp_send and a form body.
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
	endpoint, ctype, want := "xhr_send", "text/plain", http.StatusNoContent
	if c.transport == "jsonp" {
		endpoint, ctype, want = "jsonp_send", "application/x-www-form-urlencoded", http.StatusOK
		body = []byte("d=" + url.QueryEscape(string(body)))
	}
	req, _ := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url(sid, endpoint), bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s: status %d", endpoint, resp.StatusCode)
	}
	return nil
}

// say sends the client's next numbered message, "idx:k", to the room, and
// returns it, or an error if the node did not take it.
func (c *client) say() (string, error) {
	c.mu.Lock()
	k := c.nextK
	c.nextK++
	c.mu.Unlock()
	text := fmt.Sprintf("%d:%d", c.idx, k)
	return text, c.sayText(text)
}

// sayText sends text to the room.
func (c *client) sayText(text string) error {
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

// has reports whether the client received message text.
func (c *client) has(text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[text] > 0
}
