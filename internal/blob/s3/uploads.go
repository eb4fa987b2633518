package s3

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/berth-registry/berth/internal/blob"
)

// offsetDigits is the width of the zero-padded offset that names a chunk object, so
// that keys sort by offset.
const offsetDigits = 20

// chunk is one object of an upload: the bytes [offset, offset+size) of its data.
type chunk struct {
	key     string
	offset  int64
	size    int64
	modTime time.Time
}

func (c chunk) end() int64 { return c.offset + c.size }

func (s *Store) uploadsPrefix() string { return s.root + "uploads/" }

func (s *Store) uploadPrefix(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", fmt.Errorf("invalid upload id %q", id)
	}
	return s.uploadsPrefix() + id + "/", nil
}

func chunkKey(prefix string, offset int64) string {
	return fmt.Sprintf("%s%0*d", prefix, offsetDigits, offset)
}

// listChunks returns the upload's data, chunks ordered by offset and following each
// other from 0, and garbage: objects under its prefix beyond a gap, which an
// interrupted truncation can leave behind and the next Append removes.
func (s *Store) listChunks(ctx context.Context, prefix string) (data, garbage []chunk, err error) {
	var all []chunk
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			c := chunk{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size), modTime: aws.ToTime(o.LastModified)}
			name := strings.TrimPrefix(c.key, prefix)
			off, perr := strconv.ParseInt(name, 10, 64)
			if len(name) != offsetDigits || perr != nil || off < 0 {
				garbage = append(garbage, c)
				continue
			}
			c.offset = off
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b chunk) int { return cmp.Compare(a.offset, b.offset) })
	var end int64
	for i, c := range all {
		if c.offset != end {
			return all[:i], append(garbage, all[i:]...), nil
		}
		end = c.end()
	}
	return all, garbage, nil
}

func dataSize(chunks []chunk) int64 {
	if len(chunks) == 0 {
		return 0
	}
	return chunks[len(chunks)-1].end()
}

// Append stores r as one new chunk object after the first offset bytes. The object
// appears only once all of r is stored, so a failed Append adds nothing and returns 0.
func (s *Store) Append(ctx context.Context, id string, offset int64, r io.Reader) (int64, error) {
	prefix, err := s.uploadPrefix(id)
	if err != nil {
		return 0, err
	}
	chunks, garbage, err := s.listChunks(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("append to upload %s: %w", id, err)
	}
	if len(chunks) == 0 && offset > 0 {
		return 0, fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	if size := dataSize(chunks); size < offset {
		return 0, fmt.Errorf("upload %s holds %d bytes, fewer than the %d recorded", id, size, offset)
	}
	if err := s.truncate(ctx, chunks, garbage, offset); err != nil {
		return 0, fmt.Errorf("append to upload %s: %w", id, err)
	}
	// The counting wrapper also hides any Seeker or ReaderAt of r, so the uploader
	// streams it through its part buffers instead of seeking it.
	cr := &countingReader{r: r}
	key := chunkKey(prefix, offset)
	if _, err := s.uploader.Upload(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: cr}); err != nil {
		return 0, fmt.Errorf("append to upload %s: %w", id, err)
	}
	return cr.n, nil
}

// truncate drops the upload's data from offset on: chunks that start there or later
// and garbage are deleted, and a chunk that straddles offset is rewritten to its
// first bytes (only after a chunk whose success the registry did not record).
func (s *Store) truncate(ctx context.Context, chunks, garbage []chunk, offset int64) error {
	doomed := garbage
	for _, c := range chunks {
		if c.offset >= offset {
			doomed = append(doomed, c)
		}
	}
	if err := s.deleteChunks(ctx, doomed); err != nil {
		return err
	}
	for _, c := range chunks {
		if c.offset < offset && offset < c.end() {
			return s.cutChunk(ctx, c, offset-c.offset)
		}
	}
	return nil
}

