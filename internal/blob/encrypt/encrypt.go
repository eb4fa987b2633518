// Package encrypt is a blob.Store decorator that encrypts blobs and uploads at rest,
// over any blob.Store (fs, s3).
//
// Every blob and upload is stored as a fixed-size header followed by the content in
// AES-256-CTR under a data key of its own:
//
//	magic "BERTHENC" | version | reserved | ref length | wrapped length | IV (16) |
//	ref | wrapped data key | zero padding            (HeaderSize bytes in all)
//
// ref names the key-encryption key (AES256, berth's key derived from the master key,
// or a KMS key ARN); the data key is wrapped with an AEAD (AES-GCM), so a tampered or
// foreign wrapped key is refused. CTR keeps the ciphertext exactly as long as the
// content and lets any byte be encrypted or decrypted on its own: an append at any
// offset encrypts in place, commit stays the base store's commit (no second pass), and
// range reads and seeks decrypt from any offset.
//
// CTR is not authenticated: integrity of the content comes from its digest, which the
// registry verifies on upload and every client verifies on pull (a blob is content-
// addressed). An attacker who can write the storage can corrupt blobs, as without
// encryption; they cannot read them.
//
// Each upload has its own data key and IV. An append that replaces the tail of a
// failed one reuses the key stream for those offsets; someone who saw the storage both
// before and after learns only the XOR of the two attempts at the same bytes of one
// upload, which a client retrying a chunk sends identically.
//
// A blob or upload without the magic (written before encryption was turned on, or an
// AES256 blob when the storage's own encryption is trusted) is read as plaintext.
//
// The key of a new upload comes from the context at its creation (WithKey); appends
// continue under the key in the upload's header, so any replica can continue any
// upload. Unwrapped data keys are cached for a short while, so pulls do not unwrap on
// every request.
//
// Blobs are content-addressed per key: the base store keeps a blob under AES256 at its
// digest, and a blob under a KMS key at an address derived from the digest and the
// key's ARN (Address). Open, Stat and Delete find a blob under the key of their context
// (WithKey, as for uploads). So a KMS key protects exactly the blobs of its
// repositories: disabling it makes them unreadable and nothing else, and no repository
// under another key (of another account, say) can replace, re-encrypt or make
// unreadable the bytes a KMS repository serves. Deduplication works within one key.
package encrypt

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

// HeaderSize is the size of the header before the ciphertext of every encrypted blob
// and upload.
const HeaderSize = 512

const (
	magic       = "BERTHENC"
	version     = 1
	fixedHeader = 8 + 1 + 1 + 2 + 2 + aes.BlockSize
)

type keyCtx struct{}

// WithKey returns a context that makes an upload created with it (an Append at offset
// 0) encrypted under ref: AES256 or a KMS key ARN.
func WithKey(ctx context.Context, ref string) context.Context {
	return context.WithValue(ctx, keyCtx{}, ref)
}

// KeyFrom returns the key reference WithKey put in ctx.
func KeyFrom(ctx context.Context) (string, bool) {
	ref, ok := ctx.Value(keyCtx{}).(string)
	return ref, ok && ref != ""
}

// Address is where the base store keeps blob dgst under key ref: dgst itself under
// AES256 (and for plaintext blobs), else a digest of the same algorithm over the
// digest and the key's ARN.
func Address(dgst digest.Digest, ref string) digest.Digest {
	alg := dgst.Algorithm()
	if ref == AES256 || !alg.Available() || dgst.Validate() != nil {
		return dgst // an invalid digest is the base store's to refuse
	}
	h := alg.Hash()
	io.WriteString(h, "berth blob under key\x00"+ref+"\x00"+dgst.String())
	return digest.NewDigest(alg, h)
}

// ref is the key of ctx, or the default.
func (s *Store) ref(ctx context.Context) string {
	if ref, ok := KeyFrom(ctx); ok {
		return ref
	}
	return s.opts.DefaultKey
}

