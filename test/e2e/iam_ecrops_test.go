package e2e

// Every ECR operation and every /v2 action, each with an input that succeeds when the caller is
// allowed, for the authorization tests (iam_matrix_test.go, iam_managed_test.go). A fixture made by
// the root of the default account gives each caller ("cell") its own things to change: a repository
// to create, one to delete, upload sessions, tags, an image to delete, so that every allowed call
// really succeeds and no cell disturbs another.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

// ecrFixture is what the root of registry A (the default account) prepared.
type ecrFixture struct {
	s        *Server
	root     iamCreds
	registry string
	policy   string    // the repository policy of the policy'd repositories
	img      *ecrImage // tagged v1 in every main repository
	v2       *ecrV2Client
}

const (
	fixtureRepoPolicy   = "matrix/shared"   // has the repository policy
	fixtureRepoNoPolicy = "matrix/nopolicy" // has none
)

// newECRFixture creates the two main repositories of registry A with the image, the second one with
// the repository policy text policy ("" for none at all).
func newECRFixture(t testing.TB, s *Server, policy string) *ecrFixture {
	t.Helper()
	fx := &ecrFixture{s: s, root: rootOf(s), registry: s.AccountID, policy: policy,
		img: newECRImage(t, "iam-matrix", 700), v2: newECRV2Client(s, s.Token(t))}
	for _, repo := range []string{fixtureRepoPolicy, fixtureRepoNoPolicy} {
		withPolicy := repo == fixtureRepoPolicy && policy != ""
		fx.repository(t, repo, withPolicy)
		fx.img.pushBlobs(t, fx.v2, repo)
		if resp, body := fx.v2.putManifest(t, repo, "v1", mtOCIManifest, fx.img.manifest); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push %s:v1: %d %s", repo, resp.StatusCode, body)
		}
		ecrAs(t, s, fx.root, "TagResource", map[string]any{"resourceArn": repoARN(fx.registry, repo),
			"tags": []map[string]string{{"Key": "fixture", "Value": "yes"}}}, nil)
	}
	return fx
}

// repository creates a repository of registry A, with the fixture's policy if withPolicy.
func (fx *ecrFixture) repository(t testing.TB, name string, withPolicy bool) {
	t.Helper()
	ecrAs(t, fx.s, fx.root, "CreateRepository", map[string]any{"repositoryName": name}, nil)
	if withPolicy {
		ecrAs(t, fx.s, fx.root, "SetRepositoryPolicy", map[string]any{"repositoryName": name, "policyText": fx.policy}, nil)
	}
}

// cellState is what one cell's calls act on.
type cellState struct {
	name       string
	account    string // the caller's account: registry-level operations act on its registry
	registryID string // registryId sent with repository operations ("" for the caller's own)
	registry   string // the registry repository operations act on
	repo       string // the main repository: reads and harmless changes
	// Per cell: a repository to create, one to delete, one whose policy to delete.
	newRepo, delRepo, delPolicyRepo string
	partUpload                      string // an upload without parts
	completeUpload, completeDigest  string // an upload with its one part sent
	delTag                          string // a tag of the image to untag
	// /v2
	patchLocation          string // an upload session for PATCH
	putLocation, putDigest string // an upload session with its data sent, for the closing PUT
	monolithic             []byte // a new blob for a monolithic POST
	variant                *ecrImage
}

