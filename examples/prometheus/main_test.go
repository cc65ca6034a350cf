package main

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gosockjs/sockjs"
)

// metricNames are the metrics the test compares; the Go and process
// collectors' are left out.
var metricNames = []string{
	"sockjs_sessions", "sockjs_sessions_by_transport", "sockjs_sessions_opened_total",
	"sockjs_sessions_closed_total", "sockjs_sessions_closed_by_code_total",
	"sockjs_messages_in_total", "sockjs_messages_out_total", "sockjs_bytes_in_total",
	"sockjs_bytes_out_total", "sockjs_queue_overflows_total", "sockjs_callback_panics_total",
}

// expected renders the text exposition of the sockjs metrics for the given
// values, sorted by name as the Prometheus encoder writes them. open < 0
// means no sessions_by_transport series; byCode "" no closed_by_code series.
func expected(sessions, open, opened, closed int, byCode string, msgs, bytes int) string {
	var b strings.Builder
	w := func(name, typ, help string, lines ...string) {
		b.WriteString("# HELP sockjs_" + name + " " + help + "\n# TYPE sockjs_" + name + " " + typ + "\n")
		for _, l := range lines {
			b.WriteString("sockjs_" + l + "\n")
		}
	}
	n := func(v int) string { return " " + strconv.Itoa(v) }
	w("bytes_in_total", "counter", "Payload bytes of the messages received from clients.", `bytes_in_total{service="/echo"}`+n(bytes))
	w("bytes_out_total", "counter", "Payload bytes of the messages queued for clients.", `bytes_out_total{service="/echo"}`+n(bytes))
	w("callback_panics_total", "counter", "Callback panics recovered.", `callback_panics_total{service="/echo"} 0`)
	w("messages_in_total", "counter", "Messages received from clients.", `messages_in_total{service="/echo"}`+n(msgs))
	w("messages_out_total", "counter", "Messages queued for clients.", `messages_out_total{service="/echo"}`+n(msgs))
	w("queue_overflows_total", "counter", "Sessions closed because their outbound queue was full.", `queue_overflows_total{service="/echo"} 0`)
	w("sessions", "gauge", "Live SockJS sessions, including closed ones that still answer their close frame.", `sessions{service="/echo"}`+n(sessions))
	if open >= 0 {
		w("sessions_by_transport", "gauge", "Open SockJS sessions by the transport that opened them.", `sessions_by_transport{service="/echo",transport="websocket"}`+n(open))
	}
	if byCode != "" {
		w("sessions_closed_by_code_total", "counter", "SockJS sessions closed, by the code of their close frame.", `sessions_closed_by_code_total{code="`+byCode+`",service="/echo"} 1`)
	}
	w("sessions_closed_total", "counter", "SockJS sessions closed.", `sessions_closed_total{service="/echo"}`+n(closed))
	w("sessions_opened_total", "counter", "SockJS sessions opened.", `sessions_opened_total{service="/echo"}`+n(opened))
	return b.String()
}

func TestMetrics(t *testing.T) {
	h, handler := newServer(sockjs.Options{})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// Nothing yet: zero counters, no transport or code series.
	if err := testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(expected(0, -1, 0, 0, "", 0, 0)), metricNames...); err != nil {
		t.Fatal(err)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/echo/000/abc/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func(want string) {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil || string(b) != want {
			t.Fatalf("read %q, %v; want %q", b, err, want)
		}
	}
	read("o")
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`["hello","wörld"]`)); err != nil {
		t.Fatal(err)
	}
	read(`a["hello","wörld"]`)

	// One open websocket session that carried 2 messages of 11 bytes each way.
	if err := testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(expected(1, 1, 1, 0, "", 2, 11)), metricNames...); err != nil {
		t.Fatal(err)
	}

	// The client goes away: the session closes with 1002.
	ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for h.Stats().SessionsClosed == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(expected(0, 0, 1, 1, "1002", 2, 11)), metricNames...); err != nil {
		t.Fatal(err)
	}
}
