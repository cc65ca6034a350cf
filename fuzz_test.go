package sockjs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fuzzHandler returns an echo handler whose sessions expire fast, so that a
// long fuzz run does not pile them up.
func fuzzHandler(f *testing.F) *Handler {
	h := NewHandler("/echo", func(c *Conn, ev Event, s int) int {
		if ev.Type == EventRecv {
			c.Send(ev.Data)
		}
		return s
	}, 0, Options{DisconnectDelay: 5 * time.Millisecond, HeartbeatDelay: time.Second, MaxMessageSize: 4096})
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	return h
}

// fuzzServe runs one request through h with an already-cancelled context, so
// that receiving requests end at once.
func fuzzServe(h *Handler, method, path, query, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
	req.Method = method
	req.URL.Path = path
	req.URL.RawQuery = query
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	ctx, cancel := context.WithCancel(req.Context())
	cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(ctx))
	return w
}

// FuzzRoute feeds arbitrary methods, paths and bodies to the router: it must
// never panic, and must answer with one of the protocol's statuses.
func FuzzRoute(f *testing.F) {
	for _, seed := range []struct{ method, path, body string }{
		{"GET", "/echo", ""},
		{"GET", "/echo/info", ""},
		{"OPTIONS", "/echo/info", ""},
		{"GET", "/echo/iframe-1.2.3.html", ""},
		{"POST", "/echo/000/abc/xhr", ""},
		{"POST", "/echo/000/abc/xhr_send", `["a"]`},
		{"GET", "/echo/000/abc/websocket", ""},
		{"GET", "/echo/a./b/xhr", ""},
		{"POST", "/echo//x/xhr", ""},
		{"GET", "/echo/websocket", ""},
		{"DELETE", "/echo/1/2/eventsource", ""},
	} {
		f.Add(seed.method, seed.path, seed.body)
	}
	h := fuzzHandler(f)
	allowed := map[int]bool{200: true, 204: true, 304: true, 400: true, 403: true, 404: true,
		405: true, 413: true, 500: true, 503: true}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		w := fuzzServe(h, method, path, "c=cb", "", body)
		if !allowed[w.Code] {
			t.Fatalf("%s %q: status %d", method, path, w.Code)
		}
		if !strings.HasPrefix(path, "/echo") && w.Code != http.StatusNotFound {
			t.Fatalf("%s %q outside the prefix: status %d", method, path, w.Code)
		}
	})
}

var callbackRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// FuzzCallback checks that JSONP answers carry only callback names made of
// safe characters, and refuse all others.
func FuzzCallback(f *testing.F) {
	for _, seed := range []string{"callback", "a.b_c-d", "%20", "*", "abc(", "abc%28", "x;alert(1)//", "</script>"} {
		f.Add(seed)
	}
	h := fuzzHandler(f)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, cb string) {
		sid := strconv.FormatInt(n.Add(1), 10)
		w := fuzzServe(h, http.MethodGet, "/echo/0/"+sid+"/jsonp", "c="+cb, "", "")
		q, _ := url.ParseQuery("c=" + cb)
		name := q.Get("c")
		switch {
		case w.Code == http.StatusOK:
			if !callbackRE.MatchString(name) {
				t.Fatalf("callback %q accepted", name)
			}
			if !strings.HasPrefix(w.Body.String(), "/**/"+name+"(") {
				t.Fatalf("body %q", w.Body.String())
			}
		case w.Code == http.StatusInternalServerError:
			if callbackRE.MatchString(name) && len(name) <= 256 {
				t.Fatalf("callback %q refused: %s", name, w.Body.String())
			}
		default:
			t.Fatalf("callback %q: status %d", name, w.Code)
		}
	})
}

// FuzzSend feeds arbitrary bodies to xhr_send and jsonp_send, as raw JSON
// and as forms: the answer is success or one of the protocol's errors.
func FuzzSend(f *testing.F) {
	for _, seed := range []struct {
		form bool
		body string
	}{
		{false, `["a"]`}, {false, `"a"`}, {false, `[]`}, {false, `["a`}, {false, ``},
		{true, `d=%5B%22x%22%5D`}, {true, `d=`}, {true, `p=p`}, {true, `d=%5B%22x`}, {true, `d=%zz`},
	} {
		f.Add(seed.form, seed.body)
	}
	h := fuzzHandler(f)
	fuzzServe(h, http.MethodPost, "/echo/0/fuzz/xhr", "", "", "")
	f.Fuzz(func(t *testing.T, form bool, body string) {
		path, ct, okBody := "/echo/0/fuzz/xhr_send", "text/plain", ""
		if form {
			path, ct, okBody = "/echo/0/fuzz/jsonp_send", "application/x-www-form-urlencoded", "ok"
		}
		w := fuzzServe(h, http.MethodPost, path, "", ct, body)
		switch w.Code {
		case http.StatusOK, http.StatusNoContent:
			if w.Body.String() != okBody {
				t.Fatalf("body %q", w.Body.String())
			}
		case http.StatusInternalServerError:
			if msg := w.Body.String(); msg != "Payload expected." && msg != "Broken JSON encoding." {
				t.Fatalf("error %q", msg)
			}
		case http.StatusNotFound, http.StatusRequestEntityTooLarge:
			// The session expired between requests, or the body is too large.
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
