package client_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: every Conn's
// goroutine must have ended by the time its Close returns. The tests make
// their requests with HTTP clients whose idle connections they close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
