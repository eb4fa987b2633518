package e2e

// Helpers of the ECR API tests (ecr_*_test.go): the real aws CLI with a private configuration, the
// aws-sdk-go-v2 ECR client, raw SigV4-signed calls for what the clients validate before sending, a
// /v2 client that logs in as ECR does (Basic AWS:<password>), image fixtures, and checks of response
// shapes against the ECR model (ecr-api.md, Appendix A).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/berth-registry/berth/internal/awsproto"
)

const ecrTargetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// ---------------------------------------------------------------------------------------------------
// The aws CLI

// awsCLI runs the real aws CLI (v1, preinstalled) against one berth, with a private HOME and config
// files so that ~/.aws is never read, and the harness's root credentials in the environment.
type awsCLI struct {
	dir string
	env []string
	// args go before the service name: --endpoint-url URL, or nothing when the environment names the
	// endpoint (AWS_ENDPOINT_URL_ECR).
	global []string
}

// newAWSCLI returns a CLI that reaches s with --endpoint-url.
func newAWSCLI(t testing.TB, s *Server) *awsCLI {
	t.Helper()
	return newAWSCLIEnv(t, []string{"--endpoint-url", s.URL()},
		"AWS_ACCESS_KEY_ID="+RootAccessKeyID, "AWS_SECRET_ACCESS_KEY="+RootSecretAccessKey)
}

// newAWSCLIEnv returns a CLI with extra global arguments and environment (credentials among them).
func newAWSCLIEnv(t testing.TB, global []string, env ...string) *awsCLI {
	t.Helper()
	tool(t, "aws")
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		writeFile(t, filepath.Join(dir, f), nil)
	}
	a := &awsCLI{dir: dir, global: global}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "BOTO_") {
			a.env = append(a.env, kv)
		}
	}
	a.env = append(a.env,
		"HOME="+dir,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_DEFAULT_REGION="+Region,
		"AWS_EC2_METADATA_DISABLED=true",
		// One attempt: a server error must show as what it is, not as four slow retries.
		"AWS_MAX_ATTEMPTS=1",
	)
	a.env = append(a.env, env...)
	return a
}

type cliResult struct {
	stdout, stderr string
	err            error
	cmdline        string
}

func (r cliResult) String() string {
	return fmt.Sprintf("$ %s\nerror: %v\n--- stdout ---\n%s\n--- stderr ---\n%s", r.cmdline, r.err,
		lastLines(r.stdout, 40), lastLines(r.stderr, 40))
}

// exec runs `aws <global> ecr <args> --output json`.
func (a *awsCLI) exec(t testing.TB, args ...string) cliResult {
	t.Helper()
	full := append(slices.Clone(a.global), "--output", "json", "ecr")
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", full...)
	cmd.Env = a.env
	cmd.Dir = a.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err, cmdline: "aws " + strings.Join(full, " ")}
	t.Logf("$ %s  (%s, %v)", ecrShorten(r.cmdline), time.Since(start).Round(time.Millisecond), exitString(err))
	return r
}

func ecrShorten(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// ok runs an ECR command that must succeed and decodes its JSON output into v (unless v is nil).
func (a *awsCLI) ok(t testing.TB, v any, args ...string) {
	t.Helper()
	r := a.exec(t, args...)
	if r.err != nil {
		t.Fatalf("aws CLI failed:\n%s", r)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("aws CLI output is not JSON: %v\n%s", err, r)
	}
}

// obj runs an ECR command that must succeed and returns its output as a JSON object.
func (a *awsCLI) obj(t testing.TB, args ...string) map[string]any {
	t.Helper()
	var out map[string]any
	a.ok(t, &out, args...)
	return out
}

// fails runs an ECR command that must fail with an AWS error, printed by the CLI as
// "An error occurred (<exception>) when calling the <op> operation: <message>"; it returns the message.
func (a *awsCLI) fails(t testing.TB, exception, op string, args ...string) string {
	t.Helper()
	r := a.exec(t, args...)
	if r.err == nil {
		t.Fatalf("aws CLI succeeded, want %s:\n%s", exception, r)
	}
	prefix := fmt.Sprintf("An error occurred (%s) when calling the %s operation: ", exception, op)
	for _, line := range strings.Split(r.stderr, "\n") {
		if msg, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s has an empty message:\n%s", exception, r)
			}
			return msg
		}
	}
	t.Fatalf("aws CLI error output lacks %q:\n%s", prefix, r)
	return ""
}

