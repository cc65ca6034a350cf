package clientdecode

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs/internal/refserver"
)

var nodeSeed = flag.Uint64("node.seed", 1, "seed of the inputs TestAgainstNode generates")

// nodeCheck runs, for each input, one JavaScript function of the real
// engine (V8, in node) and reports its result in a canonical form: strings
// as arrays of code units, so that lone surrogates survive.
const nodeCheck = `
const canon = (v) => {
  if (typeof v === 'string') return {s: Array.from({length: v.length}, (_, i) => v.charCodeAt(i))};
  if (typeof v === 'number') return {n: Number.isFinite(v) ? v : String(v)};
  if (typeof v === 'boolean') return {b: v};
  if (v === null) return {z: true};
  if (Array.isArray(v)) return {a: v.map(canon)};
  return {o: Object.keys(v).map((k) => [canon(k), canon(v[k])])};
};
const str = (units) => String.fromCharCode(...units);
const run = (f) => { try { return {ok: canon(f())}; } catch (e) { return {err: e.name}; } };
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify({
  uri: input.uri.map((u) => run(() => decodeURI(str(u)))),
  json: input.json.map((u) => run(() => JSON.parse(str(u)))),
  lit: input.lit.map((u) => run(() => (0, eval)('(' + str(u) + ')'))),
  utf8: input.utf8.map((b) => run(() => new TextDecoder('utf-8', {ignoreBOM: true}).decode(Buffer.from(b)))),
}));
`

// TestAgainstNode checks decodeURI, JSON.parse, ES5 string literals and the
// UTF-8 decoder of this package against V8's, on generated inputs (seed
// -node.seed). V8 follows ES2019 and later, which allow a raw U+2028 and
// U+2029 in string literals: the generated literals hold them only after a
// backslash, where every edition agrees.
func TestAgainstNode(t *testing.T) {
	node := refserver.Node(t)
	t.Logf("seed %d (-node.seed to change it)", *nodeSeed)
	rng := rand.New(rand.NewPCG(*nodeSeed, 0))
	var in struct {
		URI, JSON, Lit []UTF16
		UTF8           [][]int
	}
	for range 3000 {
		in.URI = append(in.URI, genURI(rng))
		in.JSON = append(in.JSON, genJSON(rng))
		in.Lit = append(in.Lit, genLiteral(rng))
		b := []int{}
		for range rng.IntN(10) {
			b = append(b, []int{0x41, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x90, 0x8f}[rng.IntN(16)])
		}
		in.UTF8 = append(in.UTF8, b)
	}
	body, err := json.Marshal(map[string]any{"uri": in.URI, "json": in.JSON, "lit": in.Lit, "utf8": in.UTF8})
	require.NoError(t, err)
	cmd := exec.Command(node, "-e", nodeCheck)
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	require.NoError(t, err)
	var got map[string][]any
	require.NoError(t, json.Unmarshal(out, &got))

	check := func(kind string, inputs []UTF16, f func(UTF16) (any, error)) {
		require.Len(t, got[kind], len(inputs))
		for i, s := range inputs {
			v, err := f(s)
			want := map[string]any{"err": "error"}
			if err == nil {
				want = map[string]any{"ok": canonical(v)}
			}
			node := got[kind][i].(map[string]any)
			if _, ok := node["err"]; ok {
				node = map[string]any{"err": "error"}
			}
			if !reflect.DeepEqual(roundTrip(t, want), node) {
				t.Errorf("%s(%s): got %v, V8 %v", kind, s, want, node)
			}
		}
	}
	check("uri", in.URI, func(s UTF16) (any, error) { return DecodeURI(s) })
	check("json", in.JSON, func(s UTF16) (any, error) { return ParseJSON(s) })
	check("lit", in.Lit, func(s UTF16) (any, error) {
		v, end, err := ParseStringLiteral(s, 0)
		if err == nil && end != len(s) {
			err = syntaxError(end, "trailing input")
		}
		return v, err
	})
	var utf8In []UTF16
	for _, b := range in.UTF8 {
		s := make(UTF16, len(b))
		for i, c := range b {
			s[i] = uint16(c)
		}
		utf8In = append(utf8In, s)
	}
	check("utf8", utf8In, func(s UTF16) (any, error) {
		b := make([]byte, len(s))
		for i, c := range s {
			b[i] = byte(c)
		}
		return DecodeUTF8(b), nil
	})
}

