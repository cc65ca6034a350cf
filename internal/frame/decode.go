package frame

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrEmpty is returned by DecodeMessages when the payload is empty or
// consists only of white space.
var ErrEmpty = errors.New("frame: payload expected")

// ErrBroken is returned by DecodeMessages when the payload is not a JSON
// string or a JSON array of strings.
var ErrBroken = errors.New("frame: broken JSON encoding")

// DecodeMessages parses b, the body of an inbound SockJS request, and
// appends the messages it holds to dst. The body is either a JSON array of
// strings, each of which is one message, or a single JSON string, which is
// one message. White space is allowed wherever JSON allows it.
//
// Invalid UTF-8 inside a string is replaced by U+FFFD. A \u escape of a
// lone UTF-16 surrogate is decoded to the three-byte WTF-8 encoding of that
// surrogate, which AppendString turns back into the same escape.
//
// On error, DecodeMessages returns dst unchanged and ErrEmpty or ErrBroken.
func DecodeMessages(dst []string, b []byte) ([]string, error) {
	n := len(dst)
	i := skipSpace(b, 0)
	if i == len(b) {
		return dst, ErrEmpty
	}
	switch b[i] {
	case '"':
		s, j, ok := decodeString(b, i+1)
		if !ok {
			return dst, ErrBroken
		}
		dst = append(dst, s)
		i = j
	case '[':
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			i++
			break
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return truncate(dst, n), ErrBroken
			}
			s, j, ok := decodeString(b, i+1)
			if !ok {
				return truncate(dst, n), ErrBroken
			}
			dst = append(dst, s)
			i = skipSpace(b, j)
			if i >= len(b) {
				return truncate(dst, n), ErrBroken
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ',' {
				return truncate(dst, n), ErrBroken
			}
			i = skipSpace(b, i+1)
		}
	default:
		return dst, ErrBroken
	}
	if skipSpace(b, i) != len(b) {
		return truncate(dst, n), ErrBroken
	}
	return dst, nil
}

// truncate returns dst[:n], clearing the dropped elements so that the
// strings they refer to can be collected.
func truncate(dst []string, n int) []string {
	clear(dst[n:])
	return dst[:n]
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plain reports, for each ASCII byte, whether it stands for itself inside a
// JSON string literal.
var plain [256]bool

func init() {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
	}
}

// decodeString decodes the JSON string literal whose opening quote is at
// b[i-1]. It returns the string and the index just past the closing quote.
func decodeString(b []byte, i int) (string, int, bool) {
	start := i
	for i < len(b) {
		c := b[i]
		if plain[c] {
			i++
			continue
		}
		if c == '"' {
			return string(b[start:i]), i + 1, true
		}
		if c < utf8.RuneSelf {
			break // escape or control character
		}
		_, size := utf8.DecodeRune(b[i:])
		if size == 1 {
			break // invalid UTF-8
		}
		i += size
	}
	return decodeStringSlow(b, start, i)
}

// decodeStringSlow decodes the string literal starting at b[start] whose
// first byte that is not copied verbatim is at b[i].
func decodeStringSlow(b []byte, start, i int) (string, int, bool) {
	// Find the closing quote first, so that the buffer can be sized and
	// unterminated input rejected early.
	end := i
	for ; end < len(b) && b[end] != '"'; end++ {
		if b[end] == '\\' {
			end++
		}
	}
	if end >= len(b) {
		return "", 0, false
	}

	var sb strings.Builder
	sb.Grow(end - start)
	sb.Write(b[start:i])
	run := i // start of the pending run of bytes to copy verbatim
	for i < end {
		c := b[i]
		if plain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if _, size := utf8.DecodeRune(b[i:end]); size > 1 {
				i += size
				continue
			}
			sb.Write(b[run:i])
			sb.WriteRune(utf8.RuneError)
			i++
			run = i
			continue
		}
		if c != '\\' {
			return "", 0, false // control character
		}
		sb.Write(b[run:i])
		i++ // b[i] < end: the scan above skipped escaped characters
		switch c = b[i]; c {
		case '"', '\\', '/':
			sb.WriteByte(c)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := hex4(b[i+1 : end])
			if !ok {
				return "", 0, false
			}
			i += 4
			if r >= 0xd800 && r <= 0xdfff {
				if r < 0xdc00 && i+6 < end && b[i+1] == '\\' && b[i+2] == 'u' {
					if r2, ok := hex4(b[i+3 : end]); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
						sb.WriteRune(0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00))
						i += 6
						break
					}
				}
				// Lone surrogate: keep it as WTF-8.
				sb.WriteByte(byte(0xe0 | r>>12))
				sb.WriteByte(byte(0x80 | r>>6&0x3f))
				sb.WriteByte(byte(0x80 | r&0x3f))
				break
			}
			sb.WriteRune(r)
		default:
			return "", 0, false
		}
		i++
		run = i
	}
	sb.Write(b[run:end])
	return sb.String(), end + 1, true
}

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
