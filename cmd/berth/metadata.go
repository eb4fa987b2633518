package main

import (
	"context"
	"fmt"
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
