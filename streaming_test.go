package sockjs_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// htStreaming describes one streaming transport: how to open it, its
// prelude, how it frames a SockJS frame and where a frame ends.
type htStreaming struct {
	name        string
	method      string
	query       string
	contentType string
	prelude     func(t *testing.T, s *stream) // reads and checks the prelude
	encode      func(frame string) string
	delim       string
}

var htXHRPrelude = strings.Repeat("h", 2048) + "\n"

func htStreamings() []htStreaming {
	return []htStreaming{
		{
			name: "xhr_streaming", method: http.MethodPost, contentType: htContentJS,
			prelude: func(t *testing.T, s *stream) {
				assert.Equal(t, htXHRPrelude, s.readUntil(t, "\n"))
			},
			encode: func(f string) string { return f + "\n" },
			delim:  "\n",
		},
		{
			name: "eventsource", method: http.MethodGet, contentType: "text/event-stream",
			prelude: func(t *testing.T, s *stream) {
				assert.Equal(t, "\r\n", s.readUntil(t, "\r\n"))
			},
			encode: func(f string) string { return "data: " + f + "\r\n\r\n" },
			delim:  "\r\n\r\n",
		},
		{
			name: "htmlfile", method: http.MethodGet, query: "?c=callback", contentType: htContentHTML,
			prelude: func(t *testing.T, s *stream) {
				head := s.readUntil(t, "\r\n")
				assert.Equal(t, htHTMLFileHead("callback"), strings.TrimSpace(head))
				assert.Greater(t, len(head), 1024)
			},
			encode: func(f string) string { return "<script>\np(" + htJS(f) + ");\n</script>\r\n" },
			delim:  "</script>\r\n",
		},
	}
}

// htOpenStreaming opens transport tr of session sid.
func htOpenStreaming(t *testing.T, srv *httptest.Server, tr htStreaming, sid string, header map[string]string) *stream {
	t.Helper()
	return openStream(t, tr.method, htURL(srv, sid, tr.name)+tr.query, header)
}

func TestStreamingTransport(t *testing.T) {
	t.Parallel()
	for _, tr := range htStreamings() {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(true)
			srv, _ := newServer(t, rec, sockjs.Options{})
			sid := htSID()
			s := htOpenStreaming(t, srv, tr, sid, map[string]string{"Origin": "test"})
			require.Equal(t, http.StatusOK, s.resp.StatusCode)
			h := s.resp.Header
			assert.Equal(t, tr.contentType, h.Get("Content-Type"))
			assert.Equal(t, htNoCache, h.Get("Cache-Control"))
			assert.Empty(t, h.Get("Expires"))
			assert.Empty(t, h.Get("Last-Modified"))
			assert.Equal(t, "no", h.Get("X-Accel-Buffering"))
			assert.Equal(t, "test", h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))

			tr.prelude(t, s)
			assert.Equal(t, tr.encode("o"), s.readUntil(t, tr.delim))
			// Each frame is flushed on its own: the next is only sent once
			// the previous one was read.
			for _, msg := range []string{"x", "y"} {
				htSend(t, srv, sid, `["`+msg+`"]`)
				assert.Equal(t, tr.encode(`a["`+msg+`"]`), s.readUntil(t, tr.delim))
			}
			require.NoError(t, rec.conn(t, 0).Send("from server"))
			assert.Equal(t, tr.encode(`a["from server"]`), s.readUntil(t, tr.delim))
		})
	}
}

func TestStreamingResponseLimit(t *testing.T) {
	t.Parallel()
	const limit = 300
	msg := strings.Repeat("x", 100)
	for _, tr := range htStreamings() {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(true)
			srv, _ := newServer(t, rec, sockjs.Options{ResponseLimit: limit})
			sid := htSID()
			s := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s)
			open := tr.encode("o")
			require.Equal(t, open, s.readUntil(t, tr.delim))
			// The prelude does not count; the frame that crosses the
			// limit is the last one of the response.
			sent, frames := len(open), 0
			for sent < limit {
				htSend(t, srv, sid, `["`+msg+`"]`)
				f := tr.encode(`a["` + msg + `"]`)
				require.Equal(t, f, s.readUntil(t, tr.delim))
				sent += len(f)
				frames++
			}
			require.Greater(t, frames, 1, "the limit must take more than one message")
			s.eof(t)

			// Messages sent between two responses wait for the next one,
			// which continues the session without a new open frame.
			c := rec.conn(t, 0)
			require.NoError(t, c.Send("between 1"))
			require.NoError(t, c.Send("between 2"))
			s2 := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s2)
			assert.Equal(t, tr.encode(`a["between 1","between 2"]`), s2.readUntil(t, tr.delim))
			assert.Equal(t, 1, rec.count(sockjs.EventInit))
			assert.Zero(t, rec.count(sockjs.EventClosed))
		})
	}
}

