// Package config holds berth's typed configuration and resolves it from four sources,
// in order of precedence: command-line flags, BERTH_* environment variables, a YAML
// file (--config), and built-in defaults.
//
// Every setting has one name, used in all three places: flag --upload-expiry,
// variable BERTH_UPLOAD_EXPIRY, file key upload-expiry (or upload_expiry).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Config is the configuration of `berth serve`.
type Config struct {
	ConfigFile          string
	Addr                string
	DataDir             string
	Metadata            string
	Blobs               string
	TLSCert             string
	TLSKey              string
	CreateOnPush        bool
	UploadExpiry        time.Duration
	UploadPurgeInterval time.Duration
	LogLevel            string
	LogFormat           string
	AccessLog           bool
	ShutdownTimeout     time.Duration
	Region              string
	RegistryHost        string
	AccountID           string
	RootAccessKeyID     string
	RootSecretAccessKey string
	MasterKey           string
	MasterKeyFile       string
	DebugAddr           string
	MinSessionDuration  time.Duration
	S3Endpoint          string
	S3Region            string
	S3AccessKey         string
	S3SecretKey         string
	S3PathStyle         autoBool
	BlobRedirect        bool
	EncryptionAtRest    string
}

// RegisterFlags adds every setting to fs as a flag with its default, bound to c.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.ConfigFile, "config", "", "YAML configuration file; its keys are the flag names")
	fs.StringVar(&c.Addr, "addr", "0.0.0.0:5000", "address to listen on (host:port; port 0 picks a free port)")
	fs.StringVar(&c.DataDir, "data-dir", "./berth-data", "directory for blobs, upload data and the SQLite database")
	fs.StringVar(&c.Metadata, "metadata", "sqlite", `metadata store: "sqlite" (<data-dir>/metadata.db), "sqlite:<path>", or a PostgreSQL URL "postgres://user:password@host:port/db?sslmode=…" (also postgresql://) that every replica shares`)
	fs.StringVar(&c.Blobs, "blobs", "filesystem", `blob store: "filesystem" (<data-dir>), "filesystem:<dir>" or "s3://<bucket>[/<prefix>]"`)
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate file (PEM); serves HTTPS when set with --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&c.CreateOnPush, "create-on-push", true, "create a repository on its first push; when false, pushing to a missing repository fails with NAME_UNKNOWN")
	fs.DurationVar(&c.UploadExpiry, "upload-expiry", 24*time.Hour, "remove upload sessions idle for this long, with their data")
	fs.DurationVar(&c.UploadPurgeInterval, "upload-purge-interval", 10*time.Minute, "how often to look for expired uploads")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&c.AccessLog, "access-log", true, "log one line per request")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	fs.StringVar(&c.Region, "region", "us-east-1", "AWS region berth presents itself as (ARNs, SigV4 credential scope)")
	fs.StringVar(&c.RegistryHost, "registry-host", "", `host (and port) clients use for the default account's registry, in repositoryUri and proxyEndpoint; "" means the host each client used`)
	fs.StringVar(&c.AccountID, "account-id", "", "12-digit id of the default account, created on first start (default: random)")
	fs.StringVar(&c.RootAccessKeyID, "root-access-key-id", "", "access key id of the default account's root, used on first start only (default: generated, printed once and written to <data-dir>/root-credentials)")
	fs.StringVar(&c.RootSecretAccessKey, "root-secret-access-key", "", "secret of --root-access-key-id; prefer BERTH_ROOT_SECRET_ACCESS_KEY to a flag")
	fs.StringVar(&c.MasterKey, "master-key", "", "base64 of the 32-byte key that seals secrets; prefer BERTH_MASTER_KEY to a flag (default: read from, or created in, --master-key-file)")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "address of a separate listener for Go profiling (/debug/pprof/); off when empty — never expose it")
	fs.DurationVar(&c.MinSessionDuration, "min-session-duration", 15*time.Minute, "shortest temporary credentials STS AssumeRole grants (AWS: 15m); lower it only to test expiry")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", "", "URL of an S3-compatible server for s3:// blobs, e.g. http://minio:9000 (default: AWS S3)")
	fs.StringVar(&c.S3Region, "s3-region", "", "region of the s3:// bucket (default: AWS_REGION or the AWS config, then us-east-1)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", "", "access key id for s3:// blobs (default: the AWS credential chain: environment, shared files, web identity, instance role)")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", "", "secret of --s3-access-key; prefer BERTH_S3_SECRET_KEY to a flag")
	fs.Var(&c.S3PathStyle, "s3-path-style", "address the bucket as http://host/bucket/ rather than http://bucket.host/ (default: true when --s3-endpoint is set)")
	fs.Lookup("s3-path-style").NoOptDefVal = "true"
	fs.BoolVar(&c.BlobRedirect, "blob-redirect", false, "answer blob GETs on /v2/ with a 307 to a presigned S3 URL valid 20 minutes, as ECR does (s3:// blobs only)")
	fs.StringVar(&c.EncryptionAtRest, "encryption-at-rest", "berth", `who encrypts AES256 repositories at rest: "berth" (berth encrypts every blob and manifest) or "storage" (trust the storage's own encryption, e.g. S3 SSE or an encrypted disk: AES256 blobs are stored as they are; KMS repositories are still encrypted by berth)`)
	fs.StringVar(&c.MasterKeyFile, "master-key-file", "", "file of the master key (default <data-dir>/master.key); every replica needs the same key")
}

