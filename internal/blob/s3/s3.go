// Package s3 keeps blobs in a bucket of any S3-compatible server:
//
//	<prefix>/blobs/<algorithm>/<first two hex>/<hex>    committed, content-addressed
//	<prefix>/uploads/<session id>/<offset, 20 digits>   one object per appended chunk
//
// Nothing is kept on local disk, so any replica can continue any upload. An S3 object
// appears whole or not at all, so an Append that fails leaves no trace; committing
// turns the chunks into the blob on the server side (CopyObject or a multipart upload
// of copied parts), so a layer is never read back through the registry to commit it.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

const (
	// minPartSize is S3's smallest part of a multipart upload, the last part excepted.
	minPartSize = 5 << 20
	// maxCopySize is the most CopyObject and UploadPartCopy copy in one request.
	maxCopySize = 5 << 30
	// maxParts is the most parts of a multipart upload.
	maxParts = 10000
	// defaultPartSize is the part size of appended chunks: the uploader holds
	// (concurrency+1) buffers of it per Append, and nothing else of the data.
	defaultPartSize = 8 << 20
	// defaultConcurrency is how many parts of one Append or Commit are in flight.
	defaultConcurrency = 3
	// defaultMaxAttempts counts the first try: S3 asks clients to retry 500, 503
	// SlowDown and throttling with backoff.
	defaultMaxAttempts = 6
)

// Config says where the store is and how to reach it.
type Config struct {
	Bucket string
	// Prefix, if set, is the key prefix of everything the store writes.
	Prefix string
	// Endpoint is the server's URL, e.g. http://127.0.0.1:7070; empty means AWS.
	Endpoint string
	// Region defaults to AWS_REGION or the shared config, then us-east-1.
	Region string
	// AccessKey and SecretKey are static credentials; without them the standard AWS
	// chain (environment, shared files, web identity, instance role) is used.
	AccessKey string
	SecretKey string
	// PathStyle addresses the bucket as a path (http://host/bucket/key), which most
	// S3-compatible servers need, instead of as a host name (http://bucket.host/key).
	PathStyle bool
	// MaxAttempts bounds the tries of one request (default 6).
	MaxAttempts int
	// MaxBackoff bounds the wait between tries (default 20 s, the SDK's).
	MaxBackoff time.Duration
	// PartSize is the part size of multipart chunk uploads (default 8 MiB, at least 5 MiB).
	PartSize int64
	// HTTPClient, if set, sends the requests.
	HTTPClient *http.Client
}

// Store implements blob.Store, blob.UploadStore and blob.Redirector on a bucket.
type Store struct {
	client   *s3.Client
	uploader *manager.Uploader
	presign  *s3.PresignClient
	bucket   string
	root     string // "" or the prefix with a trailing '/'
}

var (
	_ blob.Store       = (*Store)(nil)
	_ blob.UploadStore = (*Store)(nil)
	_ blob.Redirector  = (*Store)(nil)
)

// New returns a store on cfg.Bucket after checking that the bucket answers.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 blob store: no bucket")
	}
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 blob store: load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = defaultMaxAttempts
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		if cfg.HTTPClient != nil {
			o.HTTPClient = cfg.HTTPClient
		}
		// Checksums only where S3 requires them: many S3-compatible servers refuse
		// the trailing checksums the SDK would otherwise add to every upload, and
		// the registry verifies every blob's digest itself.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			if cfg.MaxBackoff > 0 {
				so.MaxBackoff = cfg.MaxBackoff
			}
			// The default token bucket stops retrying after a burst of failures,
			// which turns a short S3 brown-out into failed pushes.
			so.RateLimiter = ratelimit.None
			// A filesystem-backed S3 server (versitygw's posix backend) prunes empty
			// directories: a PUT racing the delete of another upload's last chunk can find
			// its parent directory gone and answer 409 ExistingObjectIsDirectory. No key
			// of this store is a prefix of another, so that answer is always transient.
			so.Retryables = append(so.Retryables, retry.RetryableErrorCode{
				Codes: map[string]struct{}{"ExistingObjectIsDirectory": {}},
			})
		})
	})
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = defaultPartSize
	}
	if partSize < minPartSize {
		return nil, fmt.Errorf("s3 blob store: part size %d is below S3's minimum of %d", partSize, minPartSize)
	}
	s := &Store{
		client: client,
		uploader: manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = partSize
			u.Concurrency = defaultConcurrency
		}),
		presign: s3.NewPresignClient(client),
		bucket:  cfg.Bucket,
	}
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		s.root = p + "/"
	}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return nil, fmt.Errorf("s3 blob store: bucket %q: %w", s.bucket, err)
	}
	return s, nil
}

