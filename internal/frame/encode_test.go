package frame

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inEscapeSet reports whether the SockJS protocol requires r to be sent as a
// \u escape (short escapes aside).
func inEscapeSet(r rune) bool {
	in := func(lo, hi rune) bool { return lo <= r && r <= hi }
	return in(0x00, 0x1f) || in(0x7f, 0x9f) || r == 0xad ||
		in(0x600, 0x604) || r == 0x70f || r == 0x17b4 || r == 0x17b5 ||
		in(0x200c, 0x200f) || in(0x2028, 0x202f) || in(0x2060, 0x206f) ||
		r == 0xfeff || in(0xfff0, 0xffff) || in(0xd800, 0xdfff)
}

// wtf8 returns the generalized UTF-8 encoding of the BMP code point r,
// which is WTF-8 for surrogates.
func wtf8(r rune) string {
	if r < 0xd800 || r > 0xdfff {
		return string(r)
	}
	return string([]byte{byte(0xe0 | r>>12), byte(0x80 | r>>6&0x3f), byte(0x80 | r&0x3f)})
}

func TestAppendStringBMP(t *testing.T) {
	short := map[rune]string{
		'"': `"\""`, '\\': `"\\"`,
		'\b': `"\b"`, '\f': `"\f"`, '\n': `"\n"`, '\r': `"\r"`, '\t': `"\t"`,
	}
	for r := rune(0); r <= 0xffff; r++ {
		s := wtf8(r)
		for _, script := range []bool{false, true} {
			var got string
			if script {
				got = string(AppendScriptString(nil, s))
			} else {
				got = string(AppendString(nil, s))
			}
			switch want, ok := short[r]; {
			case ok:
				if got != want {
					t.Fatalf("U+%04X: got %s, want %s", r, got, want)
				}
			case inEscapeSet(r), script && (r == '<' || r == '>' || r == '&'):
				if want := fmt.Sprintf(`"\u%04x"`, r); got != want {
					t.Fatalf("U+%04X (script=%v): got %s, want %s", r, script, got, want)
				}
			default:
				if want := `"` + s + `"`; got != want {
					t.Fatalf("U+%04X (script=%v): got %s, want raw %s", r, script, got, want)
				}
			}
			msgs, err := DecodeMessages(nil, []byte(got))
			if err != nil || len(msgs) != 1 || msgs[0] != s {
				t.Fatalf("U+%04X: decode(%s) = %q, %v; want %q", r, got, msgs, err, s)
			}
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		in, want, script string
	}{
		{"", `""`, ""},
		{"hello", `"hello"`, ""},
		{`a"b\c/d`, `"a\"b\\c/d"`, ""},
		{"\x00\x1f\x7f", `"\u0000\u001f\u007f"`, ""},
		{"\u200c\u2028\u2029\ufeff\ufff0\uffff", `"\u200c\u2028\u2029\ufeff\ufff0\uffff"`, ""},
		{"\ufffd", `"\ufffd"`, ""},
		{"héllo wörld 日本 😀", `"héllo wörld 日本 😀"`, ""},
		{"\U0001f600\U0010ffff", "\"\U0001f600\U0010ffff\"", ""},
		{"a\xffb", `"a\ufffdb"`, ""},
		{"\xc3", `"\ufffd"`, ""},
		{"\xe2\x82", `"\ufffd\ufffd"`, ""},
		{"\xc0\x80", `"\ufffd\ufffd"`, ""},                     // overlong
		{"\xf4\x90\x80\x80", `"\ufffd\ufffd\ufffd\ufffd"`, ""}, // > U+10FFFF
		{"\xed\xa0\x80", `"\ud800"`, ""},
		{"x\xed\xbf\xbfy", `"x\udfffy"`, ""},
		{"\xed\xa0", `"\ufffd\ufffd"`, ""},
		{"\xed\xa0\x80\xed\xb0\x80", `"\ud800\udc00"`, ""},
		{"</script><!-- a&b", `"</script><!-- a&b"`, `"\u003c/script\u003e\u003c!-- a\u0026b"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := AppendString(nil, tt.in)
			assert.Equal(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
			assert.True(t, utf8.Valid(got))
			want := tt.script
			if want == "" {
				want = tt.want
			}
			assert.Equal(t, want, string(AppendScriptString(nil, tt.in)))
		})
	}
}

func TestAppendStringAppends(t *testing.T) {
	dst := make([]byte, 0, 64)
	dst = append(dst, "x="...)
	got := AppendString(dst, "a\nb")
	assert.Equal(t, `x="a\nb"`, string(got))
	assert.Equal(t, &dst[:1][0], &got[0], "must reuse dst's storage")
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() {
		AppendString(dst[:0], "some text with ünïcode\u2028 and \"quotes\"")
	}))
}

func TestScriptSafe(t *testing.T) {
	for _, s := range []string{"</script>", "</SCRIPT>", "<!--", "-->", "<\x00/script>", "]]>"} {
		got := string(AppendScriptString(nil, s))
		assert.NotContains(t, got, "<", "input %q", s)
		assert.NotContains(t, got, ">", "input %q", s)
		var back string
		require.NoError(t, json.Unmarshal([]byte(got), &back))
		assert.Equal(t, s, back)
	}
}

// randString returns a random valid UTF-8 string biased toward interesting
// code points.
func randString(rng *rand.Rand) string {
	var sb strings.Builder
	n := rng.IntN(20)
	for range n {
		var r rune
		switch rng.IntN(6) {
		case 0:
			r = rng.Int32N(0x80)
		case 1:
			r = rng.Int32N(0x800)
		case 2:
			r = 0x2000 + rng.Int32N(0x80)
		case 3:
			r = 0xfe00 + rng.Int32N(0x200)
		case 4:
			r = rng.Int32N(0x110000)
		default:
			r = rune(`"\<>&/ab`[rng.IntN(8)])
		}
		if !utf8.ValidRune(r) {
			r = 0xfffd
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func TestAppendStringAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := randString(rng)
		for _, enc := range [][]byte{AppendString(nil, s), AppendScriptString(nil, s)} {
			var got string
			require.NoError(t, json.Unmarshal(enc, &got), "%s", enc)
			require.Equal(t, s, got)
			msgs, err := DecodeMessages(nil, enc)
			require.NoError(t, err)
			require.Equal(t, []string{s}, msgs)
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	cases := []struct {
		name string
		s    string
	}{
		{"ASCII16", "hello, world 123"},
		{"ASCII1K", strings.Repeat("abcdefghijklmno ", 64)},
		{"Unicode1K", strings.Repeat("héllo 日本語 😀 \"q\"\n", 40)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 4*len(c.s)+2)
			b.SetBytes(int64(len(c.s)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendString(buf[:0], c.s)
			}
		})
	}
}