// EnvName is the environment variable that sets the flag called name.
func EnvName(name string) string {
	return "BERTH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Resolve sets each flag that the command line left alone from its environment
// variable or, failing that, from the configuration file.
func Resolve(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) error {
	setFromEnv := func(f *pflag.Flag) error {
		v, ok := lookupEnv(EnvName(f.Name))
		if !ok || f.Changed {
			return nil
		}
		if err := fs.Set(f.Name, v); err != nil {
			return fmt.Errorf("environment variable %s=%q: %w", EnvName(f.Name), v, err)
		}
		return nil
	}
	var errs []error
	if f := fs.Lookup("config"); f != nil {
		errs = append(errs, setFromEnv(f))
	}
	fileValues := map[string]string{}
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		var err error
		if fileValues, err = readFile(f.Value.String(), fs); err != nil {
			return err
		}
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "config" || f.Changed {
			return
		}
		if _, ok := lookupEnv(EnvName(f.Name)); ok {
			errs = append(errs, setFromEnv(f))
			return
		}
		if v, ok := fileValues[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("config file key %s=%q: %w", f.Name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// readFile reads a flat YAML mapping of setting names to values.
func readFile(path string, fs *pflag.FlagSet) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse config file %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for key, v := range raw {
		name := strings.ReplaceAll(key, "_", "-")
		if name == "config" || fs.Lookup(name) == nil {
			return nil, fmt.Errorf("config file %s: unknown setting %q; valid settings: %s", path, key, strings.Join(settingNames(fs), ", "))
		}
		switch v := v.(type) {
		case nil:
			out[name] = ""
		case map[string]any, []any:
			return nil, fmt.Errorf("config file %s: setting %q must be a single value", path, key)
		default:
			out[name] = fmt.Sprint(v)
		}
	}
	return out, nil
}

func settingNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Name != "help" {
			names = append(names, f.Name)
		}
	})
	slices.Sort(names)
	return names
}

