package clientdecode

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJSON(t *testing.T) {
	v, err := ParseJSON(u(` [ "a\ud800\u00E9\/\"" , 1.5e2, -0, true, false, null, {"k": [], "": {}} ] `))
	require.NoError(t, err)
	assert.Equal(t, []any{UTF16{'a', 0xd800, 0xe9, '/', '"'}, 150.0, 0.0, true, false, nil,
		[]Member{{u("k"), []any{}}, {UTF16{}, []Member{}}}}, v)
	v, err = ParseJSON(UTF16{'"', 0xdc00, 0x2028, '"'})
	require.NoError(t, err)
	assert.Equal(t, UTF16{0xdc00, 0x2028}, v)
	for _, in := range []string{``, ` `, `[`, `[1,]`, `{"a"}`, `01`, `1.`, `.5`, `+1`, `1e`, `"\x41"`,
		`"\u12"`, "\"\t\"", "\"\x00\"", `'a'`, `nul`, `[] []`, "\u00a01", `{a:1}`} {
		_, err := ParseJSON(u(in))
		assert.Error(t, err, "%q", in)
	}
}

// FuzzParseJSON requires ParseJSON to accept exactly the texts that
// encoding/json finds valid, on valid UTF-8.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`[]`, `["a",1,{"b":null}]`, `"\ud800"`, `1e5`, `-0.5E-3`, "\"\t\"", `[1,]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		_, err := ParseJSON(FromGo(s))
		if valid := json.Valid([]byte(s)); valid != (err == nil) {
			t.Fatalf("%q: encoding/json valid %v, ParseJSON error %v", s, valid, err)
		}
	})
}