// Options configure a Store.
type Options struct {
	// PlaintextAES256 stores uploads under AES256 as plaintext: the storage's own
	// encryption (S3 SSE, an encrypted disk) is trusted, and blobs keep the fast paths
	// of their store (sendfile, redirects). Uploads under a KMS key are still encrypted.
	PlaintextAES256 bool
	// DefaultKey is the key of uploads created without one in their context (default
	// AES256).
	DefaultKey string
	// CacheSize bounds the unwrapped data keys kept (default 4096), each for CacheTTL
	// (default one minute).
	CacheSize int
	CacheTTL  time.Duration
}

// Store encrypts the blobs and uploads of a base store.
type Store struct {
	base  blob.Store
	keys  Keys
	opts  Options
	cache *keyCache
	now   func() time.Time
}

var (
	_ blob.Store       = (*Store)(nil)
	_ blob.UploadStore = (*Store)(nil)
)

// New returns base encrypted with keys.
func New(base blob.Store, keys Keys, opts Options) *Store {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 4096
	}
	if opts.DefaultKey == "" {
		opts.DefaultKey = AES256
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = time.Minute
	}
	return &Store{base: base, keys: keys, opts: opts, cache: newKeyCache(opts.CacheSize, opts.CacheTTL), now: time.Now}
}

// Uploads returns the store itself.
func (s *Store) Uploads() blob.UploadStore { return s }

// header is a parsed header: the key reference, the wrapped data key and the IV.
type header struct {
	ref     string
	wrapped []byte
	iv      [aes.BlockSize]byte
}

func (h *header) marshal() ([]byte, error) {
	if len(h.ref)+len(h.wrapped) > HeaderSize-fixedHeader {
		return nil, fmt.Errorf("key reference and wrapped key (%d bytes) do not fit the header", len(h.ref)+len(h.wrapped))
	}
	b := make([]byte, HeaderSize)
	copy(b, magic)
	b[8] = version
	binary.BigEndian.PutUint16(b[10:], uint16(len(h.ref)))
	binary.BigEndian.PutUint16(b[12:], uint16(len(h.wrapped)))
	copy(b[14:], h.iv[:])
	copy(b[fixedHeader:], h.ref)
	copy(b[fixedHeader+len(h.ref):], h.wrapped)
	return b, nil
}

// parseHeader parses the first bytes of a stored object. It reports false for an
// object without the magic: plaintext.
func parseHeader(b []byte) (header, bool, error) {
	if len(b) < HeaderSize || string(b[:len(magic)]) != magic {
		return header{}, false, nil
	}
	if b[8] != version {
		return header{}, false, fmt.Errorf("encrypted blob of version %d, this berth reads version %d", b[8], version)
	}
	refLen, wrappedLen := int(binary.BigEndian.Uint16(b[10:])), int(binary.BigEndian.Uint16(b[12:]))
	if fixedHeader+refLen+wrappedLen > HeaderSize {
		return header{}, false, errors.New("corrupt encryption header")
	}
	h := header{
		ref:     string(b[fixedHeader : fixedHeader+refLen]),
		wrapped: bytes.Clone(b[fixedHeader+refLen : fixedHeader+refLen+wrappedLen]),
	}
	copy(h.iv[:], b[14:])
	return h, true, nil
}

// readHeader reads the header at the start of r. It returns the bytes it read, for a
// plaintext object whose first bytes they are.
func readHeader(r io.Reader) (header, bool, []byte, error) {
	buf := make([]byte, HeaderSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return header{}, false, nil, err
	}
	h, ok, err := parseHeader(buf[:n])
	return h, ok, buf[:n], err
}

// block returns the cipher of h's data key, unwrapping it unless cached.
func (s *Store) block(ctx context.Context, h header) (cipher.Block, error) {
	now := s.now()
	if b, ok := s.cache.get(h.wrapped, now); ok {
		return b, nil
	}
	key, err := s.keys.UnwrapDataKey(ctx, h.ref, h.wrapped)
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	s.cache.put(h.wrapped, b, now)
	return b, nil
}

