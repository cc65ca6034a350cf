package difftest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gosockjs/sockjs/internal/clientdecode"
)

// knownDifference is a deliberate difference between the two servers,
// with the reason for it. It explains a divergence only when match says
// so; nothing else is ever ignored. What both servers write differently but
// the client decodes alike (escaping forms, frame boundaries, headers) is
// no divergence to begin with: the driver compares decoded events.
type knownDifference struct {
	name, reason string
	match        func(c diffContext) bool
}

// diffContext is a divergent step: the script, the step's index, what the
// client saw from each server, and the driver's state of the step's session
// on each after the step.
type diffContext struct {
	sc          script
	i           int
	ours, ref   []string
	oursS, refS *sessionState
}

func (c diffContext) step() step { return c.sc.Steps[c.i] }

func (c diffContext) spec() sessionSpec { return c.sc.Sessions[c.step().S] }

func (c diffContext) is(ours, ref string) bool {
	return len(c.ours) == 1 && c.ours[0] == ours && len(c.ref) == 1 && c.ref[0] == ref
}

// sent returns every message and raw body sent before step i, as text.
func (c diffContext) sent() []string {
	var out []string
	for _, st := range c.sc.Steps[:c.i] {
		for _, m := range st.Msgs {
			out = append(out, string(utf16.Decode(m)))
		}
		if st.Op == opSendRaw {
			out = append(out, st.Raw)
		}
	}
	return out
}