// cell prepares a cell's things in registry A. withPolicy picks the main repository with the policy
// (and gives the cell's own repositories the policy too); registryID is sent as registryId; account
// is the caller's.
func (fx *ecrFixture) cell(t testing.TB, name, account, registryID string, withPolicy bool) *cellState {
	t.Helper()
	x := &cellState{name: name, account: account, registryID: registryID, registry: fx.registry,
		repo: fixtureRepoNoPolicy, newRepo: "matrix/new-" + name, delRepo: "matrix/del-" + name,
		delPolicyRepo: "matrix/delpolicy-" + name, delTag: "del-" + name, monolithic: randomBytes(300)}
	if withPolicy {
		x.repo = fixtureRepoPolicy
	}
	fx.repository(t, x.delRepo, withPolicy)
	fx.repository(t, x.delPolicyRepo, withPolicy)
	s, root := fx.s, fx.root
	var up struct{ UploadID string }
	ecrAs(t, s, root, "InitiateLayerUpload", map[string]any{"repositoryName": x.repo}, &up)
	x.partUpload = up.UploadID
	ecrAs(t, s, root, "InitiateLayerUpload", map[string]any{"repositoryName": x.repo}, &up)
	x.completeUpload = up.UploadID
	part := randomBytes(200)
	x.completeDigest = sha256Digest(part)
	ecrAs(t, s, root, "UploadLayerPart", map[string]any{"repositoryName": x.repo, "uploadId": x.completeUpload,
		"partFirstByte": 0, "partLastByte": len(part) - 1, "layerPartBlob": part}, nil)
	ecrAs(t, s, root, "PutImage", map[string]any{"repositoryName": x.repo, "imageTag": x.delTag,
		"imageManifest": string(fx.img.manifest)}, nil)

	x.patchLocation = fx.startUpload(t, x.repo)
	x.putLocation = fx.startUpload(t, x.repo)
	data := randomBytes(250)
	x.putDigest = sha256Digest(data)
	resp, body := fx.v2.do(t, http.MethodPatch, x.putLocation, data, "Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH %s: %d %s", x.putLocation, resp.StatusCode, body)
	}
	x.putLocation = resp.Header.Get("Location")
	x.variant = fx.img.variant(t, name)
	if resp, body := fx.v2.putManifest(t, x.repo, "variant-"+name, mtOCIManifest, x.variant.manifest); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push the variant of %s: %d %s", name, resp.StatusCode, body)
	}
	return x
}