func (s *Store) blobKey(dgst digest.Digest) (string, error) {
	if err := dgst.Validate(); err != nil {
		return "", fmt.Errorf("blob key: %w", err)
	}
	hex := dgst.Encoded()
	return s.root + "blobs/" + string(dgst.Algorithm()) + "/" + hex[:2] + "/" + hex, nil
}

// Region is the bucket's region, as configured or found by the AWS configuration chain.
func (s *Store) Region() string { return s.client.Options().Region }

// Uploads returns the store itself: uploads live beside the blobs.
func (s *Store) Uploads() blob.UploadStore { return s }

// Open returns a reader of a committed blob that fetches ranges on demand, with ctx:
// seeking costs nothing, and each contiguous run of reads is one GET.
func (s *Store) Open(ctx context.Context, dgst digest.Digest) (io.ReadSeekCloser, error) {
	key, err := s.blobKey(dgst)
	if err != nil {
		return nil, err
	}
	size, err := s.head(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", dgst, err)
	}
	return &object{ctx: ctx, s: s, key: key, size: size}, nil
}

// Stat returns a committed blob's size.
func (s *Store) Stat(ctx context.Context, dgst digest.Digest) (int64, error) {
	key, err := s.blobKey(dgst)
	if err != nil {
		return 0, err
	}
	size, err := s.head(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("stat blob %s: %w", dgst, err)
	}
	return size, nil
}

// Delete removes a committed blob; S3 deletes of absent keys succeed.
func (s *Store) Delete(ctx context.Context, dgst digest.Digest) error {
	key, err := s.blobKey(dgst)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		return fmt.Errorf("delete blob %s: %w", dgst, err)
	}
	return nil
}

// RedirectURL returns a presigned GET of the blob, valid for ttl.
func (s *Store) RedirectURL(ctx context.Context, dgst digest.Digest, ttl time.Duration) (string, error) {
	key, err := s.blobKey(dgst)
	if err != nil {
		return "", err
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign blob %s: %w", dgst, err)
	}
	return req.URL, nil
}

// head returns the size of the object key, or blob.ErrNotFound.
func (s *Store) head(ctx context.Context, key string) (int64, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return 0, notFound(err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// notFound wraps blob.ErrNotFound into err if S3 answered 404.
func notFound(err error) error {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", blob.ErrNotFound, err)
	}
	return err
}

// copySource is the x-amz-copy-source of key: the bucket and the URL-escaped key.
func (s *Store) copySource(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return s.bucket + "/" + strings.Join(segs, "/")
}

// object is an open blob. Read fetches from pos to the end with one ranged GET and
// keeps reading that response until a Seek moves elsewhere.
type object struct {
	ctx  context.Context
	s    *Store
	key  string
	size int64
	pos  int64
	body io.ReadCloser
	// fails counts consecutive broken responses, to resume a cut GET a few times.
	fails int
}

// maxResumes is how often a read resumes after its response broke with no progress.
const maxResumes = 3

func (o *object) Read(p []byte) (int, error) {
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if o.body == nil {
			rng := fmt.Sprintf("bytes=%d-%d", o.pos, o.size-1)
			out, err := o.s.client.GetObject(o.ctx, &s3.GetObjectInput{Bucket: &o.s.bucket, Key: &o.key, Range: &rng})
			if err != nil {
				return 0, fmt.Errorf("read %s at %d: %w", o.key, o.pos, notFound(err))
			}
			o.body = out.Body
		}
		n, err := o.body.Read(p)
		o.pos += int64(n)
		if n > 0 {
			o.fails = 0
		}
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF && o.pos >= o.size:
			o.closeBody()
			return n, io.EOF
		}
		// The response ended early or broke: ask again from where it stopped.
		o.closeBody()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if n > 0 {
			return n, nil
		}
		o.fails++
		if o.fails > maxResumes || o.ctx.Err() != nil {
			return 0, fmt.Errorf("read %s at %d: %w", o.key, o.pos, err)
		}
	}
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.pos + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, fmt.Errorf("seek %s: invalid whence %d", o.key, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek %s: negative position %d", o.key, abs)
	}
	if abs != o.pos {
		o.closeBody()
		o.pos = abs
	}
	return abs, nil
}

func (o *object) Close() error {
	o.closeBody()
	return nil
}

func (o *object) closeBody() {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
}