func TestStreamingCloseFrameEndsResponse(t *testing.T) {
	t.Parallel()
	for _, tr := range htStreamings() {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(true)
			srv, _ := newServer(t, rec, sockjs.Options{})
			sid := htSID()
			s := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s)
			require.Equal(t, tr.encode("o"), s.readUntil(t, tr.delim))
			c := rec.conn(t, 0)
			require.NoError(t, c.Send("last"))
			require.NoError(t, c.Close(3000, "Go away!"))
			got := s.readUntil(t, tr.delim)
			if got == tr.encode(`a["last"]`) {
				got = s.readUntil(t, tr.delim)
			} else {
				t.Errorf("message before close frame: got %q", got)
			}
			assert.Equal(t, tr.encode(htFrameGoAway), got)
			s.eof(t)

			// A later request gets the close frame again and ends.
			s2 := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s2)
			assert.Equal(t, tr.encode(htFrameGoAway), s2.readUntil(t, tr.delim))
			s2.eof(t)
			assert.Equal(t, 1, rec.count(sockjs.EventClosed))
		})
	}
}

func TestStreamingSecondReceiver(t *testing.T) {
	t.Parallel()
	for _, tr := range htStreamings() {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(true)
			srv, _ := newServer(t, rec, sockjs.Options{})
			sid := htSID()
			s1 := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s1)
			require.Equal(t, tr.encode("o"), s1.readUntil(t, tr.delim))

			s2 := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s2)
			assert.Equal(t, tr.encode(htFrame2010), s2.readUntil(t, tr.delim))
			s2.eof(t)

			// The first receiver still carries the session.
			htSend(t, srv, sid, `["x"]`)
			assert.Equal(t, tr.encode(`a["x"]`), s1.readUntil(t, tr.delim))
			assert.Zero(t, rec.count(sockjs.EventClosed))
		})
	}
}

func TestStreamingAbortClosesSession(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	tr := htStreamings()[0]
	s := htOpenStreaming(t, srv, tr, sid, nil)
	tr.prelude(t, s)
	require.Equal(t, "o\n", s.readUntil(t, "\n"))
	require.NoError(t, s.resp.Body.Close())
	rec.wait(t, sockjs.EventClosed)

	s2 := htOpenStreaming(t, srv, tr, sid, nil)
	tr.prelude(t, s2)
	assert.Equal(t, htFrame1002+"\n", s2.readUntil(t, "\n"))
	s2.eof(t)
	assert.Equal(t, 1, rec.count(sockjs.EventClosed))
}

func TestEventSourceEscaping(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	sid := htSID()
	s := openStream(t, http.MethodGet, htURL(srv, sid, "eventsource"), nil)
	require.Equal(t, "text/event-stream", s.resp.Header.Get("Content-Type"))
	require.Equal(t, "\r\n", s.readUntil(t, "\r\n"))
	require.Equal(t, "data: o\r\n\r\n", s.readUntil(t, "\r\n\r\n"))
	htSend(t, srv, sid, `["  \u0000\n\r "]`)
	assert.Equal(t, `data: a["  \u0000\n\r "]`+"\r\n\r\n", s.readUntil(t, "\r\n\r\n"))
	// A raw line break in a message never splits the event.
	htSend(t, srv, sid, `["a\u2028b\u0085c"]`)
	assert.Equal(t, `data: a["a\u2028b\u0085c"]`+"\r\n\r\n", s.readUntil(t, "\r\n\r\n"))
	// The client runs decodeURI on the data: '%' goes out as %25.
	htSend(t, srv, sid, `["%20&a=b+c","100%","%%41%e2%82%ac"]`)
	assert.Equal(t, `data: a["%2520&a=b+c","100%25","%25%2541%25e2%2582%25ac"]`+"\r\n\r\n",
		s.readUntil(t, "\r\n\r\n"))
}

// htHTMLFileHead is the head of an htmlfile response for callback cb,
// without its padding.
func htHTMLFileHead(cb string) string {
	return "<!doctype html>\n" +
		"<html><head>\n" +
		"  <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n" +
		"  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n" +
		"</head><body><h2>Don't panic!</h2>\n" +
		"  <script>\n" +
		"    document.domain = document.domain;\n" +
		"    var c = parent." + cb + ";\n" +
		"    c.start();\n" +
		"    function p(d) {c.message(d);};\n" +
		"    window.onload = function() {c.stop();};\n" +
		"  </script>"
}

