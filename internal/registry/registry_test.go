package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta/sqlite"
	"github.com/opencontainers/go-digest"
)

// testRegistryID is the registry (account) the tests' repositories live in.
const testRegistryID = "123456789012"

func repoRef(name string) RepoRef { return RepoRef{Registry: testRegistryID, Name: name} }

// app is the repository most tests use.
var app = RepoRef{Registry: testRegistryID, Name: "app"}

func newTestRegistry(t *testing.T, cfg Config) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return New(store, blobs, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))), dir
}

func TestValidateRepositoryName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"ab", true},
		{"team/app", true},
		{"a.b_c__d-e---f/g0", true},
		{"deep/ly/nested/name", true},
		{strings.Repeat("a", 256), true},
		{"a", false},
		{strings.Repeat("a", 257), false},
		{"Team/app", false},
		{"team/../app", false},
		{"team//app", false},
		{"/team", false},
		{"team/", false},
		{"-team", false},
		{"team.", false},
		{"te___am", false},
		{"team app", false},
		{"team:app", false},
	}
	for _, tt := range tests {
		err := ValidateRepositoryName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateRepositoryName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errcode.Is(err, errcode.NameInvalid) {
			t.Errorf("ValidateRepositoryName(%q) = %v, want NameInvalid", tt.name, err)
		}
	}
}

func TestPurgeUploads(t *testing.T) {
	ctx := context.Background()
	reg, dir := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	idle, err := reg.StartUpload(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.AppendUpload(ctx, app, idle.ID, Chunk{Start: -1, Length: -1, Body: strings.NewReader("partial")}); err != nil {
		t.Fatal(err)
	}
	// Data left by a crash mid-request: a file with no session.
	orphan := filepath.Join(dir, "uploads", newUUID())
	if err := os.WriteFile(orphan, []byte("orphan"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * time.Minute)
	for _, p := range []string{orphan, filepath.Join(dir, "uploads", idle.ID)} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}

	// Within the expiry nothing goes.
	if n, err := reg.PurgeUploads(ctx); err != nil || n != 0 {
		t.Fatalf("purge before expiry: %d, %v", n, err)
	}

	reg.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	fresh, err := reg.StartUpload(ctx, app) // created "now", i.e. two hours later
	if err != nil {
		t.Fatal(err)
	}
	if n, err := reg.PurgeUploads(ctx); err != nil || n != 2 {
		t.Fatalf("purge after expiry removed %d, %v; want the idle session and the orphan", n, err)
	}
	if _, err := reg.Upload(ctx, app, idle.ID); !errcode.Is(err, errcode.BlobUploadUnknown) {
		t.Errorf("idle upload after purge: %v, want BlobUploadUnknown", err)
	}
	for _, p := range []string{orphan, filepath.Join(dir, "uploads", idle.ID)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists after purge", p)
		}
	}
	if _, err := reg.Upload(ctx, app, fresh.ID); err != nil {
		t.Errorf("a fresh upload was purged: %v", err)
	}
}

func TestConcurrentPushesOfOneBlob(t *testing.T) {
	ctx := context.Background()
	reg, _ := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	data := bytes.Repeat([]byte("layer"), 100000)
	d := digest.FromBytes(data)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			repo := RepoRef{Registry: testRegistryID, Name: fmt.Sprintf("app%d", i%2)}
			if i%4 == 0 {
				_, err := reg.PutBlob(ctx, repo, d.String(), Chunk{Start: -1, Length: -1, Body: bytes.NewReader(data)})
				errs <- err
				return
			}
			u, err := reg.StartUpload(ctx, repo)
			if err == nil {
				_, err = reg.CompleteUpload(ctx, repo, u.ID, d.String(), Chunk{Start: -1, Length: -1, Body: bytes.NewReader(data)})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"app0", "app1"} {
		repo := RepoRef{Registry: testRegistryID, Name: name}
		b, content, err := reg.OpenBlob(ctx, repo, d.String())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(content)
		content.Close()
		if b.Size != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("%s: blob of %d bytes, content equal %v", repo, b.Size, bytes.Equal(got, data))
		}
	}
}

