package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// uuidPattern is ECR's UploadId pattern; ids are generated as UUIDs.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// RangeError is a chunk that does not start where the session stands. Size is what the
// session holds, for the client to resume from.
type RangeError struct {
	Size int64
}

// Chunk is a piece of an upload as a client sends it.
type Chunk struct {
	// Start is the offset the client says the chunk begins at, or -1 if it did not say.
	Start int64
	// Length is the chunk's length as the client declared it, or -1 if it did not say.
	Length int64
	Body   io.Reader
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// StartUpload opens an upload session in repository rr.
func (r *Registry) StartUpload(ctx context.Context, rr RepoRef) (meta.Upload, error) {
	repo, err := r.repositoryForPush(ctx, rr)
	if err != nil {
		return meta.Upload{}, err
	}
	// A repository whose KMS key is disabled takes no uploads (ECR: KmsException).
	if err := r.checkKey(ctx, repo); err != nil {
		return meta.Upload{}, err
	}
	state, err := marshalHash(sha256.New())
	if err != nil {
		return meta.Upload{}, internal(err)
	}
	now := r.now()
	u := meta.Upload{ID: newUUID(), RepositoryID: repo.ID, HashState: state, StartedAt: now, UpdatedAt: now}
	if err := r.meta.CreateUpload(ctx, u); err != nil {
		return meta.Upload{}, internal(err)
	}
	return u, nil
}

// Upload returns an upload session of repository rr.
func (r *Registry) Upload(ctx context.Context, rr RepoRef, id string) (meta.Upload, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Upload{}, err
	}
	return r.upload(ctx, repo, id)
}

func (r *Registry) upload(ctx context.Context, repo meta.Repository, id string) (meta.Upload, error) {
	unknown := errcode.New(errcode.BlobUploadUnknown,
		"upload %q is not in progress in repository %q: it was completed, cancelled or expired; start a new one", truncate(id), repo.Name)
	if !uuidPattern.MatchString(id) {
		return meta.Upload{}, unknown
	}
	u, err := r.meta.GetUpload(ctx, id)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && u.RepositoryID != repo.ID) {
		return meta.Upload{}, unknown
	}
	if err != nil {
		return meta.Upload{}, internal(err)
	}
	return u, nil
}

// AppendUpload adds a chunk to an upload session.
func (r *Registry) AppendUpload(ctx context.Context, rr RepoRef, id string, c Chunk) (meta.Upload, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Upload{}, err
	}
	defer r.uploads.lock(id)()
	u, err := r.upload(ctx, repo, id)
	if err != nil {
		return meta.Upload{}, err
	}
	h, err := unmarshalHash(u.HashState)
	if err != nil {
		return meta.Upload{}, internal(err)
	}
	n, err := r.appendChunk(blobContext(ctx, repo), u, c, h)
	if err != nil {
		return meta.Upload{}, err
	}
	return r.advance(ctx, u, n, h)
}

// appendChunk checks that c starts where upload u stands and writes it after u's
// data, hashing it with h. Nothing is recorded: the caller advances or commits.
func (r *Registry) appendChunk(ctx context.Context, u meta.Upload, c Chunk, h hash.Hash) (int64, error) {
	if c.Start >= 0 && c.Start != u.Size {
		return 0, &errcode.Error{Code: errcode.RangeInvalid,
			Message: fmt.Sprintf("chunk starts at byte %d but the upload holds %d bytes; send the chunk that starts at byte %d", c.Start, u.Size, u.Size),
			Detail:  RangeError{Size: u.Size}}
	}
	n, err := r.blobs.Uploads().Append(ctx, u.ID, u.Size, io.TeeReader(c.Body, h))
	if e := (*errcode.Error)(nil); errors.As(err, &e) && e.Code != errcode.Internal {
		return 0, keyFailure(err) // the repository's KMS key cannot be used
	}
	if err != nil {
		// The client's connection breaking is the usual cause, but a failing blob store
		// must show in the log.
		r.log.WarnContext(ctx, "upload chunk failed", "upload", u.ID, "offset", u.Size, "bytes", n, "err", err)
		return 0, wrapf(errcode.BlobUploadInvalid, err,
			"upload %s failed after %d bytes of this chunk; resume from byte %d", u.ID, n, u.Size)
	}
	if c.Length >= 0 && n != c.Length {
		return 0, errcode.New(errcode.BlobUploadInvalid,
			"chunk declared %d bytes but carried %d; resume from byte %d", c.Length, n, u.Size)
	}
	return n, nil
}

