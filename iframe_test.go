package sockjs_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// iframePage is the iframe page that loads the client from src, which
// must already be HTML-escaped.
func iframePage(src string) string {
	return "<!DOCTYPE html>\n" +
		"<html>\n" +
		"<head>\n" +
		"  <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n" +
		"  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n" +
		"  <script src=\"" + src + "\"></script>\n" +
		"  <script>\n" +
		"    document.domain = document.domain;\n" +
		"    SockJS.bootstrap_iframe();\n" +
		"  </script>\n" +
		"</head>\n" +
		"<body>\n" +
		"  <h2>Don't panic!</h2>\n" +
		"  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>\n" +
		"</body>\n" +
		"</html>"
}

func TestIframeServed(t *testing.T) {
	t.Parallel()
	srv := startService(t, nil, sockjs.Options{CookieNeeded: true})
	for _, suffix := range []string{
		"/iframe.html", "/iframe-a.html", "/iframe-.html", "/iframe-0.1.2.html",
		"/iframe-0.1.2abc-dirty.2144.html", "/iframe-a.html?t=1234",
		"/iframe-0.1.2.html?t=123414", "/iframe-0.1.2abc-dirty.2144.html?t=qweqweq123",
	} {
		t.Run(suffix, func(t *testing.T) {
			resp, body := do(t, http.MethodGet, srv.URL+suffix, "", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, contentHTML, resp.Header.Get("Content-Type"))
			assert.Equal(t, cacheYear, resp.Header.Get("Cache-Control"))
			_, err := http.ParseTime(resp.Header.Get("Expires"))
			assert.NoError(t, err)
			assert.NotEmpty(t, resp.Header.Get("ETag"))
			assert.Empty(t, resp.Header.Get("Last-Modified"))
			assert.Empty(t, resp.Header.Values("Set-Cookie"))
			assert.Equal(t, iframePage(sockjs.DefaultSockJSURL), body)
		})
	}
}

func TestIframeNotFound(t *testing.T) {
	t.Parallel()
	srv := startService(t, nil, sockjs.Options{})
	for _, suffix := range []string{
		"/iframe.htm", "/iframe", "/IFRAME.HTML", "/IFRAME", "/iframe.HTML", "/iframe.xml",
		"/iframe-/.html", "/iframe-a.htm", "/iframe-a/b.html", "/iframea.html", "/xiframe.html",
		"/iframe-a b.html", "/iframe.html/",
	} {
		resp, _ := do(t, http.MethodGet, srv.URL+strings.ReplaceAll(suffix, " ", "%20"), "", nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, suffix)
	}
}

func TestIframeSockJSURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url, src string
	}{
		{"/static/sockjs.js", "/static/sockjs.js"},
		{"https://cdn.example/sockjs-1.6.1.min.js?v=1&x=2", "https://cdn.example/sockjs-1.6.1.min.js?v=1&amp;x=2"},
		{`http://x/a"><script>alert(1)</script>.js`, `http://x/a&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.js`},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			t.Parallel()
			srv := startService(t, nil, sockjs.Options{SockJSURL: c.url})
			resp, body := do(t, http.MethodGet, srv.URL+"/iframe.html", "", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, iframePage(c.src), body)
			assert.NotContains(t, body, "<script>alert")
		})
	}
}

func TestIframeETag(t *testing.T) {
	t.Parallel()
	srv := startService(t, nil, sockjs.Options{})
	r1, _ := do(t, http.MethodGet, srv.URL+"/iframe.html", "", nil)
	r2, _ := do(t, http.MethodGet, srv.URL+"/iframe-1.2.3.html", "", nil)
	etag := r1.Header.Get("ETag")
	require.NotEmpty(t, etag)
	assert.Equal(t, etag, r2.Header.Get("ETag"))

	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag} {
		resp, body := do(t, http.MethodGet, srv.URL+"/iframe.html", "", map[string]string{"If-None-Match": inm})
		assert.Equal(t, http.StatusNotModified, resp.StatusCode, inm)
		assert.Empty(t, resp.Header.Get("Content-Type"), inm)
		assert.Empty(t, body, inm)
	}
	resp, body := do(t, http.MethodGet, srv.URL+"/iframe.html", "", map[string]string{"If-None-Match": `"other"`})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, iframePage(sockjs.DefaultSockJSURL), body)

	// The tag follows the page: another SockJSURL, another tag; the same
	// URL on another handler, the same tag.
	other := startService(t, nil, sockjs.Options{SockJSURL: "/other/sockjs.js"})
	r3, _ := do(t, http.MethodGet, other.URL+"/iframe.html", "", nil)
	assert.NotEmpty(t, r3.Header.Get("ETag"))
	assert.NotEqual(t, etag, r3.Header.Get("ETag"))
	same := startService(t, nil, sockjs.Options{SockJSURL: sockjs.DefaultSockJSURL})
	r4, _ := do(t, http.MethodGet, same.URL+"/iframe.html", "", nil)
	assert.Equal(t, etag, r4.Header.Get("ETag"))
	// HEAD answers like GET, without the page.
	resp, body = do(t, http.MethodHead, srv.URL+"/iframe.html", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, etag, resp.Header.Get("ETag"))
	assert.Equal(t, contentHTML, resp.Header.Get("Content-Type"))
	assert.Empty(t, body)
	// An old tag does not match the new page.
	resp, _ = do(t, http.MethodGet, other.URL+"/iframe.html", "", map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
