package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func resolve(t *testing.T, args []string, env map[string]string, file string) (*Config, error) {
	t.Helper()
	var c Config
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	if file != "" {
		path := filepath.Join(t.TempDir(), "berth.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := Resolve(fs, lookup); err != nil {
		return nil, err
	}
	return &c, c.Validate()
}

func TestPrecedence(t *testing.T) {
	file := "addr: 127.0.0.1:7001\ndata-dir: /from/file\nupload_expiry: 3h\ncreate-on-push: false\nlog-level: warn\n"
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		file     string
		wantAddr string
		wantDir  string
	}{
		{"defaults", nil, nil, "", "0.0.0.0:5000", "./berth-data"},
		{"file over default", nil, nil, file, "127.0.0.1:7001", "/from/file"},
		{"env over file", nil, map[string]string{"BERTH_ADDR": "127.0.0.1:7002"}, file, "127.0.0.1:7002", "/from/file"},
		{"flag over env", []string{"--addr", "127.0.0.1:7003"}, map[string]string{"BERTH_ADDR": "127.0.0.1:7002"}, file, "127.0.0.1:7003", "/from/file"},
		{"flag over default", []string{"--data-dir", "/from/flag"}, nil, "", "0.0.0.0:5000", "/from/flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(t, tt.args, tt.env, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if c.Addr != tt.wantAddr || c.DataDir != tt.wantDir {
				t.Errorf("addr %q data-dir %q, want %q %q", c.Addr, c.DataDir, tt.wantAddr, tt.wantDir)
			}
			if tt.file != "" && (c.UploadExpiry != 3*time.Hour || c.CreateOnPush || c.LogLevel != "warn") {
				t.Errorf("file settings not applied: %+v", c)
			}
		})
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.yaml")
	os.WriteFile(path, []byte("data-dir: /via/env/file\n"), 0o600)
	c, err := resolve(t, nil, map[string]string{"BERTH_CONFIG": path}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/via/env/file" {
		t.Errorf("data-dir %q, want the one from the file named by BERTH_CONFIG", c.DataDir)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		wantErr string
	}{
		{"unknown file key", nil, nil, "adr: x\n", `unknown setting "adr"`},
		{"nested file value", nil, nil, "addr: {a: b}\n", "single value"},
		{"bad YAML", nil, nil, "addr: [\n", "parse config file"},
		{"bad env bool", nil, map[string]string{"BERTH_CREATE_ON_PUSH": "maybe"}, "", "BERTH_CREATE_ON_PUSH"},
		{"bad file duration", nil, nil, "upload-expiry: soon\n", "upload-expiry"},
		{"addr without port", []string{"--addr", "localhost"}, nil, "", "addr"},
		{"tls cert without key", []string{"--tls-cert", "c.pem"}, nil, "", "tls-cert and tls-key"},
		{"zero expiry", []string{"--upload-expiry", "0s"}, nil, "", "upload-expiry must be positive"},
		{"bad log level", []string{"--log-level", "loud"}, nil, "", "log-level"},
		{"bad metadata", []string{"--metadata", "mysql://x"}, nil, "", "metadata"},
		{"bad postgres URL", []string{"--metadata", "postgres://u:p@host:port-is-not-a-number/db"}, nil, "", "bad PostgreSQL URL"},
		{"bad blobs", []string{"--blobs", "ftp://x"}, nil, "", "blobs"},
		{"s3 without bucket", []string{"--blobs", "s3://"}, nil, "", "no bucket"},
		{"s3 key without secret", []string{"--blobs", "s3://b", "--s3-access-key", "AKIA"}, nil, "", "s3-access-key and s3-secret-key"},
		{"s3 endpoint without scheme", []string{"--blobs", "s3://b", "--s3-endpoint", "minio:9000"}, nil, "", "s3-endpoint"},
		{"bad s3 path style", nil, map[string]string{"BERTH_S3_PATH_STYLE": "sometimes"}, "", "BERTH_S3_PATH_STYLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, tt.args, tt.env, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("upload-purge-interval"); got != "BERTH_UPLOAD_PURGE_INTERVAL" {
		t.Errorf("EnvName = %q", got)
	}
}