func TestHTMLFileCallbackParam(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	for _, c := range []struct{ query, cb string }{
		{"?c=%63allback", "callback"},
		{"?callback=cb", "cb"},
		{"?c=a.b_c-D9", "a.b_c-D9"},
		{"?c=first&callback=second", "first"},
	} {
		t.Run(c.query, func(t *testing.T) {
			s := openStream(t, http.MethodGet, htURL(srv, htSID(), "htmlfile")+c.query, nil)
			require.Equal(t, http.StatusOK, s.resp.StatusCode)
			head := s.readUntil(t, "\r\n")
			assert.Equal(t, htHTMLFileHead(c.cb), strings.TrimSpace(head))
			assert.Greater(t, len(head), 1024)
			assert.Equal(t, "<script>\np(\"o\");\n</script>\r\n", s.readUntil(t, "</script>\r\n"))
		})
	}
}

func TestCallbackErrors(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	for _, transport := range []string{"htmlfile", "jsonp"} {
		for _, c := range []struct{ query, want string }{
			{"", `"callback" parameter required`},
			{"?c=", `"callback" parameter required`},
			{"?other=x", `"callback" parameter required`},
			{"?c=%20", `invalid "callback" parameter`},
			{"?c=*", `invalid "callback" parameter`},
			{"?c=abc(", `invalid "callback" parameter`},
			{"?c=abc%28", `invalid "callback" parameter`},
			{"?callback=a%3Cb", `invalid "callback" parameter`},
			{"?c=alert(1)//", `invalid "callback" parameter`},
		} {
			resp, body := do(t, http.MethodGet, srv.URL+"/echo/a/a/"+transport+c.query, "", nil)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, transport+c.query)
			assert.Equal(t, c.want, body, transport+c.query)
			assert.Equal(t, htContentText, resp.Header.Get("Content-Type"), transport+c.query)
		}
	}
	assert.Zero(t, rec.count(sockjs.EventInit), "a refused callback opened a session")
}

func TestHTMLFileScriptSafety(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	s := openStream(t, http.MethodGet, htURL(srv, sid, "htmlfile")+"?c=cb", nil)
	s.readUntil(t, "\r\n")
	require.Equal(t, "<script>\np(\"o\");\n</script>\r\n", s.readUntil(t, "</script>\r\n"))

	evil := []string{
		`</script><script>alert(1)</script>`,
		`<!--<script>`,
		`</SCRIPT >&lt;`,
		"\u2028</script\u2029",
	}
	for _, m := range evil {
		require.NoError(t, rec.conn(t, 0).Send(m))
		f := s.readUntil(t, "</script>\r\n")
		body, ok := strings.CutPrefix(f, "<script>\np(")
		require.True(t, ok, "frame %q", f)
		body, ok = strings.CutSuffix(body, ");\n</script>\r\n")
		require.True(t, ok, "frame %q", f)
		// Only the transport's own tags appear raw.
		for _, bad := range []string{"<", ">", "&"} {
			assert.NotContains(t, body, bad, "frame %q", f)
		}
		// The argument is a string literal that decodes to the frame.
		var frame string
		require.NoError(t, json.Unmarshal([]byte(body), &frame), "frame %q", f)
		var msgs []string
		payload, ok := strings.CutPrefix(frame, "a")
		require.True(t, ok, "frame %q", frame)
		require.NoError(t, json.Unmarshal([]byte(payload), &msgs))
		assert.Equal(t, []string{m}, msgs)
	}
	// The exact bytes of the first case.
	require.NoError(t, rec.conn(t, 0).Send("</script><!--"))
	assert.Equal(t, "<script>\np(\"a[\\\"\\u003c/script\\u003e\\u003c!--\\\"]\");\n</script>\r\n",
		s.readUntil(t, "</script>\r\n"))
}

func TestStreamingHeartbeat(t *testing.T) {
	t.Parallel()
	for _, tr := range htStreamings() {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(true)
			srv, _ := newServer(t, rec, sockjs.Options{HeartbeatDelay: 50 * time.Millisecond})
			sid := htSID()
			s := htOpenStreaming(t, srv, tr, sid, nil)
			tr.prelude(t, s)
			require.Equal(t, tr.encode("o"), s.readUntil(t, tr.delim))
			for range 2 {
				assert.Equal(t, tr.encode("h"), s.readUntil(t, tr.delim))
			}
			htSend(t, srv, sid, `["x"]`)
			// A heartbeat may have been due just before the message.
			f := s.readUntil(t, tr.delim)
			if f == tr.encode("h") {
				f = s.readUntil(t, tr.delim)
			}
			assert.Equal(t, tr.encode(`a["x"]`), f)
		})
	}
}

func TestStreamingInitMessagesFollowOpen(t *testing.T) {
	t.Parallel()
	for _, tr := range htStreamings() {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(true)
			rec.onInit = func(c *sockjs.Conn) { c.Send("welcome") }
			srv, _ := newServer(t, rec, sockjs.Options{})
			s := htOpenStreaming(t, srv, tr, htSID(), nil)
			tr.prelude(t, s)
			assert.Equal(t, tr.encode("o"), s.readUntil(t, tr.delim))
			assert.Equal(t, tr.encode(`a["welcome"]`), s.readUntil(t, tr.delim))
		})
	}
}
