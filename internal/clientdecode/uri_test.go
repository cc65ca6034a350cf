package clientdecode

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
		"%3b%2c%40":     "%3b%2c%40",
		"%e2%82%ac":     "€",
		"%E2%82%AC":     "€",
		"€ raw":         "€ raw",
		"%0D%0A%00":     "\r\n\x00",
		"%f0%9f%98%80!": "😀!",
		"%41%":          "", // malformed
		"%4":            "",
		"%zz":           "",
		"%80":           "",
		"%ff":           "",
		"%ed%a0%80":     "", // a surrogate
		"%c0%af":        "", // overlong
		"%e0%80%80":     "",
		"%e2%82":        "",
		"%e2%82%41":     "",
		"%e2%82%":       "",
		"%f4%90%80%80":  "", // beyond U+10FFFF
		"%f8%80%80%80":  "",
	} {
		got, err := DecodeURI(u(in))
		if want == "" {
			assert.ErrorIs(t, err, ErrURI, "decodeURI(%q)", in)
			continue
		}
		require.NoError(t, err, "decodeURI(%q)", in)
		assert.Equal(t, u(want), got, "decodeURI(%q)", in)
	}
	// Lone surrogates stand for themselves.
	got, err := DecodeURI(UTF16{0xd800, '%', '4', '1'})
	require.NoError(t, err)
	assert.Equal(t, UTF16{0xd800, 'A'}, got)
}