func TestConcurrentPushesToOneTag(t *testing.T) {
	ctx := context.Background()
	reg, _ := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	cd, err := reg.PutBlob(ctx, app, digest.FromBytes(config).String(), Chunk{Start: -1, Length: -1, Body: bytes.NewReader(config)})
	if err != nil {
		t.Fatal(err)
	}
	manifests := make(map[digest.Digest]bool)
	var payloads [][]byte
	for i := range 12 {
		p := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
			`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
			`"layers":[],"annotations":{"n":"%d"}}`, cd.Digest, cd.Size, i)
		payloads = append(payloads, []byte(p))
		manifests[digest.FromString(p)] = true
	}
	var wg sync.WaitGroup
	for _, p := range payloads {
		wg.Go(func() {
			if _, err := reg.PutManifest(ctx, app, PutRequest{Tags: []string{"latest"},
				ContentType: "application/vnd.oci.image.manifest.v1+json", Body: bytes.NewReader(p)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	m, err := reg.GetManifest(ctx, app, "latest", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !manifests[m.Digest] || digest.FromBytes(m.Payload) != m.Digest {
		t.Fatalf("latest points at %s, not one of the pushed manifests", m.Digest)
	}
	for d := range manifests {
		if _, err := reg.GetManifest(ctx, app, d.String(), nil); err != nil {
			t.Errorf("manifest %s lost: %v", d, err)
		}
	}
}

// Of two replicas on one metadata store, the one that holds the upload purge lease
// purges; the other takes over once the holder stops renewing it.
func TestPurgeUploadsIfHolder(t *testing.T) {
	ctx := context.Background()
	first, dir := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	second := New(first.meta, first.blobs, first.cfg, first.log)
	orphan := filepath.Join(dir, "uploads", newUUID())
	if err := os.WriteFile(orphan, []byte("orphan"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}

	const ttl = 300 * time.Millisecond
	if held, _, err := second.PurgeUploadsIfHolder(ctx, ttl); err != nil || !held {
		t.Fatalf("second replica, lease free: held %v, %v; want it to take the lease", held, err)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the holder's purge left the orphan: %v", err)
	}
	if held, n, err := first.PurgeUploadsIfHolder(ctx, ttl); err != nil || held || n != 0 {
		t.Errorf("first replica while the second holds the lease: held %v, removed %d, %v; want it to skip", held, n, err)
	}
	if held, _, err := second.PurgeUploadsIfHolder(ctx, ttl); err != nil || !held {
		t.Errorf("the holder renewing: held %v, %v", held, err)
	}
	time.Sleep(ttl + 100*time.Millisecond) // the second replica dies
	if held, _, err := first.PurgeUploadsIfHolder(ctx, ttl); err != nil || !held {
		t.Errorf("first replica after the holder's lease expired: held %v, %v; want it to take over", held, err)
	}
}

// The purge loop releases the lease when it stops, so another replica need not wait
// for it to expire.
func TestRunUploadPurgerReleasesTheLease(t *testing.T) {
	first, _ := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	second := New(first.meta, first.blobs, first.cfg, first.log)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		first.RunUploadPurger(ctx, time.Hour)
	}()
	// Probe with a lease that expires at once: true means the lease was free (and is
	// at once again), false that the loop holds it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		free, err := first.meta.AcquireLease(context.Background(), uploadPurgeLease, "probe", time.Nanosecond)
		if err != nil {
			t.Fatal(err)
		}
		if !free {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the purge loop never took the lease")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	if held, _, err := second.PurgeUploadsIfHolder(context.Background(), time.Hour); err != nil || !held {
		t.Errorf("after the loop stopped: held %v, %v; want the lease free", held, err)
	}
}
