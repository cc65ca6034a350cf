package clientdecode

import "fmt"

// SyntaxError is the error a JavaScript engine reports for a script it
// cannot parse, or a JSON text that JSON.parse refuses.
type SyntaxError struct {
	Offset int // the index of the code unit where parsing failed
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("SyntaxError at %d: %s", e.Offset, e.Msg) }

func syntaxError(i int, format string, args ...any) error {
	return &SyntaxError{Offset: i, Msg: fmt.Sprintf(format, args...)}
}

// ParseCall parses src, the source of a script, as an ES5 engine does, for
// the one shape of the scripts of the htmlfile and JSONP transports: a call
// of a function, named by an ASCII identifier path such as p or _jp.a1b2,
// with one string literal as its argument:
//
//	/**/ callee ( "..." ) ;
//
// White space, line terminators and comments may stand between tokens; the
// final ';' may be left out at the end of the script. It returns the
// callee's path and the value of the string. Anything else is a
// SyntaxError, including what an engine would run but a SockJS server never
// writes (other expressions, non-ASCII identifiers).
func ParseCall(src UTF16) (callee string, arg UTF16, err error) {
	i := skipSpace(src, 0)
	for {
		j := identEnd(src, i)
		if j == i {
			return "", nil, syntaxError(i, "expected an identifier")
		}
		for _, c := range src[i:j] {
			callee += string(rune(c))
		}
		i = skipSpace(src, j)
		if i >= len(src) || src[i] != '.' {
			break
		}
		callee += "."
		i = skipSpace(src, i+1)
	}
	if i >= len(src) || src[i] != '(' {
		return "", nil, syntaxError(i, "expected (")
	}
	i = skipSpace(src, i+1)
	arg, i, err = ParseStringLiteral(src, i)
	if err != nil {
		return "", nil, err
	}
	i = skipSpace(src, i)
	if i >= len(src) || src[i] != ')' {
		return "", nil, syntaxError(i, "expected )")
	}
	i = skipSpace(src, i+1)
	if i < len(src) && src[i] == ';' {
		i = skipSpace(src, i+1)
	}
	if i != len(src) {
		return "", nil, syntaxError(i, "unexpected token after the call")
	}
	return callee, arg, nil
}

// ParseStringLiteral parses the ES5 string literal (7.8.4) that starts with
// its quote at src[i] and returns its value and the index after it. A line
// terminator (LF, CR, U+2028, U+2029) may not appear in it raw; escapes are
// \' \" \\ \b \f \n \r \t \v, \xHH, \uHHHH, a line continuation (a
// backslash before a line terminator, which contributes nothing), the
// legacy octal escapes of Annex B (\0 to \377, as many octal digits as
// make a value up to 0377), and any other character after a backslash
// stands for itself, as engines treat \8 and \9 too.
func ParseStringLiteral(src UTF16, i int) (UTF16, int, error) {
	if i >= len(src) || (src[i] != '"' && src[i] != '\'') {
		return nil, 0, syntaxError(i, "expected a string literal")
	}
	q := src[i]
	out := UTF16{}
	for i++; ; i++ {
		if i >= len(src) {
			return nil, 0, syntaxError(i, "unterminated string literal")
		}
		c := src[i]
		switch {
		case c == q:
			return out, i + 1, nil
		case isLineTerminator(c):
			return nil, 0, syntaxError(i, "line terminator U+%04X in a string literal", c)
		case c != '\\':
			out = append(out, c)
			continue
		}
		i++
		if i >= len(src) {
			return nil, 0, syntaxError(i, "unterminated string literal")
		}
		switch e := src[i]; e {
		case '\n', 0x2028, 0x2029:
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x', 'u':
			n := 2
			if e == 'u' {
				n = 4
			}
			v, ok := hexDigits(src, i+1, n)
			if !ok {
				return nil, 0, syntaxError(i, "malformed \\%c escape", e)
			}
			out = append(out, v)
			i += n
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := e - '0'
			if i+1 < len(src) && isOctal(src[i+1]) {
				i++
				v = v<<3 | (src[i] - '0')
				if e <= '3' && i+1 < len(src) && isOctal(src[i+1]) {
					i++
					v = v<<3 | (src[i] - '0')
				}
			}
			out = append(out, v)
		default:
			out = append(out, e)
		}
	}
}

func isOctal(c uint16) bool { return '0' <= c && c <= '7' }

// hexDigits decodes the n hex digits at src[i].
func hexDigits(src UTF16, i, n int) (uint16, bool) {
	if i+n > len(src) {
		return 0, false
	}
	var v uint16
	for _, c := range src[i : i+n] {
		d, ok := hexValue(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}

// isLineTerminator reports an ES5 LineTerminator (7.3).
func isLineTerminator(c uint16) bool {
	return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029
}

// isJSSpace reports an ES5 WhiteSpace (7.2): TAB, VT, FF, SP, NBSP, BOM and
// the space separators of Unicode (category Zs).
func isJSSpace(c uint16) bool {
	switch {
	case c == '\t', c == '\v', c == '\f', c == ' ', c == 0xa0, c == 0xfeff:
		return true
	case c == 0x1680, c >= 0x2000 && c <= 0x200a, c == 0x202f, c == 0x205f, c == 0x3000:
		return true
	}
	return false
}

// skipSpace skips white space, line terminators and comments from src[i].
func skipSpace(src UTF16, i int) int {
	for i < len(src) {
		c := src[i]
		switch {
		case isJSSpace(c), isLineTerminator(c):
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := i + 2
			for j+1 < len(src) && (src[j] != '*' || src[j+1] != '/') {
				j++
			}
			if j+1 >= len(src) {
				return i // unterminated: the caller fails on the '/'
			}
			i = j + 2
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && !isLineTerminator(src[i]) {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// identEnd returns the index after the ASCII identifier at src[i], or i.
func identEnd(src UTF16, i int) int {
	j := i
	for j < len(src) {
		c := src[j]
		if c == '$' || c == '_' || isASCIIAlpha(c) || (j > i && '0' <= c && c <= '9') {
			j++
			continue
		}
		break
	}
	return j
}

// hexValue returns the value of the hex digit c.
func hexValue(c uint16) (uint16, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
