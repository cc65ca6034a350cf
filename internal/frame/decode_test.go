package frame

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{" [ ] ", nil},
		{`["a"]`, []string{"a"}},
		{`["a","b"]`, []string{"a", "b"}},
		{"\t[ \"a\" ,\n\"b\"\r] \n", []string{"a", "b"}},
		{`"a"`, []string{"a"}},
		{` "" `, []string{""}},
		{`[""]`, []string{""}},
		{`["\"\\\/\b\f\n\r\t"]`, []string{"\"\\/\b\f\n\r\t"}},
		{`["\u0041\u00e9\u00E9\u2028"]`, []string{"Aéé\u2028"}},
		{`["\ud83d\ude00"]`, []string{"😀"}},
		{`["\uD83D\uDE00x"]`, []string{"😀x"}},
		{`["\ud800"]`, []string{"\xed\xa0\x80"}},
		{`["\udc00\ud800"]`, []string{"\xed\xb0\x80\xed\xa0\x80"}},
		{`["\ud800\u0041"]`, []string{"\xed\xa0\x80A"}},
		{`["\ud800\ud800\udc00"]`, []string{"\xed\xa0\x80𐀀"}},
		{`["x\ud800"]`, []string{"x\xed\xa0\x80"}},
		{"[\"h\xc3\xa9\"]", []string{"hé"}},
		{"[\"a\xffb\"]", []string{"a\ufffdb"}},
		{"[\"\xed\xa0\x80\"]", []string{"\ufffd\ufffd\ufffd"}},
		{"[\"\\n\xff\"]", []string{"\n\ufffd"}},
		{"[\"\x7f\"]", []string{"\x7f"}},
		{"[\"\ufffd\"]", []string{"\ufffd"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := DecodeMessages(nil, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeMessagesErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrEmpty},
		{"   ", ErrEmpty},
		{"\r\n\t", ErrEmpty},
		{"[", ErrBroken},
		{`["a"`, ErrBroken},
		{`["a",`, ErrBroken},
		{`["a",]`, ErrBroken},
		{`[,"a"]`, ErrBroken},
		{`["a""b"]`, ErrBroken},
		{`["a"]]`, ErrBroken},
		{`[1]`, ErrBroken},
		{`["a",1]`, ErrBroken},
		{`[null]`, ErrBroken},
		{`[["a"]]`, ErrBroken},
		{`{"a":1}`, ErrBroken},
		{`null`, ErrBroken},
		{`1`, ErrBroken},
		{`"a" "b"`, ErrBroken},
		{`["a"]x`, ErrBroken},
		{`["a"] ["b"]`, ErrBroken},
		{`"a`, ErrBroken},
		{`"a\"`, ErrBroken},
		{`"\`, ErrBroken},
		{`["\x"]`, ErrBroken},
		{`["\u12"]`, ErrBroken},
		{`["\u12g4"]`, ErrBroken},
		{`["\ud800\u12"]`, ErrBroken},
		{`["\U0041"]`, ErrBroken},
		{"[\"a\nb\"]", ErrBroken},
		{"[\"\x00\"]", ErrBroken},
		{"[\"\\n\x01\"]", ErrBroken},
		{"\xef\xbb\xbf[]", ErrBroken}, // BOM is not white space
		{strings.Repeat("[", 100000), ErrBroken},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			dst := []string{"keep"}
			got, err := DecodeMessages(dst, []byte(tt.in))
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, []string{"keep"}, got)
		})
	}
}

func TestDecodeMessagesAppends(t *testing.T) {
	dst := make([]string, 1, 8)
	dst[0] = "x"
	got, err := DecodeMessages(dst, []byte(`["a","b"]`))
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "a", "b"}, got)

	got, err = DecodeMessages(got, []byte(`["c",1]`))
	assert.ErrorIs(t, err, ErrBroken)
	assert.Equal(t, []string{"x", "a", "b"}, got)
	assert.Equal(t, "", got[:4][3], "dropped element must be cleared")
}

func TestDecodeMessagesAllocs(t *testing.T) {
	dst := make([]string, 0, 4)
	for _, in := range []string{`["hello"]`, `["hello\nworld"]`, `"\ud83d\ude00"`} {
		b := []byte(in)
		assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() {
			DecodeMessages(dst[:0], b)
		}), in)
	}
}

// The lone surrogates that the SockJS protocol tests send must come back
// unchanged.
func TestLoneSurrogateRoundTrip(t *testing.T) {
	for _, in := range []string{`\ud800`, `\udbff`, `\udc00`, `\udfff`, `a\ud800b`, `\udc00\ud800`} {
		msgs, err := DecodeMessages(nil, []byte(`["`+in+`"]`))
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		assert.Equal(t, `"`+in+`"`, string(AppendString(nil, msgs[0])))
	}
}

func BenchmarkDecodeMessages(b *testing.B) {
	var batch []string
	for range 10 {
		batch = append(batch, "message payload")
	}
	cases := []struct {
		name string
		in   []byte
	}{
		{"Hello", []byte(`["hello"]`)},
		{"1K", AppendMessages(nil, strings.Repeat("abcdefghijklmno ", 64))[1:]},
		{"1KEscaped", AppendMessages(nil, strings.Repeat("abcdefghijklmn\"\n", 64))[1:]},
		{"Batch10", AppendMessages(nil, batch...)[1:]},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]string, 0, 16)
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				dst, err = DecodeMessages(dst[:0], c.in)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestDecodeMessagesAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		msgs := make([]string, rng.IntN(4))
		for i := range msgs {
			msgs[i] = randString(rng)
		}
		b, err := json.Marshal(msgs)
		require.NoError(t, err)
		got, err := DecodeMessages(nil, b)
		require.NoError(t, err, "%s", b)
		if len(msgs) == 0 {
			msgs = nil
		}
		require.Equal(t, msgs, got, "%s", b)
	}
}
