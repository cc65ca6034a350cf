package client_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// A recorder is a reverse proxy in front of a server that records every
// request it passes on, so that tests can check what the client sent, on
// servers they cannot look into.
type recorder struct {
	URL     string // the proxy's base URL, standing for the server's
	backend *url.URL
	rp      *httputil.ReverseProxy
	tunnels sync.WaitGroup

	mu   sync.Mutex
	reqs []*record
}

// A record is one request that went through a recorder.
type record struct {
	Method string
	Path   string
	Query  string
	Header http.Header

	mu        sync.Mutex
	setCookie []string // of the response
	forwarded bool     // the request went on to the server
	ended     bool
	aborted   bool   // the client went away before the response ended
	sent      []byte // websocket: what the client sent after the handshake
}

type recordKey struct{}

// newRecorder starts a recorder in front of base, closed when the test
// ends.
func newRecorder(t *testing.T, base string) *recorder {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	p := &recorder{backend: u}
	tr := &http.Transport{}
	p.rp = &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport:     tr,
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0), // clients that go away are the tests' business
		ModifyResponse: func(resp *http.Response) error {
			rec := resp.Request.Context().Value(recordKey{}).(*record)
			rec.mu.Lock()
			rec.setCookie = resp.Header.Values("Set-Cookie")
			rec.mu.Unlock()
			return nil
		},
	}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		p.tunnels.Wait()
		tr.CloseIdleConnections()
	})
	return p
}

func (p *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &record{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
	p.mu.Lock()
	p.reqs = append(p.reqs, rec)
	p.mu.Unlock()
	// Deferred: ReverseProxy panics with http.ErrAbortHandler when the
	// client goes away in the middle of a response.
	defer func() {
		rec.mu.Lock()
		rec.ended, rec.aborted = true, r.Context().Err() != nil
		rec.mu.Unlock()
	}()
	if websocket.IsWebSocketUpgrade(r) {
		p.tunnel(w, r, rec)
		return
	}
	ctx := context.WithValue(r.Context(), recordKey{}, rec)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		rec.mu.Lock()
		rec.forwarded = true
		rec.mu.Unlock()
	}})
	p.rp.ServeHTTP(w, r.WithContext(ctx))
}

// tunnel passes a WebSocket handshake and the bytes that follow between the
// client and the server, keeping a copy of what the client sends.
func (p *recorder) tunnel(w http.ResponseWriter, r *http.Request, rec *record) {
	back, err := net.Dial("tcp", p.backend.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer back.Close()
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if r.Write(back) != nil {
		return
	}
	p.tunnels.Add(1)
	defer p.tunnels.Done()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(conn, back)
		conn.Close()
	}()
	io.Copy(io.MultiWriter(back, recordWriter{rec}), brw)
	back.Close()
	<-done
}

// recordWriter appends what the client sends on a WebSocket to its record.
type recordWriter struct{ rec *record }

func (w recordWriter) Write(b []byte) (int, error) {
	w.rec.mu.Lock()
	w.rec.sent = append(w.rec.sent, b...)
	w.rec.mu.Unlock()
	return len(b), nil
}

// records returns the requests so far.
func (p *recorder) records() []*record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*record(nil), p.reqs...)
}

// inFlight returns the requests whose responses have not ended.
func (p *recorder) inFlight() []*record {
	var open []*record
	for _, r := range p.records() {
		if !r.done() {
			open = append(open, r)
		}
	}
	return open
}

func (r *record) String() string { return r.Method + " " + r.Path }

func (r *record) done() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

func (r *record) wasForwarded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.forwarded
}

func (r *record) wasAborted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aborted
}

func (r *record) cookies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.setCookie
}

// closeFrame returns the code and reason of the first WebSocket close frame
// the client sent.
func (r *record) closeFrame() (int, string, bool) {
	r.mu.Lock()
	b := r.sent
	r.mu.Unlock()
	for len(b) >= 2 {
		op, n, i := b[0]&0x0f, int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return 0, "", false
			}
			n, i = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return 0, "", false
			}
			n, i = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		var key []byte
		if b[1]&0x80 != 0 {
			if len(b) < i+4 {
				return 0, "", false
			}
			key, i = b[i:i+4], i+4
		}
		if n < 0 || len(b) < i+n {
			return 0, "", false
		}
		payload := bytes.Clone(b[i : i+n])
		for k := range payload {
			if key != nil {
				payload[k] ^= key[k%4]
			}
		}
		if op == websocket.CloseMessage && len(payload) >= 2 {
			return int(binary.BigEndian.Uint16(payload)), string(payload[2:]), true
		}
		b = b[i+n:]
	}
	return 0, "", false
}
