package difftest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/internal/clientdecode"
)

// This file is the client side: a deliberately low-level driver that sends
// the requests of each transport and decodes the responses as sockjs-client
// does (internal/clientdecode), recording what the client sees as lines of
// text: the events of the session (open, each message, close), the status
// of each request and its body when it fails, and the websocket close
// frames. Heartbeats are left out: they depend on time.

// patience bounds how long one step waits for what the session should send.
const patience = 2 * time.Second

// quiet is how long a step waits for more after the client's decoder failed
// on a frame, whose messages it cannot count.
const quiet = 300 * time.Millisecond

var sessionCounter atomic.Int64

// run is one run of a script against one server.
type run struct {
	base     string // http://host:port
	client   *http.Client
	sessions []*sessionState
	wg       sync.WaitGroup // the goroutines reading responses and sockets
	stop     chan struct{}  // closed when the run ends
}

// sessionState is the driver's side of one session: its connections and
// what it expects the server to send, which tells a step when to stop
// reading (a wrong expectation costs time, not correctness: what arrives
// late is seen by a later step).
type sessionState struct {
	spec sessionSpec
	id   string
	rcv  *request // the receiving request, or nil
	ws   *wsConn

	opened, closed, failed, aborted bool
	expectMsgs                      int
	expectClose                     bool
	closing                         bool // a close command was sent: later messages are not answered
}

func newRun(base string, sc script) *run {
	r := &run{base: base, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}},
		stop: make(chan struct{})}
	for _, spec := range sc.Sessions {
		id := fmt.Sprintf("d%d", sessionCounter.Add(1))
		r.sessions = append(r.sessions, &sessionState{spec: spec, id: id})
	}
	return r
}

// close ends every connection of the run and waits for its goroutines.
func (r *run) close() {
	close(r.stop)
	for _, s := range r.sessions {
		if s.rcv != nil {
			s.rcv.cancel()
		}
		if s.ws != nil {
			s.ws.c.Close()
		}
	}
	r.wg.Wait()
	r.client.CloseIdleConnections()
}

// do runs one step and returns what the client saw.
func (r *run) do(st step, all []*sessionState) []string {
	s := r.sessions[st.S]
	var out []string
	switch st.Op {
	case opRecv:
		out = r.recv(s)
	case opSend:
		out = r.send(s, st.Via, encodeBatch(st.Msgs, st.Style), st.Msgs, all)
	case opSendRaw:
		out = r.send(s, st.Via, []byte(st.Raw), nil, all)
	case opSecond:
		out = r.second(s)
	case opAbort:
		out = r.abort(s)
	}
	return out
}

// url returns the URL of a session transport.
func (r *run) url(s *sessionState, transport string) string {
	u := r.base + s.spec.Service + "/000/" + s.id + "/" + transport
	if (transport == "htmlfile" || transport == "jsonp") && s.spec.Callback != "" {
		u += "?c=" + url.QueryEscape(s.spec.Callback)
	}
	return u
}

// satisfied reports whether the session has sent all that s expects.
func (s *sessionState) satisfied() bool {
	return s.failed || s.opened && s.expectMsgs <= 0 && !s.expectClose
}

// recv reads what the session should send: it opens a receiving request
// or the websocket when none is open, and reopens the requests the server
// ends, until the expected frames arrived, the session closed, or patience
// ran out; then it leaves a receiving request open, as sockjs-client does.
func (r *run) recv(s *sessionState) []string {
	if s.spec.websocket() {
		return r.recvWS(s)
	}
	var out []string
	wasClosed, gotClose, aborted := s.closed, false, s.aborted
	done := func(n int) bool {
		if aborted { // whatever comes first tells what the server made of it
			return len(out)+n > 0
		}
		return gotClose || s.satisfied() && !wasClosed // after a close frame, nothing more comes
	}
	deadline := time.Now().Add(patience)
	for requests := 0; requests < 50; requests++ {
		if s.rcv == nil {
			if requests > 0 && (done(0) || s.failed) {
				break
			}
			s.rcv = r.receive(s)
		}
		events, ended := r.read(s, s.rcv, deadline, done, &gotClose)
		out = append(out, events...)
		if !ended {
			break // satisfied, or out of patience
		}
		s.rcv = nil
	}
	if aborted {
		s.failed = true // the generator takes no more steps on it
	}
	if s.rcv == nil && !s.closed && !s.failed {
		s.rcv = r.receive(s)
	}
	return out
}

