package registry

import (
	"context"
	"errors"

	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// Encryption is how the registry encrypts repositories at rest. Blobs go through an
// encrypt.Store (the blob store), told each upload's key through the context;
// manifests are sealed here, in the metadata store.
type Encryption struct {
	// Keys make and open data keys; nil leaves manifests in plaintext.
	Keys encrypt.Keys
	// KMS resolves the KMS keys of repositories; nil refuses KMS repositories.
	KMS RepositoryKeys
	// PlaintextAES256 trusts the storage's own encryption for AES256 repositories:
	// their manifests are stored in plaintext, as their blobs are.
	PlaintextAES256 bool
}

// RepositoryKeys resolves the KMS key of a repository (kms.Service).
type RepositoryKeys interface {
	// RepositoryKey returns the ARN of the enabled key keyID (a key id, key ARN, alias
	// name or alias ARN of account) or, when keyID is "", of the account's AWS managed
	// key for ECR, created on first use. Failures are *errcode.Error of KMS codes.
	RepositoryKey(ctx context.Context, account, keyID string) (string, error)
}

// keyRef is the key reference of a repository's data: AES256 or its KMS key's ARN.
// KMS_DSSE is KMS here: its second layer is an AWS-internal detail.
func keyRef(repo meta.Repository) string {
	if repo.EncryptionType == "KMS" || repo.EncryptionType == "KMS_DSSE" {
		return repo.KMSKey
	}
	return encrypt.AES256
}

// resolveEncryption checks a new repository's encryption settings and resolves its KMS
// key to the key's ARN, as ECR stores it.
func (r *Registry) resolveEncryption(ctx context.Context, settings *meta.Repository) error {
	if settings.EncryptionType == "" {
		settings.EncryptionType = "AES256"
	}
	if settings.EncryptionType == "AES256" {
		return nil
	}
	arn, err := r.RepositoryKey(ctx, settings.RegistryID, settings.KMSKey)
	if err != nil {
		return err
	}
	settings.KMSKey = arn
	return nil
}

// RepositoryKey resolves the kmsKey of a new repository of account (a key id, key ARN,
// alias name or alias ARN; "" for the account's AWS managed key for ECR) to the ARN of
// an enabled key, or fails with ECR's KmsException.
func (r *Registry) RepositoryKey(ctx context.Context, account, kmsKey string) (string, error) {
	if r.cfg.Encryption.KMS == nil {
		return "", kmsError("KMS encryption is not available on this registry", "UnsupportedOperationException")
	}
	arn, err := r.cfg.Encryption.KMS.RepositoryKey(ctx, account, kmsKey)
	if err != nil {
		return "", keyFailure(err)
	}
	return arn, nil
}

// KMSDenied is ECR's KmsException for a caller that may not use a KMS key: denied is
// the authorizer's AccessDenied.
func KMSDenied(denied error) error {
	return kmsError(errcode.From(denied).Message, "AccessDeniedException")
}

// kmsError is ECR's KmsException: KMS's message in the words ECR wraps it with, and
// the name of KMS's exception as kmsError.
func kmsError(message, kmsException string) error {
	return errcode.New(errcode.KMSError, "%s (Service: AWSKMS; Status Code: 400; Error Code: %s)", message, kmsException).
		WithDetail(map[string]any{"kmsError": kmsException})
}

func kmsExceptionName(c errcode.Code) string {
	switch c {
	case errcode.EntityNotFound:
		return "NotFoundException"
	case errcode.KMSDisabled:
		return "DisabledException"
	case errcode.KMSInvalidCiphertext:
		return "InvalidCiphertextException"
	case errcode.KMSIncorrectKey:
		return "IncorrectKeyException"
	case errcode.Denied:
		return "AccessDeniedException"
	default:
		return "ValidationException"
	}
}

// blobContext is ctx telling the blob store to encrypt a new upload with repo's key.
func blobContext(ctx context.Context, repo meta.Repository) context.Context {
	return encrypt.WithKey(ctx, keyRef(repo))
}

// sealManifest encrypts a manifest payload with repo's key, bound to its digest.
func (r *Registry) sealManifest(ctx context.Context, repo meta.Repository, dgst digest.Digest, payload []byte) ([]byte, error) {
	e := r.cfg.Encryption
	ref := keyRef(repo)
	if e.Keys == nil || (ref == encrypt.AES256 && e.PlaintextAES256) {
		return payload, nil
	}
	sealed, err := encrypt.SealPayload(ctx, e.Keys, ref, payload, []byte(dgst))
	if err != nil {
		return nil, keyFailure(err)
	}
	return sealed, nil
}

// openManifest decrypts a stored manifest payload; a plaintext one is returned as is.
func (r *Registry) openManifest(ctx context.Context, dgst digest.Digest, stored []byte) ([]byte, error) {
	if !encrypt.IsSealed(stored) {
		return stored, nil
	}
	if r.cfg.Encryption.Keys == nil {
		return nil, internal(errors.New("an encrypted manifest, and no keys to open it"))
	}
	p, err := encrypt.OpenPayload(ctx, r.cfg.Encryption.Keys, stored, []byte(dgst))
	if err != nil {
		return nil, keyFailure(err)
	}
	return p, nil
}

// keyFailure passes KMS errors (a disabled key) on as KmsException; others are
// internal.
func keyFailure(err error) error {
	var e *errcode.Error
	if errors.As(err, &e) && e.Code != errcode.Internal {
		return kmsError(e.Message, kmsExceptionName(e.Code))
	}
	return internal(err)
}

// checkKey refuses reads of a KMS repository whose key cannot be used (disabled), as
// ECR does; caches of data keys and plaintext manifests must not outlive that.
func (r *Registry) checkKey(ctx context.Context, repo meta.Repository) error {
	ref := keyRef(repo)
	if ref == encrypt.AES256 || r.cfg.Encryption.KMS == nil {
		return nil
	}
	if _, err := r.cfg.Encryption.KMS.RepositoryKey(ctx, repo.RegistryID, ref); err != nil {
		return keyFailure(err)
	}
	return nil
}
