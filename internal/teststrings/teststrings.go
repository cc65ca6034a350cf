// Package teststrings generates the strings that the browser suite sends
// through every transport: a deterministic mix of lengths from 0 to 32 Ki
// code units and of every kind of UTF-16 code unit (ASCII, controls,
// characters that encoders escape or that browsers normalize, surrogate
// pairs and lone surrogates), with sequences that look like escapes or like
// markup (%XX, \uXXXX, </script>, ...).
//
// e2e/generate.js is the same generator in JavaScript: for a given seed
// both produce the same code units, which lets the browser check what
// examples/echo's /generated service sends. TestSameAsJavaScript keeps the
// two in step; a change to one must be made to the other.
package teststrings

import (
	"unicode/utf16"
	"unicode/utf8"
)

// DefaultSeed and DefaultCount are the set the browser suite uses unless
// told otherwise.
const (
	DefaultSeed  = 1
	DefaultCount = 2000
)

// Generate returns count strings for seed, each as UTF-16 code units.
func Generate(seed uint32, count int) [][]uint16 {
	r := newRNG(seed)
	out := make([][]uint16, count)
	for i := range out {
		n := r.length()
		u := make([]uint16, 0, n+24)
		for len(u) < n {
			u = r.piece(u)
		}
		out[i] = u[:n:n]
	}
	return out
}

// Strings returns the strings of Generate as the library represents them:
// see WTF8.
func Strings(seed uint32, count int) []string {
	units := Generate(seed, count)
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = WTF8(u)
	}
	return out
}

// WTF8 returns u as a Go string in the form the library uses for messages:
// UTF-8, where a surrogate pair is the 4-byte encoding of its character and
// a lone surrogate is the 3-byte generalized UTF-8 (WTF-8) encoding of its
// code unit, which the encoder writes as a \uXXXX escape.
func WTF8(u []uint16) string {
	b := make([]byte, 0, 3*len(u))
	for i := 0; i < len(u); i++ {
		c := rune(u[i])
		if utf16.IsSurrogate(c) {
			if c < 0xdc00 && i+1 < len(u) && u[i+1] >= 0xdc00 && u[i+1] <= 0xdfff {
				b = utf8.AppendRune(b, utf16.DecodeRune(c, rune(u[i+1])))
				i++
				continue
			}
			b = append(b, 0xe0|byte(c>>12), 0x80|byte(c>>6&0x3f), 0x80|byte(c&0x3f))
			continue
		}
		b = utf8.AppendRune(b, c)
	}
	return string(b)
}

// rng is xorshift32: small, and the same in JavaScript's 32-bit integer
// arithmetic.
type rng struct{ x uint32 }

func newRNG(seed uint32) *rng {
	x := seed*0x9e3779b9 ^ 0x6d2b79f5
	if x == 0 {
		x = 1
	}
	return &rng{x}
}

func (r *rng) next() uint32 {
	x := r.x
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	r.x = x
	return x
}

// intn returns a number in [0, n), for n below 2^21 (exact in a float64 in
// JavaScript).
func (r *rng) intn(n int) int {
	return int(uint64(r.next()) * uint64(n) >> 32)
}

// length picks a string's length in code units: mostly short, some of
// several KiB, a few of tens of KiB.
func (r *rng) length() int {
	switch p := r.intn(1000); {
	case p < 50:
		return 0
	case p < 400:
		return 1 + r.intn(8)
	case p < 700:
		return 1 + r.intn(64)
	case p < 880:
		return 1 + r.intn(512)
	case p < 985:
		return 1 + r.intn(4096)
	default:
		return 4096 + r.intn(28<<10)
	}
}

// Code units that encoders escape, that the client escapes, or that a
// browser might normalize or drop.
var specialUnits = []uint16{
	0x0000, 0x007f, 0x0085, 0x00a0, 0x00ad, 0x0300, 0x0345, 0x0600, 0x0604,
	0x070f, 0x17b4, 0x17b5, 0x1f71, 0x200b, 0x200c, 0x200f, 0x2028, 0x2029,
	0x202a, 0x202f, 0x2060, 0x206f, 0x2126, 0x212a, 0xf900, 0xfeff, 0xfff0,
	0xfffd, 0xfffe, 0xffff,
}

// ASCII characters that mean something to JSON, HTML, URLs or event streams.
const escapeASCII = "%\\\"<>&'/+=?#;[]{},:`\n\r\t "

const hexDigits = "0123456789abcdefABCDEF"

// Sequences that look like escapes, markup or frames.
var tokens = toUnits(
	"</script>", "<script>", "</SCRIPT >", "<!--", "-->", "]]>", "<![CDATA[",
	"\r\n", "\n\n", "\r\n\r\n", "data: ", "a[\"", "\"]", "[\"", "c[3000,\"Go away!\"]",
	"o", "h", "&amp;", "&#x3c;", "%25", "%%", "%u2028", "%E2%80%A8", "%zz", "%",
	"\\\\", "\\\"", "\\n", "\\u", "\\ud800", "\u2028\u2029", "\U0001F600",
	"\U0001F468\u200d\U0001F469", "e\u0301", "\u4e2d\u6587", "\ufeff", "null", "\x00\x00",
	"p(\"", ");", "%0D%0A",
)

func toUnits(s ...string) [][]uint16 {
	out := make([][]uint16, len(s))
	for i, t := range s {
		out[i] = utf16.Encode([]rune(t))
	}
	return out
}

// piece appends a few code units of a randomly chosen kind to u.
func (r *rng) piece(u []uint16) []uint16 {
	switch r.intn(16) {
	case 0, 1, 2, 3: // printable ASCII
		return append(u, uint16(0x20+r.intn(95)))
	case 4: // C0 control or DEL
		if c := r.intn(33); c < 32 {
			return append(u, uint16(c))
		}
		return append(u, 0x7f)
	case 5: // C1 control or Latin-1
		return append(u, uint16(0x80+r.intn(0x80)))
	case 6: // the rest of the BMP below the surrogates
		return append(u, uint16(0x100+r.intn(0xd800-0x100)))
	case 7: // the BMP above the surrogates
		return append(u, uint16(0xe000+r.intn(0x2000)))
	case 8:
		return append(u, specialUnits[r.intn(len(specialUnits))])
	case 9:
		return append(u, uint16(escapeASCII[r.intn(len(escapeASCII))]))
	case 10: // a surrogate pair: a character outside the BMP
		hi := uint16(0xd800 + r.intn(0x400))
		return append(u, hi, uint16(0xdc00+r.intn(0x400)))
	case 11: // a high surrogate, lone unless a low one follows
		return append(u, uint16(0xd800+r.intn(0x400)))
	case 12: // a low surrogate, lone unless a high one precedes
		return append(u, uint16(0xdc00+r.intn(0x400)))
	case 13: // %XX
		u = append(u, '%')
		for range 2 {
			u = append(u, uint16(hexDigits[r.intn(len(hexDigits))]))
		}
		return u
	case 14: // \uXXXX
		u = append(u, '\\', 'u')
		for range 4 {
			u = append(u, uint16(hexDigits[r.intn(len(hexDigits))]))
		}
		return u
	default:
		return append(u, tokens[r.intn(len(tokens))]...)
	}
}