// second first receives what the session owes, then opens another
// receiving request while the session's one is open, and reads it to its
// end; a request that stays open became the session's receiver.
func (r *run) second(s *sessionState) []string {
	out := r.recv(s)
	if s.rcv == nil {
		return append(out, "(no receiving request)")
	}
	settle(s)
	q := r.receive(s)
	tmp := *s // a refused request says nothing about the session
	var gotClose bool
	events, ended := r.read(&tmp, q, time.Now().Add(patience), func(int) bool { return false }, &gotClose)
	out = append(out, "second request:")
	out = append(out, events...)
	if !ended {
		s.rcv.cancel()
		<-s.rcv.ended
		*s = tmp
		s.rcv = q
		out = append(out, "(it stayed open)")
	}
	return out
}

// abort is the client's close.
func (r *run) abort(s *sessionState) []string {
	if s.ws != nil {
		s.aborted = true
		out := []string{"client sends close 1000"}
		s.ws.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
		events, _ := r.readWS(s, time.Now().Add(patience), func() bool { return false })
		s.failed = true
		return append(out, events...)
	}
	out := r.recv(s) // what the session owes first
	s.aborted = true
	if s.rcv == nil {
		return append(out, "(no receiving request to abort)")
	}
	settle(s)
	s.rcv.cancel()
	<-s.rcv.ended
	s.rcv = nil
	// The server learns of the abort from the closed connection: give it
	// time to, before the next request, as a client that reconnects would.
	time.Sleep(50 * time.Millisecond)
	return append(out, "client aborts the receiving request")
}

