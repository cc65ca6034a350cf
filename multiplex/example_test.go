package multiplex_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/multiplex"
)

// Two channels over one SockJS connection: "echo" sends every message back,
// "count" answers with the number of messages it got so far, kept in the
// channel's state. A browser opens them with the websocket-multiplex client:
//
//	const mux = new WebSocketMultiplex(new SockJS("/multiplex"));
//	const echo = mux.channel("echo");
//	echo.onmessage = (e) => console.log(e.data);
//	echo.send("hello");
func ExampleHandle() {
	m := multiplex.New()
	multiplex.Handle(m, "echo", func(ch *multiplex.Channel, ev sockjs.Event, s struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			ch.Send(ev.Data)
		}
		return s
	}, struct{}{})
	multiplex.Handle(m, "count", func(ch *multiplex.Channel, ev sockjs.Event, n int) int {
		switch ev.Type {
		case sockjs.EventRecv:
			n++
			ch.Send(fmt.Sprint(n))
		case sockjs.EventClosed:
			// the client unsubscribed, the server closed the channel, or
			// the connection ended
		}
		return n
	}, 0)

	h := sockjs.NewHandler("/multiplex", m.Callback, m.State(), sockjs.Options{})
	mux := http.NewServeMux()
	mux.Handle("/multiplex/", h)
	// log.Fatal(http.ListenAndServe(":8082", mux))
	fmt.Println(strings.Join(m.Topics(), " "))
	// Output: count echo
}