// startUpload opens a /v2 upload session in repo and returns its location.
func (fx *ecrFixture) startUpload(t testing.TB, repo string) string {
	t.Helper()
	resp, body := fx.v2.do(t, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil)
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") == "" {
		t.Fatalf("POST an upload to %s: %d %s", repo, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// registryPolicy is a registry policy that changes no decision of the tests: it allows only
// ecr:ReplicateImage, which no test calls.
func registryPolicy(account string) string {
	return policyDoc(map[string]any{"Sid": "replication", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"},
		"Action":    "ecr:ReplicateImage", "Resource": repoARN(account, "*")})
}

// ---------------------------------------------------------------------------------------------------
// The ECR operations

// ecrOpCase is one ECR operation: its input for a cell and the repository it acts on ("" for the
// registry as a whole, resource "*"; "*" for all its repositories), and a check of a 200 answer.
type ecrOpCase struct {
	label string // the operation, with a variant in parentheses
	op    string
	in    func(fx *ecrFixture, x *cellState) (input map[string]any, repo string)
	check func(fx *ecrFixture, x *cellState, out map[string]any) string // "" if right
}

// action is the IAM action of an operation, as ECR's documentation names it.
func (c ecrOpCase) action() string {
	if c.op == "ListImageReferrers" {
		return "ecr:BatchGetImage"
	}
	return "ecr:" + c.op
}

// resource is the resource the operation is authorized on.
func (c ecrOpCase) resource(repo, registry string) string {
	if repo == "" {
		return "*"
	}
	return repoARN(registry, repo)
}

// repoIn is an input naming a repository of the cell (with registryId when the cell sends one).
func repoIn(x *cellState, repo string, kv ...any) (map[string]any, string) {
	in := map[string]any{"repositoryName": repo}
	if x.registryID != "" {
		in["registryId"] = x.registryID
	}
	for i := 0; i+1 < len(kv); i += 2 {
		in[kv[i].(string)] = kv[i+1]
	}
	return in, repo
}

// wantPath is a check that the value at path is want.
func wantPath(path string, want func(fx *ecrFixture, x *cellState) any) func(*ecrFixture, *cellState, map[string]any) string {
	return func(fx *ecrFixture, x *cellState, out map[string]any) string {
		if got, w := at(out, path), want(fx, x); fmt.Sprint(got) != fmt.Sprint(w) {
			return fmt.Sprintf("%s = %v, want %v", path, got, w)
		}
		return ""
	}
}

// has is a check that the output has path.
func has(path string) func(*ecrFixture, *cellState, map[string]any) string {
	return func(_ *ecrFixture, _ *cellState, out map[string]any) string {
		if at(out, path) == nil {
			return "no " + path
		}
		return ""
	}
}

// ecrOps are the operations in the order each cell calls them (PutRegistryPolicy before
// GetRegistryPolicy and DeleteRegistryPolicy).
func ecrOps() []ecrOpCase {
	repoName := func(path string) func(*ecrFixture, *cellState, map[string]any) string {
		return wantPath(path, func(_ *ecrFixture, x *cellState) any { return x.repo })
	}
	return []ecrOpCase{
		{label: "CreateRepository", op: "CreateRepository",
			in:    func(_ *ecrFixture, x *cellState) (map[string]any, string) { return repoIn(x, x.newRepo) },
			check: wantPath("repository.repositoryName", func(_ *ecrFixture, x *cellState) any { return x.newRepo })},
		{label: "DescribeRepositories", op: "DescribeRepositories",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				in, repo := repoIn(x, x.repo)
				delete(in, "repositoryName")
				in["repositoryNames"] = []string{repo}
				return in, repo
			},
			check: repoName("repositories.0.repositoryName")},
		{label: "DescribeRepositories (all)", op: "DescribeRepositories",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				in, _ := repoIn(x, "")
				delete(in, "repositoryName")
				return in, "*"
			},
			check: func(_ *ecrFixture, x *cellState, out map[string]any) string {
				var names []string
				for _, r := range asAnyList(out["repositories"]) {
					names = append(names, fmt.Sprint(at(r, "repositoryName")))
				}
				if !slices.Contains(names, x.repo) {
					return fmt.Sprintf("repositories %v lack %s", names, x.repo)
				}
				return ""
			}},
		{label: "DeleteRepository", op: "DeleteRepository",
			in:    func(_ *ecrFixture, x *cellState) (map[string]any, string) { return repoIn(x, x.delRepo) },
			check: wantPath("repository.repositoryName", func(_ *ecrFixture, x *cellState) any { return x.delRepo })},
		{label: "PutImageTagMutability", op: "PutImageTagMutability",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "imageTagMutability", "MUTABLE")
			},
			check: wantPath("imageTagMutability", func(*ecrFixture, *cellState) any { return "MUTABLE" })},
		{label: "PutImageScanningConfiguration", op: "PutImageScanningConfiguration",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "imageScanningConfiguration", map[string]bool{"scanOnPush": false})
			},
			check: repoName("repositoryName")},
		{label: "DescribeRegistry", op: "DescribeRegistry",
			in:    func(*ecrFixture, *cellState) (map[string]any, string) { return map[string]any{}, "" },
			check: wantPath("registryId", func(_ *ecrFixture, x *cellState) any { return x.account })},
		{label: "GetAuthorizationToken", op: "GetAuthorizationToken",
			in:    func(*ecrFixture, *cellState) (map[string]any, string) { return map[string]any{}, "" },
			check: has("authorizationData.0.authorizationToken")},
		{label: "ListImages", op: "ListImages",
			in:    func(_ *ecrFixture, x *cellState) (map[string]any, string) { return repoIn(x, x.repo) },
			check: has("imageIds.0.imageDigest")},
		{label: "DescribeImages", op: "DescribeImages",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "imageIds", []map[string]string{{"imageTag": "v1"}})
			},
			check: wantPath("imageDetails.0.imageDigest", func(fx *ecrFixture, _ *cellState) any { return fx.img.digest })},
		{label: "BatchGetImage", op: "BatchGetImage",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "imageIds", []map[string]string{{"imageTag": "v1"}})
			},
			check: wantPath("images.0.imageManifest", func(fx *ecrFixture, _ *cellState) any { return string(fx.img.manifest) })},
		{label: "PutImage", op: "PutImage",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "imageTag", "put-"+x.name, "imageManifest", string(fx.img.manifest))
			},
			check: wantPath("image.imageId.imageDigest", func(fx *ecrFixture, _ *cellState) any { return fx.img.digest })},
		{label: "BatchDeleteImage", op: "BatchDeleteImage",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "imageIds", []map[string]string{{"imageTag": x.delTag}})
			},
			check: wantPath("imageIds.0.imageTag", func(_ *ecrFixture, x *cellState) any { return x.delTag })},
		{label: "ListImageReferrers", op: "ListImageReferrers",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "subjectId", map[string]string{"imageDigest": fx.img.digest})
			},
			check: func(_ *ecrFixture, _ *cellState, out map[string]any) string {
				if _, ok := out["referrers"].([]any); !ok {
					return "no referrers list"
				}
				return ""
			}},
		{label: "BatchCheckLayerAvailability", op: "BatchCheckLayerAvailability",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "layerDigests", []string{sha256Digest(fx.img.layers[0])})
			},
			check: wantPath("layers.0.layerAvailability", func(*ecrFixture, *cellState) any { return "AVAILABLE" })},
		{label: "InitiateLayerUpload", op: "InitiateLayerUpload",
			in:    func(_ *ecrFixture, x *cellState) (map[string]any, string) { return repoIn(x, x.repo) },
			check: has("uploadId")},
		{label: "UploadLayerPart", op: "UploadLayerPart",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "uploadId", x.partUpload, "partFirstByte", 0, "partLastByte", 99, "layerPartBlob", randomBytes(100))
			},
			check: wantPath("lastByteReceived", func(*ecrFixture, *cellState) any { return 99 })},
		{label: "CompleteLayerUpload", op: "CompleteLayerUpload",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "uploadId", x.completeUpload, "layerDigests", []string{x.completeDigest})
			},
			check: wantPath("layerDigest", func(_ *ecrFixture, x *cellState) any { return x.completeDigest })},
		{label: "GetDownloadUrlForLayer", op: "GetDownloadUrlForLayer",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "layerDigest", sha256Digest(fx.img.layers[0]))
			},
			check: has("downloadUrl")},
		{label: "TagResource", op: "TagResource",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return map[string]any{"resourceArn": repoARN(x.registry, x.repo),
					"tags": []map[string]string{{"Key": "cell-" + x.name, "Value": "1"}}}, x.repo
			},
			check: func(*ecrFixture, *cellState, map[string]any) string { return "" }},
		{label: "UntagResource", op: "UntagResource",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return map[string]any{"resourceArn": repoARN(x.registry, x.repo), "tagKeys": []string{"cell-" + x.name}}, x.repo
			},
			check: func(*ecrFixture, *cellState, map[string]any) string { return "" }},
		{label: "ListTagsForResource", op: "ListTagsForResource",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return map[string]any{"resourceArn": repoARN(x.registry, x.repo)}, x.repo
			},
			check: func(_ *ecrFixture, _ *cellState, out map[string]any) string {
				for _, tag := range asAnyList(out["tags"]) {
					if at(tag, "Key") == "fixture" && at(tag, "Value") == "yes" {
						return ""
					}
				}
				return fmt.Sprintf("tags %v lack fixture=yes", out["tags"])
			}},
		{label: "GetAccountSetting", op: "GetAccountSetting",
			in: func(*ecrFixture, *cellState) (map[string]any, string) {
				return map[string]any{"name": "BASIC_SCAN_TYPE_VERSION"}, ""
			},
			check: wantPath("value", func(*ecrFixture, *cellState) any { return "AWS_NATIVE" })},
		{label: "PutAccountSetting", op: "PutAccountSetting",
			in: func(*ecrFixture, *cellState) (map[string]any, string) {
				return map[string]any{"name": "BLOB_MOUNTING", "value": "ENABLED"}, ""
			},
			check: wantPath("value", func(*ecrFixture, *cellState) any { return "ENABLED" })},
		{label: "SetRepositoryPolicy", op: "SetRepositoryPolicy",
			in: func(fx *ecrFixture, x *cellState) (map[string]any, string) {
				return repoIn(x, x.repo, "policyText", fx.policy)
			},
			check: wantPath("policyText", func(fx *ecrFixture, _ *cellState) any { return fx.policy })},
		{label: "GetRepositoryPolicy", op: "GetRepositoryPolicy",
			in:    func(_ *ecrFixture, x *cellState) (map[string]any, string) { return repoIn(x, x.repo) },
			check: wantPath("policyText", func(fx *ecrFixture, _ *cellState) any { return fx.policy })},
		{label: "DeleteRepositoryPolicy", op: "DeleteRepositoryPolicy",
			in:    func(_ *ecrFixture, x *cellState) (map[string]any, string) { return repoIn(x, x.delPolicyRepo) },
			check: wantPath("policyText", func(fx *ecrFixture, _ *cellState) any { return fx.policy })},
		{label: "PutRegistryPolicy", op: "PutRegistryPolicy",
			in: func(_ *ecrFixture, x *cellState) (map[string]any, string) {
				return map[string]any{"policyText": registryPolicy(x.account)}, ""
			},
			check: wantPath("registryId", func(_ *ecrFixture, x *cellState) any { return x.account })},
		{label: "GetRegistryPolicy", op: "GetRegistryPolicy",
			in:    func(*ecrFixture, *cellState) (map[string]any, string) { return map[string]any{}, "" },
			check: wantPath("policyText", func(_ *ecrFixture, x *cellState) any { return registryPolicy(x.account) })},
		{label: "DeleteRegistryPolicy", op: "DeleteRegistryPolicy",
			in:    func(*ecrFixture, *cellState) (map[string]any, string) { return map[string]any{}, "" },
			check: wantPath("registryId", func(_ *ecrFixture, x *cellState) any { return x.account })},
	}
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// ecrOperationsServed reads the names of the ECR operations berth serves from internal/ecr/handler.go
// (the operations map), so that a new operation cannot be left out of the tables.
func ecrOperationsServed(t testing.TB) []string {
	t.Helper()
	ops := operationsServed(t, "internal/ecr/handler.go", "var operations = map[string]operation{")
	sort.Strings(ops)
	return ops
}