// settle waits until the session's receiving request has reached the
// server: a streaming one has when its first bytes arrive; a poll sends
// nothing before it has a frame, so it gets time.
func settle(s *sessionState) {
	if s.spec.polling() {
		time.Sleep(250 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(patience)
	for s.rcv.received() == 0 && time.Now().Before(deadline) {
		select {
		case <-s.rcv.notify:
		case <-s.rcv.ended:
			return
		case <-time.After(time.Until(deadline)):
		}
	}
}

// send sends body with via and records the response.
func (r *run) send(s *sessionState, via string, body []byte, msgs []clientdecode.UTF16, all []*sessionState) []string {
	if via == "websocket" {
		if s.ws == nil || s.ws.closed {
			return []string{"(no websocket)"}
		}
		raw := s.spec.Transport == "rawwebsocket"
		frames := [][]byte{body}
		if raw && msgs != nil {
			frames = frames[:0]
			for _, m := range msgs {
				frames = append(frames, []byte(string(utf16.Decode(m)))) // lone surrogates become U+FFFD
			}
		}
		// A body that the server must refuse closes the socket: wait for
		// that, so that the next step finds it closed on either server.
		broken := false
		if msgs == nil {
			msgs = rawMessages(body, raw)
			broken = !utf8.Valid(body) || !raw && len(body) > 0 && msgs == nil
		}
		for i, f := range frames {
			if s.ws.c.WriteMessage(websocket.TextMessage, f) != nil {
				// The server closed, maybe on an earlier message: recv
				// sees how.
				if raw {
					msgs = msgs[:i]
				} else {
					msgs = nil
				}
				break
			}
		}
		if broken {
			events, _ := r.readWS(s, time.Now().Add(patience), func() bool { return false })
			return events
		}
		expectReplies(s, msgs, all)
		if s.spec.Service == "/broadcast" && len(msgs) > 0 {
			// Messages on different connections have no order until
			// the server has them: wait for the sender's own copies.
			events, _ := r.readWS(s, time.Now().Add(patience), s.satisfied)
			return events
		}
		return nil
	}
	transport, ctype := via, "text/plain"
	if via == "jsonp_send_form" {
		transport, ctype = "jsonp_send", "application/x-www-form-urlencoded"
		if msgs != nil {
			body = []byte("d=" + url.QueryEscape(string(body)))
		}
	}
	req, err := http.NewRequest(http.MethodPost, r.url(s, transport), bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := r.client.Do(req)
	if err != nil {
		return []string{"request failed: " + err.Error()}
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := []string{status(resp.StatusCode, b)}
	if resp.StatusCode/100 == 2 {
		if msgs == nil {
			if via == "jsonp_send_form" {
				form, _ := url.ParseQuery(string(body))
				body = []byte(form.Get("d"))
			}
			msgs = rawMessages(body, false)
		}
		expectReplies(s, msgs, all)
	}
	return out
}

// status renders a response status, with the body of a refusal.
func status(code int, body []byte) string {
	if code/100 == 2 || code == http.StatusNotFound {
		return fmt.Sprintf("status %d", code)
	}
	return fmt.Sprintf("status %d %q", code, strings.TrimSpace(string(body)))
}

// rawMessages returns the messages that a raw body holds for a server that
// took it: the strings of a JSON array or a bare JSON string (a number
// counts as a message, as the reference server echoes it), or the text of a
// raw websocket frame.
func rawMessages(body []byte, raw bool) []clientdecode.UTF16 {
	if raw {
		return []clientdecode.UTF16{clientdecode.DecodeUTF8(body)}
	}
	v, err := clientdecode.ParseJSON(clientdecode.DecodeUTF8(body))
	if err != nil {
		return nil
	}
	switch v := v.(type) {
	case clientdecode.UTF16:
		return []clientdecode.UTF16{v}
	case []any:
		msgs := make([]clientdecode.UTF16, len(v))
		for i := range v {
			msgs[i], _ = v[i].(clientdecode.UTF16)
		}
		return msgs
	}
	return nil
}

// expectReplies updates what the sessions expect after s sent msgs, by the
// services of server.js.
func expectReplies(s *sessionState, msgs []clientdecode.UTF16, all []*sessionState) {
	for _, m := range msgs {
		if s.closing || s.closed {
			return
		}
		switch s.spec.Service {
		case "/close":
		case "/broadcast":
			for _, t := range all {
				if t.spec.Service == "/broadcast" && t.opened && !t.closed && !t.aborted {
					t.expectMsgs++
				}
			}
		case "/cmd":
			w := strings.Split(string(utf16.Decode(m)), " ")
			n, ok := 0, false
			if len(w) >= 2 {
				n, ok = number(w[1])
			}
			switch {
			case w[0] == "close" && ok:
				s.closing, s.expectClose = true, true
			case w[0] == "send" && ok && len(w) == 2:
				s.expectMsgs += min(n, 1000)
			default:
				s.expectMsgs++
			}
		default:
			s.expectMsgs++
		}
	}
}

// request is an HTTP request whose response body a goroutine reads.
type request struct {
	method, url string
	ctx         context.Context
	cancel      context.CancelFunc
	ended       chan struct{} // closed when the response ended
	notify      chan struct{} // signalled when more arrived

	mu     sync.Mutex
	status int
	resp   []byte
	err    error

	frames int // frames already turned into events
}

// receive starts a receiving request of the session's transport.
func (r *run) receive(s *sessionState) *request {
	method := http.MethodGet
	if s.spec.Transport == "xhr" || s.spec.Transport == "xhr_streaming" {
		method = http.MethodPost
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &request{method: method, url: r.url(s, s.spec.Transport), ctx: ctx, cancel: cancel,
		ended: make(chan struct{}), notify: make(chan struct{}, 1)}
	q.run(r)
	return q
}

// run sends the request and reads its response on a goroutine of r's.
func (q *request) run(r *run) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(q.ended)
		defer q.signal()
		req, err := http.NewRequestWithContext(q.ctx, q.method, q.url, nil)
		if err != nil {
			panic(err)
		}
		resp, err := r.client.Do(req)
		if err != nil {
			q.mu.Lock()
			q.err = err
			q.mu.Unlock()
			return
		}
		defer resp.Body.Close()
		q.mu.Lock()
		q.status = resp.StatusCode
		q.mu.Unlock()
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			q.mu.Lock()
			q.resp = append(q.resp, buf[:n]...)
			q.mu.Unlock()
			q.signal()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					q.mu.Lock()
					q.err = err
					q.mu.Unlock()
				}
				return
			}
		}
	}()
}

// received returns the number of body bytes received.
func (q *request) received() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.resp)
}

