// Package jsuri implements ECMAScript's decodeURI over UTF-8, as
// sockjs-client applies it to the data of every eventsource event; the
// server's frame.AppendEventData is its inverse.
package jsuri

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrURI is the error of AppendDecode on a malformed escape: the
// URIError that decodeURI throws in JavaScript.
var ErrURI = errors.New("jsuri: URIError: malformed URI sequence")

// AppendDecode appends s, decoded as ECMAScript's decodeURI decodes it, to
// dst and returns the extended buffer. Escapes %XX are decoded, except those
// of the reserved characters ";/?:@&=+$,#", which stay as they are; an
// escape that is malformed or that encodes invalid UTF-8 (a surrogate
// included) is ErrURI, and dst is returned unchanged. Unescaped bytes are
// copied as they are. sockjs-client passes the data of every eventsource
// event through decodeURI.
func AppendDecode(dst, s []byte) ([]byte, error) {
	const reserved = ";/?:@&=+$,#"
	n := len(dst)
	for i := 0; i < len(s); {
		j := bytes.IndexByte(s[i:], '%')
		if j < 0 {
			return append(dst, s[i:]...), nil
		}
		dst = append(dst, s[i:i+j]...)
		i += j
		c, ok := unhex2(s[i:])
		if !ok {
			return dst[:n], ErrURI
		}
		if c < utf8.RuneSelf {
			if strings.IndexByte(reserved, c) >= 0 {
				dst = append(dst, s[i:i+3]...)
			} else {
				dst = append(dst, c)
			}
			i += 3
			continue
		}
		size := 0 // the length of the UTF-8 sequence c starts
		switch {
		case c&0xe0 == 0xc0:
			size = 2
		case c&0xf0 == 0xe0:
			size = 3
		case c&0xf8 == 0xf0:
			size = 4
		default:
			return dst[:n], ErrURI
		}
		start := len(dst)
		dst = append(dst, c)
		i += 3
		for k := 1; k < size; k++ {
			d, ok := unhex2(s[i:])
			if !ok || d&0xc0 != 0x80 {
				return dst[:n], ErrURI
			}
			dst = append(dst, d)
			i += 3
		}
		if r, w := utf8.DecodeRune(dst[start:]); r == utf8.RuneError && w <= 1 {
			return dst[:n], ErrURI // overlong, surrogate or out of range
		}
	}
	return dst, nil
}

// unhex2 decodes the escape "%XX" at the start of s.
func unhex2(s []byte) (byte, bool) {
	if len(s) < 3 || s[0] != '%' {
		return 0, false
	}
	hi, ok1 := unhex(s[1])
	lo, ok2 := unhex(s[2])
	return hi<<4 | lo, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
