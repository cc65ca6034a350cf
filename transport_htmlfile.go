package sockjs

import (
	"bytes"
	"net/http"

	"github.com/gosockjs/sockjs/internal/frame"
)

// htmlfileHead opens an htmlfile response; the callback name goes between
// its two parts. It is padded past 1 KiB so that old browsers start
// rendering it at once.
const (
	htmlfileHeadStart = `<!doctype html>
<html><head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
</head><body><h2>Don't panic!</h2>
  <script>
    document.domain = document.domain;
    var c = parent.`
	htmlfileHeadEnd = `;
    c.start();
    function p(d) {c.message(d);};
    window.onload = function() {c.stop();};
  </script>
`
)

// htmlfilePrelude returns the head of an htmlfile response for callback cb.
func htmlfilePrelude(cb string) []byte {
	b := make([]byte, 0, 1100+len(cb))
	b = append(b, htmlfileHeadStart...)
	b = append(b, cb...)
	b = append(b, htmlfileHeadEnd...)
	if pad := 1025 - len(b); pad > 0 {
		b = append(b, bytes.Repeat([]byte{' '}, pad)...)
	}
	return append(b, "\r\n"...)
}

// encodeHTMLFile writes a frame as a script block calling p with the frame
// as a JavaScript string. The string escapes '<', '>' and '&', so no
// message can end the script block or open an HTML comment.
func encodeHTMLFile(dst, f []byte) []byte {
	dst = append(dst, "<script>\np("...)
	dst = frame.AppendScriptString(dst, string(f))
	return append(dst, ");\n</script>\r\n"...)
}

// htmlFile serves GET .../htmlfile?c=callback.
func (h *Handler) htmlFile(w http.ResponseWriter, r *http.Request, sid string) {
	cb, ok := callbackParam(w, r)
	if !ok {
		return
	}
	h.serveReceiver(w, r, sid, "htmlfile", contentHTML, true, htmlfilePrelude(cb), encodeHTMLFile)
}