func (q *request) signal() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// read turns what q received into events until done reports true, q ends,
// or the deadline passes; it reports whether q ended.
func (r *run) read(s *sessionState, q *request, deadline time.Time, done func(events int) bool, gotClose *bool) ([]string, bool) {
	var out []string
	decodeFailed, lingering := false, false
	for {
		ended := false
		select {
		case <-q.ended:
			ended = true
		default:
		}
		q.mu.Lock()
		code, body, err := q.status, append([]byte(nil), q.resp...), q.err
		q.mu.Unlock()
		refused := code != 0 && code != http.StatusOK
		if refused {
			if ended {
				s.failed = true
				return append(out, status(code, body)), true
			}
		} else {
			frames, derr := decodeResponse(s.spec, body, ended)
			for _, f := range frames[min(q.frames, len(frames)):] {
				out = append(out, frameEvents(s, f, gotClose)...)
			}
			q.frames = max(q.frames, len(frames))
			if derr != nil && !decodeFailed {
				decodeFailed = true
				out = append(out, "client error: "+errorClass(derr))
				deadline = time.Now().Add(quiet)
			}
		}
		if ended {
			if err != nil && !errors.Is(err, context.Canceled) {
				out = append(out, "response failed")
			}
			return out, true
		}
		// A refused request, or any of a session that failed, is read to
		// its end. After a close frame, or past the response limit, the
		// server ends the response: wait for that (a moment, past the
		// limit, which a server may count without the prelude), so that
		// the next step finds the same receiving request on both servers.
		if !refused && !s.failed && !*gotClose && done(len(out)) {
			if len(body) < s.spec.responseLimit() {
				return out, false
			}
			if !lingering {
				lingering = true
				if t := time.Now().Add(quiet); t.Before(deadline) {
					deadline = t
				}
			}
		}
		if !time.Now().Before(deadline) {
			return out, false
		}
		select {
		case <-q.notify:
		case <-time.After(time.Until(deadline)):
		}
	}
}

// decodeResponse returns the frames of a response so far, as the client's
// receiver for the transport finds them.
func decodeResponse(spec sessionSpec, body []byte, ended bool) ([]clientdecode.UTF16, error) {
	switch spec.Transport {
	case "eventsource":
		return clientdecode.EventSourceFrames(body)
	case "htmlfile":
		return clientdecode.HTMLFileFrames(body, spec.Callback)
	case "jsonp":
		if !ended || len(body) == 0 {
			return nil, nil
		}
		f, err := clientdecode.JSONPFrame(body, spec.Callback)
		if err != nil || len(f) == 0 { // sockjs-client ignores an empty string
			return nil, err
		}
		return []clientdecode.UTF16{f}, nil
	}
	return clientdecode.XHRFrames(body), nil
}

// errorClass names a decoding error without the bytes that caused it,
// which differ between servers.
func errorClass(err error) string {
	var se *clientdecode.SyntaxError
	switch {
	case errors.Is(err, clientdecode.ErrURI):
		return "decodeURI throws URIError"
	case errors.As(err, &se):
		return "a script does not parse"
	}
	return "the response is not what the client expects"
}

// frameEvents turns one frame into events and updates what s expects.
func frameEvents(s *sessionState, msg clientdecode.UTF16, gotClose *bool) []string {
	f, err := clientdecode.ParseFrame(msg)
	if err != nil {
		return []string{"client drops a frame"}
	}
	switch f.Type {
	case 'o':
		s.opened = true
		if s.spec.Service == "/close" {
			s.expectClose = true
		}
		return []string{"open"}
	case 'h':
		return nil
	case 'c':
		s.closed, s.expectClose, *gotClose = true, false, true
		return []string{fmt.Sprintf("close %d %s", f.Code, f.Reason)}
	}
	out := make([]string, len(f.Messages))
	for i, m := range f.Messages {
		out[i] = "message " + m.String()
	}
	s.expectMsgs -= len(f.Messages)
	return out
}

// wsConn is a websocket whose messages a goroutine reads.
type wsConn struct {
	c      *websocket.Conn
	msgs   chan wsMessage
	closed bool
}

type wsMessage struct {
	data []byte
	err  error
}

