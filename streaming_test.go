package sockjs_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// jsString returns s as a JSON string literal with '<', '>' and '&'
// escaped, as the htmlfile transport writes the frames it carries.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// htmlfileHead is the head of an htmlfile response for callback cb,
// without its padding.
func htmlfileHead(cb string) string {
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

// TestStreamingTransport checks the wire format of each streaming
// transport: headers, prelude, framing, and one flush per frame.
func TestStreamingTransport(t *testing.T) {
	t.Parallel()
	for _, tr := range []struct {
		name, method, query, contentType string
		prelude                          func(t *testing.T, s *stream)
		encode                           func(frame string) string
		delim                            string
	}{
		{
			name: "xhr_streaming", method: http.MethodPost, contentType: contentJS,
			prelude: func(t *testing.T, s *stream) {
				assert.Equal(t, strings.Repeat("h", 2048)+"\n", s.readUntil(t, "\n"))
			},
			encode: func(f string) string { return f + "\n" },
			delim:  "\n",
		},
		{
			name: "eventsource", method: http.MethodGet, contentType: "text/event-stream",
			prelude: func(t *testing.T, s *stream) { assert.Equal(t, "\r\n", s.readUntil(t, "\r\n")) },
			encode:  func(f string) string { return "data: " + f + "\r\n\r\n" },
			delim:   "\r\n\r\n",
		},
		{
			name: "htmlfile", method: http.MethodGet, query: "?c=callback", contentType: contentHTML,
			prelude: func(t *testing.T, s *stream) {
				head := s.readUntil(t, "\r\n")
				assert.Equal(t, htmlfileHead("callback"), strings.TrimSpace(head))
				assert.Greater(t, len(head), 1024)
			},
			encode: func(f string) string { return "<script>\np(" + jsString(f) + ");\n</script>\r\n" },
			delim:  "</script>\r\n",
		},
	} {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			s := startService(t, echo, sockjs.Options{})
			sid := newSID()
			st := openStream(t, tr.method, s.at(sid, tr.name)+tr.query, map[string]string{"Origin": "test"})
			require.Equal(t, http.StatusOK, st.resp.StatusCode)
			h := st.resp.Header
			assert.Equal(t, tr.contentType, h.Get("Content-Type"))
			assert.Equal(t, noCache, h.Get("Cache-Control"))
			assert.Empty(t, h.Get("Expires"))
			assert.Empty(t, h.Get("Last-Modified"))
			assert.Equal(t, "no", h.Get("X-Accel-Buffering"))
			assert.Equal(t, "test", h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))

			tr.prelude(t, st)
			assert.Equal(t, tr.encode("o"), st.readUntil(t, tr.delim))
			// Each frame is flushed on its own: the next is only sent once
			// the previous one was read.
			for _, msg := range []string{"x", "y"} {
				resp, _ := do(t, http.MethodPost, s.at(sid, "xhr_send"), `["`+msg+`"]`, nil)
				require.Equal(t, http.StatusNoContent, resp.StatusCode)
				assert.Equal(t, tr.encode(`a["`+msg+`"]`), st.readUntil(t, tr.delim))
			}
			require.NoError(t, s.log.nth(t, 0).Send("from server"))
			assert.Equal(t, tr.encode(`a["from server"]`), st.readUntil(t, tr.delim))
		})
	}
}

func TestEventSourceEscaping(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	sid := newSID()
	st := openStream(t, http.MethodGet, s.at(sid, "eventsource"), nil)
	require.Equal(t, "text/event-stream", st.resp.Header.Get("Content-Type"))
	require.Equal(t, "\r\n", st.readUntil(t, "\r\n"))
	require.Equal(t, "data: o\r\n\r\n", st.readUntil(t, "\r\n\r\n"))
	for _, m := range []struct{ send, want string }{
		{`["  \u0000\n\r "]`, `a["  \u0000\n\r "]`},
		// A raw line break in a message never splits the event.
		{`["a\u2028b\u0085c"]`, `a["a\u2028b\u0085c"]`},
		// The client runs decodeURI on the data: '%' goes out as %25.
		{`["%20&a=b+c","100%","%%41%e2%82%ac"]`, `a["%2520&a=b+c","100%25","%25%2541%25e2%2582%25ac"]`},
	} {
		resp, _ := do(t, http.MethodPost, s.at(sid, "xhr_send"), m.send, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.Equal(t, "data: "+m.want+"\r\n\r\n", st.readUntil(t, "\r\n\r\n"))
	}
}

func TestHTMLFileCallbackParam(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	for _, c := range []struct{ query, cb string }{
		{"?c=%63allback", "callback"},
		{"?callback=cb", "cb"},
		{"?c=a.b_c-D9", "a.b_c-D9"},
		{"?c=first&callback=second", "first"},
	} {
		t.Run(c.query, func(t *testing.T) {
			st := openStream(t, http.MethodGet, s.at(newSID(), "htmlfile")+c.query, nil)
			require.Equal(t, http.StatusOK, st.resp.StatusCode)
			head := st.readUntil(t, "\r\n")
			assert.Equal(t, htmlfileHead(c.cb), strings.TrimSpace(head))
			assert.Greater(t, len(head), 1024)
			assert.Equal(t, "<script>\np(\"o\");\n</script>\r\n", st.readUntil(t, "</script>\r\n"))
		})
	}
}

func TestCallbackErrors(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
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
			resp, body := do(t, http.MethodGet, s.URL+"/a/a/"+transport+c.query, "", nil)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, transport+c.query)
			assert.Equal(t, c.want, body, transport+c.query)
			assert.Equal(t, contentText, resp.Header.Get("Content-Type"), transport+c.query)
		}
	}
	s.log.never(t, "a refused callback opened a session", func() bool { return len(s.log.conns) > 0 })
}

func TestHTMLFileScriptSafety(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	st := openStream(t, http.MethodGet, s.at(newSID(), "htmlfile")+"?c=cb", nil)
	st.readUntil(t, "\r\n")
	require.Equal(t, "<script>\np(\"o\");\n</script>\r\n", st.readUntil(t, "</script>\r\n"))
	c := s.log.nth(t, 0)
	for _, m := range []string{
		`</script><script>alert(1)</script>`,
		`<!--<script>`,
		`</SCRIPT >&lt;`,
		"\u2028</script\u2029",
	} {
		require.NoError(t, c.Send(m))
		f := st.readUntil(t, "</script>\r\n")
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
	require.NoError(t, c.Send("</script><!--"))
	assert.Equal(t, "<script>\np(\"a[\\\"\\u003c/script\\u003e\\u003c!--\\\"]\");\n</script>\r\n",
		st.readUntil(t, "</script>\r\n"))
}
