// Package iam holds berth's identities: accounts, their access keys and the
// credentials derived from them (registry authorization tokens, presigned URLs).
// Secrets are sealed with a master key that lives outside the metadata store.
package iam

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// masterKeySize is the size of the master key: AES-256.
const masterKeySize = 32

// Keyring seals secrets and derives signing keys from one master key. Every replica
// of a registry must use the same master key.
type Keyring struct {
	aead     cipher.AEAD
	tokenKey []byte
	urlKey   []byte
}

// NewKeyring returns a keyring for a 32-byte master key.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != masterKeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(master), masterKeySize)
	}
	derive := func(purpose string) ([]byte, error) {
		return hkdf.Key(sha256.New, master, nil, "berth "+purpose, 32)
	}
	sealKey, err := derive("secret sealing v1")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keyring{aead: aead}
	if k.tokenKey, err = derive("registry token v1"); err != nil {
		return nil, err
	}
	if k.urlKey, err = derive("presigned url v1"); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadMasterKey returns the master key: from encoded (base64, e.g. BERTH_MASTER_KEY)
// if set, else from path, creating path with a new random key (mode 0600) the first
// time.
func LoadMasterKey(encoded, path string) ([]byte, error) {
	if encoded != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil || len(key) != masterKeySize {
			return nil, fmt.Errorf("master key: want %d bytes in standard base64", masterKeySize)
		}
		return key, nil
	}
	data, err := os.ReadFile(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if derr != nil || len(key) != masterKeySize {
			return nil, fmt.Errorf("master key file %s: want %d bytes in standard base64", path, masterKeySize)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	key := make([]byte, masterKeySize)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create master key: %w", err)
	}
	if err := writeFileDurable(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create master key: %w", err)
	}
	return key, nil
}

// writeFileDurable creates path exclusively with data, fsynced.
func writeFileDurable(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Seal encrypts a secret; associated binds the ciphertext to its owner (e.g. the
// access key id), so a sealed secret cannot be moved to another row.
func (k *Keyring) Seal(secret, associated []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, secret, associated)
}

// Open decrypts a sealed secret.
func (k *Keyring) Open(sealed, associated []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed secret is too short")
	}
	secret, err := k.aead.Open(nil, sealed[:n], sealed[n:], associated)
	if err != nil {
		return nil, fmt.Errorf("open sealed secret (wrong master key?): %w", err)
	}
	return secret, nil
}
