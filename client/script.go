package client

import (
	"bufio"
	"bytes"
	"io"

	"github.com/gosockjs/sockjs/internal/clientdecode"
)

// script returns the frame of the next script of an htmlfile response, as
// the browser runs each script once its end tag has arrived: the first
// script, which takes the callback from the parent window and defines p, is
// the prelude; every later one must call p with one string, the frame.
func (h *httpTransport) script() ([]byte, error) {
	for {
		src, err := h.scriptSource()
		if err != nil {
			return nil, err
		}
		if h.start {
			h.start = false
			if !bytes.Contains(src, []byte("parent."+h.callback)) {
				return nil, protocolError("htmlfile prelude %.60q does not take parent.%s", src, h.callback)
			}
			continue
		}
		callee, arg, err := clientdecode.ParseCall(clientdecode.DecodeUTF8(src))
		if err != nil || callee != "p" {
			return nil, protocolError("htmlfile script %.60q is not a call of p with a string", src)
		}
		h.decoded = clientdecode.AppendWTF8(h.decoded[:0], arg)
		return h.decoded, nil
	}
}

// scriptSource returns the text of the next <script> element of the
// response, between its start and end tags, or io.EOF at the end of a
// response that holds no more scripts. The text is valid until the next
// call. A SockJS server escapes '<' in the frames it writes into scripts,
// so the element ends at the first "</script" that the HTML tokenizer
// takes for its end tag.
func (h *httpTransport) scriptSource() ([]byte, error) {
	h.long = h.long[:0]
	open, scanned := -1, 0 // where the text starts; how much of it was searched
	for {
		b, err := h.br.ReadSlice('>')
		if err == bufio.ErrBufferFull {
			err = nil
		}
		h.long = append(h.long, b...)
		if open < 0 {
			// Markup before the start tag: keep only what may begin one.
			if i := indexTag(h.long, "<script"); i >= 0 {
				if j := bytes.IndexByte(h.long[i:], '>'); j >= 0 {
					open = i + j + 1
					scanned = open
				}
			} else if n := len(h.long); n > len("<script") {
				h.long = append(h.long[:0], h.long[n-len("<script"):]...)
			}
		}
		if open >= 0 {
			from := max(open, scanned-len("</script"))
			if i := indexTag(h.long[from:], "</script"); i >= 0 {
				return h.long[open : from+i], nil
			}
			scanned = len(h.long)
			if len(h.long)-open > h.maxFrame+64 {
				return nil, protocolError("htmlfile script over %d bytes", h.maxFrame)
			}
		}
		switch {
		case err == io.EOF && open < 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, io.ErrUnexpectedEOF
		case err != nil:
			return nil, err
		}
	}
}

// indexTag returns the index of the first tag name in b, such as "<script"
// or "</script", that the HTML tokenizer takes for one: in any case, and
// followed by white space, '/' or '>'. It returns -1 if there is none.
func indexTag(b []byte, tag string) int {
	for i := 0; i+len(tag) < len(b); i++ {
		if b[i] != '<' || !bytes.EqualFold(b[i:i+len(tag)], []byte(tag)) {
			continue
		}
		switch b[i+len(tag)] {
		case '\t', '\n', '\f', '\r', ' ', '/', '>':
			return i
		}
	}
	return -1
}

// call returns the frame of a JSONP response: the string with which its
// script calls the callback. A response carries one frame.
func (h *httpTransport) call() ([]byte, error) {
	if !h.start {
		return nil, io.EOF
	}
	h.start = false
	src, err := io.ReadAll(io.LimitReader(h.br, int64(h.maxFrame)+int64(len(h.callback))+64))
	if err != nil {
		return nil, err
	}
	callee, arg, err := clientdecode.ParseCall(clientdecode.DecodeUTF8(src))
	if err != nil || callee != h.callback {
		return nil, protocolError("jsonp response %.60q is not a call of %s with a string", src, h.callback)
	}
	h.decoded = clientdecode.AppendWTF8(h.decoded[:0], arg)
	return h.decoded, nil
}
