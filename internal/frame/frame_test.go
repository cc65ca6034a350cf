package frame

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestAppendClose(t *testing.T) {
	assert.Equal(t, `c[3000,"Go away!"]`, string(AppendClose(nil, 3000, "Go away!")))
	assert.Equal(t, `c[2010,"Another connection still open"]`,
		string(AppendClose(nil, 2010, "Another connection still open")))
	assert.Equal(t, `xc[1002,"a\"b"]`, string(AppendClose([]byte("x"), 1002, `a"b`)))
}

func TestAppendMessages(t *testing.T) {
	tests := []struct {
		msgs []string
		want string
	}{
		{nil, `a[]`},
		{[]string{"x"}, `a["x"]`},
		{[]string{"x", "y"}, `a["x","y"]`},
		{[]string{"", "\u2028", "\n"}, `a["","\u2028","\n"]`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(AppendMessages(nil, tt.msgs...)))
	}
}

func TestFrameRoundTrip(t *testing.T) {
	msgs := []string{"a", "\ufff0", "\xed\xa0\x80", "😀", `"\`}
	f := AppendMessages(nil, msgs...)
	got, err := DecodeMessages(nil, f[1:])
	assert.NoError(t, err)
	assert.Equal(t, msgs, got)
}

// AppendMessages appends a message frame such as a["x","y"] holding msgs to
// dst, as the session assembles them; the tests use it to build input.
func AppendMessages(dst []byte, msgs ...string) []byte {
	dst = append(dst, 'a', '[')
	for i, m := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, m)
	}
	return append(dst, ']')
}

func TestToValidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"ok ☃ 😀":           "ok ☃ 😀",
		"x\xffy":           "x\ufffdy",
		"\xed\xa0\x80":     "\ufffd",
		"\xed\xa0\x80\xff": "\ufffd\ufffd",
		"a\xe2\x82":        "a\ufffd\ufffd",
		"\xf0\x9f\x98\x80": "😀",
	} {
		assert.Equal(t, want, ToValidUTF8(in), "ToValidUTF8(%q)", in)
	}
}

func TestCloseReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for in, want := range map[string]string{
		"Go away!":               "Go away!",
		"a\xed\xa0\x80b":         "a\ufffdb",
		strings.Repeat("r", 200): strings.Repeat("r", 123),
		long:                     strings.Repeat("é", 61), // 122 bytes: the 62nd would split
	} {
		got := CloseReason(in)
		assert.Equal(t, want, got)
		assert.True(t, utf8.ValidString(got))
		assert.LessOrEqual(t, len(got), 123)
	}
}
