package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// session is one client session of any transport. Send may be called from
// one goroutine at a time; inbound messages go to the onMsg callback given
// when the session was opened, from one goroutine per session.
type session interface {
	Send(msg string) error
	Close()
}

type onMsgFunc func(msg string)

var sessionSeq atomic.Int64

func newSessionID() string {
	return fmt.Sprintf("b%d%d", time.Now().UnixNano()%1000000, sessionSeq.Add(1))
}

var dialer = &websocket.Dialer{
	ReadBufferSize:   4096,
	WriteBufferSize:  4096,
	WriteBufferPool:  &sync.Pool{},
	HandshakeTimeout: 15 * time.Second,
	NetDialContext:   (&net.Dialer{Timeout: 15 * time.Second}).DialContext,
}

// httpClient carries every xhr request. Streaming sessions each hold a
// connection, so the idle pool must be as large as the session count.
var httpClient = &http.Client{Transport: &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: -1}).DialContext,
	MaxIdleConns:        0,
	MaxIdleConnsPerHost: 20000,
	IdleConnTimeout:     120 * time.Second,
	DisableCompression:  true,
	ForceAttemptHTTP2:   false,
}}

func wsURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http")
}

// ---------------------------------------------------------------- frames

var errClosedByServer = errors.New("server sent close frame")

// handleFrame interprets one SockJS frame. It returns errClosedByServer for
// a 'c' frame (with the frame in the error text) and an error for garbage.
func handleFrame(b []byte, onMsg onMsgFunc) error {
	if len(b) == 0 {
		return errors.New("empty frame")
	}
	switch b[0] {
	case 'o', 'h':
		return nil
	case 'a':
		return decodeArray(b[1:], onMsg)
	case 'm':
		var s string
		if err := json.Unmarshal(b[1:], &s); err != nil {
			return fmt.Errorf("bad m frame %q: %v", trunc(b), err)
		}
		onMsg(s)
		return nil
	case 'c':
		return fmt.Errorf("%w: %s", errClosedByServer, trunc(b))
	}
	return fmt.Errorf("unknown frame %q", trunc(b))
}

// decodeArray decodes a JSON array of strings. Benchmark payloads are plain
// ASCII without escapes, so the common case is split by hand; anything with
// a backslash goes through encoding/json.
func decodeArray(b []byte, onMsg onMsgFunc) error {
	b = bytes.TrimRight(b, "\n")
	if bytes.IndexByte(b, '\\') < 0 && len(b) >= 2 && b[0] == '[' && b[len(b)-1] == ']' {
		in := b[1 : len(b)-1]
		if len(in) == 0 {
			return nil
		}
		if len(in) >= 2 && in[0] == '"' && in[len(in)-1] == '"' {
			in = in[1 : len(in)-1]
			for {
				i := bytes.Index(in, []byte(`","`))
				if i < 0 {
					onMsg(string(in))
					return nil
				}
				onMsg(string(in[:i]))
				in = in[i+3:]
			}
		}
	}
	var msgs []string
	if err := json.Unmarshal(b, &msgs); err != nil {
		return fmt.Errorf("bad a frame %q: %v", trunc(b), err)
	}
	for _, m := range msgs {
		onMsg(m)
	}
	return nil
}

func trunc(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}

// encodeMsg makes the body of a client frame for one message. Payloads are
// plain ASCII, so no escaping is needed; others go through encoding/json.
func encodeMsg(msg string) []byte {
	if strings.ContainsAny(msg, "\"\\") {
		b, _ := json.Marshal([]string{msg})
		return b
	}
	b := make([]byte, 0, len(msg)+4)
	b = append(b, '[', '"')
	b = append(b, msg...)
	return append(b, '"', ']')
}

// ---------------------------------------------------------------- websocket

type wsSession struct {
	c      *websocket.Conn
	sockjs bool
	once   sync.Once
}

// openWS opens a websocket session. With sockjs false it is the raw
// gorilla baseline: URL base+path, no framing.
func openWS(base, path string, sockjs bool, onMsg onMsgFunc, onErr func(error)) (session, error) {
	u := wsURL(base) + path
	if sockjs {
		u += "/000/" + newSessionID() + "/websocket"
	}
	c, resp, err := dialer.Dial(u, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %v (HTTP %d)", u, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %v", u, err)
	}
	s := &wsSession{c: c, sockjs: sockjs}
	if sockjs {
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("reading open frame: %v", err)
		}
		if string(b) != "o" {
			c.Close()
			return nil, fmt.Errorf("expected open frame, got %q", trunc(b))
		}
		c.SetReadDeadline(time.Time{})
	}
	go func() {
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				onErr(err)
				return
			}
			if !sockjs {
				onMsg(string(b))
				continue
			}
			if err := handleFrame(b, onMsg); err != nil {
				onErr(err)
				return
			}
		}
	}()
	return s, nil
}

