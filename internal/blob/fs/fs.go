// Package fs keeps blobs as files under one directory:
//
//	<root>/blobs/<algorithm>/<first two hex>/<hex>   committed, content-addressed
//	<root>/uploads/<session id>                      data of upload sessions
//
// A blob becomes visible only by an atomic rename of a fully written, fsynced upload
// file, so a crash can never expose half a blob.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

// copyBufferSize is large so that a layer streams in few syscalls.
const copyBufferSize = 512 << 10

// Store implements blob.Store on a local filesystem.
type Store struct {
	root string
	// buffers recycles copy buffers: allocating and zeroing 1 MiB per small blob
	// was a tenth of a small-image push.
	buffers sync.Pool
}

var (
	_ blob.Store       = (*Store)(nil)
	_ blob.UploadStore = (*Store)(nil)
)

// New returns a store rooted at dir, creating its directories.
func New(dir string) (*Store, error) {
	s := &Store{root: dir}
	s.buffers.New = func() any { return new([copyBufferSize]byte) }
	for _, d := range []string{s.blobsDir(), s.uploadsDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create blob store: %w", err)
		}
	}
	return s, nil
}

func (s *Store) blobsDir() string   { return filepath.Join(s.root, "blobs") }
func (s *Store) uploadsDir() string { return filepath.Join(s.root, "uploads") }

func (s *Store) blobPath(dgst digest.Digest) (string, error) {
	if err := dgst.Validate(); err != nil {
		return "", fmt.Errorf("blob path: %w", err)
	}
	hex := dgst.Encoded()
	return filepath.Join(s.blobsDir(), string(dgst.Algorithm()), hex[:2], hex), nil
}

func (s *Store) uploadPath(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", fmt.Errorf("invalid upload id %q", id)
	}
	return filepath.Join(s.uploadsDir(), id), nil
}

// Uploads returns the store itself: uploads live beside the blobs.
func (s *Store) Uploads() blob.UploadStore { return s }

// Open opens a committed blob as an *os.File.
func (s *Store) Open(_ context.Context, dgst digest.Digest) (io.ReadSeekCloser, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", dgst, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", dgst, err)
	}
	return f, nil
}

// Stat returns a committed blob's size.
func (s *Store) Stat(_ context.Context, dgst digest.Digest) (int64, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("blob %s: %w", dgst, blob.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("stat blob %s: %w", dgst, err)
	}
	return fi.Size(), nil
}

// Delete removes a committed blob.
func (s *Store) Delete(_ context.Context, dgst digest.Digest) error {
	p, err := s.blobPath(dgst)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", dgst, err)
	}
	return nil
}

// Append writes r after the first offset bytes of the upload.
func (s *Store) Append(_ context.Context, id string, offset int64, r io.Reader) (int64, error) {
	p, err := s.uploadPath(id)
	if err != nil {
		return 0, err
	}
	flags := os.O_WRONLY
	if offset == 0 {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(p, flags, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("open upload %s: %w", id, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat upload %s: %w", id, err)
	}
	if fi.Size() < offset {
		return 0, fmt.Errorf("upload %s holds %d bytes, fewer than the %d recorded", id, fi.Size(), offset)
	}
	if fi.Size() > offset {
		if err := f.Truncate(offset); err != nil {
			return 0, fmt.Errorf("truncate upload %s: %w", id, err)
		}
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, fmt.Errorf("seek upload %s: %w", id, err)
	}
	a, b := s.buffers.Get().(*[copyBufferSize]byte), s.buffers.Get().(*[copyBufferSize]byte)
	n, err := copyFull(f, r, a[:], b[:])
	s.buffers.Put(a)
	s.buffers.Put(b)
	if err != nil {
		return n, fmt.Errorf("write upload %s: %w", id, err)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("close upload %s: %w", id, err)
	}
	return n, nil
}

// copyFull copies r to w in large writes: it fills a buffer before each write, as
// network reads return small pieces. Reading (with the caller's hashing) and writing
// run in two goroutines over two buffers, so a layer streams at the speed of the
// slower of the two rather than of both added up. Only io.EOF ends the copy cleanly;
// any other error, io.ErrUnexpectedEOF of a cut-off request body included, is
// returned with the count of bytes written.
func copyFull(w io.Writer, r io.Reader, a, b []byte) (int64, error) {
	full := make(chan []byte, 1)
	free := make(chan []byte, 2)
	free <- a
	free <- b
	var (
		written int64
		werr    error
		failed  atomic.Bool
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for buf := range full {
			if werr == nil {
				var n int
				n, werr = w.Write(buf)
				written += int64(n)
				if werr != nil {
					failed.Store(true)
				}
			}
			free <- buf[:cap(buf)]
		}
	}()
	var rerr error
	for !failed.Load() {
		buf := <-free
		n, err := fill(r, buf)
		if n > 0 {
			full <- buf[:n]
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(full)
	<-done
	if werr != nil {
		return written, werr
	}
	if rerr == io.EOF {
		return written, nil
	}
	return written, rerr
}

// fill reads into buf until it is full or r fails; io.EOF is returned as is.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Reader reads an upload from its start.
func (s *Store) Reader(_ context.Context, id string) (io.ReadCloser, error) {
	p, err := s.uploadPath(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open upload %s: %w", id, err)
	}
	return f, nil
}

// Size returns how many bytes the upload holds.
func (s *Store) Size(_ context.Context, id string) (int64, error) {
	p, err := s.uploadPath(id)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("stat upload %s: %w", id, err)
	}
	return fi.Size(), nil
}

// Commit fsyncs the upload and renames it into place as dgst.
func (s *Store) Commit(_ context.Context, id string, size int64, dgst digest.Digest) error {
	src, err := s.uploadPath(id)
	if err != nil {
		return err
	}
	dst, err := s.blobPath(dgst)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(src, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("open upload %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() != size {
		if fi.Size() < size {
			err = fmt.Errorf("upload %s holds %d bytes, fewer than the %d recorded", id, fi.Size(), size)
		} else {
			err = f.Truncate(size)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("commit upload %s: %w", id, err)
	}
	dir := filepath.Dir(dst)
	if err := mkdirDurable(dir); err != nil {
		return fmt.Errorf("commit upload %s: %w", id, err)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("commit upload %s: %w", id, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("commit upload %s: %w", id, err)
	}
	return nil
}

// mkdirDurable creates dir (and its parents) so that the new entries survive a crash.
func mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := mkdirDurable(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort removes an upload's data.
func (s *Store) Abort(_ context.Context, id string) error {
	p, err := s.uploadPath(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort upload %s: %w", id, err)
	}
	return nil
}

// List returns every upload the store holds.
func (s *Store) List(_ context.Context) ([]blob.Upload, error) {
	entries, err := os.ReadDir(s.uploadsDir())
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	out := make([]blob.Upload, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		out = append(out, blob.Upload{ID: e.Name(), ModTime: info.ModTime().UnixNano()})
	}
	return out, nil
}
