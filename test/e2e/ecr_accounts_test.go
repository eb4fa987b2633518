package e2e

// The default account and its root credentials: generated on first start, printed once and written to
// <data-dir>/root-credentials for the aws CLI, never stored in clear elsewhere; and --registry-host in
// repositoryUri, proxyEndpoint and download URLs.

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

var (
	printedKeyRE    = regexp.MustCompile(`AWS_ACCESS_KEY_ID=(\S+)`)
	printedSecretRE = regexp.MustCompile(`AWS_SECRET_ACCESS_KEY=(\S+)`)
	fileKeyRE       = regexp.MustCompile(`(?m)^\s*aws_access_key_id\s*=\s*(\S+)\s*$`)
	fileSecretRE    = regexp.MustCompile(`(?m)^\s*aws_secret_access_key\s*=\s*(\S+)\s*$`)
)

// ecrFilesContaining lists the files under dir (but skip) whose bytes contain secret.
func ecrFilesContaining(t testing.TB, dir, secret, skip string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == skip {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return found
}

func TestECRFirstStartCredentials(t *testing.T) {
	t.Parallel()
	// The harness passes its own root credentials; empty values leave berth to generate them.
	s := StartServer(t, WithEnv("BERTH_ROOT_ACCESS_KEY_ID=", "BERTH_ROOT_SECRET_ACCESS_KEY="))
	log := s.Log()
	k, sec := printedKeyRE.FindStringSubmatch(log), printedSecretRE.FindStringSubmatch(log)
	if k == nil || sec == nil {
		t.Fatalf("the first start did not print the root credentials:\n%s", log)
	}
	keyID, secret := k[1], sec[1]
	if !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(keyID) {
		t.Errorf("generated access key id %q, want AKIA and 16 upper-case letters or digits", keyID)
	}
	if len(secret) != 40 {
		t.Errorf("generated secret has %d characters, want 40", len(secret))
	}
	if n := strings.Count(log, secret); n != 1 {
		t.Errorf("the secret appears %d times in the server's output, want once", n)
	}
	credFile := filepath.Join(s.DataDir, "root-credentials")

	t.Run("root-credentials", func(t *testing.T) {
		info, err := os.Stat(credFile)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", credFile, info.Mode().Perm())
		}
		b := string(readFile(t, credFile))
		fk, fs := fileKeyRE.FindStringSubmatch(b), fileSecretRE.FindStringSubmatch(b)
		if !strings.Contains(b, "[default]") || fk == nil || fs == nil || fk[1] != keyID || fs[1] != secret {
			t.Errorf("root-credentials is not an AWS credentials file with the printed key:\n%s", b)
		}
	})
	t.Run("the aws CLI uses the file", func(t *testing.T) {
		cli := newAWSCLIEnv(t, []string{"--endpoint-url", s.URL()}, "AWS_SHARED_CREDENTIALS_FILE="+credFile)
		out := cli.obj(t, "describe-registry")
		if out["registryId"] != s.AccountID || !ecrAccountIDRE.MatchString(s.AccountID) {
			t.Errorf("describe-registry with root-credentials: %v, want account %s", out, s.AccountID)
		}
	})
	t.Run("the harness's credentials are not valid here", func(t *testing.T) {
		status, hdr, body := ecrCall(t, s, ecrRequest{op: "DescribeRegistry"})
		wantAWSError(t, "the example root key on a server that generated its own", status, hdr, body, 400, "UnrecognizedClientException")
	})
	t.Run("the secret is nowhere else in the data dir", func(t *testing.T) {
		if found := ecrFilesContaining(t, s.DataDir, secret, credFile); len(found) > 0 {
			t.Errorf("the secret is stored in clear in %v", found)
		}
	})
	t.Run("a restart prints nothing again", func(t *testing.T) {
		before := readFile(t, credFile)
		from := len(s.Log())
		s.Restart(t)
		after := s.Log()[from:]
		if strings.Contains(after, secret) || printedSecretRE.MatchString(after) {
			t.Errorf("the restart printed root credentials again:\n%s", after)
		}
		if !bytes.Equal(readFile(t, credFile), before) {
			t.Errorf("the restart rewrote root-credentials")
		}
		c := ecrSDKWith(t, s, keyID, secret)
		if out, err := c.DescribeRegistry(t.Context(), &ecr.DescribeRegistryInput{}); err != nil || aws.ToString(out.RegistryId) != s.AccountID {
			t.Errorf("the generated credentials after a restart: %v", err)
		}
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if found := ecrFilesContaining(t, s.DataDir, secret, credFile); len(found) > 0 {
			t.Errorf("after a clean stop, the secret is stored in clear in %v", found)
		}
	})
}

// TestECRGivenCredentialsStayOutOfTheDataDir checks the other first start: root credentials from the
// environment are not written to root-credentials, not printed, and not stored in clear.
func TestECRGivenCredentialsStayOutOfTheDataDir(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	if _, err := os.Stat(filepath.Join(s.DataDir, "root-credentials")); err == nil {
		t.Errorf("root-credentials written though the credentials came from the environment")
	}
	if strings.Contains(s.Log(), RootSecretAccessKey) {
		t.Errorf("the server printed the secret it was given")
	}
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": "given/app"}, nil)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if found := ecrFilesContaining(t, s.DataDir, RootSecretAccessKey, ""); len(found) > 0 {
		t.Errorf("the secret is stored in clear in %v", found)
	}
}

func TestECRRegistryHost(t *testing.T) {
	t.Parallel()
	const host = "registry.example.com:5000"
	s := StartServer(t, WithArgs("--registry-host", host))
	cli := newAWSCLI(t, s)
	out := cli.obj(t, "create-repository", "--repository-name", "hosted/app")
	checkRepository(t, "repository", out["repository"], s.AccountID, host, "hosted/app")
	c := ecrSDK(t, s)
	ctx := t.Context()
	repos, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(repos.Repositories) != 1 || aws.ToString(repos.Repositories[0].RepositoryUri) != host+"/hosted/app" {
		t.Errorf("DescribeRepositories: %+v %v, want repositoryUri %s/hosted/app", repos, err, host)
	}
	tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if pe := aws.ToString(tok.AuthorizationData[0].ProxyEndpoint); pe != "https://"+host && pe != "http://"+host {
		t.Errorf("proxyEndpoint %q, want %s", pe, host)
	}
	img := newECRImage(t, "hosted", 1000)
	sdkUploadLayer(t, c, "hosted/app", img.config, 1<<20)
	sdkUploadLayer(t, c, "hosted/app", img.layers[0], 1<<20)
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("hosted/app"), ImageManifest: aws.String(string(img.manifest)), ImageTag: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	dl, err := c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String("hosted/app"), LayerDigest: aws.String(sha256Digest(img.layers[0]))})
	if err != nil || !strings.Contains(aws.ToString(dl.DownloadUrl), "://"+host+"/") {
		t.Errorf("downloadUrl %q (%v), want it on %s", aws.ToString(dl.DownloadUrl), err, host)
	}
	// A client that reaches berth under the configured name is served as the registry of that host.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/v2/hosted/app/tags/list", nil)
	req.Host = host
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := `Basic realm="http://` + host + `/",service="ecr.amazonaws.com"`; resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("GET /v2 as %s without credentials: %d %q, want 401 %q", host, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
}
