package jsuri

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeURI(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"%20":           " ",
		"%25":           "%",
		"%2520":         "%20",
		"%3B%2F%3F%23":  "%3B%2F%3F%23", // reserved: kept escaped
		"%e2%82%ac":     "€",
		"%E2%82%AC":     "€",
		"€ raw":         "€ raw",
		"%0D%0A%00":     "\r\n\x00",
		"%41%":          "", // malformed
		"%zz":           "",
		"%80":           "",
		"%ed%a0%80":     "", // a surrogate
		"%c0%af":        "", // overlong
		"%e2%82":        "",
		"%e2%82%41":     "",
		"%f4%90%80%80":  "", // beyond U+10FFFF
		"%f0%9f%98%80!": "😀!",
	} {
		got, err := AppendDecode([]byte("keep"), []byte(in))
		if want == "" {
			assert.ErrorIs(t, err, ErrURI, "decodeURI(%q)", in)
			assert.Equal(t, "keep", string(got), "decodeURI(%q) changed dst", in)
			continue
		}
		require.NoError(t, err, "decodeURI(%q)", in)
		assert.Equal(t, "keep"+want, string(got), "decodeURI(%q)", in)
	}
}