// newHeader makes the header of a new upload under ref, with a fresh data key.
func (s *Store) newHeader(ctx context.Context, ref string) (header, cipher.Block, error) {
	key, wrapped, err := s.keys.NewDataKey(ctx, ref)
	if err != nil {
		return header{}, nil, err
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return header{}, nil, err
	}
	h := header{ref: ref, wrapped: wrapped}
	rand.Read(h.iv[:])
	s.cache.put(wrapped, b, s.now())
	return h, b, nil
}

// stream returns the CTR key stream of block and iv positioned at byte offset pos.
func stream(block cipher.Block, iv [aes.BlockSize]byte, pos int64) cipher.Stream {
	// The counter is the IV plus the block index, as a 128-bit big-endian number.
	hi, lo := binary.BigEndian.Uint64(iv[:8]), binary.BigEndian.Uint64(iv[8:])
	blk := uint64(pos / aes.BlockSize)
	lo2 := lo + blk
	if lo2 < lo {
		hi++
	}
	var ctr [aes.BlockSize]byte
	binary.BigEndian.PutUint64(ctr[:8], hi)
	binary.BigEndian.PutUint64(ctr[8:], lo2)
	st := cipher.NewCTR(block, ctr[:])
	if skip := pos % aes.BlockSize; skip > 0 {
		var scratch [aes.BlockSize]byte
		st.XORKeyStream(scratch[:skip], scratch[:skip])
	}
	return st
}

// xorReader encrypts (or decrypts) what it reads from r in place.
type xorReader struct {
	r  io.Reader
	st cipher.Stream
}

func (x *xorReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if n > 0 {
		x.st.XORKeyStream(p[:n], p[:n])
	}
	return n, err
}

// Append writes r after the first offset bytes of the upload, encrypted under the key
// of the upload's header, or, at offset 0, under the key of ctx (WithKey; DefaultKey if
// none).
func (s *Store) Append(ctx context.Context, id string, offset int64, r io.Reader) (int64, error) {
	if offset == 0 {
		return s.create(ctx, id, r)
	}
	h, enc, err := s.uploadHeader(ctx, id)
	if err != nil {
		return 0, err
	}
	if !enc {
		return s.base.Uploads().Append(ctx, id, offset, r)
	}
	b, err := s.block(ctx, h)
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", id, err)
	}
	return s.base.Uploads().Append(ctx, id, HeaderSize+offset, &xorReader{r: r, st: stream(b, h.iv, offset)})
}

// create (re)starts upload id with r.
func (s *Store) create(ctx context.Context, id string, r io.Reader) (int64, error) {
	ref := s.ref(ctx)
	if ref == AES256 && s.opts.PlaintextAES256 {
		return s.base.Uploads().Append(ctx, id, 0, r)
	}
	h, b, err := s.newHeader(ctx, ref)
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", id, err)
	}
	hb, err := h.marshal()
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", id, err)
	}
	n, err := s.base.Uploads().Append(ctx, id, 0, io.MultiReader(bytes.NewReader(hb), &xorReader{r: r, st: stream(b, h.iv, 0)}))
	return max(n-HeaderSize, 0), err
}

// uploadHeader reads the header of upload id; false: a plaintext upload.
func (s *Store) uploadHeader(ctx context.Context, id string) (header, bool, error) {
	rc, err := s.base.Uploads().Reader(ctx, id)
	if err != nil {
		return header{}, false, err
	}
	defer rc.Close()
	h, ok, _, err := readHeader(rc)
	if err != nil {
		return header{}, false, fmt.Errorf("upload %s: %w", id, err)
	}
	return h, ok, nil
}

