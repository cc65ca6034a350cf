package clientdecode

// HTMLScripts tokenizes body, the bytes of an HTML document received so
// far, as the HTML standard's tokenizer does, far enough to find its
// <script> elements, and returns the text of each one that its end tag has
// ended, which is the source the browser runs. (A script element that the
// end of the document ends is never run.)
//
// The input is decoded as UTF-8 and its newlines normalized (CRLF and CR
// become LF). Outside scripts, comments, doctypes, tags with quoted
// attribute values, and the raw text elements (style, textarea, title, ...)
// are skipped as the tokenizer skips them. A script element ends at the
// first "</script" (in any case) that is followed by white space, '/' or
// '>', except inside the script data double escaped state: after "<!--",
// a "<script" followed by one of those opens a region in which "</script"
// does not end the element, until "-->" or a second "</script". NUL in a
// script becomes U+FFFD.
func HTMLScripts(body []byte) []UTF16 {
	s := normalizeNewlines(decodeBody(body))
	var scripts []UTF16
	for i := 0; i < len(s); {
		if s[i] != '<' {
			i++
			continue
		}
		j, name, ok := skipMarkup(s, i)
		if !ok {
			break // an incomplete tag: wait for more
		}
		i = j
		switch name {
		case "script":
			end, after := scriptEnd(s, i)
			if end < 0 {
				return scripts
			}
			scripts = append(scripts, scriptText(s[i:end]))
			i = after
		case "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title":
			_, after := rawTextEnd(s, i, name)
			if after < 0 {
				return scripts
			}
			i = after
		case "plaintext":
			return scripts
		}
	}
	return scripts
}

