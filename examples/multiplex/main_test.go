package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// The page names the client script and the service; the raw websocket
// endpoint carries the three channels.
func TestServer(t *testing.T) {
	h := newMultiplexer().NewHandler("/multiplex", sockjsOptions("http://cdn.example/sockjs.js"))
	srv := httptest.NewServer(newServer(h, "http://cdn.example/sockjs.js"))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), `<script src="http://cdn.example/sockjs.js">`)
	require.Contains(t, string(page), `new SockJS("\/multiplex"`)

	resp, err = http.Get(srv.URL + "/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/multiplex/websocket", nil)
	require.NoError(t, err)
	defer ws.Close()
	for _, m := range []string{"sub,ann", "sub,bob", "sub,carl", "msg,ann,Hello", "msg,bob,Hello", "msg,carl,Hello", "uns,bob", "msg,bob,gone", "msg,ann,end"} {
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(m)))
	}
	for _, want := range []string{"msg,ann,hello from ann", "msg,bob,hello from bob", "msg,carl,hello from carl",
		"msg,ann,Hello", "msg,bob,HELLO", "msg,carl,olleH", "msg,ann,end"} {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		require.NoError(t, err)
		require.Equal(t, want, string(b))
	}
}

func TestReverse(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", "abc": "cba", "héllo, 世界": "界世 ,olléh"} {
		require.Equal(t, want, reverse(in))
	}
}
