package clientdecode

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFrame(t *testing.T) {
	for in, want := range map[string]Frame{
		"o":                          {Type: 'o'},
		"h":                          {Type: 'h'},
		"oops":                       {Type: 'o'}, // the client ignores what follows
		`a[]`:                        {Type: 'a', Messages: []UTF16{}},
		`a["x","\u2028"]`:            {Type: 'a', Messages: []UTF16{u("x"), {0x2028}}},
		` a ["x"]`[1:]:               {Type: 'a', Messages: []UTF16{u("x")}},
		`m"x"`:                       {Type: 'm', Messages: []UTF16{u("x")}},
		`c[3000,"Go away!"]`:         {Type: 'c', Code: 3000, Reason: u("Go away!")},
		"c[ 2010 ,\n\"\\ud800\" ]\t": {Type: 'c', Code: 2010, Reason: UTF16{0xd800}},
	} {
		got, err := ParseFrame(u(in))
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"", "x", "a", `a["x"`, `a{}`, `a"x"`, `c[3000]`, `c[3000,"a","b"]`, `c{}`} {
		_, err := ParseFrame(u(in))
		assert.ErrorIs(t, err, ErrIgnored, "%q", in)
	}
	for _, in := range []string{`a[1]`, `c["3000","x"]`, `c[3000.5,"x"]`, `c[3000,1]`, `m1`} {
		_, err := ParseFrame(u(in))
		assert.Error(t, err, "%q", in)
	}
}

func TestTransportFrames(t *testing.T) {
	assert.Equal(t, []UTF16{u("o"), u("a[\"x\"]")}, XHRFrames([]byte("o\n\na[\"x\"]\nc[")))
	assert.Equal(t, []UTF16{u("a[\"x"), u("y\"]")}, XHRFrames([]byte("a[\"x\ny\"]\n")), "a raw LF splits a frame")

	es, err := EventSourceFrames([]byte("\r\ndata: o\r\n\r\ndata: a[\"%25%0A\"]\r\n\r\ndata: h"))
	require.NoError(t, err)
	assert.Equal(t, []UTF16{u("o"), u("a[\"%\n\"]")}, es)
	_, err = EventSourceFrames([]byte("data: a[\"%\"]\r\n\r\n"))
	assert.ErrorIs(t, err, ErrURI)

	prelude := "<!doctype html><body><script>\nvar c = parent.cb;\nfunction p(d) {c.message(d);};\n</script>"
	hf, err := HTMLFileFrames([]byte(prelude+"<script>\np(\"o\");\n</script>\r\n<script>\np(\"h\")"), "cb")
	require.NoError(t, err)
	assert.Equal(t, []UTF16{u("o")}, hf)
	_, err = HTMLFileFrames([]byte(prelude), "other")
	assert.Error(t, err)
	_, err = HTMLFileFrames([]byte(prelude+"<script>\np(\"a[\\\"</script>\\\"]\");\n</script>"), "cb")
	assert.Error(t, err, "a script that </script> cut short does not parse")

	jp, err := JSONPFrame([]byte("/**/cb(\"o\");\r\n"), "cb")
	require.NoError(t, err)
	assert.Equal(t, u("o"), jp)
	_, err = JSONPFrame([]byte("/**/other(\"o\");\r\n"), "cb")
	assert.Error(t, err)
}
