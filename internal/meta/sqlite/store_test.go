package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/meta/sqlite"
	"github.com/berth-registry/berth/internal/meta/storetest"
	"github.com/opencontainers/go-digest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) meta.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func closeStore(t *testing.T, s *sqlite.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// migrationRow is one row of schema_migrations.
type migrationRow struct {
	version   string
	appliedAt int64
}

// appliedMigrations reads schema_migrations straight from the file, read-only.
func appliedMigrations(t *testing.T, path string) []migrationRow {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT version, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var r migrationRow
		if err := rows.Scan(&r.version, &r.appliedAt); err != nil {
			t.Fatalf("scan schema_migrations: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

// fixture is a little of everything, written by populate and checked by verify.
type fixture struct {
	repo     meta.Repository
	layer    digest.Digest
	manifest meta.Manifest
	upload   meta.Upload
}

func populate(t *testing.T, s meta.Store) fixture {
	t.Helper()
	ctx := t.Context()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.CreateAccount(ctx, meta.Account{ID: "123456789012", Name: "durable", Default: true, CreatedAt: at}); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	repo, _, err := s.CreateRepository(ctx, meta.Repository{RegistryID: "123456789012", Name: "durable/repo",
		TagMutability: "IMMUTABLE_WITH_EXCLUSION", MutabilityExclusions: []string{"dev-*"}, ScanOnPush: true},
		[]meta.ResourceTag{{Key: "team", Value: "storage"}})
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	f := fixture{repo: repo, layer: digest.FromString("layer")}
	if err := s.LinkBlob(ctx, repo.ID, meta.Blob{Digest: f.layer, Size: 5, CreatedAt: at}); err != nil {
		t.Fatalf("LinkBlob: %v", err)
	}
	payload := []byte(`{"durable":true}`)
	f.manifest = meta.Manifest{RepositoryID: repo.ID, Digest: digest.FromBytes(payload),
		MediaType: "application/vnd.oci.image.manifest.v1+json", ConfigMediaType: "application/vnd.oci.image.config.v1+json",
		Size: int64(len(payload)), Payload: payload, PushedAt: at}
	if _, err := s.PutManifest(ctx, meta.ManifestPut{Manifest: f.manifest,
		Blobs: []meta.BlobRef{{Digest: f.layer, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip"}},
		Tags:  []string{"latest"}, ImmutableTags: []string{"latest"}}); err != nil {
		t.Fatalf("PutManifest: %v", err)
	}
	f.upload = meta.Upload{ID: "0b8e5a36-5c55-4c1e-9d7e-1f2a3b4c5d6e", RepositoryID: repo.ID, StartedAt: at, UpdatedAt: at}
	if err := s.CreateUpload(ctx, f.upload); err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
	next := f.upload
	next.Size, next.HashState, next.Chunks, next.LastChunk = 5, []byte("state"), 1, 5
	if err := s.AdvanceUpload(ctx, f.upload.ID, 0, next); err != nil {
		t.Fatalf("AdvanceUpload: %v", err)
	}
	f.upload = next
	return f
}

func verify(t *testing.T, s meta.Store, f fixture) {
	t.Helper()
	ctx := t.Context()
	repo, err := s.GetRepository(ctx, f.repo.RegistryID, f.repo.Name)
	if err != nil || repo.ID != f.repo.ID || repo.TagMutability != f.repo.TagMutability ||
		!slices.Equal(repo.MutabilityExclusions, f.repo.MutabilityExclusions) || !repo.ScanOnPush {
		t.Errorf("GetRepository = %+v, %v; want %+v", repo, err, f.repo)
	}
	if tags, err := s.ResourceTags(ctx, f.repo.ID); err != nil || len(tags) != 1 || tags[0].Value != "storage" {
		t.Errorf("ResourceTags = %+v, %v; want team=storage", tags, err)
	}
	if a, err := s.DefaultAccount(ctx); err != nil || a.ID != f.repo.RegistryID {
		t.Errorf("DefaultAccount = %+v, %v; want %s", a, err, f.repo.RegistryID)
	}
	if _, err := s.RepositoryBlob(ctx, f.repo.ID, f.layer); err != nil {
		t.Errorf("RepositoryBlob: %v", err)
	}
	m, err := s.GetManifest(ctx, f.repo.ID, f.manifest.Digest, true)
	if err != nil || string(m.Payload) != string(f.manifest.Payload) || m.ConfigMediaType != f.manifest.ConfigMediaType {
		t.Errorf("GetManifest = %q, %v; want %q", m.Payload, err, f.manifest.Payload)
	}
	if m, err := s.ResolveTag(ctx, f.repo.ID, "latest"); err != nil || m.Digest != f.manifest.Digest {
		t.Errorf("ResolveTag(latest) = %s, %v; want %s", m.Digest, err, f.manifest.Digest)
	}
	u, err := s.GetUpload(ctx, f.upload.ID)
	if err != nil || u.Size != f.upload.Size || string(u.HashState) != string(f.upload.HashState) ||
		u.Chunks != f.upload.Chunks || u.LastChunk != f.upload.LastChunk {
		t.Errorf("GetUpload = %+v, %v; want %+v", u, err, f.upload)
	}
	if err := s.UnlinkBlob(ctx, f.repo.ID, f.layer); !errors.Is(err, meta.ErrReferenced) {
		t.Errorf("UnlinkBlob of a referenced blob after reopening: %v, want ErrReferenced", err)
	}
}

func TestReopenKeepsDataAndDoesNotReapplyMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	f := populate(t, s)
	closeStore(t, s)

	first := appliedMigrations(t, path)
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("list migrations: %v (%d files)", err, len(files))
	}
	if len(first) != len(files) {
		t.Fatalf("schema_migrations has %d rows %v, want one per migration file (%d)", len(first), first, len(files))
	}

	for range 2 {
		s = open(t, path)
		verify(t, s, f)
		closeStore(t, s)
		if again := appliedMigrations(t, path); !slices.Equal(again, first) {
			t.Errorf("schema_migrations after reopening = %v, want it unchanged %v", again, first)
		}
	}
}

func TestCommittedWriteSurvivesClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	f := populate(t, s)
	// The last write before Close is the one most likely to sit only in the WAL.
	if err := s.DeleteTag(t.Context(), f.repo.ID, "latest"); err != nil {
		t.Fatalf("DeleteTag: %v", err)
	}
	closeStore(t, s)

	s = open(t, path)
	defer closeStore(t, s)
	if _, err := s.ResolveTag(t.Context(), f.repo.ID, "latest"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("ResolveTag of a tag deleted before Close: %v, want ErrNotFound", err)
	}
	if _, err := s.PutManifest(t.Context(), meta.ManifestPut{Manifest: f.manifest, Tags: []string{"latest"}}); err != nil {
		t.Fatalf("PutManifest: %v", err)
	}
	verify(t, s, f)
}

func TestCommittedWriteVisibleToAnotherStoreOnTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	writer := open(t, path)
	defer closeStore(t, writer)
	reader := open(t, path)
	defer closeStore(t, reader)

	f := populate(t, writer)
	verify(t, reader, f)
	// And the other way round, with both open.
	ctx := context.Background()
	if err := reader.DeleteUpload(ctx, f.upload.ID); err != nil {
		t.Fatalf("DeleteUpload through the second store: %v", err)
	}
	if ok, err := writer.UploadExists(ctx, f.upload.ID); err != nil || ok {
		t.Errorf("UploadExists through the first store = %v, %v; want false", ok, err)
	}
}

func TestOpenInMissingDirectoryFails(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "no", "such", "dir", "meta.db"))
	if err == nil {
		s.Close()
		t.Fatal("Open in a directory that does not exist succeeded")
	}
}

// A change made by another process on the database (berth account beside a server)
// reaches this store's auth epoch within the poll interval.
func TestAuthEpochSeesAnotherStoresChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metadata.db")
	server := open(t, path)
	defer closeStore(t, server)
	admin := open(t, path)
	defer closeStore(t, admin)
	time.Sleep(100 * time.Millisecond) // let the poller read the counter once
	before := server.AuthEpoch()
	if err := admin.CreateUser(t.Context(), meta.User{AccountID: "111122223333", Name: "bob", ID: "AIDAEXAMPLE", Path: "/",
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for server.AuthEpoch() == before {
		if time.Now().After(deadline) {
			t.Fatal("the server's auth epoch did not move after another store created a user")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Writes that do not bear on authorization leave it alone.
	settled := server.AuthEpoch()
	time.Sleep(1500 * time.Millisecond)
	if got := server.AuthEpoch(); got != settled {
		t.Errorf("auth epoch moved from %d to %d with no change", settled, got)
	}
}