// normalizeNewlines turns CRLF and CR into LF, as the HTML input stream
// preprocessor does.
func normalizeNewlines(s UTF16) UTF16 {
	out := s[:0:0]
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' {
			out = append(out, '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// scriptText is the text of a script element: NUL, a parse error in script
// data, becomes U+FFFD.
func scriptText(s UTF16) UTF16 {
	t := make(UTF16, len(s))
	for i, c := range s {
		if c == 0 {
			c = 0xfffd
		}
		t[i] = c
	}
	return t
}

func isASCIIAlpha(c uint16) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isTagSpace(c uint16) bool { return c == '\t' || c == '\n' || c == '\f' || c == ' ' }

func lower(c uint16) byte { return byte(c | 0x20) }

// skipMarkup skips the markup that starts with the '<' at s[i]: a start
// tag, an end tag, a comment, a doctype or a bogus comment. It returns the
// index after it, the lowercased name of a start tag ("" for anything
// else), and false when the markup is not complete in s. A '<' that starts
// no markup is text.
func skipMarkup(s UTF16, i int) (int, string, bool) {
	if i+1 >= len(s) {
		return 0, "", false
	}
	switch c := s[i+1]; {
	case c == '!':
		if i+3 < len(s) && s[i+2] == '-' && s[i+3] == '-' {
			return skipComment(s, i+4)
		}
		if i+3 >= len(s) && (i+2 >= len(s) || s[i+2] == '-') {
			return 0, "", false
		}
		return skipTo(s, i+2, '>')
	case c == '/':
		if i+2 >= len(s) {
			return 0, "", false
		}
		if s[i+2] == '>' {
			return i + 3, "", true
		}
		if !isASCIIAlpha(s[i+2]) {
			return skipTo(s, i+2, '>')
		}
		j := i + 2
		for j < len(s) && !isTagSpace(s[j]) && s[j] != '/' && s[j] != '>' {
			j++
		}
		j, ok := skipAttributes(s, j)
		return j, "", ok
	case c == '?':
		return skipTo(s, i+1, '>')
	case isASCIIAlpha(c):
		j := i + 1
		var name []byte
		for j < len(s) && !isTagSpace(s[j]) && s[j] != '/' && s[j] != '>' {
			if len(name) < 16 {
				name = append(name, lower(s[j]))
			}
			j++
		}
		j, ok := skipAttributes(s, j)
		return j, string(name), ok
	}
	return i + 1, "", true // a '<' in text
}

// skipTo returns the index after the first c at or after s[i].
func skipTo(s UTF16, i int, c uint16) (int, string, bool) {
	for ; i < len(s); i++ {
		if s[i] == c {
			return i + 1, "", true
		}
	}
	return 0, "", false
}

// skipComment skips a comment whose "<!--" ends before s[i]: it ends at
// "-->" or "--!>", or at once with "<!-->" and "<!--->".
func skipComment(s UTF16, i int) (int, string, bool) {
	switch {
	case i < len(s) && s[i] == '>':
		return i + 1, "", true
	case i+1 < len(s) && s[i] == '-' && s[i+1] == '>':
		return i + 2, "", true
	}
	for j := i; j+2 < len(s); j++ {
		if s[j] != '-' || s[j+1] != '-' {
			continue
		}
		if s[j+2] == '>' {
			return j + 3, "", true
		}
		if j+3 < len(s) && s[j+2] == '!' && s[j+3] == '>' {
			return j + 4, "", true
		}
	}
	return 0, "", false
}

// skipAttributes skips the attributes of a tag whose name ends before s[i]
// and returns the index after the tag's '>'.
func skipAttributes(s UTF16, i int) (int, bool) {
	for i < len(s) {
		switch c := s[i]; {
		case c == '>':
			return i + 1, true
		case isTagSpace(c) || c == '/':
			i++
		default:
			// An attribute name (which may start with '='), then maybe
			// '=' and a value.
			for start := i; i < len(s) && !isTagSpace(s[i]) && s[i] != '/' && s[i] != '>' && (s[i] != '=' || i == start); {
				i++
			}
			for i < len(s) && isTagSpace(s[i]) {
				i++
			}
			if i >= len(s) || s[i] != '=' {
				continue
			}
			i++
			for i < len(s) && isTagSpace(s[i]) {
				i++
			}
			if i >= len(s) {
				return 0, false
			}
			if q := s[i]; q == '"' || q == '\'' {
				i++
				for i < len(s) && s[i] != q {
					i++
				}
				if i >= len(s) {
					return 0, false
				}
				i++
				continue
			}
			for i < len(s) && !isTagSpace(s[i]) && s[i] != '>' {
				i++
			}
		}
	}
	return 0, false
}

// The states of the tokenizer inside a script element (HTML standard,
// 13.2.5.4 to 13.2.5.31).
const (
	scriptData = iota
	scriptLT
	scriptEndOpen
	scriptEndName
	escapeStart
	escapeStartDash
	escaped
	escapedDash
	escapedDashDash
	escapedLT
	escapedEndOpen
	escapedEndName
	doubleEscapeStart
	doubleEscaped
	doubleEscapedDash
	doubleEscapedDashDash
	doubleEscapedLT
	doubleEscapeEnd
)

// scriptEnd runs the script data states from s[i], just after a <script>
// start tag. It returns the index of the '<' of the end tag that ends the
// element and the index after that tag, or -1, -1 when s ends first.
func scriptEnd(s UTF16, i int) (end, after int) {
	state := scriptData
	lt := 0        // the '<' of a possible end tag
	var tmp []byte // the temporary buffer: a tag name, lowercased
	isScript := func() bool { return string(tmp) == "script" }
	appendTmp := func(c uint16) {
		if len(tmp) < 8 {
			tmp = append(tmp, lower(c))
		} else {
			tmp = append(tmp[:0], "overlong"...)
		}
	}
	for i < len(s) {
		c := s[i]
		ends := isTagSpace(c) || c == '/' || c == '>'
		switch state {
		case scriptData:
			if c == '<' {
				state, lt = scriptLT, i
			}
		case scriptLT:
			switch c {
			case '/':
				state, tmp = scriptEndOpen, tmp[:0]
			case '!':
				state = escapeStart
			default:
				state = scriptData
				continue
			}
		case scriptEndOpen, escapedEndOpen:
			back := scriptData
			if state == escapedEndOpen {
				back = escaped
			}
			if isASCIIAlpha(c) {
				state = scriptEndName
				if back == escaped {
					state = escapedEndName
				}
			} else {
				state = back
			}
			continue
		case scriptEndName, escapedEndName:
			back := scriptData
			if state == escapedEndName {
				back = escaped
			}
			switch {
			case ends && isScript():
				j, ok := skipAttributes(s, i)
				if !ok {
					return -1, -1
				}
				return lt, j
			case isASCIIAlpha(c):
				appendTmp(c)
			default:
				state = back
				continue
			}
		case escapeStart, escapeStartDash:
			if c != '-' {
				state = scriptData
				continue
			}
			if state == escapeStart {
				state = escapeStartDash
			} else {
				state = escapedDashDash
			}
		case escaped, escapedDash, escapedDashDash:
			switch {
			case c == '-':
				if state == escaped {
					state = escapedDash
				} else {
					state = escapedDashDash
				}
			case c == '<':
				state, lt = escapedLT, i
			case c == '>' && state == escapedDashDash:
				state = scriptData
			default:
				state = escaped
			}
		case escapedLT:
			switch {
			case c == '/':
				state, tmp = escapedEndOpen, tmp[:0]
			case isASCIIAlpha(c):
				state, tmp = doubleEscapeStart, tmp[:0]
				continue
			default:
				state = escaped
				continue
			}
		case doubleEscapeStart, doubleEscapeEnd:
			switch {
			case ends:
				in, out := doubleEscaped, escaped // doubleEscapeStart: script opens the region
				if state == doubleEscapeEnd {
					in, out = escaped, doubleEscaped
				}
				if isScript() {
					state = in
				} else {
					state = out
				}
			case isASCIIAlpha(c):
				appendTmp(c)
			default:
				if state == doubleEscapeStart {
					state = escaped
				} else {
					state = doubleEscaped
				}
				continue
			}
		case doubleEscaped, doubleEscapedDash, doubleEscapedDashDash:
			switch {
			case c == '-':
				if state == doubleEscaped {
					state = doubleEscapedDash
				} else {
					state = doubleEscapedDashDash
				}
			case c == '<':
				state = doubleEscapedLT
			case c == '>' && state == doubleEscapedDashDash:
				state = scriptData
			default:
				state = doubleEscaped
			}
		case doubleEscapedLT:
			if c == '/' {
				state, tmp = doubleEscapeEnd, tmp[:0]
			} else {
				state = doubleEscaped
				continue
			}
		}
		i++
	}
	return -1, -1
}

// rawTextEnd finds the end tag of a RAWTEXT or RCDATA element named name
// whose content starts at s[i]: the first "</name" followed by white space,
// '/' or '>'. It returns the index of its '<' and the index after the tag,
// or -1, -1 when s ends first.
func rawTextEnd(s UTF16, i int, name string) (end, after int) {
	for ; i+2+len(name) < len(s); i++ {
		if s[i] != '<' || s[i+1] != '/' {
			continue
		}
		k := 0
		for k < len(name) && lower(s[i+2+k]) == name[k] && isASCIIAlpha(s[i+2+k]) {
			k++
		}
		if c := s[i+2+k]; k == len(name) && (isTagSpace(c) || c == '/' || c == '>') {
			j, ok := skipAttributes(s, i+2+k)
			if !ok {
				return -1, -1
			}
			return i, j
		}
	}
	return -1, -1
}
