package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestStatusWriterKeepsReaderFrom(t *testing.T) {
	var w http.ResponseWriter = &statusWriter{ResponseWriter: httptest.NewRecorder()}
	if _, ok := w.(io.ReaderFrom); !ok {
		t.Fatal("statusWriter hides io.ReaderFrom: blobs would not be served with sendfile")
	}
}

func TestReadyzAndPanicGuard(t *testing.T) {
	ready := errors.New("store down")
	var readyErr error
	api := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	s := New(Options{Addr: "127.0.0.1:0", ShutdownTimeout: time.Second}, quietLog(), api, http.NotFoundHandler(),
		func(context.Context) error { return readyErr })
	ts := httptest.NewServer(s.handler)
	defer ts.Close()
	get := func(path string) int {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/readyz"); got != http.StatusOK {
		t.Errorf("readyz = %d, want 200", got)
	}
	readyErr = ready
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("readyz with a failing store = %d, want 503", got)
	}
	readyErr = nil
	s.draining.Store(true)
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("readyz while draining = %d, want 503", got)
	}
	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("healthz = %d, want 200", got)
	}
	if got := get("/v2/"); got != http.StatusInternalServerError {
		t.Errorf("panicking handler = %d, want 500", got)
	}
	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("server stopped serving after a panic: healthz = %d", got)
	}
}

func TestGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	api := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		w.Write([]byte("finished"))
	})
	s := New(Options{Addr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second}, quietLog(), api, http.NotFoundHandler(),
		func(context.Context) error { return nil })
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	body := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/v2/")
		if err != nil {
			body <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body <- string(b)
	}()
	<-started
	cancel() // as SIGTERM does
	time.Sleep(100 * time.Millisecond)
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("new connections are still accepted after shutdown began")
	}
	close(release)
	if got := <-body; got != "finished" {
		t.Errorf("in-flight request got %q, want it to finish", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestStatusWriterWithoutReaderFrom(t *testing.T) {
	rec := httptest.NewRecorder()
	// The anonymous struct has only the ResponseWriter methods, like HTTP/2's writer.
	sw := &statusWriter{ResponseWriter: struct{ http.ResponseWriter }{rec}}
	n, err := sw.ReadFrom(strings.NewReader("body over HTTP/2"))
	if err != nil || n != 16 || rec.Body.String() != "body over HTTP/2" || sw.status != http.StatusOK {
		t.Fatalf("ReadFrom = %d, %v; body %q status %d", n, err, rec.Body.String(), sw.status)
	}
}

// writeLog is a ResponseWriter with ReadFrom, as HTTP/1's, that notes what reached it.
type writeLog struct {
	http.ResponseWriter
	writes   []int
	readFrom int
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return w.ResponseWriter.Write(p)
}

func (w *writeLog) ReadFrom(r io.Reader) (int64, error) {
	w.readFrom++
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// A file (alone or limited, as ServeContent passes it) goes to the connection's ReadFrom,
// which sends it with sendfile; any other body is written 1 MiB at a time.
func TestStatusWriterCopies(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "blob")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("berth"), 600_000) // 3 MB
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	for _, src := range []io.Reader{f, &io.LimitedReader{R: f, N: int64(len(data))}} {
		f.Seek(0, io.SeekStart)
		w := &writeLog{ResponseWriter: httptest.NewRecorder()}
		if n, err := (&statusWriter{ResponseWriter: w}).ReadFrom(src); err != nil || n != int64(len(data)) || w.readFrom != 1 {
			t.Errorf("ReadFrom(%T) = %d, %v, with %d calls of the connection's ReadFrom; want all of the file through one", src, n, err, w.readFrom)
		}
	}
	// A reader with neither WriterTo nor a file under it, as a decrypted blob.
	w := &writeLog{ResponseWriter: httptest.NewRecorder()}
	n, err := (&statusWriter{ResponseWriter: w}).ReadFrom(io.LimitReader(struct{ io.Reader }{bytes.NewReader(data)}, int64(len(data))))
	if err != nil || n != int64(len(data)) || w.readFrom != 0 {
		t.Fatalf("ReadFrom = %d, %v (%d calls of the connection's ReadFrom)", n, err, w.readFrom)
	}
	for i, size := range w.writes {
		if size != 1<<20 && i != len(w.writes)-1 {
			t.Fatalf("writes of %v bytes, want 1 MiB each but the last", w.writes)
		}
	}
}
