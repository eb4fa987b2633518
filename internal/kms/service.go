// Package kms is berth's own key service: symmetric keys per account with the AWS KMS
// API subset that ECR encryption and its users need (CreateKey, DescribeKey, ListKeys,
// Enable/DisableKey, key rotation, CreateAlias, Encrypt, Decrypt, GenerateDataKey).
//
// Key material never leaves the service: each key version is 32 random bytes sealed
// (AES-256-GCM) with a key derived from the master key and stored in the metadata
// store. A ciphertext names its key and version, so every version decrypts after a
// rotation, and it is bound to its encryption context as AWS binds it.
package kms

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

// Key managers and states, as DescribeKey shows them.
const (
	ManagerCustomer = "CUSTOMER"
	ManagerAWS      = "AWS"
	StateEnabled    = "Enabled"
	StateDisabled   = "Disabled"
)

// ECRAlias is the alias of the AWS managed key of ECR.
const ECRAlias = "alias/aws/ecr"

// managedAliases are the AWS managed keys berth makes on first use, with their
// descriptions as AWS words them.
var managedAliases = map[string]string{
	ECRAlias: "Default key that protects my ECR data when no other key is defined",
}

const (
	keyIDLen         = 36 // a UUID
	ciphertextPrefix = 1 + keyIDLen + 4
	ciphertextFormat = 1
	gcmNonceSize     = 12
	gcmTagSize       = 16
)

// keyCacheTTL is how long a key read from the store is used: another replica's
// DisableKey takes effect here within it.
const keyCacheTTL = time.Second

// Service is the key service of every account of one berth.
type Service struct {
	store  meta.KMSKeys
	seal   cipher.AEAD
	region string
	now    func() time.Time
}

// New returns the key service. master is berth's 32-byte master key; region is the
// region of key ARNs.
func New(store meta.KMSKeys, master []byte, region string) (*Service, error) {
	k, err := encrypt.DeriveKey(master, "kms key material v1")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Service{store: newCachedStore(store, keyCacheTTL, 4096), seal: aead, region: region, now: time.Now}, nil
}

// Region is the region of the service's key ARNs.
func (s *Service) Region() string { return s.region }

// ARN returns the ARN of key id of account.
func (s *Service) ARN(account, id string) string {
	return "arn:aws:kms:" + s.region + ":" + account + ":key/" + id
}

// CreateKeyInput is what CreateKey takes besides the account.
type CreateKeyInput struct {
	Description string
	Tags        []meta.ResourceTag
}

// CreateKey makes a new customer managed key.
func (s *Service) CreateKey(ctx context.Context, account string, in CreateKeyInput) (meta.KMSKey, error) {
	return s.create(ctx, account, in, ManagerCustomer, "")
}

func (s *Service) create(ctx context.Context, account string, in CreateKeyInput, manager, alias string) (meta.KMSKey, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	key := meta.KMSKey{AccountID: account, ID: newUUID(), Description: in.Description, Manager: manager,
		State: StateEnabled, RotationPeriodDays: DefaultRotationDays, CreatedAt: now, RotatedAt: now, Tags: in.Tags,
		// AWS rotates its managed keys every year.
		RotationEnabled: manager == ManagerAWS}
	material := make([]byte, 32)
	rand.Read(material)
	key.Versions = [][]byte{s.sealMaterial(key, 1, material)}
	if err := s.store.CreateKMSKey(ctx, key, alias); err != nil {
		return meta.KMSKey{}, err
	}
	return key, nil
}

// ManagedKey returns the AWS managed key of alias (alias/aws/ecr) in account, creating
// it the first time it is needed, as AWS does.
func (s *Service) ManagedKey(ctx context.Context, account, alias string) (meta.KMSKey, error) {
	desc, ok := managedAliases[alias]
	if !ok {
		return meta.KMSKey{}, notFound("Alias %s is not found.", s.aliasARN(account, alias))
	}
	for range 3 {
		id, err := s.store.KMSAlias(ctx, account, alias)
		if err == nil {
			return s.get(ctx, account, id)
		}
		if !errors.Is(err, meta.ErrNotFound) {
			return meta.KMSKey{}, err
		}
		k, err := s.create(ctx, account, CreateKeyInput{Description: desc}, ManagerAWS, alias)
		if err == nil {
			return k, nil
		}
		if !errors.Is(err, meta.ErrConflict) {
			return meta.KMSKey{}, err
		}
		// Another request created it first: read theirs.
	}
	return meta.KMSKey{}, fmt.Errorf("managed key %s: created and lost repeatedly", alias)
}

