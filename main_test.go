package sockjs_test

import (
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests. Before the
// check it closes the idle keep-alive connections of http.DefaultClient,
// which the shared helpers use, and gives goroutines that are already
// ending (hijacked websockets waiting out their close grace, timers that
// just fired) a few seconds to finish.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(settleMain{m})
}

// settleMain runs the tests and then lets the process settle.
type settleMain struct{ m *testing.M }

func (w settleMain) Run() int {
	code := w.m.Run()
	deadline := time.Now().Add(5 * time.Second)
	for {
		http.DefaultClient.CloseIdleConnections()
		if goleak.Find() == nil || time.Now().After(deadline) {
			return code
		}
		time.Sleep(50 * time.Millisecond)
	}
}