// ---------------------------------------------------------------------------------------------------
// aws-sdk-go-v2

// ecrSDK returns an aws-sdk-go-v2 ECR client for s: static root credentials, BaseEndpoint, no shared
// configuration files, one attempt per call.
func ecrSDK(t testing.TB, s *Server) *ecr.Client {
	t.Helper()
	return ecrSDKWith(t, s, RootAccessKeyID, RootSecretAccessKey)
}

func ecrSDKWith(t testing.TB, s *Server, keyID, secret string) *ecr.Client {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(t.Context(),
		awsconfig.WithRegion(Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, "")),
		awsconfig.WithSharedConfigFiles([]string{}),
		awsconfig.WithSharedCredentialsFiles([]string{}),
		awsconfig.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatalf("load AWS SDK config: %v", err)
	}
	return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

// ---------------------------------------------------------------------------------------------------
// Raw signed calls

// ecrRequest is one raw ECR API call; zero fields take the values a well-behaved client sends.
type ecrRequest struct {
	op          string
	body        []byte  // nil: {}
	target      *string // nil: AmazonEC2ContainerRegistry_V20150921.<op>
	contentType string  // "": application/x-amz-json-1.1
	keyID       string  // "": the root's
	secret      string  // "": the root's
	service     string  // "": ecr
	region      string  // "": us-east-1
	at          time.Time
	unsigned    bool
	afterSign   func(*http.Request) // changes the request once signed
}