// callECR makes one call of c as the cell's caller and describes the answer: "allowed" (a 200 that
// passes the check), "allowed but …", or the error type and message.
func callECR(t testing.TB, fx *ecrFixture, caller iamCreds, x *cellState, c ecrOpCase) (status int, errType, msg, problem string) {
	t.Helper()
	in, _ := c.in(fx, x)
	body, _ := json.Marshal(in)
	status, _, resp := signedECR(t, fx.s, caller, c.op, body)
	if status == http.StatusOK {
		var out map[string]any
		if err := json.Unmarshal(resp, &out); err != nil {
			return status, "", "", "not JSON: " + string(resp)
		}
		return status, "", "", c.check(fx, x, out)
	}
	var e ecrErrorBody
	if err := json.Unmarshal(resp, &e); err != nil {
		return status, "", "", fmt.Sprintf("not an AWS error: %s", truncate(resp, 200))
	}
	return status, e.Type, e.Message, ""
}

// ---------------------------------------------------------------------------------------------------
// The /v2 actions

// v2OpCase is one /v2 request, the ECR action it amounts to, and its answer when allowed.
type v2OpCase struct {
	name    string
	action  string
	catalog bool // authorized on repository/*
	status  int  // of success
	do      func(t testing.TB, v *ecrV2Client, fx *ecrFixture, x *cellState) (*http.Response, []byte)
	check   func(fx *ecrFixture, x *cellState, resp *http.Response, body []byte) string
}