// canonical puts a value of this package in the form nodeCheck gives.
func canonical(v any) any {
	switch v := v.(type) {
	case UTF16:
		units := make([]int, len(v))
		for i, c := range v {
			units[i] = int(c)
		}
		return map[string]any{"s": units}
	case float64:
		if math.IsInf(v, 0) {
			return map[string]any{"n": map[bool]string{true: "Infinity", false: "-Infinity"}[v > 0]}
		}
		return map[string]any{"n": v}
	case bool:
		return map[string]any{"b": v}
	case nil:
		return map[string]any{"z": true}
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = canonical(e)
		}
		return map[string]any{"a": a}
	case []Member:
		// JavaScript keeps the last of duplicate keys, in the place of
		// the first; integer-like keys come first, in numeric order.
		// Generated objects have unique, non-numeric keys.
		o := make([]any, len(v))
		for i, m := range v {
			o[i] = []any{canonical(m.Key), canonical(m.Value)}
		}
		return map[string]any{"o": o}
	}
	panic(v)
}

// roundTrip passes v through encoding/json, as the node results did.
func roundTrip(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// genUnits returns up to n code units, most from alphabet, some anything.
func genUnits(rng *rand.Rand, alphabet string, n int) UTF16 {
	s := UTF16{}
	for range rng.IntN(n + 1) {
		switch rng.IntN(10) {
		case 0:
			s = append(s, uint16(rng.IntN(0x10000)))
		case 1:
			s = append(s, []uint16{0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe9, 0x20ac, 0x2028, 0xfeff, 0}[rng.IntN(9)])
		default:
			s = append(s, uint16(alphabet[rng.IntN(len(alphabet))]))
		}
	}
	return s
}

// genURI returns a string of escapes, most of them of bytes that matter to
// UTF-8 or are reserved, and other characters.
func genURI(rng *rand.Rand) UTF16 {
	s := UTF16{}
	for range rng.IntN(6) {
		if rng.IntN(2) == 0 {
			s = append(s, genUnits(rng, "%0aA;/?:@&=+$,# x", 2)...)
			continue
		}
		b := []string{"00", "20", "23", "25", "2f", "3B", "41", "7f", "80", "bf", "c2", "C3", "df", "e0", "e2",
			"ed", "ef", "f0", "f4", "f5", "f8", "ff", "a0", "9f", "82", "AC", "8f", "90", "4", "g0"}[rng.IntN(30)]
		s = append(append(s, '%'), FromGo(b)...)
	}
	return s
}

// genJSON returns a JSON text, often slightly broken.
func genJSON(rng *rand.Rand) UTF16 {
	var s UTF16
	var value func(depth int)
	value = func(depth int) {
		switch k := rng.IntN(8); {
		case k < 3:
			s = append(s, '"')
			s = append(s, genUnits(rng, "abc\\\"/bfnrtu0123456789ABCDEF \x01\x1f\x7f", 8)...)
			s = append(s, '"')
		case k == 3:
			s = append(s, genUnits(rng, "-0123456789.eE+", 6)...)
		case k == 4 && depth < 3:
			s = append(s, '[')
			for i := range rng.IntN(4) {
				if i > 0 {
					s = append(s, ',')
				}
				value(depth + 1)
			}
			s = append(s, ']')
		case k == 5 && depth < 3:
			s = append(s, '{')
			for i := range rng.IntN(3) {
				if i > 0 {
					s = append(s, ',')
				}
				s = append(s, '"', 'k', uint16('a'+i), '"', ':')
				value(depth + 1)
			}
			s = append(s, '}')
		default:
			lits := []string{"true", "false", "null", " ", "\t\r\n", "\u00a0", "nul"}
			s = append(s, FromGo(lits[rng.IntN(len(lits))])...)
		}
	}
	value(0)
	if rng.IntN(3) == 0 && len(s) > 0 {
		i := rng.IntN(len(s))
		s = append(s[:i], append(genUnits(rng, `"\,[]{}: `, 2), s[i+1:]...)...)
	}
	return s
}

// genLiteral returns a double-quoted JavaScript string literal whose every
// backslash escapes the code unit after it and which holds no other quote,
// so that it cannot end before its last code unit.
func genLiteral(rng *rand.Rand) UTF16 {
	s := UTF16{'"'}
	for range rng.IntN(12) {
		c := genUnits(rng, "'\"\\bfnrtvxu0123456789abcdefABCDEF\n\r\u2028\u2029z", 1)
		if len(c) == 0 {
			continue
		}
		if rng.IntN(3) == 0 {
			if rng.IntN(2) == 0 {
				c[0] = uint16('0' + rng.IntN(10)) // octal escapes, \8 and \9
			}
			s = append(s, '\\', c[0])
			continue
		}
		if c[0] == '"' || c[0] == '\\' || c[0] == 0x2028 || c[0] == 0x2029 {
			continue // a raw line separator is legal since ES2019 only
		}
		s = append(s, c[0])
	}
	return append(s, '"')
}