// ecrCall sends a raw ECR call and returns the status, headers and body.
func ecrCall(t testing.TB, s *Server, r ecrRequest) (int, http.Header, []byte) {
	t.Helper()
	body := r.body
	if body == nil {
		body = []byte("{}")
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ct := r.contentType
	if ct == "" {
		ct = awsproto.ContentTypeJSON11
	}
	req.Header.Set("Content-Type", ct)
	target := ecrTargetPrefix + r.op
	if r.target != nil {
		target = *r.target
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if !r.unsigned {
		keyID, secret, service, region, at := r.keyID, r.secret, r.service, r.region, r.at
		if keyID == "" {
			keyID = RootAccessKeyID
		}
		if secret == "" {
			secret = RootSecretAccessKey
		}
		if service == "" {
			service = "ecr"
		}
		if region == "" {
			region = Region
		}
		if at.IsZero() {
			at = time.Now()
		}
		if err := awsproto.Sign(req, body, keyID, secret, region, service, at); err != nil {
			t.Fatal(err)
		}
	}
	if r.afterSign != nil {
		r.afterSign(req)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("ECR %s: %v", r.op, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("ECR %s: read body: %v", r.op, err)
	}
	return resp.StatusCode, resp.Header, out
}

// ecrJSON calls op with input (signed by the root) and decodes a 200 answer into out (unless nil).
func ecrJSON(t testing.TB, s *Server, op string, input, out any) {
	t.Helper()
	status, body := s.ECR(t, op, input)
	if status != http.StatusOK {
		t.Fatalf("ECR %s: %d %s", op, status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("ECR %s: %v in %s", op, err, body)
		}
	}
}

// ecrErrorBody is the body of an AWS JSON error.
type ecrErrorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// wantAWSError checks an AWS JSON error: status, __type and X-Amzn-ErrorType, and a message that
// contains every one of want (case-insensitively). It returns the message.
func wantAWSError(t testing.TB, what string, status int, hdr http.Header, body []byte, wantStatus int, wantType string, want ...string) string {
	t.Helper()
	var e ecrErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: body is not an AWS JSON error (%v): %d %s", what, err, status, body)
		return ""
	}
	if status != wantStatus || e.Type != wantType {
		t.Errorf("%s: %d %s, want %d %s", what, status, body, wantStatus, wantType)
	}
	if hdr != nil {
		if got := hdr.Get("X-Amzn-Errortype"); got != "" && got != wantType {
			t.Errorf("%s: X-Amzn-ErrorType %q, want %q", what, got, wantType)
		}
		if ct := hdr.Get("Content-Type"); ct != awsproto.ContentTypeJSON11 {
			t.Errorf("%s: Content-Type %q, want %q", what, ct, awsproto.ContentTypeJSON11)
		}
	}
	if strings.TrimSpace(e.Message) == "" {
		t.Errorf("%s: empty message: %s", what, body)
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(e.Message), strings.ToLower(w)) {
			t.Errorf("%s: message %q does not mention %q", what, e.Message, w)
		}
	}
	return e.Message
}

// ---------------------------------------------------------------------------------------------------
// /v2 with ECR credentials

// ecrV2Client speaks the registry API as docker does after `docker login -u AWS`.
type ecrV2Client struct {
	base     string
	password string // "" sends no credentials
	http     *http.Client
}

func newECRV2Client(s *Server, password string) *ecrV2Client {
	return &ecrV2Client{base: s.URL(), password: password, http: s.Client()}
}

func (v *ecrV2Client) do(t testing.TB, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = v.base + path
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if v.password != "" {
		req.SetBasicAuth("AWS", v.password)
	}
	resp, err := v.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// pushBlob uploads a blob in one POST and returns its digest.
func (v *ecrV2Client) pushBlob(t testing.TB, repo string, data []byte) string {
	t.Helper()
	d := sha256Digest(data)
	resp, body := v.do(t, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+d, data,
		"Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push blob %s to %s: %d %s", d, repo, resp.StatusCode, body)
	}
	return d
}

// putManifest PUTs a manifest and returns the response.
func (v *ecrV2Client) putManifest(t testing.TB, repo, ref, mediaType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	return v.do(t, http.MethodPut, "/v2/"+repo+"/manifests/"+ref, body, "Content-Type", mediaType)
}

// ---------------------------------------------------------------------------------------------------
// Image fixtures

// ecrImage is an OCI image made of random layers, to push through the ECR API or /v2.
type ecrImage struct {
	config    []byte
	layers    [][]byte
	manifest  []byte
	digest    string
	layerSize int64 // the sum of the layer sizes
}

// newECRImage builds an image whose config carries label (so two labels make two images) with one
// random layer per size.
func newECRImage(t testing.TB, label string, sizes ...int) *ecrImage {
	t.Helper()
	img := &ecrImage{}
	cfg := map[string]any{"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Labels": map[string]string{"e2e": label}}, "rootfs": map[string]any{"type": "layers"}}
	img.config, _ = json.Marshal(cfg)
	m := manifest{SchemaVersion: 2, MediaType: mtOCIManifest,
		Config: &descriptor{MediaType: mtOCIConfig, Digest: sha256Digest(img.config), Size: int64(len(img.config))}}
	for _, n := range sizes {
		l := randomBytes(n)
		img.layers = append(img.layers, l)
		img.layerSize += int64(n)
		m.Layers = append(m.Layers, descriptor{MediaType: mtOCILayerGzip, Digest: sha256Digest(l), Size: int64(n)})
	}
	img.manifest, _ = json.Marshal(m)
	img.digest = sha256Digest(img.manifest)
	return img
}

// variant is another manifest over the same blobs (an annotation differs), hence another image.
func (img *ecrImage) variant(t testing.TB, annotation string) *ecrImage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(img.manifest, &m); err != nil {
		t.Fatal(err)
	}
	m["annotations"] = map[string]string{"e2e.variant": annotation}
	v := *img
	v.manifest, _ = json.Marshal(m)
	v.digest = sha256Digest(v.manifest)
	return &v
}

// pushBlobs uploads the image's config and layers through /v2.
func (img *ecrImage) pushBlobs(t testing.TB, v *ecrV2Client, repo string) {
	t.Helper()
	v.pushBlob(t, repo, img.config)
	for _, l := range img.layers {
		v.pushBlob(t, repo, l)
	}
}

