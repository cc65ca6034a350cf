// Package run holds what the example programs share: a logger from a -v
// flag, and serving a handler until SIGINT or SIGTERM with a graceful
// shutdown of the SockJS sessions first.
package run

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Logger returns a text logger on standard error, at debug level when
// verbose (every request), else at info level.
func Logger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Serve serves h on ln until the process gets SIGINT or SIGTERM. Then it
// calls every shutdown function (such as sockjs.Handler.Shutdown, which
// closes the sessions that http.Server.Shutdown would wait for forever),
// shuts the HTTP server down, and returns. Shutting down takes at most 5
// seconds.
func Serve(ln net.Listener, h http.Handler, shutdown ...func(context.Context) error) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		for _, f := range shutdown {
			errs = append(errs, f(ctx))
		}
		errs = append(errs, hs.Shutdown(ctx))
		done <- errors.Join(errs...)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}
