package sockjs

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"strings"
)

// iframePage is the rendered iframe page and its entity tag.
type iframePage struct {
	body []byte
	etag string
}

// newIframePage renders the page that loads the client from sockjsURL. The
// entity tag is a hash of the rendered page, so it changes with the URL.
func newIframePage(sockjsURL string) iframePage {
	body := []byte(`<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="` + html.EscapeString(sockjsURL) + `"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe();
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>`)
	sum := sha256.Sum256(body)
	return iframePage{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// serveIframe serves the iframe page, cacheable for a year.
func (h *Handler) serveIframe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	if !h.originAllowed(w, r, false) {
		return
	}
	hdr := w.Header()
	setCacheForever(hdr)
	hdr.Set("ETag", h.iframe.etag)
	if etagMatch(r.Header.Get("If-None-Match"), h.iframe.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", contentHTML)
	w.Write(h.iframe.body)
}

// etagMatch reports whether an If-None-Match header lists etag.
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == etag || t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