// ---------------------------------------------------------------------------------------------------
// Shapes of the ECR model

var (
	ecrAccountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	ecrDigestRE    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	ecrUploadIDRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// Members of the model's structures (Appendix A of ecr-api.md) and of the operations' outputs.
var (
	repositoryMembers  = []string{"repositoryArn", "registryId", "repositoryName", "repositoryUri", "createdAt", "imageTagMutability", "imageTagMutabilityExclusionFilters", "imageScanningConfiguration", "encryptionConfiguration"}
	imageDetailMembers = []string{"registryId", "repositoryName", "imageDigest", "imageTags", "imageSizeInBytes", "imagePushedAt", "imageScanStatus", "imageScanFindingsSummary", "imageManifestMediaType", "artifactMediaType", "lastRecordedPullTime", "subjectManifestDigest", "imageStatus", "lastArchivedAt", "lastActivatedAt"}
	imageMembers       = []string{"registryId", "repositoryName", "imageId", "imageManifest", "imageManifestMediaType"}
	authDataMembers    = []string{"authorizationToken", "expiresAt", "proxyEndpoint"}
	layerMembers       = []string{"layerDigest", "layerAvailability", "layerSize", "mediaType"}
	imageFailureMembrs = []string{"imageId", "failureCode", "failureReason"}
	layerFailureMembrs = []string{"layerDigest", "failureCode", "failureReason"}
	referrerMembers    = []string{"digest", "mediaType", "artifactType", "size", "annotations", "artifactStatus"}
	imageFailureCodes  = []string{"InvalidImageDigest", "InvalidImageTag", "ImageTagDoesNotMatchDigest", "ImageNotFound", "MissingDigestAndTag", "ImageReferencedByManifestList", "KmsError", "UpstreamAccessDenied", "UpstreamTooManyRequests", "UpstreamUnavailable", "ImageInaccessible"}
)

// checkMembers checks that obj has every member of required and none outside allowed.
func checkMembers(t testing.TB, what string, obj map[string]any, allowed, required []string) {
	t.Helper()
	for k := range obj {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: member %q is not in the model (members: %v)", what, k, allowed)
		}
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s: member %q missing in %v", what, k, slices.Sorted(maps.Keys(obj)))
		}
	}
}

// asObj, asList, asString and asNumber read a JSON value of the expected type or fail the test.
func asObj(t testing.TB, what string, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %T %v, want a JSON object", what, v, v)
	}
	return m
}

func asList(t testing.TB, what string, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: %T %v, want a JSON list", what, v, v)
	}
	return l
}

func asString(t testing.TB, what string, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s: %T %v, want a JSON string", what, v, v)
	}
	return s
}

func asNumber(t testing.TB, what string, v any) float64 {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%s: %T %v, want a JSON number", what, v, v)
	}
	return n
}

// asTime reads a timestamp, which ECR sends as epoch seconds (a JSON number), and checks it is near.
func asTime(t testing.TB, what string, v any, near time.Time, within time.Duration) time.Time {
	t.Helper()
	n := asNumber(t, what, v)
	tm := time.UnixMilli(int64(n * 1000))
	if d := tm.Sub(near); d < -within || d > within {
		t.Errorf("%s: %s (%v), want within %s of %s", what, tm.UTC().Format(time.RFC3339), n, within, near.UTC().Format(time.RFC3339))
	}
	return tm
}