func (r *Registry) advance(ctx context.Context, u meta.Upload, n int64, h hash.Hash) (meta.Upload, error) {
	state, err := marshalHash(h)
	if err != nil {
		return meta.Upload{}, internal(err)
	}
	next := u
	next.Size, next.HashState, next.UpdatedAt = u.Size+n, state, r.now()
	if u.Chunks > 0 && (u.SmallestChunk == 0 || u.LastChunk < u.SmallestChunk) {
		next.SmallestChunk = u.LastChunk // the last chunk is no longer the last
	}
	next.Chunks, next.LastChunk = u.Chunks+1, n
	err = r.meta.AdvanceUpload(ctx, u.ID, u.Size, next)
	switch {
	case err == nil:
		return next, nil
	case errors.Is(err, meta.ErrConflict):
		return meta.Upload{}, errcode.New(errcode.RangeInvalid,
			"upload %s moved on while this chunk was written; get its status and resume", u.ID)
	case errors.Is(err, meta.ErrNotFound):
		return meta.Upload{}, errcode.New(errcode.BlobUploadUnknown, "upload %s was cancelled or expired", u.ID)
	default:
		return meta.Upload{}, internal(err)
	}
}

// CompleteUpload adds an optional last chunk, verifies the content against dgstText
// and commits the blob. A digest mismatch cancels the session.
func (r *Registry) CompleteUpload(ctx context.Context, rr RepoRef, id, dgstText string, c Chunk) (meta.Blob, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Blob{}, err
	}
	if dgstText == "" {
		return meta.Blob{}, errcode.New(errcode.DigestInvalid,
			"the digest query parameter is required to complete an upload")
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return meta.Blob{}, err
	}
	defer r.uploads.lock(id)()
	u, err := r.upload(ctx, repo, id)
	if err != nil {
		return meta.Blob{}, err
	}
	var h hash.Hash
	if u.Size == 0 {
		// Nothing received yet: hash with the digest's own algorithm in this one pass.
		h = dgst.Algorithm().Hash()
	} else if h, err = unmarshalHash(u.HashState); err != nil {
		return meta.Blob{}, internal(err)
	}
	n, err := r.appendChunk(blobContext(ctx, repo), u, c, h)
	if err != nil {
		return meta.Blob{}, err
	}
	size := u.Size + n
	actual, err := r.uploadDigest(ctx, id, size, dgst.Algorithm(), h)
	if err != nil {
		return meta.Blob{}, err
	}
	if actual != dgst {
		r.discardUpload(ctx, id)
		return meta.Blob{}, errcode.New(errcode.BlobDigestMismatch,
			"the uploaded content has digest %s, not %s; the upload is cancelled, push the blob again", actual, dgst)
	}
	b, err := r.commit(ctx, repo, id, size, dgst)
	if err != nil {
		return meta.Blob{}, err
	}
	if err := r.meta.DeleteUpload(ctx, id); err != nil && !errors.Is(err, meta.ErrNotFound) {
		r.log.Warn("committed upload not forgotten; expiry will remove it", "upload", id, "err", err)
	}
	return b, nil
}

// uploadDigest returns the digest of the upload's size bytes with algorithm alg. h
// already hashes them, with sha256 or with alg.
func (r *Registry) uploadDigest(ctx context.Context, id string, size int64, alg digest.Algorithm, h hash.Hash) (digest.Digest, error) {
	if h.Size() == alg.Size() {
		return digest.NewDigest(alg, h), nil
	}
	// A session hashes with sha256 as chunks arrive; another algorithm, known only
	// now, needs one more read of the data.
	rd, err := r.blobs.Uploads().Reader(ctx, id)
	if err != nil {
		return "", internal(err)
	}
	defer rd.Close()
	v := alg.Digester()
	if _, err := io.Copy(v.Hash(), io.LimitReader(rd, size)); err != nil {
		return "", internal(err)
	}
	return v.Digest(), nil
}

