package clientdecode

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrURI is the URIError that decodeURI throws on a malformed escape.
var ErrURI = errors.New("URIError: malformed URI sequence")

// DecodeURI is ECMAScript's decodeURI (ES5 15.1.3.1): each %XX escape, or
// run of escapes that is the UTF-8 encoding of one code point, is replaced
// by that code point, except the escapes of the reserved characters
// ";/?:@&=+$,#", which stay as they are. A malformed escape, or escaped
// bytes that are not well-formed UTF-8 (overlong, a surrogate, beyond
// U+10FFFF, truncated), is ErrURI. sockjs-client applies it to the data of
// every eventsource event.
func DecodeURI(s UTF16) (UTF16, error) {
	const reserved = ";/?:@&=+$,#"
	out := make(UTF16, 0, len(s))
	for k := 0; k < len(s); {
		if s[k] != '%' {
			out = append(out, s[k])
			k++
			continue
		}
		b, ok := escapedByte(s, k)
		if !ok {
			return nil, ErrURI
		}
		if b < utf8.RuneSelf {
			if isReserved(b, reserved) {
				out = append(out, s[k:k+3]...)
			} else {
				out = append(out, uint16(b))
			}
			k += 3
			continue
		}
		n := 0 // the number of leading one bits of b
		for b<<n&0x80 != 0 {
			n++
		}
		if n == 1 || n > 4 {
			return nil, ErrURI
		}
		octets := []byte{b}
		j := k + 3
		for range n - 1 {
			c, ok := escapedByte(s, j)
			if !ok || c&0xc0 != 0x80 {
				return nil, ErrURI
			}
			octets = append(octets, c)
			j += 3
		}
		r, size := utf8.DecodeRune(octets)
		if r == utf8.RuneError && size <= 1 || size != len(octets) {
			return nil, ErrURI
		}
		out = utf16.AppendRune(out, r)
		k = j
	}
	return out, nil
}

// escapedByte decodes the escape "%XX" at s[k].
func escapedByte(s UTF16, k int) (byte, bool) {
	if k+2 >= len(s) || s[k] != '%' {
		return 0, false
	}
	hi, ok1 := hexValue(s[k+1])
	lo, ok2 := hexValue(s[k+2])
	return byte(hi<<4 | lo), ok1 && ok2
}

func isReserved(b byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == b {
			return true
		}
	}
	return false
}

// hexValue returns the value of the hex digit c.
func hexValue(c uint16) (uint16, bool) {
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
