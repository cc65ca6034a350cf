// Package srvutil holds the few pieces every Go benchmark server shares:
// listening on a flag-chosen address, announcing the port, and a goroutine
// counter endpoint the load generator samples.
package srvutil

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
)

// Addr is the -addr flag shared by all Go servers.
var Addr = flag.String("addr", envOr("BENCH_ADDR", "127.0.0.1:0"), "listen address")

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Debug adds the endpoints every Go server shares under /debug/:
// goroutines-count for the load generator, and net/http/pprof for a look
// at where a server's CPU and memory go.
func Debug(mux *http.ServeMux) {
	mux.HandleFunc("/debug/goroutines-count", GoroutineCount)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
}

// GoroutineCount writes runtime.NumGoroutine() as a decimal number.
func GoroutineCount(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(strconv.Itoa(runtime.NumGoroutine())))
}

// ReadTrigger reads the body of POST /trigger, the message to broadcast.
func ReadTrigger(w http.ResponseWriter, r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return "", false
	}
	buf := make([]byte, 0, 64)
	tmp := make([]byte, 512)
	for {
		n, err := r.Body.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil || len(buf) > 1<<16 {
			break
		}
	}
	return string(buf), true
}

// Serve listens on *Addr, prints "listening on http://HOST:PORT" and serves
// h until SIGTERM/SIGINT.
func Serve(h http.Handler) {
	ln, err := net.Listen("tcp", *Addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr().String())
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		<-ch
		os.Exit(0)
	}()
	srv := &http.Server{Handler: h}
	log.Fatal(srv.Serve(ln))
}