// cutChunk replaces chunk c by its first n bytes.
func (s *Store) cutChunk(ctx context.Context, c chunk, n int64) error {
	rng := fmt.Sprintf("bytes=0-%d", n-1)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &c.key, Range: &rng})
	if err != nil {
		return fmt.Errorf("read %s to truncate it: %w", c.key, err)
	}
	defer out.Body.Close()
	// A response cut short fails the upload instead of storing fewer bytes.
	body := &exactReader{r: out.Body, left: n}
	if _, err := s.uploader.Upload(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &c.key, Body: body}); err != nil {
		return fmt.Errorf("truncate %s: %w", c.key, err)
	}
	return nil
}

// deleteChunks deletes objects, a thousand (S3's limit) per request.
func (s *Store) deleteChunks(ctx context.Context, chunks []chunk) error {
	for batch := range slices.Chunk(chunks, 1000) {
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, c := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(c.key)}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &s.bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete %d objects: %w", len(ids), err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete %s: %s: %s (and %d more)", aws.ToString(e.Key), aws.ToString(e.Code),
				aws.ToString(e.Message), len(out.Errors)-1)
		}
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// exactReader reads exactly left bytes of r: an earlier end is io.ErrUnexpectedEOF.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		err = io.ErrUnexpectedEOF
	case err == io.EOF || e.left == 0:
		err = nil
	}
	return n, err
}

// Reader reads an upload's chunks one after the other, each with one GET.
func (s *Store) Reader(ctx context.Context, id string) (io.ReadCloser, error) {
	prefix, err := s.uploadPrefix(id)
	if err != nil {
		return nil, err
	}
	chunks, _, err := s.listChunks(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("read upload %s: %w", id, err)
	}
	if len(chunks) == 0 {
		return nil, fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	return &chunkReader{ctx: ctx, s: s, chunks: chunks}, nil
}

type chunkReader struct {
	ctx    context.Context
	s      *Store
	chunks []chunk
	cur    io.ReadCloser
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.chunks) == 0 {
				return 0, io.EOF
			}
			c := r.chunks[0]
			r.chunks = r.chunks[1:]
			if c.size == 0 {
				continue
			}
			r.cur = &object{ctx: r.ctx, s: r.s, key: c.key, size: c.size}
		}
		n, err := r.cur.Read(p)
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

func (r *chunkReader) Close() error {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	r.chunks = nil
	return nil
}

// Size returns how many bytes the upload's chunks hold.
func (s *Store) Size(ctx context.Context, id string) (int64, error) {
	prefix, err := s.uploadPrefix(id)
	if err != nil {
		return 0, err
	}
	chunks, _, err := s.listChunks(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("size of upload %s: %w", id, err)
	}
	if len(chunks) == 0 {
		return 0, fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	return dataSize(chunks), nil
}

// Abort deletes every object of the upload.
func (s *Store) Abort(ctx context.Context, id string) error {
	prefix, err := s.uploadPrefix(id)
	if err != nil {
		return err
	}
	chunks, garbage, err := s.listChunks(ctx, prefix)
	if err == nil {
		err = s.deleteChunks(ctx, append(chunks, garbage...))
	}
	if err != nil {
		return fmt.Errorf("abort upload %s: %w", id, err)
	}
	return nil
}

// List returns every upload with objects in the bucket, and when its newest object
// was written.
func (s *Store) List(ctx context.Context) ([]blob.Upload, error) {
	prefix := s.uploadsPrefix()
	latest := map[string]time.Time{}
	var order []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list uploads: %w", err)
		}
		for _, o := range page.Contents {
			id, _, ok := strings.Cut(strings.TrimPrefix(aws.ToString(o.Key), prefix), "/")
			if !ok || id == "" {
				continue
			}
			t, seen := latest[id]
			if !seen {
				order = append(order, id)
			}
			if mod := aws.ToTime(o.LastModified); !seen || mod.After(t) {
				latest[id] = mod
			}
		}
	}
	out := make([]blob.Upload, 0, len(order))
	for _, id := range order {
		out = append(out, blob.Upload{ID: id, ModTime: latest[id].UnixNano()})
	}
	return out, nil
}
