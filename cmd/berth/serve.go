package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/config"
	"github.com/berth-registry/berth/internal/ecr"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/iamapi"
	"github.com/berth-registry/berth/internal/kms"
	"github.com/berth-registry/berth/internal/oci"
	"github.com/berth-registry/berth/internal/registry"
	"github.com/berth-registry/berth/internal/server"
	"github.com/spf13/cobra"
)

func serveCommand() *cobra.Command {
	var cfg config.Config
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the registry",
		Long: `Run the registry: the OCI Distribution API under /v2/ on one port, with blobs on the
local filesystem (or in S3 with --blobs s3://bucket/prefix) and metadata in SQLite
under --data-dir, or in PostgreSQL (--metadata postgres://…) shared by several replicas.

Every flag can also be set with an environment variable (BERTH_ and the flag name in
upper case with '_' for '-', e.g. BERTH_DATA_DIR) or as a key of the YAML file given
with --config (e.g. "data-dir: /var/lib/berth"). Flags win over the environment, the
environment wins over the file, and the file wins over the defaults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Resolve(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("invalid configuration: %w", err)
			}
			return serve(cmd.Context(), &cfg)
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	return cmd
}

func newLogger(cfg *config.Config) *slog.Logger {
	level, _ := cfg.Level()
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func serve(ctx context.Context, cfg *config.Config) error {
	log := newLogger(cfg)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	store, err := openMetadata(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	baseBlobs, blobsLog, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	redirector, err := blobRedirector(cfg, baseBlobs, log)
	if err != nil {
		return err
	}
	if err := checkSharedMasterKey(ctx, cfg, store); err != nil {
		return err
	}
	masterKey, err := iam.LoadMasterKey(cfg.MasterKey, cfg.MasterKeyPath())
	if err != nil {
		return err
	}
	keyService, err := kms.New(store, masterKey, cfg.Region)
	if err != nil {
		return err
	}
	dataKeys, err := encrypt.NewKeys(masterKey, keyService.BlobKeys())
	if err != nil {
		return err
	}
	blobs := encrypt.New(baseBlobs, dataKeys, encrypt.Options{PlaintextAES256: cfg.EncryptionAtRest == "storage"})
	keys, err := iam.NewKeyring(masterKey)
	if err != nil {
		return err
	}
	identities := iam.NewService(store, keys, iam.Options{Region: cfg.Region, MaxSkew: 15 * time.Minute,
		MinSessionDuration: cfg.MinSessionDuration}, log)
	acct, err := identities.Bootstrap(ctx, iam.BootstrapOptions{
		AccountID:           cfg.AccountID,
		RootAccessKeyID:     cfg.RootAccessKeyID,
		RootSecretAccessKey: cfg.RootSecretAccessKey,
		RegistryHost:        cfg.RegistryHost,
		CredentialsFile:     filepath.Join(cfg.DataDir, "root-credentials"),
		Out:                 os.Stderr,
	})
	if err != nil {
		return err
	}
	reg := registry.New(store, blobs, registry.Config{
		CreateOnPush: cfg.CreateOnPush,
		UploadExpiry: cfg.UploadExpiry,
		Encryption: registry.Encryption{Keys: dataKeys, KMS: keyService,
			PlaintextAES256: cfg.EncryptionAtRest == "storage"},
	}, log)
	awsAPI := server.AWSRouter{
		ECR:           ecr.New(reg, identities, store, log),
		Organizations: iamapi.NewOrganizations(identities, log),
		KMS:           kms.NewHandler(keyService, identities, log),
		Query:         iamapi.NewQuery(identities, log),
	}
	v2 := oci.New(reg, identities, log)
	if redirector != nil {
		v2.RedirectBlobs(redirector, blobRedirectTTL)
	}
	srv := server.New(server.Options{
		Addr:            cfg.Addr,
		TLSCert:         cfg.TLSCert,
		TLSKey:          cfg.TLSKey,
		AccessLog:       cfg.AccessLog,
		ShutdownTimeout: cfg.ShutdownTimeout,
	}, log, v2, awsAPI, reg.Ready)
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	dataDir, _ := filepath.Abs(cfg.DataDir)
	log.Info("berth serving", "addr", ln.Addr().String(), "tls", cfg.TLSCert != "", "data_dir", dataDir,
		"metadata", cfg.MetadataBackend(), blobsLog, "encryption_at_rest", cfg.EncryptionAtRest, "create_on_push", cfg.CreateOnPush,
		"account", acct.ID, "region", cfg.Region, "registry_host", acct.RegistryHost)

	if cfg.DebugAddr != "" {
		go serveDebug(ctx, cfg.DebugAddr, log)
	}
	purgeCtx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	go reg.RunUploadPurger(purgeCtx, cfg.UploadPurgeInterval)

	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("berth stopped")
	return nil
}