var knownDifferences = []knownDifference{
	{
		name: "htmlfile: node does not escape '<'",
		reason: "node writes each frame into the htmlfile's <script> with JSON.stringify alone, so a message " +
			"holding </script (in any case) ends the script early, and <!-- with <script hides its end tag: " +
			"the browser drops that frame with its messages (and a message can run script on the server's " +
			"origin). This server escapes <, > and & there.",
		match: func(c diffContext) bool {
			// The reference's client lost frames, or met a script that does
			// not parse (and maybe frames that were never sent, from
			// markup in a message), where this server's got every frame.
			if c.spec().Transport != "htmlfile" || slices.Contains(c.ours, scriptError) ||
				!slices.Contains(c.ref, scriptError) && !isSubsequence(c.ref, c.ours) {
				return false
			}
			for _, m := range c.sent() {
				if l := strings.ToLower(m); strings.Contains(l, "</script") || strings.Contains(l, "<!--") {
					return true
				}
			}
			return false
		},
	},
	{
		name: "close reasons in script transports",
		reason: "node writes close frames with JSON.stringify alone, also in the JSONP and htmlfile scripts, so " +
			"a reason holding U+2028 or U+2029 breaks the script in engines before ES2019, which the client " +
			"decoder follows as sockjs-client supports them; the client then never learns that the session " +
			"closed. This server escapes reasons as it escapes messages.",
		match: func(c diffContext) bool {
			t := c.spec().Transport
			reason, ok := closeReason(c)
			return (t == "jsonp" || t == "htmlfile") && ok && slices.ContainsFunc(reason, func(u uint16) bool {
				return u == 0x2028 || u == 0x2029
			}) && slices.Contains(c.ref, scriptError) && !slices.Contains(c.ours, scriptError)
		},
	},
	{
		name: "websocket close code after a close frame",
		reason: "after the SockJS close frame, node ends the websocket with 1000 \"Normal closure\", this " +
			"server with the session's code and reason; sockjs-client takes them from the close frame.",
		match: func(c diffContext) bool {
			if c.spec().Transport != "websocket" || len(c.ours) != len(c.ref) || len(c.ref) < 2 {
				return false
			}
			n := len(c.ref) - 1
			return c.ref[n] == `websocket close 1000 "Normal closure"` && strings.HasPrefix(c.ours[n], "websocket close ") &&
				strings.HasPrefix(c.ref[n-1], "close ") && slices.Equal(c.ours[:n], c.ref[:n])
		},
	},
	{
		name: "websocket close codes a close frame cannot carry",
		reason: "Conn.Close takes any code, which the SockJS close frame carries, but a websocket close " +
			"frame only some (1000-1003, 1007-1014, 3000-4999): for another code this server ends the " +
			"raw websocket with 1000, where node fails to close it and sends no close frame.",
		match: func(c diffContext) bool {
			code, _, ok := closeCommand(c)
			n := len(c.ours) - 1
			return ok && c.spec().Transport == "rawwebsocket" && !(code >= 1000 && code <= 1014 || code >= 3000 && code <= 4999) &&
				n >= 0 && c.ours[n] == `websocket close 1000 ""` && slices.Equal(c.ours[:n], c.ref[:min(n, len(c.ref))]) &&
				!slices.ContainsFunc(c.ref, func(l string) bool { return strings.HasPrefix(l, "websocket close ") })
		},
	},
	{
		name: "websocket close reasons a close frame cannot carry",
		reason: "a close reason holding a lone surrogate (not UTF-8) or longer than the 123 bytes a close " +
			"frame carries goes out from this server as valid UTF-8 cut to 123 bytes, with the session's code; " +
			"node sends no close frame, or 1000, and the client loses the code.",
		match: func(c diffContext) bool {
			code, reason, ok := closeCommand(c)
			n := len(c.ours) - 1
			if !ok || !c.spec().websocket() || n < 0 || len(c.ref) != n+1 || !slices.Equal(c.ours[:n], c.ref[:n]) ||
				!strings.HasPrefix(c.ours[n], fmt.Sprintf("websocket close %d ", code)) ||
				c.ref[n] != "websocket ends without a close frame" && c.ref[n] != `websocket close 1000 "Normal closure"` {
				return false
			}
			return len(string(utf16.Decode(reason))) > 123 || slices.ContainsFunc(reason, func(u uint16) bool {
				return utf16.IsSurrogate(rune(u))
			})
		},
	},
	{
		name: "sending to a closed session",
		reason: "node keeps a closed session until it expires and takes (and drops) what is sent to it; this " +
			"server answers 404, as sockjs-erlang does: the session is over.",
		match: func(c diffContext) bool {
			s := c.oursS
			closed := s.closed || s.closing || s.expectClose || c.spec().Service == "/close"
			return closed && (c.step().Op == opSend || c.step().Op == opSendRaw) &&
				(c.is("status 404", "status 204") || c.is("status 404", "status 200"))
		},
	},
	{
		name: "what is checked first",
		reason: "for a broken body sent to a closed or unknown session, node reports the body (500) and this " +
			"server the session (404).",
		match: func(c diffContext) bool {
			return c.step().Op == opSendRaw && len(c.ours) == 1 && c.ours[0] == "status 404" &&
				len(c.ref) == 1 && strings.HasPrefix(c.ref[0], "status 500 ")
		},
	},
	{
		name: "bodies that are not an array of strings",
		reason: "this server takes a bare JSON string as one message on every transport (as the protocol " +
			"requires on websocket) and refuses any other value that is not an array of strings as broken " +
			"JSON; node refuses every value that is not an array with \"Payload expected.\", and hands the " +
			"application array elements of any type (it echoes [1] as \"1\"). It also reads a form body " +
			"that url.ParseQuery refuses, or that repeats d, its own way. sockjs-client sends arrays of strings only.",
		match: func(c diffContext) bool {
			st := c.step()
			if st.Op != opSendRaw || st.Via == "websocket" || len(c.ours) != 1 || len(c.ref) != 1 ||
				!strings.HasPrefix(c.ours[0], "status ") || !strings.HasPrefix(c.ref[0], "status ") {
				return false
			}
			body := st.Raw
			if st.Via == "jsonp_send_form" {
				if strings.Contains(body, "%zz") || repeatsD(body) {
					return true
				}
				body, _ = strings.CutPrefix(body, "d=")
				body = strings.ReplaceAll(strings.ReplaceAll(body, "%5B", "["), "%22", `"`)
			}
			v, err := clientdecode.ParseJSON(clientdecode.DecodeUTF8([]byte(body)))
			if err != nil {
				return false
			}
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					if _, ok := e.(clientdecode.UTF16); !ok {
						return true
					}
				}
				return false
			}
			return true
		},
	},
	{
		name: "jsonp_send form bodies that repeat d",
		reason: "for a form body that repeats d, node takes each d as a message, not as JSON; this server " +
			"reads the first d, as url.Values.Get does. Both answer 200, so the difference shows when the " +
			"messages come back. sockjs-client sends one d.",
		match: func(c diffContext) bool {
			for _, st := range c.sc.Steps[:c.i] {
				if st.S == c.step().S && st.Op == opSendRaw && st.Via == "jsonp_send_form" && repeatsD(st.Raw) {
					return true
				}
			}
			return false
		},
	},
	{
		name: "a body of white space",
		reason: "this server answers a body of white space alone as an empty one, 500 \"Payload expected.\" " +
			"(frame.ErrEmpty); node tries to parse it and answers \"Broken JSON encoding.\".",
		match: func(c diffContext) bool {
			return c.step().Op == opSendRaw && c.step().Raw != "" && strings.TrimSpace(c.step().Raw) == "" &&
				c.is(`status 500 "Payload expected."`, `status 500 "Broken JSON encoding."`)
		},
	},
	{
		name: "invalid UTF-8 in a request body",
		reason: "in a request body that is not valid UTF-8, this server replaces each invalid byte by U+FFFD " +
			"(frame.DecodeMessages), node each maximal invalid sequence (the WHATWG decoder); browsers only " +
			"send valid UTF-8.",
		match: func(c diffContext) bool {
			invalid := false
			for _, m := range c.sent() {
				invalid = invalid || !utf8.ValidString(m)
			}
			return invalid && collapseReplacements(c.ours) == collapseReplacements(c.ref)
		},
	},
	{
		name: "JSONP callbacks over 32 characters",
		reason: "node refuses a JSONP callback name longer than 32 characters; this server allows 256 (node " +
			"allows any length for htmlfile).",
		match: func(c diffContext) bool {
			return c.spec().Transport == "jsonp" && len(c.spec().Callback) > 32 &&
				len(c.ref) == 1 && c.ref[0] == `status 500 "invalid \"callback\" parameter"` &&
				!slices.Contains(c.ours, c.ref[0])
		},
	},
	{
		name: "receiving after the client aborted",
		reason: "when the client aborts its receiving request, node forgets the session at once, so the next " +
			"request opens a new one (o); this server closes it with 1002 \"Connection interrupted\" and " +
			"keeps telling so until it expires. The protocol suite allows both.",
		match: func(c diffContext) bool {
			prev := -1
			for j := c.i - 1; j >= 0; j-- {
				if c.sc.Steps[j].S == c.step().S {
					prev = j
					break
				}
			}
			return prev >= 0 && c.sc.Steps[prev].Op == opAbort && !c.spec().websocket() &&
				len(c.ours) > 0 && c.ours[0] == `close 1002 "Connection interrupted"` &&
				len(c.ref) > 0 && c.ref[0] == "open"
		},
	},
	{
		name: "broken JSON on the websocket",
		reason: "for a websocket message that is not JSON, node closes the websocket with 3000 \"Broken " +
			"framing.\", this server with 1003 \"Broken JSON encoding.\" (no close frame either way; " +
			"sockjs-client reports 1006).",
		match: func(c diffContext) bool {
			n := len(c.ours) - 1
			return n >= 0 && len(c.ref) == n+1 && slices.Equal(c.ours[:n], c.ref[:n]) &&
				c.ours[n] == `websocket close 1003 "Broken JSON encoding."` && c.ref[n] == `websocket close 3000 "Broken framing."`
		},
	},
	{
		name:   "reasons of websocket closes the server fails with",
		reason: "the reason texts of the websocket closes for invalid UTF-8 (1007) are the servers' own.",
		match: func(c diffContext) bool {
			n := len(c.ours) - 1
			return n >= 0 && len(c.ref) == n+1 && slices.Equal(c.ours[:n], c.ref[:n]) &&
				strings.HasPrefix(c.ours[n], "websocket close 1007 ") && strings.HasPrefix(c.ref[n], "websocket close 1007 ")
		},
	},
}