func TestS3Blobs(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		file      string
		want      S3Blobs
		pathStyle bool
	}{
		{"bucket only on AWS", []string{"--blobs", "s3://layers"}, nil, "", S3Blobs{Bucket: "layers"}, false},
		{"prefix and endpoint", []string{"--blobs", "s3://layers/berth/prod/", "--s3-endpoint", "http://minio:9000"}, nil, "",
			S3Blobs{Bucket: "layers", Prefix: "berth/prod"}, true},
		{"virtual hosts on an endpoint", []string{"--blobs", "s3://b", "--s3-endpoint", "http://s3.example", "--s3-path-style=false"}, nil, "",
			S3Blobs{Bucket: "b"}, false},
		{"path style on AWS", []string{"--blobs", "s3://b", "--s3-path-style"}, nil, "", S3Blobs{Bucket: "b"}, true},
		{"environment", nil, map[string]string{"BERTH_BLOBS": "s3://env/p", "BERTH_S3_ENDPOINT": "http://e",
			"BERTH_S3_ACCESS_KEY": "AK", "BERTH_S3_SECRET_KEY": "SK", "BERTH_S3_REGION": "eu-west-1", "BERTH_BLOB_REDIRECT": "true"}, "",
			S3Blobs{Bucket: "env", Prefix: "p"}, true},
		{"file", nil, nil, "blobs: s3://file\ns3-endpoint: http://e\ns3_path_style: false\ns3-access-key: AK\ns3-secret-key: SK\ns3-region: eu-west-1\nblob-redirect: true\n",
			S3Blobs{Bucket: "file"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(t, tt.args, tt.env, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := c.S3()
			if err != nil || !ok || got != tt.want {
				t.Errorf("S3() = %+v, %v, %v; want %+v", got, ok, err, tt.want)
			}
			if c.PathStyle() != tt.pathStyle {
				t.Errorf("PathStyle() = %v, want %v", c.PathStyle(), tt.pathStyle)
			}
			if tt.env != nil || tt.file != "" {
				if c.S3AccessKey != "AK" || c.S3SecretKey != "SK" || c.S3Region != "eu-west-1" || c.S3Endpoint != "http://e" || !c.BlobRedirect {
					t.Errorf("S3 settings not applied: %+v", c)
				}
			}
		})
	}
	c, err := resolve(t, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.S3(); ok || c.BlobRedirect {
		t.Errorf("by default blobs are in S3 (%v) or redirected (%v)", ok, c.BlobRedirect)
	}
}

func TestMetadataBackend(t *testing.T) {
	tests := []struct {
		metadata    string
		wantURL     string
		wantBackend string
	}{
		{"sqlite", "", "sqlite:/data/metadata.db"},
		{"sqlite:/elsewhere/meta.db", "", "sqlite:/elsewhere/meta.db"},
		{"postgres://berth:s3cret@db:5432/berth?sslmode=require", "postgres://berth:s3cret@db:5432/berth?sslmode=require",
			"postgres://berth:xxxxx@db:5432/berth?sslmode=require"},
		{"postgresql://db/berth", "postgresql://db/berth", "postgresql://db/berth"},
	}
	for _, tt := range tests {
		c, err := resolve(t, []string{"--metadata", tt.metadata, "--data-dir", "/data"}, nil, "")
		if err != nil {
			t.Errorf("--metadata %s: %v", tt.metadata, err)
			continue
		}
		if got := c.MetadataURL(); got != tt.wantURL {
			t.Errorf("--metadata %s: MetadataURL = %q, want %q", tt.metadata, got, tt.wantURL)
		}
		if got := c.MetadataBackend(); got != tt.wantBackend {
			t.Errorf("--metadata %s: MetadataBackend = %q, want %q", tt.metadata, got, tt.wantBackend)
		}
	}
}
