// Command igm serves the benchmark services with github.com/igm/sockjs-go
// (v3.0.1+incompatible), the Go peer.
//
//	/echo       SockJS echo
//	/broadcast  SockJS; receives what POST /trigger broadcasts
//	/trigger    POST; the body is sent to every open /broadcast session
package main

import (
	"flag"
	"net/http"
	"sync"

	"github.com/igm/sockjs-go/sockjs"

	"github.com/gosockjs/sockjs/bench/internal/srvutil"
)

var (
	sessMu   sync.Mutex
	sessions = map[sockjs.Session]struct{}{}
)

func echo(s sockjs.Session) {
	for {
		msg, err := s.Recv()
		if err != nil {
			return
		}
		if err := s.Send(msg); err != nil {
			return
		}
	}
}

func broadcast(s sockjs.Session) {
	sessMu.Lock()
	sessions[s] = struct{}{}
	sessMu.Unlock()
	defer func() {
		sessMu.Lock()
		delete(sessions, s)
		sessMu.Unlock()
	}()
	for {
		if _, err := s.Recv(); err != nil {
			return
		}
	}
}

func trigger(w http.ResponseWriter, r *http.Request) {
	msg, ok := srvutil.ReadTrigger(w, r)
	if !ok {
		return
	}
	sessMu.Lock()
	for s := range sessions {
		s.Send(msg)
	}
	sessMu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func main() {
	flag.Parse()
	opts := sockjs.DefaultOptions
	opts.ResponseLimit = 128 * 1024
	mux := http.NewServeMux()
	mux.Handle("/echo/", sockjs.NewHandler("/echo", opts, echo))
	mux.Handle("/broadcast/", sockjs.NewHandler("/broadcast", opts, broadcast))
	mux.HandleFunc("/trigger", trigger)
	srvutil.Debug(mux)
	srvutil.Serve(mux)
}
