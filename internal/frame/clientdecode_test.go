package frame

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// This file decodes what the encoders write the way sockjs-client does in
// the browser, so that tests can require every input back.

// errURI is the URIError that decodeURI throws on a malformed escape.
var errURI = errors.New("URIError: malformed URI sequence")

// decodeURI is ECMAScript's decodeURI over a UTF-8 string: %XX escapes are
// decoded, except those of the reserved characters ";/?:@&=+$,#", which stay
// as they are; a malformed escape or an escaped invalid UTF-8 sequence is an
// error. sockjs-client applies it to the data of every eventsource event.
func decodeURI(s string) (string, error) {
	const reserved = ";/?:@&=+$,#"
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		c, ok := unhex2(s[i:])
		if !ok {
			return "", errURI
		}
		if c < utf8.RuneSelf {
			if strings.IndexByte(reserved, c) >= 0 {
				b.WriteString(s[i : i+3])
			} else {
				b.WriteByte(c)
			}
			i += 3
			continue
		}
		n := 0 // the length of the UTF-8 sequence c starts
		switch {
		case c&0xe0 == 0xc0:
			n = 2
		case c&0xf0 == 0xe0:
			n = 3
		case c&0xf8 == 0xf0:
			n = 4
		default:
			return "", errURI
		}
		seq := []byte{c}
		j := i + 3
		for k := 1; k < n; k++ {
			d, ok := unhex2(s[j:])
			if !ok || d&0xc0 != 0x80 {
				return "", errURI
			}
			seq = append(seq, d)
			j += 3
		}
		r, size := utf8.DecodeRune(seq)
		if r == utf8.RuneError && size <= 1 {
			return "", errURI // overlong, surrogate or out of range
		}
		b.Write(seq)
		i = j
	}
	return b.String(), nil
}

// unhex2 decodes the escape "%XX" at the start of s.
func unhex2(s string) (byte, bool) {
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