// checkRepository compares a Repository with the model: every member and its format (the ARN, the
// 12-digit registry id, repositoryUri = host/name, createdAt a number near now, the enums).
func checkRepository(t testing.TB, what string, v any, accountID, host, name string) map[string]any {
	t.Helper()
	r := asObj(t, what, v)
	checkMembers(t, what, r, repositoryMembers,
		[]string{"repositoryArn", "registryId", "repositoryName", "repositoryUri", "createdAt", "imageTagMutability", "imageScanningConfiguration", "encryptionConfiguration"})
	if id := asString(t, what+".registryId", r["registryId"]); id != accountID || !ecrAccountIDRE.MatchString(id) {
		t.Errorf("%s.registryId %q, want the 12-digit account id %q", what, id, accountID)
	}
	if got, want := asString(t, what+".repositoryArn", r["repositoryArn"]), "arn:aws:ecr:"+Region+":"+accountID+":repository/"+name; got != want {
		t.Errorf("%s.repositoryArn %q, want %q", what, got, want)
	}
	if got := asString(t, what+".repositoryName", r["repositoryName"]); got != name {
		t.Errorf("%s.repositoryName %q, want %q", what, got, name)
	}
	if got, want := asString(t, what+".repositoryUri", r["repositoryUri"]), host+"/"+name; got != want {
		t.Errorf("%s.repositoryUri %q, want %q", what, got, want)
	}
	asTime(t, what+".createdAt", r["createdAt"], time.Now(), 10*time.Minute)
	mode := asString(t, what+".imageTagMutability", r["imageTagMutability"])
	if !slices.Contains([]string{"MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"}, mode) {
		t.Errorf("%s.imageTagMutability %q is not in the enum", what, mode)
	}
	if f, ok := r["imageTagMutabilityExclusionFilters"]; ok {
		for i, e := range asList(t, what+".imageTagMutabilityExclusionFilters", f) {
			fo := asObj(t, what+".imageTagMutabilityExclusionFilters[]", e)
			checkMembers(t, fmt.Sprintf("%s.imageTagMutabilityExclusionFilters[%d]", what, i), fo, []string{"filterType", "filter"}, []string{"filterType", "filter"})
			if fo["filterType"] != "WILDCARD" {
				t.Errorf("%s: exclusion filter type %v, want WILDCARD", what, fo["filterType"])
			}
		}
	}
	sc := asObj(t, what+".imageScanningConfiguration", r["imageScanningConfiguration"])
	checkMembers(t, what+".imageScanningConfiguration", sc, []string{"scanOnPush"}, []string{"scanOnPush"})
	if _, ok := sc["scanOnPush"].(bool); !ok {
		t.Errorf("%s.imageScanningConfiguration.scanOnPush %v is not a boolean", what, sc["scanOnPush"])
	}
	ec := asObj(t, what+".encryptionConfiguration", r["encryptionConfiguration"])
	checkMembers(t, what+".encryptionConfiguration", ec, []string{"encryptionType", "kmsKey"}, []string{"encryptionType"})
	if et := ec["encryptionType"]; et != "AES256" && et != "KMS" && et != "KMS_DSSE" {
		t.Errorf("%s.encryptionConfiguration.encryptionType %v is not in the enum", what, et)
	}
	return r
}

// checkImageDetail compares an ImageDetail with the model and returns it.
func checkImageDetail(t testing.TB, what string, v any, accountID, repo string) map[string]any {
	t.Helper()
	d := asObj(t, what, v)
	checkMembers(t, what, d, imageDetailMembers,
		[]string{"registryId", "repositoryName", "imageDigest", "imageSizeInBytes", "imagePushedAt", "imageManifestMediaType"})
	if got := asString(t, what+".registryId", d["registryId"]); got != accountID {
		t.Errorf("%s.registryId %q, want %q", what, got, accountID)
	}
	if got := asString(t, what+".repositoryName", d["repositoryName"]); got != repo {
		t.Errorf("%s.repositoryName %q, want %q", what, got, repo)
	}
	if got := asString(t, what+".imageDigest", d["imageDigest"]); !ecrDigestRE.MatchString(got) {
		t.Errorf("%s.imageDigest %q is not a sha256 digest", what, got)
	}
	if tags, ok := d["imageTags"]; ok {
		l := asList(t, what+".imageTags", tags)
		if len(l) == 0 {
			t.Errorf("%s.imageTags is an empty list; ECR leaves the member out for an untagged image", what)
		}
		for _, tag := range l {
			asString(t, what+".imageTags[]", tag)
		}
	}
	if n := asNumber(t, what+".imageSizeInBytes", d["imageSizeInBytes"]); n <= 0 || n != float64(int64(n)) {
		t.Errorf("%s.imageSizeInBytes %v, want a positive integer", what, n)
	}
	asTime(t, what+".imagePushedAt", d["imagePushedAt"], time.Now(), 10*time.Minute)
	asString(t, what+".imageManifestMediaType", d["imageManifestMediaType"])
	if p, ok := d["lastRecordedPullTime"]; ok {
		asTime(t, what+".lastRecordedPullTime", p, time.Now(), 10*time.Minute)
	}
	if s, ok := d["imageStatus"]; ok && s != "ACTIVE" {
		t.Errorf("%s.imageStatus %v, want ACTIVE", what, s)
	}
	return d
}

