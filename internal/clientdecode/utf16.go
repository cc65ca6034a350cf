// Package clientdecode decodes what a SockJS server writes the way
// sockjs-client, running in a browser, decodes it: the browser's UTF-8
// decoder, the EventSource line parser, the HTML tokenizer's end of a
// <script> element, an ES5 engine's string literals, JSON.parse and the
// client's frame parser. Tests use it to require every message back, code
// unit by code unit, from the server's encoders (internal/frame) and from
// the wire (internal/difftest). It is written from the specifications, not
// from the server's code, so that it can catch the server's mistakes.
//
// Everything the client sees is a JavaScript string, a sequence of UTF-16
// code units (UTF16). A Go string that the application sends stands for the
// UTF-16 string FromGo gives.
package clientdecode

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// UTF16 is a JavaScript string: UTF-16 code units, lone surrogates allowed.
type UTF16 []uint16

// FromGo returns the JavaScript string that the server's Go string s stands
// for: each valid UTF-8 sequence is its code point (a surrogate pair beyond
// U+FFFF); a three-byte generalized UTF-8 encoding of a surrogate code point
// (WTF-8, as frame.DecodeMessages decodes a lone \uD800 escape) is that one
// code unit; every other byte that is not part of a valid sequence is
// U+FFFD, one per byte. This is the mapping the server's decoder and its
// encoder (frame.AppendString) agree on: a lone surrogate a client sends
// comes back as itself, and invalid UTF-8 the application sends arrives as
// U+FFFD.
func FromGo(s string) UTF16 {
	u := make(UTF16, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if i+2 < len(s) && s[i] == 0xed && s[i+1]&0xe0 == 0xa0 && s[i+2]&0xc0 == 0x80 {
				u = append(u, 0xd000|uint16(s[i+1]&0x3f)<<6|uint16(s[i+2]&0x3f))
				i += 3
				continue
			}
			u = append(u, utf8.RuneError)
			i++
			continue
		}
		u = utf16.AppendRune(u, r)
		i += size
	}
	return u
}

// DecodeUTF8 decodes b as the WHATWG Encoding standard's UTF-8 decoder
// does: each maximal subpart of an invalid sequence becomes one U+FFFD.
// Surrogate code points are invalid, so the result never holds a lone
// surrogate.
func DecodeUTF8(b []byte) UTF16 {
	u := make(UTF16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			u = append(u, uint16(c))
			i++
			continue
		}
		var need int // continuation bytes still needed
		var cp rune
		lo, hi := byte(0x80), byte(0xbf) // bounds of the next byte
		switch {
		case 0xc2 <= c && c <= 0xdf:
			need, cp = 1, rune(c&0x1f)
		case 0xe0 <= c && c <= 0xef:
			need, cp = 2, rune(c&0xf)
			if c == 0xe0 {
				lo = 0xa0
			} else if c == 0xed {
				hi = 0x9f
			}
		case 0xf0 <= c && c <= 0xf4:
			need, cp = 3, rune(c&0x7)
			if c == 0xf0 {
				lo = 0x90
			} else if c == 0xf4 {
				hi = 0x8f
			}
		default:
			u = append(u, utf8.RuneError)
			i++
			continue
		}
		j := i + 1
		for ; need > 0; need-- {
			if j >= len(b) || b[j] < lo || b[j] > hi {
				break
			}
			cp = cp<<6 | rune(b[j]&0x3f)
			lo, hi = 0x80, 0xbf
			j++
		}
		if need > 0 {
			// The maximal subpart b[i:j] is one U+FFFD; b[j] starts afresh.
			u = append(u, utf8.RuneError)
			i = j
			continue
		}
		u = utf16.AppendRune(u, cp)
		i = j
	}
	return u
}

// decodeBody decodes a response body as browsers do, with the "UTF-8
// decode" algorithm: DecodeUTF8 after dropping a leading byte order mark.
func decodeBody(b []byte) UTF16 {
	return DecodeUTF8(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
}

// Equal reports whether u and v hold the same code units.
func (u UTF16) Equal(v UTF16) bool {
	if len(u) != len(v) {
		return false
	}
	for i := range u {
		if u[i] != v[i] {
			return false
		}
	}
	return true
}

// FirstDiff returns the index of the first code unit where u and v differ,
// or -1 if they are equal.
func (u UTF16) FirstDiff(v UTF16) int {
	for i := 0; i < len(u) && i < len(v); i++ {
		if u[i] != v[i] {
			return i
		}
	}
	if len(u) == len(v) {
		return -1
	}
	return min(len(u), len(v))
}

// HasPrefix reports whether u begins with the ASCII string p.
func (u UTF16) HasPrefix(p string) bool {
	if len(u) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if u[i] != uint16(p[i]) {
			return false
		}
	}
	return true
}

// is reports whether u is the ASCII string s.
func (u UTF16) is(s string) bool { return len(u) == len(s) && u.HasPrefix(s) }

// String returns u as a double-quoted string literal that is valid JSON and
// JavaScript: printable characters stand for themselves, everything else
// (controls, lone surrogates, format characters, ...) is a \u escape.
func (u UTF16) String() string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(u); i++ {
		c := u[i]
		r := rune(c)
		n := 1
		if utf16.IsSurrogate(r) && i+1 < len(u) {
			if p := utf16.DecodeRune(r, rune(u[i+1])); p != utf8.RuneError {
				r, n = p, 2
			}
		}
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case !utf16.IsSurrogate(r) && strconv.IsPrint(r) && r != utf8.RuneError:
			b.WriteRune(r)
		default:
			for k := range n {
				b.WriteString(`\u`)
				b.WriteString(hex4(u[i+k]))
			}
		}
		i += n - 1
	}
	b.WriteByte('"')
	return b.String()
}

func hex4(c uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>12], digits[c>>8&0xf], digits[c>>4&0xf], digits[c&0xf]})
}
