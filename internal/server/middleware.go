package server

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// statusWriter records the status and size of a response. It passes io.ReaderFrom
// through for files, so a blob served from an *os.File still goes out with sendfile;
// any other body (a decrypted blob, one read from S3) is copied in 1 MiB writes.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

func (s *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := s.ResponseWriter.(io.ReaderFrom); ok && isFile(r) {
		n, err = rf.ReadFrom(r) // HTTP/1: sendfile
	} else {
		// net/http's own copy writes 32 KiB at a time; on a decrypted pull the write
		// syscalls were half the CPU. (HTTP/2 has no ReadFrom at all.)
		buf := copyBuffers.Get().(*[]byte)
		n, err = io.CopyBuffer(writerOnly{s.ResponseWriter}, r, *buf)
		copyBuffers.Put(buf)
	}
	s.bytes += n
	return n, err
}

// copyBuffers hold the 1 MiB buffers of statusWriter.ReadFrom.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// isFile reports whether r reads a file, directly or through the io.LimitedReader that
// http.ServeContent wraps it in: the kernel can send those itself.
func isFile(r io.Reader) bool {
	if lr, ok := r.(*io.LimitedReader); ok {
		r = lr.R
	}
	_, ok := r.(*os.File)
	return ok
}

// writerOnly hides every method but Write, so io.Copy cannot loop back into ReadFrom.
type writerOnly struct{ io.Writer }

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := s.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}

// requestID returns the client's X-Request-Id or a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// instrument wraps next with a request id, an access log line and a panic guard.
func instrument(next http.Handler, log *slog.Logger, accessLog bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "request_id", id, "method", r.Method, "path", r.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, `{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}`, http.StatusInternalServerError)
				}
			}
			if accessLog {
				log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
					"status", sw.status, "bytes", sw.bytes, "in", r.ContentLength,
					"ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