// withDigest adds ?digest= to an upload location.
func withDigest(location, dgst string) string {
	if strings.Contains(location, "?") {
		return location + "&digest=" + dgst
	}
	return location + "?digest=" + dgst
}

func v2Ops() []v2OpCase {
	none := func(*ecrFixture, *cellState, *http.Response, []byte) string { return "" }
	digestHeader := func(want func(fx *ecrFixture, x *cellState) string) func(*ecrFixture, *cellState, *http.Response, []byte) string {
		return func(fx *ecrFixture, x *cellState, resp *http.Response, _ []byte) string {
			if got := resp.Header.Get("Docker-Content-Digest"); got != want(fx, x) {
				return fmt.Sprintf("Docker-Content-Digest %q, want %q", got, want(fx, x))
			}
			return ""
		}
	}
	imageDigest := func(fx *ecrFixture, _ *cellState) string { return fx.img.digest }
	get := func(path func(fx *ecrFixture, x *cellState) string, method string) func(testing.TB, *ecrV2Client, *ecrFixture, *cellState) (*http.Response, []byte) {
		return func(t testing.TB, v *ecrV2Client, fx *ecrFixture, x *cellState) (*http.Response, []byte) {
			return v.do(t, method, path(fx, x), nil, "Accept", manifestAccept)
		}
	}
	manifestPath := func(_ *ecrFixture, x *cellState) string { return "/v2/" + x.repo + "/manifests/v1" }
	blobPath := func(fx *ecrFixture, x *cellState) string {
		return "/v2/" + x.repo + "/blobs/" + sha256Digest(fx.img.layers[0])
	}
	return []v2OpCase{
		{name: "manifest GET", action: "ecr:BatchGetImage", status: 200, do: get(manifestPath, http.MethodGet),
			check: func(fx *ecrFixture, x *cellState, resp *http.Response, body []byte) string {
				if !bytes.Equal(body, fx.img.manifest) {
					return "the body is not the manifest pushed"
				}
				return digestHeader(imageDigest)(fx, x, resp, body)
			}},
		{name: "manifest HEAD", action: "ecr:BatchGetImage", status: 200, do: get(manifestPath, http.MethodHead),
			check: digestHeader(imageDigest)},
		{name: "blob GET", action: "ecr:GetDownloadUrlForLayer", status: 200, do: get(blobPath, http.MethodGet),
			check: func(fx *ecrFixture, _ *cellState, _ *http.Response, body []byte) string {
				if !bytes.Equal(body, fx.img.layers[0]) {
					return "the body is not the layer pushed"
				}
				return ""
			}},
		{name: "blob HEAD", action: "ecr:BatchCheckLayerAvailability", status: 200, do: get(blobPath, http.MethodHead),
			check: func(fx *ecrFixture, _ *cellState, resp *http.Response, _ []byte) string {
				if resp.ContentLength != int64(len(fx.img.layers[0])) {
					return fmt.Sprintf("Content-Length %d, want %d", resp.ContentLength, len(fx.img.layers[0]))
				}
				return ""
			}},
		{name: "upload POST", action: "ecr:InitiateLayerUpload", status: 202,
			do: func(t testing.TB, v *ecrV2Client, _ *ecrFixture, x *cellState) (*http.Response, []byte) {
				return v.do(t, http.MethodPost, "/v2/"+x.repo+"/blobs/uploads/", nil)
			},
			check: func(_ *ecrFixture, _ *cellState, resp *http.Response, _ []byte) string {
				if resp.Header.Get("Location") == "" {
					return "no Location"
				}
				return ""
			}},
		{name: "upload PATCH", action: "ecr:UploadLayerPart", status: 202,
			do: func(t testing.TB, v *ecrV2Client, _ *ecrFixture, x *cellState) (*http.Response, []byte) {
				return v.do(t, http.MethodPatch, x.patchLocation, randomBytes(64), "Content-Type", "application/octet-stream")
			},
			check: none},
		{name: "upload PUT", action: "ecr:CompleteLayerUpload", status: 201,
			do: func(t testing.TB, v *ecrV2Client, _ *ecrFixture, x *cellState) (*http.Response, []byte) {
				return v.do(t, http.MethodPut, withDigest(x.putLocation, x.putDigest), nil)
			},
			check: digestHeader(func(_ *ecrFixture, x *cellState) string { return x.putDigest })},
		{name: "monolithic POST", action: "ecr:InitiateLayerUpload", status: 201,
			do: func(t testing.TB, v *ecrV2Client, _ *ecrFixture, x *cellState) (*http.Response, []byte) {
				return v.do(t, http.MethodPost, "/v2/"+x.repo+"/blobs/uploads/?digest="+sha256Digest(x.monolithic), x.monolithic,
					"Content-Type", "application/octet-stream")
			},
			check: digestHeader(func(_ *ecrFixture, x *cellState) string { return sha256Digest(x.monolithic) })},
		{name: "manifest PUT", action: "ecr:PutImage", status: 201,
			do: func(t testing.TB, v *ecrV2Client, fx *ecrFixture, x *cellState) (*http.Response, []byte) {
				return v.putManifest(t, x.repo, "v2put-"+x.name, mtOCIManifest, fx.img.manifest)
			},
			check: digestHeader(imageDigest)},
		{name: "manifest DELETE", action: "ecr:BatchDeleteImage", status: 202,
			do: func(t testing.TB, v *ecrV2Client, _ *ecrFixture, x *cellState) (*http.Response, []byte) {
				return v.do(t, http.MethodDelete, "/v2/"+x.repo+"/manifests/"+x.variant.digest, nil)
			},
			check: none},
		{name: "tags list", action: "ecr:ListImages", status: 200,
			do: get(func(_ *ecrFixture, x *cellState) string { return "/v2/" + x.repo + "/tags/list" }, http.MethodGet),
			check: func(_ *ecrFixture, _ *cellState, _ *http.Response, body []byte) string {
				var out struct{ Tags []string }
				if json.Unmarshal(body, &out) != nil || !slices.Contains(out.Tags, "v1") {
					return fmt.Sprintf("tags %s lack v1", body)
				}
				return ""
			}},
		{name: "referrers", action: "ecr:BatchGetImage", status: 200,
			do: get(func(fx *ecrFixture, x *cellState) string { return "/v2/" + x.repo + "/referrers/" + fx.img.digest }, http.MethodGet),
			check: func(_ *ecrFixture, _ *cellState, _ *http.Response, body []byte) string {
				var out struct{ MediaType string }
				if json.Unmarshal(body, &out) != nil || out.MediaType != mtOCIIndex {
					return fmt.Sprintf("not an OCI index: %s", truncate(body, 200))
				}
				return ""
			}},
		{name: "catalog", action: "ecr:DescribeRepositories", catalog: true, status: 200,
			do: get(func(*ecrFixture, *cellState) string { return "/v2/_catalog" }, http.MethodGet),
			check: func(_ *ecrFixture, x *cellState, _ *http.Response, body []byte) string {
				var out struct{ Repositories []string }
				if json.Unmarshal(body, &out) != nil || !slices.Contains(out.Repositories, x.repo) {
					return fmt.Sprintf("catalog %s lacks %s", truncate(body, 300), x.repo)
				}
				return ""
			}},
	}
}

// v2Error reads the first error of a /v2 error body.
func v2Error(body []byte) (code, message string) {
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return "", ""
	}
	return e.Errors[0].Code, e.Errors[0].Message
}
