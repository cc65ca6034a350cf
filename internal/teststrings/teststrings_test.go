package teststrings

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSameAsJavaScript runs e2e/generate.js under node and requires the
// same code units as Generate, string by string.
func TestSameAsJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	const script = `
const fs = require("fs"), vm = require("vm");
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
const out = [];
for (const s of e2eGenerate(Number(process.argv[2]), Number(process.argv[3]))) {
  let line = "";
  for (let i = 0; i < s.length; i++) line += s.charCodeAt(i).toString(16).padStart(4, "0");
  out.push(line);
}
process.stdout.write(out.join("\n") + "\n");
`
	for _, tc := range []struct {
		seed  uint32
		count int
	}{
		{DefaultSeed, DefaultCount},
		{0, 50},
		{0xffffffff, 50},
		{0x9e3779b9, 300},
	} {
		t.Run(fmt.Sprintf("seed %d", tc.seed), func(t *testing.T) {
			cmd := exec.Command(node, "-e", script, "../../e2e/generate.js", fmt.Sprint(tc.seed), fmt.Sprint(tc.count))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, err, stderr.String())
			want := Generate(tc.seed, tc.count)
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 1<<20)
			i := 0
			for ; sc.Scan(); i++ {
				require.Less(t, i, len(want), "JavaScript made more strings")
				var got []uint16
				line := sc.Text()
				for j := 0; j+4 <= len(line); j += 4 {
					var u uint16
					_, err := fmt.Sscanf(line[j:j+4], "%04x", &u)
					require.NoError(t, err)
					got = append(got, u)
				}
				if !slices.Equal(want[i], got) {
					j := 0
					for j < len(got) && j < len(want[i]) && got[j] == want[i][j] {
						j++
					}
					t.Fatalf("string #%d: lengths Go %d, JavaScript %d; first difference at code unit %d: Go %s, JavaScript %s",
						i, len(want[i]), len(got), j, unitAt(want[i], j), unitAt(got, j))
				}
			}
			require.NoError(t, sc.Err())
			assert.Equal(t, len(want), i, "strings made by JavaScript")
		})
	}
}

func unitAt(u []uint16, i int) string {
	if i >= len(u) {
		return "(end)"
	}
	return fmt.Sprintf("0x%04x", u[i])
}

func TestDeterministic(t *testing.T) {
	a := Generate(DefaultSeed, 200)
	assert.Equal(t, a, Generate(DefaultSeed, 200))
	assert.Equal(t, a[:50], Generate(DefaultSeed, 50), "a shorter set is a prefix")
	assert.NotEqual(t, a, Generate(DefaultSeed+1, 200))
}

// TestCoverage checks that the default set holds every kind of input the
// browser suite is meant to try, and stays small enough for its budget.
func TestCoverage(t *testing.T) {
	set := Generate(DefaultSeed, DefaultCount)
	some := func(pred func(u []uint16) bool) bool { return slices.ContainsFunc(set, pred) }
	anyUnit := func(pred func(u []uint16, i int) bool) bool {
		return some(func(u []uint16) bool {
			for i := range u {
				if pred(u, i) {
					return true
				}
			}
			return false
		})
	}
	contains := func(s string) bool {
		want := utf16.Encode([]rune(s))
		return some(func(u []uint16) bool {
			for i := 0; i+len(want) <= len(u); i++ {
				if slices.Equal(u[i:i+len(want)], want) {
					return true
				}
			}
			return false
		})
	}
	isHigh := func(c uint16) bool { return c >= 0xd800 && c < 0xdc00 }
	isLow := func(c uint16) bool { return c >= 0xdc00 && c < 0xe000 }
	isHex := func(c uint16) bool { return c < 0x80 && strings.IndexByte(hexDigits, byte(c)) >= 0 }

	checks := map[string]bool{
		"an empty string":                some(func(u []uint16) bool { return len(u) == 0 }),
		"a string of one code unit":      some(func(u []uint16) bool { return len(u) == 1 }),
		"a string over 16 Ki code units": some(func(u []uint16) bool { return len(u) > 16<<10 }),
		"a lone high surrogate": anyUnit(func(u []uint16, i int) bool {
			return isHigh(u[i]) && (i+1 == len(u) || !isLow(u[i+1]))
		}),
		"a lone low surrogate": anyUnit(func(u []uint16, i int) bool {
			return isLow(u[i]) && (i == 0 || !isHigh(u[i-1]))
		}),
		"a high surrogate ending a string": some(func(u []uint16) bool { return len(u) > 0 && isHigh(u[len(u)-1]) }),
		"a surrogate pair":                 anyUnit(func(u []uint16, i int) bool { return isHigh(u[i]) && i+1 < len(u) && isLow(u[i+1]) }),
		"%XX":                              anyUnit(func(u []uint16, i int) bool { return u[i] == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]) }),
		`\uXXXX`: anyUnit(func(u []uint16, i int) bool {
			return u[i] == '\\' && i+5 < len(u) && u[i+1] == 'u' && isHex(u[i+2]) && isHex(u[i+3]) && isHex(u[i+4]) && isHex(u[i+5])
		}),
		"every C0 control": func() bool {
			for c := range uint16(0x20) {
				if !anyUnit(func(u []uint16, i int) bool { return u[i] == c }) {
					return false
				}
			}
			return true
		}(),
	}
	for _, c := range specialUnits {
		checks[fmt.Sprintf("U+%04X", c)] = anyUnit(func(u []uint16, i int) bool { return u[i] == c })
	}
	for _, c := range escapeASCII {
		checks[fmt.Sprintf("%q", c)] = anyUnit(func(u []uint16, i int) bool { return u[i] == uint16(c) })
	}
	for _, s := range []string{"</script>", "<!--", "\r\n", "\u2028\u2029", "\U0001F600"} {
		checks[fmt.Sprintf("%+q", s)] = contains(s)
	}
	for what, ok := range checks {
		assert.True(t, ok, "the default set has no %s", what)
	}

	total := 0
	for _, u := range set {
		total += len(u)
		assert.LessOrEqual(t, len(u), 32<<10, "string length")
	}
	assert.Greater(t, total, 500_000, "code units in the default set")
	assert.Less(t, total, 2_000_000, "code units in the default set (the browser suite's time budget)")
}

func TestWTF8(t *testing.T) {
	for _, tc := range []struct {
		name  string
		units []uint16
		want  string
	}{
		{"empty", nil, ""},
		{"ASCII and BMP", []uint16{'a', 0xe9, 0x4e2d, 0xffff}, "a\u00e9\u4e2d\uffff"},
		{"a pair is one 4-byte character", []uint16{0xd83d, 0xde00}, "\U0001F600"},
		{"lone high", []uint16{0xd800, 'x'}, "\xed\xa0\x80x"},
		{"lone low", []uint16{'x', 0xdfff}, "x\xed\xbf\xbf"},
		{"low then high stay lone", []uint16{0xdc00, 0xd800}, "\xed\xb0\x80\xed\xa0\x80"},
		{"high, then a pair", []uint16{0xdbff, 0xd800, 0xdc00}, "\xed\xaf\xbf\U00010000"},
		{"high at the end", []uint16{'a', 0xdbff}, "a\xed\xaf\xbf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, WTF8(tc.units))
		})
	}
}