// scriptError is the line of a script the client's decoder cannot parse.
const scriptError = "client error: a script does not parse"

// isSubsequence reports whether a is b less some of its lines.
func isSubsequence(a, b []string) bool {
	j := 0
	for _, l := range a {
		for j < len(b) && b[j] != l {
			j++
		}
		if j == len(b) {
			return false
		}
		j++
	}
	return true
}

var replacements = regexp.MustCompile(`(\\ufffd)+`)

// collapseReplacements joins lines with each run of U+FFFD made one.
func collapseReplacements(lines []string) string {
	return replacements.ReplaceAllString(strings.Join(lines, "\n"), `\ufffd`)
}

// repeatsD reports whether a form body has more than one d.
func repeatsD(body string) bool { return strings.Count(body, "d=") > 1 }

// closeReason returns the reason of the last close command that the step's
// session sent, up to the step: what follows "close CODE ".
func closeReason(c diffContext) (clientdecode.UTF16, bool) {
	_, reason, ok := closeCommand(c)
	return reason, ok
}

// closeCommand returns the code and reason of the first close command sent
// to the step's session, the one that closed it, if one was.
func closeCommand(c diffContext) (code int, reason clientdecode.UTF16, ok bool) {
	for j := 0; j <= c.i; j++ {
		st := c.sc.Steps[j]
		if st.S != c.step().S || st.Op != opSend {
			continue
		}
		for _, m := range st.Msgs {
			w := strings.Split(string(utf16.Decode(m)), " ")
			if w[0] != "close" || len(w) < 2 {
				continue
			}
			code, ok := number(w[1])
			if !ok {
				continue
			}
			spaces := 0
			for i, u := range m {
				if u == ' ' {
					if spaces++; spaces == 2 {
						return code, m[i+1:], true
					}
				}
			}
			return code, nil, true
		}
	}
	return 0, nil, false
}

// explain returns the known difference that explains the divergence, or
// nil.
func explain(c diffContext) *knownDifference {
	for k := range knownDifferences {
		if knownDifferences[k].match(c) {
			return &knownDifferences[k]
		}
	}
	return nil
}
