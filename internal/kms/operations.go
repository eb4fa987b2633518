package kms

import (
	"errors"

	"regexp"
	"unicode/utf8"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

// keyMetadata is KMS's KeyMetadata.
type keyMetadata struct {
	AWSAccountID          string   `json:"AWSAccountId"`
	KeyID                 string   `json:"KeyId"`
	Arn                   string   `json:"Arn"`
	CreationDate          float64  `json:"CreationDate"`
	Enabled               bool     `json:"Enabled"`
	Description           string   `json:"Description"`
	KeyUsage              string   `json:"KeyUsage"`
	KeyState              string   `json:"KeyState"`
	Origin                string   `json:"Origin"`
	KeyManager            string   `json:"KeyManager"`
	CustomerMasterKeySpec string   `json:"CustomerMasterKeySpec"`
	KeySpec               string   `json:"KeySpec"`
	EncryptionAlgorithms  []string `json:"EncryptionAlgorithms"`
	MultiRegion           bool     `json:"MultiRegion"`
}

func (h *Handler) metadata(k meta.KMSKey) keyMetadata {
	return keyMetadata{
		AWSAccountID: k.AccountID, KeyID: k.ID, Arn: h.s.ARN(k.AccountID, k.ID),
		CreationDate: float64(k.CreatedAt.UnixMilli()) / 1000, Enabled: k.State == StateEnabled,
		Description: k.Description, KeyUsage: "ENCRYPT_DECRYPT", KeyState: k.State, Origin: "AWS_KMS",
		KeyManager: k.Manager, CustomerMasterKeySpec: "SYMMETRIC_DEFAULT", KeySpec: "SYMMETRIC_DEFAULT",
		EncryptionAlgorithms: []string{"SYMMETRIC_DEFAULT"},
	}
}

type kmsTag struct {
	TagKey   *string `json:"TagKey"`
	TagValue *string `json:"TagValue"`
}

type createKeyInput struct {
	Description           *string  `json:"Description"`
	KeyUsage              *string  `json:"KeyUsage"`
	KeySpec               *string  `json:"KeySpec"`
	CustomerMasterKeySpec *string  `json:"CustomerMasterKeySpec"`
	Origin                *string  `json:"Origin"`
	MultiRegion           *bool    `json:"MultiRegion"`
	Tags                  []kmsTag `json:"Tags"`
}

func (h *Handler) createKey(c *call) (any, error) {
	var in createKeyInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := h.authorize(c, "*"); err != nil {
		return nil, err
	}
	desc := deref(in.Description)
	if utf8.RuneCountInString(desc) > 8192 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	if u := deref(in.KeyUsage); u != "" && u != "ENCRYPT_DECRYPT" {
		return nil, errcode.New(errcode.Unsupported, "berth's KMS makes only symmetric ENCRYPT_DECRYPT keys, not KeyUsage %s", u)
	}
	if in.KeySpec != nil && in.CustomerMasterKeySpec != nil {
		return nil, validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
	}
	for _, spec := range []*string{in.KeySpec, in.CustomerMasterKeySpec} {
		if s := deref(spec); s != "" && s != "SYMMETRIC_DEFAULT" {
			return nil, errcode.New(errcode.Unsupported, "berth's KMS makes only SYMMETRIC_DEFAULT keys, not %s", s)
		}
	}
	if o := deref(in.Origin); o != "" && o != "AWS_KMS" {
		return nil, errcode.New(errcode.Unsupported, "berth's KMS makes only keys of Origin AWS_KMS, not %s", o)
	}
	if in.MultiRegion != nil && *in.MultiRegion {
		return nil, errcode.New(errcode.Unsupported, "berth's KMS has one region: it makes no multi-Region keys")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	k, err := h.s.CreateKey(c.ctx, c.account(), CreateKeyInput{Description: desc, Tags: tags})
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyMetadata": h.metadata(k)}, nil
}

var tagPattern = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

func checkTags(in []kmsTag) ([]meta.ResourceTag, error) {
	if len(in) > 50 {
		return nil, errcode.New(errcode.TooManyTags, "A key can have at most 50 tags.")
	}
	out := make([]meta.ResourceTag, 0, len(in))
	seen := map[string]bool{}
	for _, t := range in {
		if t.TagKey == nil || t.TagValue == nil {
			return nil, validation("1 validation error detected: a tag needs TagKey and TagValue")
		}
		k, v := *t.TagKey, *t.TagValue
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !tagPattern.MatchString(k) {
			return nil, errcode.New(errcode.InvalidTagParameter, "Tag key %q must be 1 to 128 letters, digits, spaces or _.:/=+-@.", k)
		}
		if utf8.RuneCountInString(v) > 256 || !tagPattern.MatchString(v) {
			return nil, errcode.New(errcode.InvalidTagParameter, "Tag value %q must be at most 256 letters, digits, spaces or _.:/=+-@.", v)
		}
		if seen[k] {
			return nil, errcode.New(errcode.InvalidTagParameter, "Duplicate tag keys: %s", k)
		}
		seen[k] = true
		out = append(out, meta.ResourceTag{Key: k, Value: v})
	}
	return out, nil
}

type keyIDInput struct {
	KeyID *string `json:"KeyId"`
}

func (h *Handler) keyFromBody(c *call) (meta.KMSKey, error) {
	var in keyIDInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return meta.KMSKey{}, err
	}
	return h.key(c, deref(in.KeyID))
}

func (h *Handler) describeKey(c *call) (any, error) {
	k, err := h.keyFromBody(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyMetadata": h.metadata(k)}, nil
}

type listKeysInput struct {
	Limit  *int    `json:"Limit"`
	Marker *string `json:"Marker"`
}

type keyListEntry struct {
	KeyID  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

func (h *Handler) listKeys(c *call) (any, error) {
	var in listKeysInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := h.authorize(c, "*"); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 1000 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000", *in.Limit)
		}
		limit = *in.Limit
	}
	keys, more, err := h.s.ListKeys(c.ctx, c.account(), deref(in.Marker), limit)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Truncated": more}
	entries := make([]keyListEntry, len(keys))
	for i, k := range keys {
		entries[i] = keyListEntry{KeyID: k.ID, KeyArn: h.s.ARN(k.AccountID, k.ID)}
	}
	out["Keys"] = entries
	if more {
		out["NextMarker"] = keys[len(keys)-1].ID
	}
	return out, nil
}

func (h *Handler) setEnabled(c *call, enabled bool) (any, error) {
	k, err := h.keyFromBody(c)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.s.SetEnabled(c.ctx, c.account(), k.ID, enabled)
}

func (h *Handler) enableKey(c *call) (any, error)  { return h.setEnabled(c, true) }
func (h *Handler) disableKey(c *call) (any, error) { return h.setEnabled(c, false) }

type enableKeyRotationInput struct {
	KeyID                *string `json:"KeyId"`
	RotationPeriodInDays *int    `json:"RotationPeriodInDays"`
}

func (h *Handler) enableKeyRotation(c *call) (any, error) {
	var in enableKeyRotationInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	days := 0
	if in.RotationPeriodInDays != nil {
		days = *in.RotationPeriodInDays
		if days < 90 || days > 2560 {
			return nil, validation("1 validation error detected: Value '%d' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560", days)
		}
	}
	k, err := h.key(c, deref(in.KeyID))
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.s.SetRotation(c.ctx, c.account(), k.ID, true, days)
}

func (h *Handler) disableKeyRotation(c *call) (any, error) {
	k, err := h.keyFromBody(c)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.s.SetRotation(c.ctx, c.account(), k.ID, false, 0)
}

func (h *Handler) getKeyRotationStatus(c *call) (any, error) {
	k, err := h.keyFromBody(c)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"KeyRotationEnabled": k.RotationEnabled, "KeyId": h.s.ARN(k.AccountID, k.ID)}
	if next := NextRotation(k); !next.IsZero() {
		out["RotationPeriodInDays"] = k.RotationPeriodDays
		out["NextRotationDate"] = float64(next.UnixMilli()) / 1000
	}
	return out, nil
}

