// Command raw is the "limit" baseline: plain gorilla/websocket echo and
// broadcast, no SockJS framing.
//
//	/echo          websocket; every text message is written back
//	/echo-deflate  the same, negotiating permessage-deflate with clients that offer it
//	/broadcast     websocket; receives what POST /trigger broadcasts
//	/trigger       POST; the body is sent to every /broadcast connection
//
// The websocket paths are served at <path>/websocket too, where package
// client's websocket-raw transport dials them.
package main

import (
	"flag"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/bench/internal/srvutil"
)

var upgrader = websocket.Upgrader{
	// ReadBufferSize 0 reuses the hijacked server buffer; a write buffer
	// pool keeps idle connections from each holding a write buffer.
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// deflater is upgrader with permessage-deflate, at gorilla's default
// level (1, as the library's Options.CompressionLevel).
var deflater = websocket.Upgrader{
	WriteBufferPool:   &sync.Pool{},
	CheckOrigin:       func(*http.Request) bool { return true },
	EnableCompression: true,
}

type peer struct {
	mu sync.Mutex
	c  *websocket.Conn
}

var (
	peersMu sync.Mutex
	peers   = map[*peer]struct{}{}
)

// echo returns the echo handler of up.
func echo(up *websocket.Upgrader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { serveEcho(up, w, r) }
}

func serveEcho(up *websocket.Upgrader, w http.ResponseWriter, r *http.Request) {
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

func broadcast(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	p := &peer{c: c}
	peersMu.Lock()
	peers[p] = struct{}{}
	peersMu.Unlock()
	defer func() {
		peersMu.Lock()
		delete(peers, p)
		peersMu.Unlock()
		c.Close()
	}()
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
	}
}

func trigger(w http.ResponseWriter, r *http.Request) {
	msg, ok := srvutil.ReadTrigger(w, r)
	if !ok {
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(msg))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	peersMu.Lock()
	list := make([]*peer, 0, len(peers))
	for p := range peers {
		list = append(list, p)
	}
	peersMu.Unlock()
	for _, p := range list {
		p.mu.Lock()
		p.c.WritePreparedMessage(pm)
		p.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func main() {
	flag.Parse()
	mux := http.NewServeMux()
	for _, p := range []string{"", "/websocket"} {
		mux.HandleFunc("/echo"+p, echo(&upgrader))
		mux.HandleFunc("/echo-deflate"+p, echo(&deflater))
		mux.HandleFunc("/broadcast"+p, broadcast)
	}
	mux.HandleFunc("/trigger", trigger)
	srvutil.Debug(mux)
	srvutil.Serve(mux)
}
