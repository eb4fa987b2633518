package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-registry/berth/internal/config"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/meta/postgres"
	"github.com/berth-registry/berth/internal/meta/sqlite"
)

// openMetadata opens the metadata store cfg names: PostgreSQL for a postgres:// URL,
// else the SQLite file, created with its directory when create is true (berth serve)
// and required to exist otherwise (berth account).
func openMetadata(ctx context.Context, cfg *config.Config, create bool) (meta.Store, error) {
	if u := cfg.MetadataURL(); u != "" {
		return postgres.Open(ctx, u)
	}
	path, err := cfg.MetadataPath()
	if err != nil {
		return nil, err
	}
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create metadata dir: %w", err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no registry at %s (start berth serve once first): %w", path, err)
	}
	return sqlite.Open(ctx, path)
}

// checkSharedMasterKey refuses to go on when the metadata store is shared (PostgreSQL)
// and already holds accounts, but this process has no master key and would create one:
// their secrets are sealed with the key the other replicas use, which this process
// must be given too.
func checkSharedMasterKey(ctx context.Context, cfg *config.Config, store meta.Store) error {
	if cfg.MetadataURL() == "" || cfg.MasterKey != "" {
		return nil
	}
	if _, err := os.Stat(cfg.MasterKeyPath()); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := store.DefaultAccount(ctx); errors.Is(err, meta.ErrNotFound) {
		return nil // the first start: this process creates the key
	} else if err != nil {
		return err
	}
	return fmt.Errorf("no master key at %s, but the database already holds accounts: give this process "+
		"the master key the other replicas use (BERTH_MASTER_KEY or --master-key-file)", cfg.MasterKeyPath())
}
