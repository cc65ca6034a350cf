package clientdecode

import "strconv"

// Member is one member of a JSON object, in the order of the text.
type Member struct {
	Key   UTF16
	Value any
}

// ParseJSON parses s as ES5's JSON.parse (15.12.2) does and returns its
// value: UTF16 for a string, float64 for a number, bool, nil for null,
// []any for an array and []Member for an object. White space is TAB, CR, LF
// and SP only; strings may not hold a raw code unit below U+0020; escapes
// are \" \\ \/ \b \f \n \r \t and \uHHHH, whose value may be a lone
// surrogate. Anything else is a SyntaxError.
func ParseJSON(s UTF16) (any, error) {
	p := jsonParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(s) {
		return nil, syntaxError(p.i, "unexpected token after the JSON value")
	}
	return v, nil
}

type jsonParser struct {
	s UTF16
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\t', '\r', '\n', ' ':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, syntaxError(p.i, "unexpected end of JSON input")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		return p.str()
	case c == '[':
		p.i++
		arr := []any{}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return arr, nil
			}
			return nil, syntaxError(p.i, "expected , or ] in an array")
		}
	case c == '{':
		p.i++
		obj := []Member{}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return obj, nil
		}
		for {
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, syntaxError(p.i, "expected a string key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, syntaxError(p.i, "expected :")
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			obj = append(obj, Member{k, v})
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return obj, nil
			}
			return nil, syntaxError(p.i, "expected , or } in an object")
		}
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if p.s[p.i:].HasPrefix(lit.text) {
			p.i += len(lit.text)
			return lit.v, nil
		}
	}
	return nil, syntaxError(p.i, "unexpected token U+%04X", p.s[p.i])
}

// str parses the JSON string whose quote is at p.s[p.i].
func (p *jsonParser) str() (UTF16, error) {
	out := UTF16{}
	for p.i++; ; p.i++ {
		if p.i >= len(p.s) {
			return nil, syntaxError(p.i, "unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return out, nil
		case c < 0x20:
			return nil, syntaxError(p.i, "control character U+%04X in a string", c)
		case c != '\\':
			out = append(out, c)
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			return nil, syntaxError(p.i, "unterminated string")
		}
		switch e := p.s[p.i]; e {
		case '"', '\\', '/':
			out = append(out, e)
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
		case 'u':
			v, ok := hexDigits(p.s, p.i+1, 4)
			if !ok {
				return nil, syntaxError(p.i, "malformed \\u escape")
			}
			out = append(out, v)
			p.i += 4
		default:
			return nil, syntaxError(p.i, "bad escape \\%c", rune(e))
		}
	}
}

// number parses a JSON number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (p *jsonParser) number() (any, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, syntaxError(p.i, "malformed number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, syntaxError(p.i, "malformed number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, syntaxError(p.i, "malformed number")
		}
	}
	b := make([]byte, 0, p.i-start)
	for _, c := range p.s[start:p.i] {
		b = append(b, byte(c))
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !isRangeError(err) {
		return nil, syntaxError(start, "malformed number")
	}
	return f, nil // out of range: ±Inf, as JavaScript gives
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