func (h *Handler) rotateKeyOnDemand(c *call) (any, error) {
	k, err := h.keyFromBody(c)
	if err != nil {
		return nil, err
	}
	if _, err := h.s.Rotate(c.ctx, c.account(), k.ID); err != nil {
		return nil, err
	}
	return map[string]any{"KeyId": k.ID}, nil
}

type createAliasInput struct {
	AliasName   *string `json:"AliasName"`
	TargetKeyID *string `json:"TargetKeyId"`
}

var aliasPattern = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)

func (h *Handler) createAlias(c *call) (any, error) {
	var in createAliasInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	name := deref(in.AliasName)
	if !aliasPattern.MatchString(name) {
		return nil, validation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$", name)
	}
	if len(name) >= len("alias/aws/") && name[:len("alias/aws/")] == "alias/aws/" {
		return nil, errcode.New(errcode.Denied, "Alias must not begin with 'alias/aws/'. The alias/aws/ prefix is reserved for AWS managed keys.")
	}
	k, err := h.key(c, deref(in.TargetKeyID))
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, h.s.aliasARN(c.account(), name)); err != nil {
		return nil, err
	}
	if k.Manager == ManagerAWS {
		return nil, errcode.New(errcode.Denied, "An alias cannot name an AWS managed key.")
	}
	if err := h.s.store.CreateKMSAlias(c.ctx, c.account(), name, k.ID); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return nil, errcode.New(errcode.EntityAlreadyExists, "An alias with the name %s already exists", h.s.aliasARN(c.account(), name))
		}
		return nil, err
	}
	return struct{}{}, nil
}