// Validate checks the configuration as a whole.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir must not be empty"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key must be set together"))
	}
	if c.MetadataURL() != "" {
		if _, err := url.Parse(c.Metadata); err != nil {
			errs = append(errs, fmt.Errorf("metadata: bad PostgreSQL URL: %w", err))
		}
	} else if _, err := c.MetadataPath(); err != nil {
		errs = append(errs, err)
	}
	if _, isS3, err := c.S3(); err != nil {
		errs = append(errs, err)
	} else if !isS3 {
		if _, err := c.BlobsDir(); err != nil {
			errs = append(errs, err)
		}
	}
	if u, err := url.Parse(c.S3Endpoint); c.S3Endpoint != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("s3-endpoint %q: want a URL such as http://minio:9000", c.S3Endpoint))
	}
	if (c.S3AccessKey == "") != (c.S3SecretKey == "") {
		errs = append(errs, errors.New("s3-access-key and s3-secret-key must be set together"))
	}
	if c.UploadExpiry <= 0 {
		errs = append(errs, fmt.Errorf("upload-expiry must be positive, not %s", c.UploadExpiry))
	}
	if c.UploadPurgeInterval <= 0 {
		errs = append(errs, fmt.Errorf("upload-purge-interval must be positive, not %s", c.UploadPurgeInterval))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown-timeout must not be negative, not %s", c.ShutdownTimeout))
	}
	if _, err := c.Level(); err != nil {
		errs = append(errs, err)
	}
	if !regionPattern.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("region %q: want a region name such as us-east-1", c.Region))
	}
	if c.AccountID != "" && !accountIDPattern.MatchString(c.AccountID) {
		errs = append(errs, fmt.Errorf("account-id %q: want 12 digits", c.AccountID))
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		errs = append(errs, errors.New("root-access-key-id and root-secret-access-key must be set together"))
	}
	if c.MinSessionDuration < time.Second || c.MinSessionDuration > time.Hour {
		errs = append(errs, fmt.Errorf("min-session-duration must be between 1s and 1h, not %s", c.MinSessionDuration))
	}
	if c.EncryptionAtRest != "berth" && c.EncryptionAtRest != "storage" {
		errs = append(errs, fmt.Errorf("encryption-at-rest %q: use berth or storage", c.EncryptionAtRest))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: use text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

var (
	regionPattern    = regexp.MustCompile(`^[a-z0-9-]{2,25}$`)
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// MasterKeyPath is the file of the master key.
func (c *Config) MasterKeyPath() string {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile
	}
	return filepath.Join(c.DataDir, "master.key")
}

// MetadataPath is the SQLite database file.
func (c *Config) MetadataPath() (string, error) {
	switch {
	case c.Metadata == "sqlite":
		return filepath.Join(c.DataDir, "metadata.db"), nil
	case strings.HasPrefix(c.Metadata, "sqlite:") && len(c.Metadata) > len("sqlite:"):
		return strings.TrimPrefix(c.Metadata, "sqlite:"), nil
	}
	return "", fmt.Errorf(`metadata %q: use "sqlite", "sqlite:<path>" or a postgres:// URL`, c.Metadata)
}

// MetadataURL is the URL of the PostgreSQL metadata store (postgres://… or
// postgresql://…), or "" when the store is SQLite.
func (c *Config) MetadataURL() string {
	if strings.HasPrefix(c.Metadata, "postgres://") || strings.HasPrefix(c.Metadata, "postgresql://") {
		return c.Metadata
	}
	return ""
}

// MetadataBackend describes the metadata store for logs, without a password:
// sqlite:<path> or the PostgreSQL URL with its password redacted.
func (c *Config) MetadataBackend() string {
	if u := c.MetadataURL(); u != "" {
		parsed, err := url.Parse(u)
		if err != nil {
			return "postgres (unparsable URL)"
		}
		return parsed.Redacted()
	}
	p, err := c.MetadataPath()
	if err != nil {
		return c.Metadata
	}
	return "sqlite:" + p
}

// BlobsDir is the directory of the filesystem blob store.
func (c *Config) BlobsDir() (string, error) {
	switch {
	case c.Blobs == "filesystem":
		return c.DataDir, nil
	case strings.HasPrefix(c.Blobs, "filesystem:") && len(c.Blobs) > len("filesystem:"):
		return strings.TrimPrefix(c.Blobs, "filesystem:"), nil
	}
	return "", fmt.Errorf(`blobs %q: use "filesystem", "filesystem:<dir>" or "s3://<bucket>[/<prefix>]"`, c.Blobs)
}

// S3Blobs is the bucket and key prefix of --blobs s3://<bucket>[/<prefix>].
type S3Blobs struct {
	Bucket string
	Prefix string
}

// S3 returns where blobs are in S3, and false if they are not.
func (c *Config) S3() (S3Blobs, bool, error) {
	rest, ok := strings.CutPrefix(c.Blobs, "s3://")
	if !ok {
		return S3Blobs{}, false, nil
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return S3Blobs{}, true, fmt.Errorf("blobs %q: no bucket; use s3://<bucket>[/<prefix>]", c.Blobs)
	}
	return S3Blobs{Bucket: bucket, Prefix: strings.Trim(prefix, "/")}, true, nil
}

// PathStyle reports whether to address the S3 bucket as a path: as set, or when
// an endpoint is set (S3-compatible servers rarely have per-bucket host names).
func (c *Config) PathStyle() bool {
	if c.S3PathStyle.set {
		return c.S3PathStyle.v
	}
	return c.S3Endpoint != ""
}

// autoBool is a boolean flag whose default depends on other settings.
type autoBool struct{ set, v bool }

func (b *autoBool) String() string {
	if !b.set {
		return ""
	}
	return strconv.FormatBool(b.v)
}

func (b *autoBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set, b.v = true, v
	return nil
}

func (b *autoBool) Type() string { return "bool" }

// Level is the parsed log level.
func (c *Config) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}