func (s *Service) aliasARN(account, alias string) string {
	return "arn:aws:kms:" + s.region + ":" + account + ":" + alias
}

// Resolve returns the key keyID names in account: a key id, a key ARN, an alias name
// (alias/…) or an alias ARN. An AWS managed alias (alias/aws/ecr) makes its key the
// first time, as DescribeKey does in AWS.
func (s *Service) Resolve(ctx context.Context, account, keyID string) (meta.KMSKey, error) {
	if keyID == "" {
		return meta.KMSKey{}, validation("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	if len(keyID) > 2048 {
		return meta.KMSKey{}, validation("1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	ref := keyID
	if strings.HasPrefix(keyID, "arn:") {
		parts := strings.SplitN(keyID, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return meta.KMSKey{}, notFound("Invalid arn %s", keyID)
		}
		if parts[3] != s.region || parts[4] != account {
			return meta.KMSKey{}, notFound("Key '%s' does not exist", keyID)
		}
		ref = parts[5]
		if id, ok := strings.CutPrefix(ref, "key/"); ok {
			ref = id
		} else if !strings.HasPrefix(ref, "alias/") {
			return meta.KMSKey{}, notFound("Invalid arn %s", keyID)
		}
	}
	if strings.HasPrefix(ref, "alias/") {
		if _, managed := managedAliases[ref]; managed {
			return s.ManagedKey(ctx, account, ref)
		}
		id, err := s.store.KMSAlias(ctx, account, ref)
		if errors.Is(err, meta.ErrNotFound) {
			return meta.KMSKey{}, notFound("Alias %s is not found.", s.aliasARN(account, ref))
		}
		if err != nil {
			return meta.KMSKey{}, err
		}
		ref = id
	}
	return s.get(ctx, account, ref)
}

func (s *Service) get(ctx context.Context, account, id string) (meta.KMSKey, error) {
	k, err := s.store.GetKMSKey(ctx, account, id)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.KMSKey{}, notFound("Key '%s' does not exist", s.ARN(account, id))
	}
	return k, err
}

// ListKeys returns up to limit keys after the key id marker, and whether there are more.
func (s *Service) ListKeys(ctx context.Context, account, marker string, limit int) ([]meta.KMSKey, bool, error) {
	keys, err := s.store.ListKMSKeys(ctx, account, marker, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

// SetEnabled enables or disables a key. A disabled key neither encrypts nor decrypts.
func (s *Service) SetEnabled(ctx context.Context, account, keyID string, enabled bool) error {
	k, err := s.customerKey(ctx, account, keyID)
	if err != nil {
		return err
	}
	k.State = StateDisabled
	if enabled {
		k.State = StateEnabled
	}
	return s.store.UpdateKMSKey(ctx, k)
}

// DefaultRotationDays is the rotation period of a key unless EnableKeyRotation says
// otherwise, as in AWS.
const DefaultRotationDays = 365

// SetRotation turns automatic rotation of a key on (every periodDays, 0 keeps the
// key's period) or off. Rotation is done when the key is next used after its period
// ran out: a key that encrypts nothing needs no new version.
func (s *Service) SetRotation(ctx context.Context, account, keyID string, enabled bool, periodDays int) error {
	k, err := s.customerKey(ctx, account, keyID)
	if err != nil {
		return err
	}
	if err := usable(k, s.ARN(account, k.ID)); err != nil {
		return err
	}
	k.RotationEnabled = enabled
	if periodDays != 0 {
		k.RotationPeriodDays = periodDays
	}
	return s.store.UpdateKMSKey(ctx, k)
}

// NextRotation is when automatic rotation will next add a version to k (on its first
// use from then on); zero if rotation is off.
func NextRotation(k meta.KMSKey) time.Time {
	if !k.RotationEnabled {
		return time.Time{}
	}
	return k.RotatedAt.AddDate(0, 0, k.RotationPeriodDays)
}

// Rotate adds a new version of a key's material: it encrypts from now on, and the old
// versions still decrypt what they encrypted.
func (s *Service) Rotate(ctx context.Context, account, keyID string) (meta.KMSKey, error) {
	k, err := s.customerKey(ctx, account, keyID)
	if err != nil {
		return meta.KMSKey{}, err
	}
	if err := usable(k, s.ARN(account, k.ID)); err != nil {
		return meta.KMSKey{}, err
	}
	return s.rotate(ctx, k)
}

func (s *Service) rotate(ctx context.Context, k meta.KMSKey) (meta.KMSKey, error) {
	account := k.AccountID
	material := make([]byte, 32)
	rand.Read(material)
	v := len(k.Versions) + 1
	sealed := s.sealMaterial(k, v, material)
	now := s.now().UTC().Truncate(time.Millisecond)
	if err := s.store.AddKMSKeyVersion(ctx, account, k.ID, v, sealed, now); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return meta.KMSKey{}, errcode.New(errcode.TooManyRequests,
				"key %s is being rotated by another request; try again", s.ARN(account, k.ID))
		}
		return meta.KMSKey{}, err
	}
	k.Versions, k.RotatedAt = append(slices.Clip(k.Versions), sealed), now
	return k, nil
}

// customerKey resolves a key that the caller may manage: not an AWS managed one.
func (s *Service) customerKey(ctx context.Context, account, keyID string) (meta.KMSKey, error) {
	k, err := s.Resolve(ctx, account, keyID)
	if err != nil {
		return meta.KMSKey{}, err
	}
	if k.Manager == ManagerAWS {
		return meta.KMSKey{}, errcode.New(errcode.Unsupported,
			"%s is an AWS managed key: it cannot be changed", s.ARN(account, k.ID))
	}
	return k, nil
}

func usable(k meta.KMSKey, arn string) error {
	if k.State != StateEnabled {
		return errcode.New(errcode.KMSDisabled, "%s is disabled.", arn)
	}
	return nil
}

// Encrypt encrypts plaintext under the newest version of a key, bound to encCtx.
func (s *Service) Encrypt(ctx context.Context, account, keyID string, plaintext []byte, encCtx map[string]string) (ciphertext []byte, keyARN string, err error) {
	k, err := s.Resolve(ctx, account, keyID)
	if err != nil {
		return nil, "", err
	}
	arn := s.ARN(account, k.ID)
	if err := usable(k, arn); err != nil {
		return nil, "", err
	}
	if next := NextRotation(k); !next.IsZero() && !s.now().Before(next) {
		rotated, err := s.rotate(ctx, k)
		switch {
		case err == nil:
			k = rotated
		case errcode.Is(err, errcode.TooManyRequests):
			// Another request rotated it first: use the new version.
			if k, err = s.get(ctx, account, k.ID); err != nil {
				return nil, "", err
			}
		default:
			return nil, "", err
		}
	}
	v := len(k.Versions)
	material, err := s.openMaterial(k, v)
	if err != nil {
		return nil, "", err
	}
	aead, err := newGCM(material)
	if err != nil {
		return nil, "", err
	}
	out := make([]byte, ciphertextPrefix, ciphertextPrefix+gcmNonceSize+len(plaintext)+gcmTagSize)
	out[0] = ciphertextFormat
	copy(out[1:], k.ID)
	binary.BigEndian.PutUint32(out[1+keyIDLen:], uint32(v))
	nonce := make([]byte, gcmNonceSize)
	rand.Read(nonce)
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, plaintext, associated(out[:ciphertextPrefix], encCtx))
	return out, arn, nil
}

// Decrypt decrypts a ciphertext of Encrypt or GenerateDataKey. The ciphertext names
// its key; keyID, if not "", must name the same key.
func (s *Service) Decrypt(ctx context.Context, account, keyID string, ciphertext []byte, encCtx map[string]string) (plaintext []byte, keyARN string, err error) {
	invalid := errcode.New(errcode.KMSInvalidCiphertext, "The ciphertext is invalid, was not made by this key service, or its encryption context differs.")
	if len(ciphertext) < ciphertextPrefix+gcmNonceSize+gcmTagSize || ciphertext[0] != ciphertextFormat {
		return nil, "", invalid
	}
	id := string(ciphertext[1 : 1+keyIDLen])
	v := int(binary.BigEndian.Uint32(ciphertext[1+keyIDLen:]))
	k, err := s.store.GetKMSKey(ctx, account, id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, "", invalid
	}
	if err != nil {
		return nil, "", err
	}
	arn := s.ARN(account, k.ID)
	if keyID != "" {
		named, err := s.Resolve(ctx, account, keyID)
		if err != nil {
			return nil, "", err
		}
		if named.ID != k.ID {
			return nil, "", errcode.New(errcode.KMSIncorrectKey, "The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	if err := usable(k, arn); err != nil {
		return nil, "", err
	}
	if v < 1 || v > len(k.Versions) {
		return nil, "", invalid
	}
	material, err := s.openMaterial(k, v)
	if err != nil {
		return nil, "", err
	}
	aead, err := newGCM(material)
	if err != nil {
		return nil, "", err
	}
	nonce := ciphertext[ciphertextPrefix : ciphertextPrefix+gcmNonceSize]
	plaintext, err = aead.Open(nil, nonce, ciphertext[ciphertextPrefix+gcmNonceSize:], associated(ciphertext[:ciphertextPrefix], encCtx))
	if err != nil {
		return nil, "", invalid
	}
	return plaintext, arn, nil
}

// GenerateDataKey returns n random bytes and their ciphertext under a key.
func (s *Service) GenerateDataKey(ctx context.Context, account, keyID string, n int, encCtx map[string]string) (plaintext, ciphertext []byte, keyARN string, err error) {
	plaintext = make([]byte, n)
	rand.Read(plaintext)
	ciphertext, keyARN, err = s.Encrypt(ctx, account, keyID, plaintext, encCtx)
	if err != nil {
		return nil, nil, "", err
	}
	return plaintext, ciphertext, keyARN, nil
}

func (s *Service) sealMaterial(k meta.KMSKey, version int, material []byte) []byte {
	nonce := make([]byte, s.seal.NonceSize())
	rand.Read(nonce)
	return s.seal.Seal(nonce, nonce, material, materialAD(k, version))
}

func (s *Service) openMaterial(k meta.KMSKey, version int) ([]byte, error) {
	sealed := k.Versions[version-1]
	n := s.seal.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("key material of %s version %d is corrupt", k.ID, version)
	}
	m, err := s.seal.Open(nil, sealed[:n], sealed[n:], materialAD(k, version))
	if err != nil {
		return nil, fmt.Errorf("open key material of %s version %d (wrong master key?): %w", k.ID, version, err)
	}
	return m, nil
}

// materialAD binds sealed material to its account, key and version: it cannot be
// moved to another row.
func materialAD(k meta.KMSKey, version int) []byte {
	return fmt.Appendf(nil, "%s/%s/%d", k.AccountID, k.ID, version)
}

// associated is the GCM associated data of a ciphertext: its header and the
// encryption context in a canonical form (sorted, length-prefixed pairs).
func associated(header []byte, encCtx map[string]string) []byte {
	var b bytes.Buffer
	b.Write(header)
	keys := make([]string, 0, len(encCtx))
	for k := range encCtx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(k))))
		b.WriteString(k)
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(encCtx[k]))))
		b.WriteString(encCtx[k])
	}
	return b.Bytes()
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func notFound(format string, args ...any) error {
	return errcode.New(errcode.EntityNotFound, format, args...)
}

