// Package server runs berth's one HTTP listener: routing to the API faces, health
// endpoints, middleware, TLS and graceful shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Options configures a Server.
type Options struct {
	Addr            string
	TLSCert, TLSKey string
	AccessLog       bool
	ShutdownTimeout time.Duration
}

// Checker reports whether a dependency is ready.
type Checker func(context.Context) error

// Server is berth's HTTP server.
type Server struct {
	opts     Options
	tls      *tls.Config
	log      *slog.Logger
	handler  http.Handler
	ready    Checker
	draining atomic.Bool
}

// New returns a server that sends /v2/ to registryAPI, POST / with an X-Amz-Target
// to awsAPI (the AWS JSON APIs), and checks ready for /readyz.
func New(opts Options, log *slog.Logger, registryAPI, awsAPI http.Handler, ready Checker) *Server {
	s := &Server{opts: opts, log: log, ready: ready}
	mux := http.NewServeMux()
	mux.Handle("/v2/", registryAPI)
	mux.Handle("/v2", registryAPI)
	mux.Handle("POST /{$}", awsAPI)
	// The Query protocol also comes as GET /?Action=… (IAM, STS).
	mux.Handle("GET /{$}", awsAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.readyz)
	s.handler = instrument(mux, log, opts.AccessLog)
	return s
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// Listen loads the TLS certificate, if any, and binds the address, so the caller can
// log the real one (port 0 picks a free port).
func (s *Server) Listen() (net.Listener, error) {
	if s.opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.opts.TLSCert, s.opts.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then stops taking requests and lets in-flight
// ones finish for up to the shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		TLSConfig:         s.tls,
	}
	errc := make(chan error, 1)
	go func() {
		if s.tls != nil {
			errc <- srv.ServeTLS(ln, "", "") // ServeTLS also enables HTTP/2
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: finishing in-flight requests", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
