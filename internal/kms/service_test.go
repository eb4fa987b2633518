package kms_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/kms"
	"github.com/berth-registry/berth/internal/meta/sqlite"
	"github.com/opencontainers/go-digest"
)

const acct = "111122223333"

func newService(t *testing.T) (*kms.Service, []byte) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	master := make([]byte, 32)
	rand.Read(master)
	s, err := kms.New(store, master, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	return s, master
}

func wantCode(t *testing.T, what string, err error, code errcode.Code) {
	t.Helper()
	if !errcode.Is(err, code) {
		t.Errorf("%s: error %v, want code %s", what, err, code)
	}
}

func TestEncryptDecryptAndRotation(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	k, err := s.CreateKey(ctx, acct, kms.CreateKeyInput{Description: "app"})
	if err != nil {
		t.Fatal(err)
	}
	encCtx := map[string]string{"purpose": "test"}
	ct1, arn, err := s.Encrypt(ctx, acct, k.ID, []byte("first secret"), encCtx)
	if err != nil || arn != s.ARN(acct, k.ID) {
		t.Fatalf("Encrypt = %s, %v", arn, err)
	}
	if bytes.Contains(ct1, []byte("first secret")) {
		t.Errorf("ciphertext shows the plaintext")
	}
	if _, err := s.Rotate(ctx, acct, k.ID); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	ct2, _, err := s.Encrypt(ctx, acct, arn, []byte("second secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ct     []byte
		encCtx map[string]string
		want   string
	}{{ct1, encCtx, "first secret"}, {ct2, nil, "second secret"}} {
		got, _, err := s.Decrypt(ctx, acct, "", c.ct, c.encCtx)
		if err != nil || string(got) != c.want {
			t.Errorf("Decrypt after rotation = %q, %v; want %q", got, err, c.want)
		}
	}
	_, _, err = s.Decrypt(ctx, acct, "", ct1, map[string]string{"purpose": "other"})
	wantCode(t, "Decrypt with another encryption context", err, errcode.KMSInvalidCiphertext)
	_, _, err = s.Decrypt(ctx, acct, "", ct1, nil)
	wantCode(t, "Decrypt without the encryption context", err, errcode.KMSInvalidCiphertext)
	tampered := bytes.Clone(ct2)
	tampered[len(tampered)-1] ^= 1
	_, _, err = s.Decrypt(ctx, acct, "", tampered, nil)
	wantCode(t, "Decrypt of a tampered ciphertext", err, errcode.KMSInvalidCiphertext)
	_, _, err = s.Decrypt(ctx, "444455556666", "", ct2, nil)
	wantCode(t, "Decrypt in another account", err, errcode.KMSInvalidCiphertext)

	other, err := s.CreateKey(ctx, acct, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Decrypt(ctx, acct, other.ID, ct2, nil)
	wantCode(t, "Decrypt naming another key", err, errcode.KMSIncorrectKey)

	if err := s.SetEnabled(ctx, acct, k.ID, false); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Decrypt(ctx, acct, "", ct2, nil)
	wantCode(t, "Decrypt with a disabled key", err, errcode.KMSDisabled)
	_, _, err = s.Encrypt(ctx, acct, k.ID, []byte("x"), nil)
	wantCode(t, "Encrypt with a disabled key", err, errcode.KMSDisabled)
	_, err = s.RepositoryKey(ctx, acct, k.ID)
	wantCode(t, "RepositoryKey of a disabled key", err, errcode.KMSDisabled)
}

func TestResolve(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	k, err := s.CreateKey(ctx, acct, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	// An alias through the store, as CreateAlias makes it.
	arn := s.ARN(acct, k.ID)
	for _, id := range []string{k.ID, arn} {
		got, err := s.Resolve(ctx, acct, id)
		if err != nil || got.ID != k.ID {
			t.Errorf("Resolve(%s) = %s, %v; want %s", id, got.ID, err, k.ID)
		}
	}
	for _, id := range []string{
		"00000000-0000-4000-8000-000000000000",
		"arn:aws:kms:us-east-1:" + acct + ":key/" + k.ID, // another region
		"arn:aws:kms:eu-west-1:444455556666:key/" + k.ID, // another account
		"alias/nothing",
		"arn:aws:kms:eu-west-1:" + acct + ":alias/nothing",
	} {
		_, err := s.Resolve(ctx, acct, id)
		wantCode(t, "Resolve("+id+")", err, errcode.EntityNotFound)
	}
}

func TestManagedKeyIsCreatedOnceUnderConcurrency(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	arns := make([]string, 8)
	errs := make([]error, 8)
	for i := range arns {
		wg.Go(func() { arns[i], errs[i] = s.RepositoryKey(ctx, acct, "") })
	}
	wg.Wait()
	for i := range arns {
		if errs[i] != nil || arns[i] != arns[0] {
			t.Fatalf("RepositoryKey(\"\") #%d = %s, %v; want one key for all, %s", i, arns[i], errs[i], arns[0])
		}
	}
	k, err := s.Resolve(ctx, acct, kms.ECRAlias)
	if err != nil || s.ARN(acct, k.ID) != arns[0] || k.Manager != kms.ManagerAWS {
		t.Errorf("alias/aws/ecr = %+v, %v; want the AWS managed key %s", k, err, arns[0])
	}
	if !strings.HasPrefix(arns[0], "arn:aws:kms:eu-west-1:"+acct+":key/") {
		t.Errorf("managed key ARN %s", arns[0])
	}
	wantCode(t, "SetEnabled of an AWS managed key", s.SetEnabled(ctx, acct, kms.ECRAlias, false), errcode.Unsupported)
	if !k.RotationEnabled || kms.NextRotation(k).IsZero() {
		t.Errorf("the AWS managed key does not rotate: %+v", k)
	}
}

// TestBlobsUnderAKMSKey checks blobs under a KMS key: the conformance suite, appends
// that continue under the upload's own key, and that disabling the key stops reads.
func TestBlobsUnderAKMSKey(t *testing.T) {
	s, master := newService(t)
	k, err := s.CreateKey(t.Context(), acct, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := s.ARN(acct, k.ID)
	keys, err := encrypt.NewKeys(master, s.BlobKeys())
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, func(t *testing.T) blob.Store {
		base, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return encrypt.New(base, keys, encrypt.Options{DefaultKey: arn})
	})
	root := t.TempDir()
	base, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	store := encrypt.New(base, keys, encrypt.Options{CacheTTL: 1})
	ctx := encrypt.WithKey(t.Context(), arn)
	data := bytes.Repeat([]byte("KMS-PLAINTEXT "), 10000)
	id := blobtest.NewUploadID()
	if _, err := store.Append(ctx, id, 0, bytes.NewReader(data[:777])); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(t.Context(), id, 777, bytes.NewReader(data[777:])); err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(data)
	if err := store.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatal(err)
	}
	// Under a KMS key the blob lives at an address of its own, not at its digest.
	if _, err := os.Stat(filepath.Join(root, "blobs", "sha256", d.Encoded()[:2], d.Encoded())); !os.IsNotExist(err) {
		t.Errorf("a blob under a KMS key is stored at its digest: %v", err)
	}
	addr := encrypt.Address(d, arn)
	stored, err := os.ReadFile(filepath.Join(root, "blobs", "sha256", addr.Encoded()[:2], addr.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("KMS-PLAINTEXT")) || !bytes.Contains(stored[:encrypt.HeaderSize], []byte(arn)) {
		t.Errorf("the stored blob shows its plaintext, or its header does not name the key %s", arn)
	}
	// Only under its key: the blob does not exist for AES256.
	if _, err := store.Stat(t.Context(), d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat under AES256 of a blob under a KMS key: %v, want ErrNotFound", err)
	}
	if n, err := store.Stat(ctx, d); err != nil || n != int64(len(data)) {
		t.Errorf("Stat under its key = %d, %v; want %d", n, err, len(data))
	}
	rc, err := store.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(rc)
	rc.Close()
	if !bytes.Equal(got.Bytes(), data) {
		t.Errorf("blob under a KMS key read back wrong")
	}
	if err := s.SetEnabled(t.Context(), acct, k.ID, false); err != nil {
		t.Fatal(err)
	}
	if rc, err := store.Open(ctx, d); err == nil {
		rc.Close()
		t.Errorf("Open of a blob whose KMS key is disabled succeeded")
	} else {
		wantCode(t, "Open with the key disabled", err, errcode.KMSDisabled)
	}
}

func TestAutomaticRotation(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	now := time.Now()
	kms.SetClock(s, func() time.Time { return now })
	k, err := s.CreateKey(ctx, acct, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetRotation(ctx, acct, k.ID, true, 90); err != nil {
		t.Fatal(err)
	}
	version := func(ct []byte) uint32 { return binary.BigEndian.Uint32(ct[37:41]) }
	ct1, _, err := s.Encrypt(ctx, acct, k.ID, []byte("one"), nil)
	if err != nil || version(ct1) != 1 {
		t.Fatalf("Encrypt before the period = version %d, %v; want 1", version(ct1), err)
	}
	now = now.AddDate(0, 0, 89)
	if ct, _, _ := s.Encrypt(ctx, acct, k.ID, []byte("x"), nil); version(ct) != 1 {
		t.Errorf("Encrypt on day 89 of 90 = version %d, want 1", version(ct))
	}
	now = now.AddDate(0, 0, 2)
	ct2, _, err := s.Encrypt(ctx, acct, k.ID, []byte("two"), nil)
	if err != nil || version(ct2) != 2 {
		t.Fatalf("Encrypt after the period = version %d, %v; want 2", version(ct2), err)
	}
	if ct, _, _ := s.Encrypt(ctx, acct, k.ID, []byte("x"), nil); version(ct) != 2 {
		t.Errorf("Encrypt right after a rotation = version %d, want 2 (one rotation per period)", version(ct))
	}
	for ct, want := range map[*[]byte]string{&ct1: "one", &ct2: "two"} {
		if got, _, err := s.Decrypt(ctx, acct, "", *ct, nil); err != nil || string(got) != want {
			t.Errorf("Decrypt = %q, %v; want %q", got, err, want)
		}
	}
	got, err := s.Resolve(ctx, acct, k.ID)
	if err != nil || !kms.NextRotation(got).Equal(got.RotatedAt.AddDate(0, 0, 90)) || got.RotatedAt.Before(now.Add(-time.Second)) {
		t.Errorf("after rotation: rotated %s, next %s", got.RotatedAt, kms.NextRotation(got))
	}
}

// TestDisableReachesOtherReplicas: a replica caches keys for a second, so another
// replica's DisableKey stops it from using the key within that.
func TestDisableReachesOtherReplicas(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	master := make([]byte, 32)
	rand.Read(master)
	a, _ := kms.New(store, master, "eu-west-1")
	b, _ := kms.New(store, master, "eu-west-1")
	ctx := t.Context()
	k, err := a.CreateKey(ctx, acct, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.RepositoryKey(ctx, acct, k.ID); err != nil {
		t.Fatalf("replica b: %v", err)
	}
	if err := a.SetEnabled(ctx, acct, k.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err = a.RepositoryKey(ctx, acct, k.ID)
	wantCode(t, "the replica that disabled the key, at once", err, errcode.KMSDisabled)
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err := b.RepositoryKey(ctx, acct, k.ID)
		if errcode.Is(err, errcode.KMSDisabled) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica b still uses the key 3 s after another disabled it: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