func validation(format string, args ...any) error {
	return errcode.New(errcode.Validation, format, args...)
}

// BlobKeys returns the service as blob encryption uses it: data keys under a key ARN,
// in the ARN's own account.
func (s *Service) BlobKeys() encrypt.KMS { return blobKeys{s} }

type blobKeys struct{ s *Service }

func (b blobKeys) account(keyARN string) (string, error) {
	parts := strings.SplitN(keyARN, ":", 6)
	if len(parts) != 6 || parts[2] != "kms" {
		return "", fmt.Errorf("%q is not a KMS key ARN", keyARN)
	}
	return parts[4], nil
}

func (b blobKeys) GenerateDataKey(ctx context.Context, keyARN string, encCtx map[string]string) ([]byte, []byte, error) {
	account, err := b.account(keyARN)
	if err != nil {
		return nil, nil, err
	}
	plain, ct, _, err := b.s.GenerateDataKey(ctx, account, keyARN, 32, encCtx)
	return plain, ct, err
}

func (b blobKeys) Decrypt(ctx context.Context, keyARN string, ciphertext []byte, encCtx map[string]string) ([]byte, error) {
	account, err := b.account(keyARN)
	if err != nil {
		return nil, err
	}
	plain, _, err := b.s.Decrypt(ctx, account, keyARN, ciphertext, encCtx)
	return plain, err
}

// RepositoryKey returns the ARN of the enabled key keyID names in account, or, when
// keyID is "", of the account's AWS managed key for ECR (created on first use). It is
// what ECR checks when a repository is created with KMS encryption.
func (s *Service) RepositoryKey(ctx context.Context, account, keyID string) (string, error) {
	var (
		k   meta.KMSKey
		err error
	)
	if keyID == "" {
		k, err = s.ManagedKey(ctx, account, ECRAlias)
	} else {
		k, err = s.Resolve(ctx, account, keyID)
	}
	if err != nil {
		return "", err
	}
	arn := s.ARN(account, k.ID)
	if err := usable(k, arn); err != nil {
		return "", err
	}
	return arn, nil
}