// Reader reads the upload's content from the start, decrypted.
func (s *Store) Reader(ctx context.Context, id string) (io.ReadCloser, error) {
	rc, err := s.base.Uploads().Reader(ctx, id)
	if err != nil {
		return nil, err
	}
	h, ok, first, err := readHeader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	if !ok {
		return readCloser{io.MultiReader(bytes.NewReader(first), rc), rc}, nil
	}
	b, err := s.block(ctx, h)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	return readCloser{&xorReader{r: rc, st: stream(b, h.iv, 0)}, rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Size returns the content bytes the upload holds.
func (s *Store) Size(ctx context.Context, id string) (int64, error) {
	n, err := s.base.Uploads().Size(ctx, id)
	if err != nil || n < HeaderSize {
		return n, err
	}
	_, enc, err := s.uploadHeader(ctx, id)
	if err != nil {
		return 0, err
	}
	if enc {
		n -= HeaderSize
	}
	return n, nil
}

// Commit makes the first size content bytes of the upload the blob dgst under the
// upload's key: the base store's commit of header and ciphertext as they are.
func (s *Store) Commit(ctx context.Context, id string, size int64, dgst digest.Digest) error {
	h, enc, err := s.uploadHeader(ctx, id)
	if err != nil {
		return err
	}
	if !enc {
		return s.base.Uploads().Commit(ctx, id, size, dgst)
	}
	return s.base.Uploads().Commit(ctx, id, size+HeaderSize, Address(dgst, h.ref))
}

// Abort removes an upload.
func (s *Store) Abort(ctx context.Context, id string) error { return s.base.Uploads().Abort(ctx, id) }

// List lists the uploads.
func (s *Store) List(ctx context.Context) ([]blob.Upload, error) { return s.base.Uploads().List(ctx) }

// Delete removes a blob under the key of ctx.
func (s *Store) Delete(ctx context.Context, dgst digest.Digest) error {
	return s.base.Delete(ctx, Address(dgst, s.ref(ctx)))
}

// Stat returns the content size of a blob under the key of ctx.
func (s *Store) Stat(ctx context.Context, dgst digest.Digest) (int64, error) {
	addr := Address(dgst, s.ref(ctx))
	n, err := s.base.Stat(ctx, addr)
	if err != nil || n < HeaderSize {
		return n, err
	}
	rc, err := s.base.Open(ctx, addr)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	_, enc, _, err := readHeader(rc)
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", dgst, err)
	}
	if enc {
		n -= HeaderSize
	}
	return n, nil
}

// Open returns the content of a blob under the key of ctx, decrypted as it is read. A
// plaintext blob is the base store's reader itself (an *os.File for fs: sendfile).
func (s *Store) Open(ctx context.Context, dgst digest.Digest) (io.ReadSeekCloser, error) {
	rc, err := s.base.Open(ctx, Address(dgst, s.ref(ctx)))
	if err != nil {
		return nil, err
	}
	h, ok, _, err := readHeader(rc)
	if err == nil && !ok {
		if _, err = rc.Seek(0, io.SeekStart); err == nil {
			return rc, nil
		}
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("blob %s: %w", dgst, err)
	}
	b, err := s.block(ctx, h)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("blob %s: %w", dgst, err)
	}
	return &reader{base: rc, block: b, iv: h.iv, st: stream(b, h.iv, 0)}, nil
}

// reader decrypts a blob; it stands after the header of its base reader.
type reader struct {
	base  io.ReadSeekCloser
	block cipher.Block
	iv    [aes.BlockSize]byte
	pos   int64         // content offset of the next Read
	st    cipher.Stream // nil after a Seek: made at the next Read
}

// Read decrypts in p itself: no allocation per Read.
func (r *reader) Read(p []byte) (int, error) {
	n, err := r.base.Read(p)
	if n > 0 {
		if r.st == nil {
			r.st = stream(r.block, r.iv, r.pos)
		}
		r.st.XORKeyStream(p[:n], p[:n])
		r.pos += int64(n)
	}
	return n, err
}

// Seek moves to a content offset.
func (r *reader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		end, err := r.base.Seek(0, io.SeekEnd)
		if err != nil {
			return 0, err
		}
		abs = end - HeaderSize + offset
	default:
		return 0, errors.New("encrypt: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("encrypt: negative position")
	}
	if _, err := r.base.Seek(HeaderSize+abs, io.SeekStart); err != nil {
		return 0, err
	}
	if abs != r.pos {
		r.pos, r.st = abs, nil
	}
	return abs, nil
}

func (r *reader) Close() error { return r.base.Close() }
