package sockjs_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// TestLoadSessionsReturnToBaseline opens and closes many sessions over every
// transport, then checks that the handler forgot them all and that
// goroutines and heap return to where they were. It runs 70 sessions by
// default; SOCKJS_LOAD=N runs N sessions (make load runs 35,000).
func TestLoadSessionsReturnToBaseline(t *testing.T) {
	total := 70
	if v := os.Getenv("SOCKJS_LOAD"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		total = n
	}
	h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, s int) int {
		if ev.Type == sockjs.EventRecv {
			if ev.Data == "bye" {
				c.Close(3000, "bye")
			} else {
				c.Send(ev.Data)
			}
		}
		return s
	}, 0, sockjs.Options{DisconnectDelay: time.Second})
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxIdleConns: 128}}
	defer client.CloseIdleConnections()
	lc := &loadClient{t: t, base: srv.URL + "/echo", http: client}

	baseGoroutines, baseHeap := settle()

	transports := []struct {
		name string
		run  func(sid string) error
	}{
		{"websocket", lc.websocket},
		{"rawwebsocket", lc.rawWebsocket},
		{"xhr", lc.xhr},
		{"xhr_streaming", lc.streaming("xhr_streaming", http.MethodPost, "")},
		{"eventsource", lc.streaming("eventsource", http.MethodGet, "")},
		{"htmlfile", lc.streaming("htmlfile", http.MethodGet, "?c=cb")},
		{"jsonp", lc.jsonp},
	}
	per := max(total/len(transports), 1)
	start := time.Now()
	for _, tr := range transports {
		var failed atomic.Int64
		var firstErr atomic.Value
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					if err := tr.run(fmt.Sprintf("%s-%d", tr.name, i)); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
				}
			}()
		}
		for i := range per {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		require.Zero(t, failed.Load(), "%s: %d of %d sessions failed, first: %v", tr.name, failed.Load(), per, firstErr.Load())
	}
	t.Logf("%d sessions over %d transports in %v", per*len(transports), len(transports), time.Since(start))

	require.Eventually(t, func() bool { return h.Stats().Sessions == 0 }, 10*time.Second, 10*time.Millisecond,
		"sessions left: %d", h.Stats().Sessions)
	st := h.Stats()
	assert.Equal(t, uint64(per*len(transports)), st.SessionsOpened)
	assert.Equal(t, st.SessionsOpened, st.SessionsClosed)

	client.CloseIdleConnections()
	srv.CloseClientConnections()
	var goroutines int
	var heap uint64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if goroutines, heap = settle(); goroutines <= baseGoroutines && heap < baseHeap+8<<20 {
			break
		}
	}
	assert.LessOrEqual(t, goroutines, baseGoroutines, "goroutines left over:\n%s", goroutineDump())
	assert.Less(t, heap, baseHeap+8<<20, "heap did not return to its baseline")
	t.Logf("goroutines %d -> %d, heap %d KiB -> %d KiB", baseGoroutines, goroutines, baseHeap>>10, heap>>10)
}

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// settle collects garbage and returns the goroutine count and live heap.
func settle() (int, uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m.HeapAlloc
}

// loadClient speaks just enough SockJS for the load test: each method opens
// a session, round-trips one message, has the server close the session and
// checks the close frame.
type loadClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func (lc *loadClient) url(sid, transport string) string {
	return lc.base + "/000/" + sid + "/" + transport
}

func (lc *loadClient) post(url, contentType, body string) (string, error) {
	resp, err := lc.http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("%s: status %d: %s", url, resp.StatusCode, b)
	}
	return string(b), err
}

func expect(got, want string) error {
	if got != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

func (lc *loadClient) websocket(sid string) error {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(lc.url(sid, "websocket"), "http"), nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, step := range []struct{ send, want string }{{"", "o"}, {`["x"]`, `a["x"]`}, {`["bye"]`, `c[3000,"bye"]`}} {
		if step.send != "" {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(step.send)); err != nil {
				return err
			}
		}
		_, p, err := ws.ReadMessage()
		if err != nil {
			return err
		}
		if err := expect(string(p), step.want); err != nil {
			return err
		}
	}
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, 3000) {
		return fmt.Errorf("want close 3000, got %v", err)
	}
	return nil
}

func (lc *loadClient) rawWebsocket(string) error {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(lc.base, "http")+"/websocket", nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, []byte("x")); err != nil {
		return err
	}
	if _, p, err := ws.ReadMessage(); err != nil || string(p) != "x" {
		return fmt.Errorf("echo: %q, %v", p, err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("bye"))
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, 3000) {
		return fmt.Errorf("want close 3000, got %v", err)
	}
	return nil
}

func (lc *loadClient) xhr(sid string) error {
	for _, step := range []struct{ send, want string }{{"", "o\n"}, {`["x","bye"]`, "a[\"x\"]\n"}, {"", "c[3000,\"bye\"]\n"}} {
		if step.send != "" {
			if _, err := lc.post(lc.url(sid, "xhr_send"), "text/plain", step.send); err != nil {
				return err
			}
		}
		got, err := lc.post(lc.url(sid, "xhr"), "text/plain", "")
		if err != nil {
			return err
		}
		if err := expect(got, step.want); err != nil {
			return err
		}
	}
	return nil
}

func (lc *loadClient) jsonp(sid string) error {
	poll := func() (string, error) {
		resp, err := lc.http.Get(lc.url(sid, "jsonp") + "?c=cb")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	for _, step := range []struct{ send, want string }{{"", `/**/cb("o");` + "\r\n"},
		{"d=" + `%5B%22x%22%2C%22bye%22%5D`, `/**/cb("a[\"x\"]");` + "\r\n"},
		{"", `/**/cb("c[3000,\"bye\"]");` + "\r\n"}} {
		if step.send != "" {
			if _, err := lc.post(lc.url(sid, "jsonp_send"), "application/x-www-form-urlencoded", step.send); err != nil {
				return err
			}
		}
		got, err := poll()
		if err != nil {
			return err
		}
		if err := expect(got, step.want); err != nil {
			return err
		}
	}
	return nil
}

// streaming runs a session over a streaming transport: it reads until the
// close frame, which ends the response.
func (lc *loadClient) streaming(transport, method, query string) func(string) error {
	return func(sid string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, method, lc.url(sid, transport)+query, nil)
		resp, err := lc.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var seen strings.Builder
		sent := false
		for {
			line, err := r.ReadString('\n')
			seen.WriteString(line)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if !sent && isOpen(line) {
				sent = true
				if _, err := lc.post(lc.url(sid, "xhr_send"), "text/plain", `["x","bye"]`); err != nil {
					return err
				}
			}
		}
		body := seen.String()
		if !strings.Contains(body, `a[\"x\"]`) && !strings.Contains(body, `a["x"]`) {
			return fmt.Errorf("%s: no message in %q", transport, tail(body))
		}
		if !strings.Contains(body, `c[3000,\"bye\"]`) && !strings.Contains(body, `c[3000,"bye"]`) {
			return fmt.Errorf("%s: no close frame in %q", transport, tail(body))
		}
		return nil
	}
}

// isOpen reports whether line carries the open frame in any streaming format.
func isOpen(line string) bool {
	switch strings.TrimRight(line, "\r\n") {
	case "o", "data: o", `p("o");`:
		return true
	}
	return false
}

func tail(s string) string {
	if len(s) > 200 {
		return s[len(s)-200:]
	}
	return s
}