// recvWS is recv for the websocket transports.
func (r *run) recvWS(s *sessionState) []string {
	var out []string
	if s.ws == nil && !s.closed && !s.failed {
		path := s.spec.Service + "/000/" + s.id + "/websocket"
		if s.spec.Transport == "rawwebsocket" {
			path = s.spec.Service + "/websocket"
		}
		c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(r.base, "http")+path, nil)
		if err != nil {
			s.failed = true
			if resp != nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return []string{"handshake " + status(resp.StatusCode, b)}
			}
			return []string{"handshake failed"}
		}
		s.ws = &wsConn{c: c, msgs: make(chan wsMessage, 64)}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer close(s.ws.msgs)
			for {
				_, p, err := c.ReadMessage()
				select {
				case s.ws.msgs <- wsMessage{p, err}:
				case <-r.stop:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		if s.spec.Transport == "rawwebsocket" {
			s.opened = true
			out = append(out, "connected")
		}
	}
	if s.ws == nil {
		return append(out, "(no websocket)")
	}
	events, _ := r.readWS(s, time.Now().Add(patience), s.satisfied)
	return append(out, events...)
}

// readWS turns websocket messages into events until done reports true, the
// socket closes or the deadline passes; it reports whether it closed.
func (r *run) readWS(s *sessionState, deadline time.Time, done func() bool) ([]string, bool) {
	var out []string
	raw := s.spec.Transport == "rawwebsocket"
	for !s.ws.closed {
		// A SockJS close frame is followed by the websocket's close.
		if done() && !(s.closed && !raw) {
			return out, false
		}
		var m wsMessage
		select {
		case m = <-s.ws.msgs:
		case <-time.After(time.Until(deadline)):
			return out, false
		}
		if m.err != nil {
			s.ws.closed = true
			var ce *websocket.CloseError
			// gorilla reports a connection that ends without a close
			// frame as 1006, which no close frame carries.
			if errors.As(m.err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
				out = append(out, fmt.Sprintf("websocket close %d %q", ce.Code, ce.Text))
			} else {
				out = append(out, "websocket ends without a close frame")
			}
			if raw {
				s.closed, s.expectClose = true, false
			}
			break
		}
		if !utf8.Valid(m.data) {
			out = append(out, "invalid UTF-8 in a text frame")
		}
		text := clientdecode.DecodeUTF8(m.data)
		if raw {
			out = append(out, "message "+text.String())
			s.expectMsgs--
			continue
		}
		var gotClose bool
		out = append(out, frameEvents(s, text, &gotClose)...)
	}
	s.failed = true
	return out, true
}

// encodeBatch writes msgs as the JSON array a client sends, in one of three
// styles of escaping, which the server must all read alike: 0 escapes what
// sockjs-client does (controls, surrogates, U+2028, U+2029, U+FFF0 to
// U+FFFF) and writes the rest raw; 1 escapes every non-ASCII code unit and
// '/'; 2 writes every character raw that UTF-8 can carry, with upper-case
// escapes for the rest. (On the raw websocket, each message is the text of
// one frame instead.)
func encodeBatch(msgs []clientdecode.UTF16, style int) []byte {
	var b []byte
	b = append(b, '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m, style)
	}
	return append(b, ']')
}

func appendJSONString(b []byte, m clientdecode.UTF16, style int) []byte {
	hex := "0123456789abcdef"
	if style == 2 {
		hex = "0123456789ABCDEF"
	}
	esc := func(c uint16) {
		b = append(b, '\\', 'u', hex[c>>12], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
	}
	b = append(b, '"')
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', byte(c))
		case c == '\n' && style != 2:
			b = append(b, '\\', 'n')
		case c < 0x20:
			esc(c)
		case c == '/' && style == 1:
			b = append(b, '\\', '/')
		case c < 0x80:
			b = append(b, byte(c))
		case style == 1:
			esc(c)
		case utf16.IsSurrogate(rune(c)):
			if i+1 < len(m) && style == 2 {
				if r := utf16.DecodeRune(rune(c), rune(m[i+1])); r != utf8.RuneError {
					b = utf8.AppendRune(b, r)
					i++
					continue
				}
			}
			esc(c)
		case style == 0 && (c == 0x2028 || c == 0x2029 || c >= 0xfff0):
			esc(c)
		default:
			b = utf8.AppendRune(b, rune(c))
		}
	}
	return append(b, '"')
}
