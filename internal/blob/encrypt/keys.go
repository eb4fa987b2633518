package encrypt

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"
)

// AES256 is the key reference of berth's own key (ECR's encryptionType AES256): a
// key-encryption key derived from the master key. Any other reference is the ARN of a
// KMS key.
const AES256 = "aes256"

// dataKeySize is the size of a data key: AES-256.
const dataKeySize = 32

// Keys makes and opens data keys under the key a reference names.
type Keys interface {
	// NewDataKey returns a fresh data key and its wrapped (encrypted, authenticated)
	// form under ref.
	NewDataKey(ctx context.Context, ref string) (key, wrapped []byte, err error)
	// UnwrapDataKey returns the data key wrapped holds.
	UnwrapDataKey(ctx context.Context, ref string, wrapped []byte) ([]byte, error)
}

// KMS is the part of the key service that blob encryption uses: data keys under a KMS
// key, bound to an encryption context.
type KMS interface {
	GenerateDataKey(ctx context.Context, keyARN string, encCtx map[string]string) (plaintext, ciphertext []byte, err error)
	Decrypt(ctx context.Context, keyARN string, ciphertext []byte, encCtx map[string]string) ([]byte, error)
}

// kmsContext is the encryption context of every data key berth asks KMS for: it
// says what the key is for, as AWS services do (ECR uses aws:ecr:arn).
var kmsContext = map[string]string{"berth:purpose": "blob data key"}

// masterKeys wraps data keys with AES-256-GCM under a key derived from the master key
// (reference AES256) and asks kms for the others.
type masterKeys struct {
	aead cipher.AEAD
	kms  KMS
}

// NewKeys returns the data keys of berth: AES256 under a key-encryption key derived
// from the 32-byte master key with HKDF (its own purpose label, so it is independent
// of every other key derived from the master key), KMS key ARNs through kms (nil: KMS
// references are refused).
func NewKeys(master []byte, kms KMS) (Keys, error) {
	kek, err := DeriveKey(master, "blob key wrapping v1")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &masterKeys{aead: aead, kms: kms}, nil
}

// DeriveKey derives a 32-byte key for purpose from the master key, as iam.Keyring
// does ("berth " + purpose as the HKDF info).
func DeriveKey(master []byte, purpose string) ([]byte, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("master key is %d bytes, want 32", len(master))
	}
	return hkdf.Key(sha256.New, master, nil, "berth "+purpose, 32)
}

func (k *masterKeys) NewDataKey(ctx context.Context, ref string) ([]byte, []byte, error) {
	if ref != AES256 {
		if k.kms == nil {
			return nil, nil, fmt.Errorf("data key under %s: no key service", ref)
		}
		return k.kms.GenerateDataKey(ctx, ref, kmsContext)
	}
	key := make([]byte, dataKeySize)
	rand.Read(key)
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+dataKeySize+k.aead.Overhead())
	rand.Read(nonce)
	return key, k.aead.Seal(nonce, nonce, key, []byte(ref)), nil
}

func (k *masterKeys) UnwrapDataKey(ctx context.Context, ref string, wrapped []byte) ([]byte, error) {
	if ref != AES256 {
		if k.kms == nil {
			return nil, fmt.Errorf("data key under %s: no key service", ref)
		}
		return k.kms.Decrypt(ctx, ref, wrapped, kmsContext)
	}
	n := k.aead.NonceSize()
	if len(wrapped) < n {
		return nil, errors.New("wrapped data key is too short")
	}
	key, err := k.aead.Open(nil, wrapped[:n], wrapped[n:], []byte(ref))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key (wrong master key?): %w", err)
	}
	return key, nil
}

// keyCache keeps the ciphers of recently unwrapped data keys, keyed by the wrapped key
// itself (so a blob rewritten under a new key can never be read with a stale one), for
// a short time: a disabled KMS key stops pulls within ttl.
type keyCache struct {
	mu  sync.Mutex
	max int
	ttl time.Duration
	m   map[string]cachedKey
}

type cachedKey struct {
	block   cipher.Block
	expires time.Time
}

func newKeyCache(max int, ttl time.Duration) *keyCache {
	return &keyCache{max: max, ttl: ttl, m: make(map[string]cachedKey)}
}

func (c *keyCache) get(wrapped []byte, now time.Time) (cipher.Block, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(wrapped)]
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e.block, true
}

func (c *keyCache) put(wrapped []byte, block cipher.Block, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, k)
			}
		}
		// Still full: drop arbitrary entries (map order), a re-unwrap is all it costs.
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[string(wrapped)] = cachedKey{block: block, expires: now.Add(c.ttl)}
}
