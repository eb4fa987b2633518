package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

// commitConcurrency is how many parts of one commit are copied at once.
const commitConcurrency = 4

// Commit assembles the first size bytes of the upload into the blob dgst on the server
// side, then deletes the upload's objects.
func (s *Store) Commit(ctx context.Context, id string, size int64, dgst digest.Digest) error {
	prefix, err := s.uploadPrefix(id)
	if err != nil {
		return err
	}
	dst, err := s.blobKey(dgst)
	if err != nil {
		return err
	}
	chunks, garbage, err := s.listChunks(ctx, prefix)
	if err != nil {
		return fmt.Errorf("commit upload %s: %w", id, err)
	}
	if len(chunks) == 0 {
		return fmt.Errorf("upload %s: %w", id, blob.ErrNotFound)
	}
	if have := dataSize(chunks); have < size {
		return fmt.Errorf("upload %s holds %d bytes, fewer than the %d recorded", id, have, size)
	}
	// Content-addressed: a blob already there is this content, so keep it.
	_, err = s.head(ctx, dst)
	switch {
	case errors.Is(err, blob.ErrNotFound):
		if err := s.assemble(ctx, dst, chunks, size); err != nil {
			return fmt.Errorf("commit upload %s as %s: %w", id, dgst, err)
		}
	case err != nil:
		return fmt.Errorf("commit upload %s: %w", id, err)
	}
	if err := s.deleteChunks(ctx, append(chunks, garbage...)); err != nil {
		return fmt.Errorf("remove committed upload %s: %w", id, err)
	}
	return nil
}

// segment is the bytes [start, end) of the object key, which holds objSize bytes.
type segment struct {
	key        string
	start, end int64
	objSize    int64
}

func (g segment) len() int64 { return g.end - g.start }

// part is one part of the blob: a range copied by the server, or segments streamed
// through the registry because S3 refuses parts under 5 MiB but the last.
type part struct {
	copy bool
	segs []segment
	size int64
}

func (p *part) add(g segment) {
	p.segs = append(p.segs, g)
	p.size += g.len()
}

// planParts groups the segments into the parts of the blob. Segments of 5 MiB or
// more are copied (split to at most 5 GiB each); runs of small ones are coalesced
// into streamed parts just reaching 5 MiB, taking only what they need from the
// front of a large neighbour, so less than 10 MiB per part passes through memory.
func planParts(segs []segment) []part {
	var parts []part
	var pending part
	flush := func() {
		if len(pending.segs) > 0 {
			parts = append(parts, pending)
			pending = part{}
		}
	}
	copies := func(g segment) {
		n := (g.len() + maxCopySize - 1) / maxCopySize
		step := (g.len() + n - 1) / n
		for start := g.start; start < g.end; start += step {
			c := g
			c.start, c.end = start, min(start+step, g.end)
			parts = append(parts, part{copy: true, segs: []segment{c}, size: c.len()})
		}
	}
	for i, g := range segs {
		if pending.size == 0 {
			if g.len() >= minPartSize {
				copies(g)
			} else {
				pending.add(g)
			}
			continue
		}
		need := minPartSize - pending.size
		// The rest of g can be copied if it is a valid part: 5 MiB, or anything
		// at the very end.
		if rest := g.len() - need; rest >= minPartSize || (i == len(segs)-1 && rest > 0) {
			head, rest := g, g
			head.end = g.start + need
			rest.start = head.end
			pending.add(head)
			flush()
			copies(rest)
			continue
		}
		pending.add(g)
		if pending.size >= minPartSize {
			flush()
		}
	}
	flush()
	return parts
}

// assemble writes the first size bytes of the chunks as the object dst.
func (s *Store) assemble(ctx context.Context, dst string, chunks []chunk, size int64) error {
	var segs []segment
	for _, c := range chunks {
		if c.offset >= size {
			break
		}
		if end := min(c.end(), size); end > c.offset {
			segs = append(segs, segment{key: c.key, start: 0, end: end - c.offset, objSize: c.size})
		}
	}
	parts := planParts(segs)
	switch {
	case len(parts) == 0:
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &dst,
			Body: bytes.NewReader(nil), ContentLength: aws.Int64(0)})
		return err
	case len(parts) > maxParts:
		return fmt.Errorf("%d parts, more than S3's %d", len(parts), maxParts)
	case len(parts) == 1 && parts[0].copy && parts[0].segs[0].len() == parts[0].segs[0].objSize:
		_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &s.bucket, Key: &dst,
			CopySource: aws.String(s.copySource(parts[0].segs[0].key))})
		return err
	case len(parts) == 1 && !parts[0].copy:
		buf, err := s.readSegments(ctx, parts[0])
		if err != nil {
			return err
		}
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &dst,
			Body: bytes.NewReader(buf), ContentLength: aws.Int64(int64(len(buf)))})
		return err
	}
	return s.multipart(ctx, dst, parts)
}

// multipart writes dst as a multipart upload of parts, a few at a time.
func (s *Store) multipart(ctx context.Context, dst string, parts []part) error {
	mp, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &dst})
	if err != nil {
		return err
	}
	uploadID := mp.UploadId
	abort := func() {
		// Not the request's context: a client that went away must not leave the
		// parts billed in the bucket.
		_, _ = s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &dst, UploadId: uploadID})
	}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	completed := make([]types.CompletedPart, len(parts))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, commitConcurrency)
	for i, p := range parts {
		sem <- struct{}{}
		if pctx.Err() != nil {
			<-sem
			break
		}
		num := aws.Int32(int32(i + 1))
		wg.Go(func() {
			defer func() { <-sem }()
			etag, err := s.uploadPart(pctx, dst, uploadID, num, p)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("part %d: %w", *num, err)
				}
				mu.Unlock()
				cancel()
				return
			}
			completed[i] = types.CompletedPart{ETag: etag, PartNumber: num}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		abort()
		return firstErr
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &dst, UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
	})
	if err != nil {
		abort()
		return err
	}
	return nil
}

// uploadPart copies or streams one part and returns its ETag.
func (s *Store) uploadPart(ctx context.Context, dst string, uploadID *string, num *int32, p part) (*string, error) {
	if p.copy {
		g := p.segs[0]
		out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: &s.bucket, Key: &dst, UploadId: uploadID, PartNumber: num,
			CopySource:      aws.String(s.copySource(g.key)),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", g.start, g.end-1)),
		})
		if err != nil {
			return nil, err
		}
		if out.CopyPartResult == nil {
			return nil, errors.New("UploadPartCopy returned no ETag")
		}
		return out.CopyPartResult.ETag, nil
	}
	buf, err := s.readSegments(ctx, p)
	if err != nil {
		return nil, err
	}
	// A bytes.Reader body can be signed and resent by the retryer.
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &s.bucket, Key: &dst, UploadId: uploadID, PartNumber: num,
		Body: bytes.NewReader(buf), ContentLength: aws.Int64(int64(len(buf))),
	})
	if err != nil {
		return nil, err
	}
	return out.ETag, nil
}

// readSegments reads a streamed part into memory, with one ranged GET per segment.
func (s *Store) readSegments(ctx context.Context, p part) ([]byte, error) {
	buf := make([]byte, 0, p.size)
	for _, g := range p.segs {
		o := &object{ctx: ctx, s: s, key: g.key, size: g.end, pos: g.start}
		n := len(buf)
		buf = buf[:n+int(g.len())]
		_, err := io.ReadFull(o, buf[n:])
		o.Close()
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}
