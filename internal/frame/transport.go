package frame

import (
	"bytes"
	"strings"
)

// This file holds each HTTP transport's wire format: how one frame travels
// in the body of its response.

// XHRPrelude opens an xhr-streaming response: 2 KiB of 'h' and a newline,
// which make old browsers start delivering the response's progress events.
var XHRPrelude = append(bytes.Repeat([]byte{'h'}, 2048), '\n')

// EventSourcePrelude opens an eventsource response.
var EventSourcePrelude = []byte("\r\n")

// AppendXHR appends frame f as the xhr transports carry it: f and a newline.
func AppendXHR(dst, f []byte) []byte {
	dst = append(dst, f...)
	return append(dst, '\n')
}

// AppendEventSource appends frame f as one server-sent event whose data
// line is f escaped by AppendEventData.
func AppendEventSource(dst, f []byte) []byte {
	dst = append(dst, "data: "...)
	dst = AppendEventData(dst, f)
	return append(dst, "\r\n\r\n"...)
}

// AppendHTMLFile appends frame f as the htmlfile transport carries it: a
// script block that calls p with f as a JavaScript string. The string
// escapes '<', '>' and '&' (AppendScriptString), so that no frame can end
// the script block or open an HTML comment.
func AppendHTMLFile(dst, f []byte) []byte {
	dst = append(dst, "<script>\np("...)
	dst = AppendScriptString(dst, string(f))
	return append(dst, ");\n</script>\r\n"...)
}

// AppendJSONP appends frame f as a JSONP polling response: a call of
// callback with f as a JavaScript string. The leading comment keeps the
// response from being read as another content type.
func AppendJSONP(dst []byte, callback string, f []byte) []byte {
	dst = append(dst, "/**/"...)
	dst = append(dst, callback...)
	dst = append(dst, '(')
	dst = AppendString(dst, string(f))
	return append(dst, ");\r\n"...)
}

// htmlfileHead opens an htmlfile response; the callback name goes between
// its two parts.
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

// HTMLFilePrelude returns the head of an htmlfile response that hands the
// frames to the parent window's callback, a name the caller has checked. It
// is padded past 1 KiB so that old browsers start rendering it at once.
func HTMLFilePrelude(callback string) []byte {
	b := make([]byte, 0, 1100+len(callback))
	b = append(b, htmlfileHeadStart...)
	b = append(b, callback...)
	b = append(b, htmlfileHeadEnd...)
	if pad := 1025 - len(b); pad > 0 {
		b = append(b, strings.Repeat(" ", pad)...)
	}
	return append(b, "\r\n"...)
}