func (s *wsSession) Send(msg string) error {
	if s.sockjs {
		return s.c.WriteMessage(websocket.TextMessage, encodeMsg(msg))
	}
	return s.c.WriteMessage(websocket.TextMessage, []byte(msg))
}

func (s *wsSession) Close() { s.once.Do(func() { s.c.Close() }) }

// ---------------------------------------------------------------- xhr

type xhrSession struct {
	base   string // http://host/prefix/000/id
	ctx    context.Context
	cancel context.CancelFunc
}

func xhrPost(ctx context.Context, url string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain")
	}
	return httpClient.Do(req)
}

// Send posts one message to xhr_send and expects 204 (200 is tolerated).
func (s *xhrSession) Send(msg string) error {
	resp, err := xhrPost(s.ctx, s.base+"/xhr_send", encodeMsg(msg))
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 204 && resp.StatusCode != 200 {
		return fmt.Errorf("xhr_send: HTTP %d %q", resp.StatusCode, trunc(b))
	}
	return nil
}

func (s *xhrSession) Close() { s.cancel() }

// streamRequests counts xhr_streaming requests, reconnections included.
var streamRequests atomic.Int64

// openXHRStreaming opens an xhr-streaming session and keeps it open:
// whenever the server ends a response (response limit), it posts again.
func openXHRStreaming(base, path string, onMsg onMsgFunc, onErr func(error)) (session, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &xhrSession{base: base + path + "/000/" + newSessionID(), ctx: ctx, cancel: cancel}
	opened := make(chan error, 1)
	go func() {
		first := true
		for ctx.Err() == nil {
			err := s.stream(first, opened, onMsg)
			if ctx.Err() != nil {
				return
			}
			if first {
				if err != nil {
					opened <- err
					return
				}
				first = false
			}
			if err != nil {
				onErr(err)
				return
			}
		}
	}()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			return nil, err
		}
		return s, nil
	case <-time.After(20 * time.Second):
		cancel()
		return nil, errors.New("xhr_streaming: no open frame in 20s")
	}
}

// stream runs one xhr_streaming request until the server ends it. On the
// first request it reports the open frame (or failure) on opened.
func (s *xhrSession) stream(first bool, opened chan<- error, onMsg onMsgFunc) error {
	streamRequests.Add(1)
	resp, err := xhrPost(s.ctx, s.base+"/xhr_streaming", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("xhr_streaming: HTTP %d %q", resp.StatusCode, trunc(b))
	}
	br := bufio.NewReaderSize(resp.Body, 8192)
	var long []byte
	sawOpen := !first
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if err != nil {
			if err == io.EOF && sawOpen {
				return nil // response limit reached; caller reconnects
			}
			if err == io.EOF {
				return errors.New("xhr_streaming: response ended before open frame")
			}
			return err
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		line = line[:len(line)-1]
		if len(line) == 0 {
			continue
		}
		if line[0] == 'h' && len(bytes.Trim(line, "h")) == 0 {
			continue // prelude (2048 h) or heartbeat
		}
		if line[0] == 'o' && !sawOpen {
			sawOpen = true
			opened <- nil
			continue
		}
		if !sawOpen {
			return fmt.Errorf("xhr_streaming: expected open frame, got %q", trunc(line))
		}
		if err := handleFrame(line, onMsg); err != nil {
			return err
		}
	}
}

// xhrPoller is an xhr-polling session: Send posts to xhr_send, Poll posts
// to xhr and hands the frame's messages to onMsg.
type xhrPoller struct {
	xhrSession
}

func openXHRPolling(base, path string) (*xhrPoller, error) {
	ctx, cancel := context.WithCancel(context.Background())
	p := &xhrPoller{xhrSession{base: base + path + "/000/" + newSessionID(), ctx: ctx, cancel: cancel}}
	var got []string
	if err := p.Poll(func(m string) { got = append(got, m) }, true); err != nil {
		cancel()
		return nil, err
	}
	return p, nil
}

// Poll does one xhr request. With open, it requires the open frame.
func (p *xhrPoller) Poll(onMsg onMsgFunc, open bool) error {
	resp, err := xhrPost(p.ctx, p.base+"/xhr", nil)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("xhr: HTTP %d %q", resp.StatusCode, trunc(b))
	}
	b = bytes.TrimRight(b, "\n")
	if open {
		if string(b) != "o" {
			return fmt.Errorf("xhr: expected open frame, got %q", trunc(b))
		}
		return nil
	}
	return handleFrame(b, onMsg)
}
