package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/berth-registry/berth/internal/blob/s3"
	"github.com/berth-registry/berth/internal/config"
)

// blobRedirectTTL is how long a redirected blob GET's URL is valid: long enough for
// a slow client to start a large layer, as ECR's 20-minute layer URLs are.
const blobRedirectTTL = 20 * time.Minute

// openBlobs opens the blob store --blobs names, and returns it with its description
// for the log (never with secrets).
func openBlobs(ctx context.Context, cfg *config.Config) (blob.Store, slog.Attr, error) {
	loc, isS3, err := cfg.S3()
	if err != nil {
		return nil, slog.Attr{}, err
	}
	if !isS3 {
		dir, err := cfg.BlobsDir()
		if err != nil {
			return nil, slog.Attr{}, err
		}
		store, err := fs.New(dir)
		if err != nil {
			return nil, slog.Attr{}, err
		}
		return store, slog.String("blobs", "filesystem:"+dir), nil
	}
	store, err := s3.New(ctx, s3.Config{
		Bucket:    loc.Bucket,
		Prefix:    loc.Prefix,
		Endpoint:  cfg.S3Endpoint,
		Region:    cfg.S3Region,
		AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey,
		PathStyle: cfg.PathStyle(),
	})
	if err != nil {
		return nil, slog.Attr{}, err
	}
	endpoint := cfg.S3Endpoint
	if endpoint == "" {
		endpoint = "aws"
	}
	credentials := "aws-default-chain"
	if cfg.S3AccessKey != "" {
		credentials = "static"
	}
	return store, slog.Group("blobs", "url", "s3://"+loc.Bucket+"/"+loc.Prefix, "endpoint", endpoint,
		"region", store.Region(), "path_style", cfg.PathStyle(), "credentials", credentials), nil
}

// blobRedirector returns the store as a Redirector if --blob-redirect asks for one.
func blobRedirector(cfg *config.Config, store blob.Store, log *slog.Logger) (blob.Redirector, error) {
	if !cfg.BlobRedirect {
		return nil, nil
	}
	if cfg.EncryptionAtRest != "storage" {
		return nil, fmt.Errorf("blob-redirect sends clients to the blob store, where berth keeps blobs encrypted: " +
			"use it with --encryption-at-rest storage (and the store's own encryption, e.g. S3 SSE)")
	}
	r, ok := store.(blob.Redirector)
	if !ok {
		return nil, fmt.Errorf("blob-redirect needs a blob store clients can fetch from (s3://), not %q", cfg.Blobs)
	}
	log.Info("blob GETs redirect to the blob store", "url_ttl", blobRedirectTTL.String())
	return r, nil
}
