// Package blob defines where blob bytes live: committed, content-addressed blobs and the
// growing data of upload sessions. Implementations live in sub-packages (fs today, s3
// later) and all pass the one conformance suite in blobtest.
//
// A blob store knows nothing of repositories or of hashing: the registry service hashes
// while it streams and tells the store the digest at commit.
package blob

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
)

// ErrNotFound is a blob or upload the store does not hold.
var ErrNotFound = errors.New("not found")

// Store holds committed blobs.
type Store interface {
	// Open returns the content of a committed blob. Where the store can, the reader is an
	// *os.File, so serving it uses sendfile.
	Open(ctx context.Context, dgst digest.Digest) (io.ReadSeekCloser, error)
	// Stat returns the size of a committed blob, or ErrNotFound.
	Stat(ctx context.Context, dgst digest.Digest) (int64, error)
	// Delete removes a committed blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, dgst digest.Digest) error
	Uploads() UploadStore
}

// Redirector is a Store whose blobs clients can fetch directly, as ECR sends layer
// downloads to S3.
type Redirector interface {
	// RedirectURL returns a URL that serves the committed blob dgst to anyone who has
	// it, for ttl.
	RedirectURL(ctx context.Context, dgst digest.Digest, ttl time.Duration) (string, error)
}

// UploadStore holds the data of upload sessions until they are committed or aborted.
// Any replica may continue any session: the data is addressed by session id only.
type UploadStore interface {
	// Append writes r to the upload after its first offset bytes, creating the upload
	// if offset is 0. Bytes beyond offset from an earlier, failed append are discarded
	// first. It returns the number of bytes written, also on error.
	Append(ctx context.Context, id string, offset int64, r io.Reader) (int64, error)
	// Reader reads the upload's data from the start.
	Reader(ctx context.Context, id string) (io.ReadCloser, error)
	// Size returns the bytes the upload holds, or ErrNotFound.
	Size(ctx context.Context, id string) (int64, error)
	// Commit makes the first size bytes of the upload the committed blob dgst,
	// durably, and removes the upload. Committing content that already exists is fine.
	Commit(ctx context.Context, id string, size int64, dgst digest.Digest) error
	// Abort removes the upload's data; aborting an absent upload is not an error.
	Abort(ctx context.Context, id string) error
	// List returns every upload id the store holds (to find leftovers of crashes).
	List(ctx context.Context) ([]Upload, error)
}

// Upload describes stored upload data.
type Upload struct {
	ID string
	// ModTime is when the data last changed, Unix nanoseconds.
	ModTime int64
}
