package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/config"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/meta/postgres"
	"github.com/berth-registry/berth/internal/meta/sqlite"
	"github.com/berth-registry/berth/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestOpenMetadataPicksTheBackend(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir, Metadata: "sqlite:" + filepath.Join(dir, "sub", "meta.db")}
	if _, err := openMetadata(t.Context(), cfg, false); err == nil || !strings.Contains(err.Error(), "start berth serve once first") {
		t.Errorf("berth account on a missing SQLite file: %v, want it refused", err)
	}
	s, err := openMetadata(t.Context(), cfg, true)
	if err != nil {
		t.Fatalf("berth serve on a new SQLite file: %v", err)
	}
	if _, ok := s.(*sqlite.Store); !ok {
		t.Errorf("--metadata sqlite:… opened a %T", s)
	}
	s.Close()

	cfg.Metadata = pgtest.Start(t)
	s, err = openMetadata(t.Context(), cfg, false)
	if err != nil {
		t.Fatalf("--metadata postgres://…: %v", err)
	}
	defer s.Close()
	if _, ok := s.(*postgres.Store); !ok {
		t.Errorf("--metadata postgres://… opened a %T", s)
	}
}

// A replica that shares a database holding accounts must be given the master key,
// not make one of its own.
func TestCheckSharedMasterKey(t *testing.T) {
	cfg := &config.Config{DataDir: t.TempDir(), Metadata: pgtest.Start(t)}
	s, err := openMetadata(t.Context(), cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := checkSharedMasterKey(t.Context(), cfg, s); err != nil {
		t.Errorf("first start on an empty database: %v", err)
	}
	if err := s.CreateAccount(t.Context(), meta.Account{ID: "123456789012", Name: "a", Default: true, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	err = checkSharedMasterKey(t.Context(), cfg, s)
	if err == nil || !strings.Contains(err.Error(), "BERTH_MASTER_KEY") {
		t.Errorf("no master key beside a database with accounts: %v, want an error naming BERTH_MASTER_KEY", err)
	}
	withEnv := *cfg
	withEnv.MasterKey = "given"
	if err := checkSharedMasterKey(t.Context(), &withEnv, s); err != nil {
		t.Errorf("master key given: %v", err)
	}
	if err := os.WriteFile(cfg.MasterKeyPath(), []byte("key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkSharedMasterKey(t.Context(), cfg, s); err != nil {
		t.Errorf("master key file present: %v", err)
	}
}