// commit makes upload data a blob of repo.
func (r *Registry) commit(ctx context.Context, repo meta.Repository, id string, size int64, dgst digest.Digest) (meta.Blob, error) {
	if err := r.blobs.Uploads().Commit(ctx, id, size, dgst); err != nil {
		return meta.Blob{}, internal(err)
	}
	b := meta.Blob{Digest: dgst, Size: size, CreatedAt: r.now()}
	if err := r.meta.LinkBlob(ctx, repo.ID, b); err != nil {
		return meta.Blob{}, internal(err)
	}
	return b, nil
}

// PutBlob stores a whole blob sent in one request (POST with digest).
func (r *Registry) PutBlob(ctx context.Context, rr RepoRef, dgstText string, c Chunk) (meta.Blob, error) {
	repo, err := r.repositoryForPush(ctx, rr)
	if err != nil {
		return meta.Blob{}, err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return meta.Blob{}, err
	}
	return r.storeBlob(ctx, repo, dgst, c)
}

// storeBlob streams c into a new blob of repo, verifying it against dgst in the
// same pass; nothing is kept unless it matches.
func (r *Registry) storeBlob(ctx context.Context, repo meta.Repository, dgst digest.Digest, c Chunk) (meta.Blob, error) {
	id := newUUID()
	h := dgst.Algorithm().Hash()
	n, err := r.blobs.Uploads().Append(blobContext(ctx, repo), id, 0, io.TeeReader(c.Body, h))
	if e := (*errcode.Error)(nil); errors.As(err, &e) && e.Code != errcode.Internal {
		r.discardUpload(ctx, id)
		return meta.Blob{}, keyFailure(err) // the repository's KMS key cannot be used
	}
	if err != nil {
		r.discardUpload(ctx, id)
		return meta.Blob{}, wrapf(errcode.BlobUploadInvalid, err, "blob upload failed after %d bytes; push it again", n)
	}
	if c.Length >= 0 && n != c.Length {
		r.discardUpload(ctx, id)
		return meta.Blob{}, errcode.New(errcode.SizeInvalid, "request declared %d bytes but carried %d", c.Length, n)
	}
	if actual := digest.NewDigest(dgst.Algorithm(), h); actual != dgst {
		r.discardUpload(ctx, id)
		return meta.Blob{}, errcode.New(errcode.BlobDigestMismatch,
			"the uploaded content has digest %s, not %s; nothing was stored", actual, dgst)
	}
	b, err := r.commit(ctx, repo, id, n, dgst)
	if err != nil {
		r.discardUpload(ctx, id)
	}
	return b, err
}

// CancelUpload ends a session and removes its data.
func (r *Registry) CancelUpload(ctx context.Context, rr RepoRef, id string) error {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return err
	}
	defer r.uploads.lock(id)()
	if _, err := r.upload(ctx, repo, id); err != nil {
		return err
	}
	if err := r.meta.DeleteUpload(ctx, id); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return internal(err)
	}
	if err := r.blobs.Uploads().Abort(ctx, id); err != nil {
		return internal(err)
	}
	return nil
}

// discardUpload removes a session and its data, logging (not returning) failures:
// expiry removes whatever is left.
func (r *Registry) discardUpload(ctx context.Context, id string) {
	if err := r.meta.DeleteUpload(ctx, id); err != nil && !errors.Is(err, meta.ErrNotFound) {
		r.log.Warn("discard upload session", "upload", id, "err", err)
	}
	if err := r.blobs.Uploads().Abort(ctx, id); err != nil && !errors.Is(err, blob.ErrNotFound) {
		r.log.Warn("discard upload data", "upload", id, "err", err)
	}
}

func marshalHash(h hash.Hash) ([]byte, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("hash %T cannot save its state", h)
	}
	return m.MarshalBinary()
}

func unmarshalHash(state []byte) (hash.Hash, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, fmt.Errorf("restore upload hash state: %w", err)
	}
	return h, nil
}
