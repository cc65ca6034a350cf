package frame

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// jsonSafe reports, for each ASCII byte, whether it may be copied into a
// JSON string literal verbatim. Bytes >= utf8.RuneSelf are false and are
// handled separately.
var jsonSafe, scriptSafe [256]bool

func init() {
	for c := 0x20; c < 0x7f; c++ {
		jsonSafe[c] = c != '"' && c != '\\'
		scriptSafe[c] = jsonSafe[c] && c != '<' && c != '>' && c != '&'
	}
}

// AppendString appends s to dst as a double-quoted JSON string literal and
// returns the extended buffer.
//
// The escaping follows the SockJS protocol: '"' and '\\' are escaped, as are
// the control characters, with the short forms \b, \t, \n, \f and \r where
// JSON has them. Every other control character and every code point that
// some JavaScript engines treat specially (U+007F–U+009F, U+00AD,
// U+0600–U+0604, U+070F, U+17B4, U+17B5, U+200C–U+200F, U+2028–U+202F,
// U+2060–U+206F, U+FEFF and U+FFF0–U+FFFF) is written as \u followed by four
// lowercase hex digits. All other characters are written as raw UTF-8.
//
// A three-byte WTF-8 encoding of a lone UTF-16 surrogate, as produced by
// DecodeMessages, is written as the \uXXXX escape of that surrogate. Any
// other invalid UTF-8 byte is written as \ufffd. The result is always valid
// JSON and valid UTF-8.
func AppendString(dst []byte, s string) []byte {
	return appendString(dst, s, &jsonSafe)
}

// AppendScriptString is like AppendString but also escapes '<', '>' and '&'
// as \u003c, \u003e and \u0026, so that the literal can be embedded in an
// HTML <script> element without ending it or opening a comment.
func AppendScriptString(dst []byte, s string) []byte {
	return appendString(dst, s, &scriptSafe)
}

func appendString(dst []byte, s string, safe *[256]bool) []byte {
	dst = append(dst, '"')
	start := 0 // start of the pending run of bytes to copy verbatim
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = appendEscape(dst, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 { // invalid UTF-8
			dst = append(dst, s[start:i]...)
			if isWTF8Surrogate(s[i:]) {
				r = rune(s[i]&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f)
				size = 3
			}
			dst = appendEscape(dst, r) // r is utf8.RuneError unless a surrogate
			i += size
			start = i
			continue
		}
		if mustEscape(r) {
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscape appends the \uXXXX escape of the BMP code point r.
func appendEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xf], hexDigits[r>>8&0xf],
		hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// isWTF8Surrogate reports whether s begins with the generalized UTF-8
// encoding of a code point in U+D800–U+DFFF.
func isWTF8Surrogate(s string) bool {
	return len(s) >= 3 && s[0] == 0xed &&
		s[1] >= 0xa0 && s[1] <= 0xbf &&
		s[2] >= 0x80 && s[2] <= 0xbf
}

// mustEscape reports whether the non-ASCII code point r must be written as a
// \u escape.
func mustEscape(r rune) bool {
	switch {
	case r < 0x600:
		return r < 0xa0 || r == 0xad
	case r < 0x2000:
		return r <= 0x604 || r == 0x70f || r == 0x17b4 || r == 0x17b5
	case r < 0xfeff:
		return r >= 0x200c && r <= 0x200f ||
			r >= 0x2028 && r <= 0x202f ||
			r >= 0x2060 && r <= 0x206f
	default:
		return r == 0xfeff || r >= 0xfff0 && r <= 0xffff
	}
}