type encryptInput struct {
	KeyID               *string           `json:"KeyId"`
	Plaintext           []byte            `json:"Plaintext"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm *string           `json:"EncryptionAlgorithm"`
}

func checkAlgorithm(a *string) error {
	if s := deref(a); s != "" && s != "SYMMETRIC_DEFAULT" {
		return validation("1 validation error detected: Value '%s' at 'encryptionAlgorithm' failed to satisfy constraint: berth's symmetric keys use SYMMETRIC_DEFAULT", s)
	}
	return nil
}

func (h *Handler) encrypt(c *call) (any, error) {
	var in encryptInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	if len(in.Plaintext) < 1 || len(in.Plaintext) > 4096 {
		return nil, validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	k, err := h.key(c, deref(in.KeyID))
	if err != nil {
		return nil, err
	}
	ct, arn, err := h.s.Encrypt(c.ctx, c.account(), k.ID, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return map[string]any{"CiphertextBlob": ct, "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

type decryptInput struct {
	CiphertextBlob      []byte            `json:"CiphertextBlob"`
	KeyID               *string           `json:"KeyId"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm *string           `json:"EncryptionAlgorithm"`
}

func (h *Handler) decrypt(c *call) (any, error) {
	var in decryptInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	if len(in.CiphertextBlob) < 1 || len(in.CiphertextBlob) > 6144 {
		return nil, validation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and 6144")
	}
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	// The ciphertext names its key: authorize on that key before decrypting.
	id, ok := ciphertextKeyID(in.CiphertextBlob)
	if !ok {
		return nil, errcode.New(errcode.KMSInvalidCiphertext, "The ciphertext is invalid, was not made by this key service, or its encryption context differs.")
	}
	if err := h.authorize(c, h.s.ARN(c.account(), id)); err != nil {
		return nil, err
	}
	plain, arn, err := h.s.Decrypt(c.ctx, c.account(), deref(in.KeyID), in.CiphertextBlob, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Plaintext": plain, "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

// ciphertextKeyID returns the id of the key a ciphertext names.
func ciphertextKeyID(ct []byte) (string, bool) {
	if len(ct) < ciphertextPrefix || ct[0] != ciphertextFormat {
		return "", false
	}
	return string(ct[1 : 1+keyIDLen]), true
}

type generateDataKeyInput struct {
	KeyID             *string           `json:"KeyId"`
	KeySpec           *string           `json:"KeySpec"`
	NumberOfBytes     *int              `json:"NumberOfBytes"`
	EncryptionContext map[string]string `json:"EncryptionContext"`
}

func (h *Handler) generateDataKey(c *call) (any, error) {
	var in generateDataKeyInput
	if err := awsproto.Decode(c.body, &in); err != nil {
		return nil, err
	}
	var n int
	switch {
	case in.KeySpec != nil && in.NumberOfBytes != nil:
		return nil, validation("Please specify either number of bytes or key spec.")
	case in.KeySpec != nil:
		switch *in.KeySpec {
		case "AES_256":
			n = 32
		case "AES_128":
			n = 16
		default:
			return nil, validation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", *in.KeySpec)
		}
	case in.NumberOfBytes != nil:
		n = *in.NumberOfBytes
		if n < 1 || n > 1024 {
			return nil, validation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024", n)
		}
	default:
		return nil, validation("Please specify either number of bytes or key spec.")
	}
	k, err := h.key(c, deref(in.KeyID))
	if err != nil {
		return nil, err
	}
	plain, ct, arn, err := h.s.GenerateDataKey(c.ctx, c.account(), k.ID, n, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return map[string]any{"CiphertextBlob": ct, "Plaintext": plain, "KeyId": arn}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
