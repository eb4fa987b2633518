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
)

// Small payloads (manifests in the metadata store) are sealed whole with AES-256-GCM
// under a data key of their own, wrapped as a blob's is:
//
//	magic "BERTHENM" | version | ref length (2) | wrapped length (2) | ref | wrapped |
//	nonce (12) | ciphertext and tag
//
// Unlike blobs they are authenticated, bound to associated data the caller gives (the
// manifest's digest), since nothing else verifies them on the way out of the store.
const payloadMagic = "BERTHENM"

// SealPayload encrypts payload under ref (AES256 or a KMS key ARN), bound to ad.
func SealPayload(ctx context.Context, keys Keys, ref string, payload, ad []byte) ([]byte, error) {
	key, wrapped, err := keys.NewDataKey(ctx, ref)
	if err != nil {
		return nil, err
	}
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(ref) > 0xffff || len(wrapped) > 0xffff {
		return nil, errors.New("key reference or wrapped key too long")
	}
	out := make([]byte, 0, len(payloadMagic)+5+len(ref)+len(wrapped)+aead.NonceSize()+len(payload)+aead.Overhead())
	out = append(out, payloadMagic...)
	out = append(out, version)
	out = binary.BigEndian.AppendUint16(out, uint16(len(ref)))
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, ref...)
	out = append(out, wrapped...)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, payload, ad), nil
}

// IsSealed reports whether b is a sealed payload.
func IsSealed(b []byte) bool { return bytes.HasPrefix(b, []byte(payloadMagic)) }

// OpenPayload decrypts a payload of SealPayload; a payload that is not sealed (stored
// before encryption, or plaintext by choice) is returned as it is.
func OpenPayload(ctx context.Context, keys Keys, b, ad []byte) ([]byte, error) {
	if !IsSealed(b) {
		return b, nil
	}
	corrupt := errors.New("corrupt sealed payload")
	rest := b[len(payloadMagic):]
	if len(rest) < 5 {
		return nil, corrupt
	}
	if rest[0] != version {
		return nil, fmt.Errorf("sealed payload of version %d, this berth reads version %d", rest[0], version)
	}
	refLen, wrappedLen := int(binary.BigEndian.Uint16(rest[1:])), int(binary.BigEndian.Uint16(rest[3:]))
	rest = rest[5:]
	if len(rest) < refLen+wrappedLen {
		return nil, corrupt
	}
	ref, wrapped := string(rest[:refLen]), rest[refLen:refLen+wrappedLen]
	rest = rest[refLen+wrappedLen:]
	key, err := keys.UnwrapDataKey(ctx, ref, wrapped)
	if err != nil {
		return nil, err
	}
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(rest) < aead.NonceSize() {
		return nil, corrupt
	}
	p, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], ad)
	if err != nil {
		return nil, fmt.Errorf("open sealed payload: %w", err)
	}
	return p, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
