package client_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/internal/frame"
)

// A script is a SockJS service at <URL> whose every response is written by
// the test, for the frames and failures no real server sends. Its
// receiving requests answer with recv[0], recv[1], ... in turn and, once
// those run out (or, with hold, after each), stay open without a byte until
// the client goes away. Its
// xhr_send answers 204 and keeps the bodies. Its WebSockets run ws.
type script struct {
	URL  string
	info string   // the /info body; "" means {"websocket":true}
	recv []string // the bodies of the receiving requests, in turn
	ws   func(c *websocket.Conn)
	// hold keeps each receiving response open after its body.
	hold bool
	// sendStatus is the status of xhr_send; 0 means 204.
	sendStatus int

	mu    sync.Mutex
	paths []string // of every request, in order
	sent  []string // the xhr_send bodies
	n     int      // receiving requests answered
}

// start serves s, until the test ends.
func (s *script) start(t *testing.T) *script {
	srv := httptest.NewServer(s)
	s.URL = srv.URL + "/s"
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return s
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.URL.Path)
	s.mu.Unlock()
	switch {
	case r.URL.Path == "/s/info":
		body := s.info
		if body == "" {
			body = `{"websocket":true}`
		}
		io.WriteString(w, body)
	case strings.HasSuffix(r.URL.Path, "/websocket"):
		if s.ws == nil {
			http.NotFound(w, r)
			return
		}
		up := websocket.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		s.ws(c)
	case strings.HasSuffix(r.URL.Path, "/xhr_send"):
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.sent = append(s.sent, string(b))
		s.mu.Unlock()
		if s.sendStatus != 0 {
			http.Error(w, "refused", s.sendStatus)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.mu.Lock()
		i := s.n
		s.n++
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		if i < len(s.recv) {
			body := s.recv[i]
			jsonp := strings.HasSuffix(r.URL.Path, "/jsonp")
			if jsonp || strings.HasSuffix(r.URL.Path, "/htmlfile") {
				body = scriptBody(body, r.URL.Query().Get("c"), jsonp)
			}
			io.WriteString(w, body)
			if !s.hold || jsonp { // a JSONP response must end to be read
				return
			}
		}
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}
}

// scriptBody writes the frames of recv, one per line as on xhr, as an
// htmlfile or JSONP response for callback.
func scriptBody(recv, callback string, jsonp bool) string {
	var b []byte
	if !jsonp {
		b = frame.HTMLFilePrelude(callback)
	}
	for _, f := range strings.Split(strings.TrimSuffix(recv, "\n"), "\n") {
		if jsonp {
			b = frame.AppendJSONP(b, callback, []byte(f))
		} else {
			b = frame.AppendHTMLFile(b, []byte(f))
		}
	}
	return string(b)
}

// sends returns the bodies of the xhr_send requests so far.
func (s *script) sends() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// requests returns the paths of the requests so far.
func (s *script) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}
