package clientdecode

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStringLiteral(t *testing.T) {
	for in, want := range map[string]UTF16{
		`"abc"`:                      u("abc"),
		`'a"b'`:                      u(`a"b`),
		`"\'\"\\\b\f\n\r\t\v"`:       u("'\"\\\b\f\n\r\t\v"),
		`"\x41\u00e9\ud800"`:         {'A', 0xe9, 0xd800},
		`"\0"`:                       {0},
		`"\08"`:                      {0, '8'},
		`"\1\12\123\1234\400\8"`:     {1, 0o12, 0o123, 0o123, '4', 0o40, '0', '8'},
		"\"a\\\nb\\\r\nc\\\u2028d\"": u("abcd"), // line continuations
		`"\a\<\/"`:                   u("a</"),
		"\"\u00a0\ufeff\"":           {0xa0, 0xfeff},
	} {
		got, end, err := ParseStringLiteral(u(in), 0)
		require.NoError(t, err, "%s", in)
		assert.Equal(t, want, got, "%s", in)
		assert.Equal(t, len(u(in)), end, "%s", in)
	}
	for _, in := range []string{`"abc`, "\"a\nb\"", "\"a\rb\"", "\"a\u2028b\"", "\"a\u2029b\"",
		`"\x4"`, `"\u004"`, `"\u00g0"`, `"\`, `abc`} {
		_, _, err := ParseStringLiteral(u(in), 0)
		assert.Error(t, err, "%s", in)
	}
}

func TestParseCall(t *testing.T) {
	for in, want := range map[string][2]string{
		`p("x");`:                     {"p", "x"},
		"\np(\"x\");\n":               {"p", "x"},
		"/**/_jp.a1b2c3(\"x\");\r\n":  {"_jp.a1b2c3", "x"},
		"/* a */ a . b /*b*/ ( 'x' )": {"a.b", "x"},
		"// c\n$(\"\")":               {"$", ""},
	} {
		fn, arg, err := ParseCall(u(in))
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want[0], fn, "%q", in)
		assert.Equal(t, u(want[1]), arg, "%q", in)
	}
	for _, in := range []string{`p("x") p`, `p("x"`, `p(x)`, `p("x", "y")`, `("x")`, `p("x");;`,
		`p.("x")`, `/* p("x");`, "p(\"\u2028\")", `1p("x")`} {
		_, _, err := ParseCall(u(in))
		assert.Error(t, err, "%q", in)
	}
}
