// Command prometheus serves a SockJS echo service at /echo and exports the
// handler's Stats as Prometheus metrics at /metrics, read on every scrape:
//
//	sockjs_sessions                             live sessions
//	sockjs_sessions_by_transport{transport}     open sessions by transport
//	sockjs_sessions_opened_total                sessions opened
//	sockjs_sessions_closed_total                sessions closed
//	sockjs_sessions_closed_by_code_total{code}  sessions closed, by close code
//	sockjs_messages_in_total, sockjs_messages_out_total
//	sockjs_bytes_in_total, sockjs_bytes_out_total
//	sockjs_queue_overflows_total                sessions closed for a full queue
//	sockjs_callback_panics_total                callback panics recovered
//
// Every metric carries a service label, the handler's prefix.
//
// Usage:
//
//	go run . [-addr :8083] [-sockjs-url URL]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/internal/run"
)

func main() {
	addr := flag.String("addr", ":8083", "address to listen on")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script, for the iframe transports")
	flag.Parse()

	h, handler := newServer(sockjs.Options{SockJSURL: *sockjsURL})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	if err := run.Serve(ln, handler, h.Shutdown); err != nil {
		log.Fatal(err)
	}
}

// newServer returns the echo handler and the server's routes: the service
// at /echo and the metrics at /metrics.
func newServer(opts sockjs.Options) (*sockjs.Handler, http.Handler) {
	h := sockjs.NewHandler("/echo", echo, struct{}{}, opts)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	prometheus.WrapRegistererWith(prometheus.Labels{"service": h.Prefix()}, reg).MustRegister(NewCollector(h))

	mux := http.NewServeMux()
	mux.Handle("/echo", h)
	mux.Handle("/echo/", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return h, mux
}

// echo sends every message back.
func echo(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
	return s
}

// Collector is a prometheus.Collector that reads a sockjs.Handler's Stats
// on every scrape. Register it once per handler, with a label telling the
// handlers apart (prometheus.WrapRegistererWith) if there are several.
type Collector struct {
	h *sockjs.Handler

	sessions, byTransport, opened, closed, byCode *prometheus.Desc
	msgsIn, msgsOut, bytesIn, bytesOut            *prometheus.Desc
	overflows, panics                             *prometheus.Desc
}

// NewCollector returns a Collector of h's Stats.
func NewCollector(h *sockjs.Handler) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName("sockjs", "", name), help, labels, nil)
	}
	return &Collector{
		h:           h,
		sessions:    d("sessions", "Live SockJS sessions, including closed ones that still answer their close frame."),
		byTransport: d("sessions_by_transport", "Open SockJS sessions by the transport that opened them.", "transport"),
		opened:      d("sessions_opened_total", "SockJS sessions opened."),
		closed:      d("sessions_closed_total", "SockJS sessions closed."),
		byCode:      d("sessions_closed_by_code_total", "SockJS sessions closed, by the code of their close frame.", "code"),
		msgsIn:      d("messages_in_total", "Messages received from clients."),
		msgsOut:     d("messages_out_total", "Messages queued for clients."),
		bytesIn:     d("bytes_in_total", "Payload bytes of the messages received from clients."),
		bytesOut:    d("bytes_out_total", "Payload bytes of the messages queued for clients."),
		overflows:   d("queue_overflows_total", "Sessions closed because their outbound queue was full."),
		panics:      d("callback_panics_total", "Callback panics recovered."),
	}
}

// Describe sends the descriptors of every metric of c.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.byTransport, c.opened, c.closed, c.byCode,
		c.msgsIn, c.msgsOut, c.bytesIn, c.bytesOut, c.overflows, c.panics} {
		ch <- d
	}
}

// Collect reads the handler's Stats and sends them as metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.h.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.sessions, float64(st.Sessions))
	for t, n := range st.SessionsByTransport {
		gauge(c.byTransport, float64(n), string(t))
	}
	counter(c.opened, st.SessionsOpened)
	counter(c.closed, st.SessionsClosed)
	for code, n := range st.ClosedByCode {
		counter(c.byCode, n, strconv.Itoa(code))
	}
	counter(c.msgsIn, st.MessagesIn)
	counter(c.msgsOut, st.MessagesOut)
	counter(c.bytesIn, st.BytesIn)
	counter(c.bytesOut, st.BytesOut)
	counter(c.overflows, st.QueueOverflows)
	counter(c.panics, st.Panics)
}
