package clientdecode

// EventSourceData parses body, the bytes of a text/event-stream response
// received so far, as the HTML standard's EventSource does ("Parsing an
// event stream"), and returns the data of each "message" event dispatched:
// the stream is decoded as UTF-8, lines end with CRLF, LF or CR, a line
// "data: v" (one space after the colon dropped) appends v and a line feed
// to the data buffer, a blank line dispatches the buffer without its last
// line feed, lines starting with ':' are comments, an "event" field names
// the event's type (sockjs-client listens to "message" events only), and
// events with an empty data buffer are not dispatched. The event still
// open at the end of body has not been dispatched.
func EventSourceData(body []byte) []UTF16 {
	s := decodeBody(body)
	var events []UTF16
	var data UTF16
	hasData := false
	var typ UTF16
	for len(s) > 0 {
		end, next := lineEnd(s)
		if end < 0 {
			break // an incomplete line
		}
		line := s[:end]
		s = s[next:]
		if len(line) == 0 {
			if hasData {
				if len(typ) == 0 || typ.is("message") {
					events = append(events, data[:len(data)-1])
				}
			}
			data, hasData, typ = nil, false, nil
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value := line, UTF16(nil)
		for i, c := range line {
			if c == ':' {
				name, value = line[:i], line[i+1:]
				if len(value) > 0 && value[0] == ' ' {
					value = value[1:]
				}
				break
			}
		}
		switch {
		case name.is("data"):
			data = append(append(data, value...), '\n')
			hasData = true
		case name.is("event"):
			typ = value
		}
	}
	return events
}

// lineEnd finds the first line break of s: it returns the index where the
// line ends and the index where the next one starts, or -1 when s holds no
// line break. A CR at the very end of s is taken as a line break; a LF
// that follows it later belongs to it, which EventSourceData gets right
// because it always parses the whole body.
func lineEnd(s UTF16) (end, next int) {
	for i, c := range s {
		switch c {
		case '\n':
			return i, i + 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				return i, i + 2
			}
			return i, i + 1
		}
	}
	return -1, -1
}