// checkImage compares an Image (BatchGetImage, PutImage) with the model and returns it.
func checkImage(t testing.TB, what string, v any, accountID, repo string) map[string]any {
	t.Helper()
	img := asObj(t, what, v)
	checkMembers(t, what, img, imageMembers, imageMembers)
	if img["registryId"] != accountID || img["repositoryName"] != repo {
		t.Errorf("%s: registryId %v repositoryName %v, want %s %s", what, img["registryId"], img["repositoryName"], accountID, repo)
	}
	id := asObj(t, what+".imageId", img["imageId"])
	checkMembers(t, what+".imageId", id, []string{"imageDigest", "imageTag"}, []string{"imageDigest"})
	if d := asString(t, what+".imageId.imageDigest", id["imageDigest"]); !ecrDigestRE.MatchString(d) {
		t.Errorf("%s.imageId.imageDigest %q is not a digest", what, d)
	}
	if d := asString(t, what+".imageManifest", img["imageManifest"]); sha256Digest([]byte(d)) != id["imageDigest"] {
		t.Errorf("%s: imageManifest does not hash to imageId.imageDigest %v", what, id["imageDigest"])
	}
	asString(t, what+".imageManifestMediaType", img["imageManifestMediaType"])
	return img
}

// checkImageFailure checks an ImageFailure and returns its failureCode.
func checkImageFailure(t testing.TB, what string, v any) string {
	t.Helper()
	f := asObj(t, what, v)
	checkMembers(t, what, f, imageFailureMembrs, imageFailureMembrs)
	code := asString(t, what+".failureCode", f["failureCode"])
	if !slices.Contains(imageFailureCodes, code) {
		t.Errorf("%s.failureCode %q is not in the ImageFailureCode enum", what, code)
	}
	if asString(t, what+".failureReason", f["failureReason"]) == "" {
		t.Errorf("%s: empty failureReason", what)
	}
	return code
}

// checkAuthorizationData checks GetAuthorizationToken's answer and returns the password.
func checkAuthorizationData(t testing.TB, out map[string]any, proxyHost string) string {
	t.Helper()
	checkMembers(t, "GetAuthorizationToken", out, []string{"authorizationData"}, []string{"authorizationData"})
	data := asList(t, "authorizationData", out["authorizationData"])
	if len(data) != 1 {
		t.Fatalf("authorizationData has %d entries, want 1", len(data))
	}
	ad := asObj(t, "authorizationData[0]", data[0])
	checkMembers(t, "authorizationData[0]", ad, authDataMembers, authDataMembers)
	raw, err := base64.StdEncoding.DecodeString(asString(t, "authorizationToken", ad["authorizationToken"]))
	if err != nil {
		t.Fatalf("authorizationToken is not base64: %v", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user != "AWS" || password == "" {
		t.Fatalf("authorizationToken decodes to %q, want AWS:<password>", raw)
	}
	asTime(t, "expiresAt", ad["expiresAt"], time.Now().Add(12*time.Hour), 2*time.Minute)
	pe := asString(t, "proxyEndpoint", ad["proxyEndpoint"])
	if pe != "http://"+proxyHost && pe != "https://"+proxyHost {
		t.Errorf("proxyEndpoint %q, want http(s)://%s", pe, proxyHost)
	}
	return password
}
