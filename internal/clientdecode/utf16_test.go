package clientdecode

import (
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
)

func u(s string) UTF16 { return UTF16(utf16.Encode([]rune(s))) }

func TestDecodeUTF8(t *testing.T) {
	for in, want := range map[string]UTF16{
		"":                 {},
		"abc":              u("abc"),
		"é日😀":              u("é日😀"),
		"\xef\xbb\xbfx":    {0xfeff, 'x'}, // a BOM is kept: only decodeBody drops it
		"\xff":             {0xfffd},
		"\xe2\x82A":        {0xfffd, 'A'}, // one U+FFFD for the maximal subpart
		"\xe2\x82\xe2\x82": {0xfffd, 0xfffd},
		"\xed\xa0\x80":     {0xfffd, 0xfffd, 0xfffd}, // a surrogate
		"\xc0\xaf":         {0xfffd, 0xfffd},         // overlong
		"\xe0\x80\x80":     {0xfffd, 0xfffd, 0xfffd},
		"\xf0\x80\x80\x80": {0xfffd, 0xfffd, 0xfffd, 0xfffd},
		"\xf4\x90\x80\x80": {0xfffd, 0xfffd, 0xfffd, 0xfffd}, // beyond U+10FFFF
		"\xf0\x9f\x98":     {0xfffd},
		"\xf0\x9f\x98x":    {0xfffd, 'x'},
		"\x80\xbf":         {0xfffd, 0xfffd},
	} {
		assert.Equal(t, want, DecodeUTF8([]byte(in)), "%q", in)
	}
	assert.Equal(t, u("x"), decodeBody([]byte("\xef\xbb\xbfx")))
}

func TestFromGo(t *testing.T) {
	for in, want := range map[string]UTF16{
		"abc":                      u("abc"),
		"😀":                        {0xd83d, 0xde00},
		"\xed\xa0\x80":             {0xd800},
		"x\xed\xbf\xbfy":           {'x', 0xdfff, 'y'},
		"\xed\xa0\xbd\xed\xb8\x80": {0xd83d, 0xde00}, // a pair of WTF-8 halves is the pair
		"\xed\xa0":                 {0xfffd, 0xfffd},
		"\xe2\x82A":                {0xfffd, 0xfffd, 'A'}, // one U+FFFD per byte, as AppendString writes
		"\xff":                     {0xfffd},
	} {
		assert.Equal(t, want, FromGo(in), "%q", in)
	}
}

func TestUTF16String(t *testing.T) {
	assert.Equal(t, `"a\"\\\n\u0000\u2028é😀\ud800\ufffd\u00a0"`,
		UTF16{'a', '"', '\\', '\n', 0, 0x2028, 0xe9, 0xd83d, 0xde00, 0xd800, 0xfffd, 0xa0}.String())
}
