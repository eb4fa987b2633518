package e2e

// The real aws CLI against berth's ECR API: repositories, their settings and resource tags, the
// registry, account settings, authorization tokens, pagination, and the endpoint given through
// AWS_ENDPOINT_URL_ECR. Every answer is compared member by member with the model's shapes.

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestECRCLIRepositories(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	acct := s.AccountID
	if !ecrAccountIDRE.MatchString(acct) {
		t.Fatalf("the startup line's account %q is not a 12-digit account id", acct)
	}
	// A key of berth's own KMS: ECR refuses a key that does not exist (KmsException).
	kmsKey := fmt.Sprint(at(cli.do(t, "kms", "create-key"), "KeyMetadata.Arn"))
	arn := "arn:aws:ecr:us-east-1:" + acct + ":repository/cli/app"

	t.Run("create-repository with every parameter", func(t *testing.T) {
		out := cli.obj(t, "create-repository", "--repository-name", "cli/app",
			"--tags", "Key=env,Value=dev", "Key=team,Value=platform",
			"--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION",
			"--image-tag-mutability-exclusion-filters", "filterType=WILDCARD,filter=latest*", "filterType=WILDCARD,filter=dev-*",
			"--image-scanning-configuration", "scanOnPush=true",
			"--encryption-configuration", "encryptionType=KMS,kmsKey="+kmsKey)
		checkMembers(t, "CreateRepository", out, []string{"repository"}, []string{"repository"})
		r := checkRepository(t, "repository", out["repository"], acct, s.Addr, "cli/app")
		if r["imageTagMutability"] != "IMMUTABLE_WITH_EXCLUSION" {
			t.Errorf("imageTagMutability %v, want IMMUTABLE_WITH_EXCLUSION", r["imageTagMutability"])
		}
		filters := fmt.Sprint(r["imageTagMutabilityExclusionFilters"])
		if filters != "[map[filter:latest* filterType:WILDCARD] map[filter:dev-* filterType:WILDCARD]]" {
			t.Errorf("imageTagMutabilityExclusionFilters %s", filters)
		}
		if sc := asObj(t, "scan", r["imageScanningConfiguration"]); sc["scanOnPush"] != true {
			t.Errorf("scanOnPush %v, want true", sc["scanOnPush"])
		}
		if ec := asObj(t, "enc", r["encryptionConfiguration"]); ec["encryptionType"] != "KMS" || ec["kmsKey"] != kmsKey {
			t.Errorf("encryptionConfiguration %v, want KMS with %s", ec, kmsKey)
		}
	})
	t.Run("create-repository with the defaults", func(t *testing.T) {
		out := cli.obj(t, "create-repository", "--repository-name", "cli/plain")
		r := checkRepository(t, "repository", out["repository"], acct, s.Addr, "cli/plain")
		if r["imageTagMutability"] != "MUTABLE" || fmt.Sprint(r["imageScanningConfiguration"]) != "map[scanOnPush:false]" ||
			fmt.Sprint(r["encryptionConfiguration"]) != "map[encryptionType:AES256]" {
			t.Errorf("defaults: %v; want MUTABLE, scanOnPush false, AES256 without a key", r)
		}
		if _, ok := r["imageTagMutabilityExclusionFilters"]; ok {
			t.Errorf("a MUTABLE repository has exclusion filters: %v", r)
		}
	})
	t.Run("create-repository KMS without a key", func(t *testing.T) {
		out := cli.obj(t, "create-repository", "--repository-name", "cli/kms", "--encryption-configuration", "encryptionType=KMS")
		r := checkRepository(t, "repository", out["repository"], acct, s.Addr, "cli/kms")
		if ec := asObj(t, "enc", r["encryptionConfiguration"]); ec["encryptionType"] != "KMS" || !strings.HasPrefix(fmt.Sprint(ec["kmsKey"]), "arn:aws:kms:us-east-1:"+acct+":") {
			t.Errorf("encryptionConfiguration %v: KMS without a key should get the account's AWS managed key ARN", ec)
		}
	})
	t.Run("create-repository twice", func(t *testing.T) {
		msg := cli.fails(t, "RepositoryAlreadyExistsException", "CreateRepository", "create-repository", "--repository-name", "cli/plain")
		if !strings.Contains(msg, "'cli/plain'") || !strings.Contains(msg, acct) {
			t.Errorf("message %q should name the repository and the registry", msg)
		}
	})
	t.Run("describe-repositories", func(t *testing.T) {
		out := cli.obj(t, "describe-repositories", "--registry-id", acct, "--repository-names", "cli/app", "cli/plain")
		checkMembers(t, "DescribeRepositories", out, []string{"repositories", "nextToken"}, []string{"repositories"})
		repos := asList(t, "repositories", out["repositories"])
		if len(repos) != 2 {
			t.Fatalf("%d repositories, want 2", len(repos))
		}
		checkRepository(t, "repositories[0]", repos[0], acct, s.Addr, "cli/app")
		checkRepository(t, "repositories[1]", repos[1], acct, s.Addr, "cli/plain")
		all := cli.obj(t, "describe-repositories")
		if n := len(asList(t, "repositories", all["repositories"])); n != 3 {
			t.Errorf("describe-repositories lists %d repositories, want 3", n)
		}
	})
	t.Run("describe-repositories of a missing repository", func(t *testing.T) {
		msg := cli.fails(t, "RepositoryNotFoundException", "DescribeRepositories", "describe-repositories", "--repository-names", "cli/nope")
		if want := "The repository with name 'cli/nope' does not exist in the registry with id '" + acct + "'"; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	})
	t.Run("put-image-tag-mutability in all four modes", func(t *testing.T) {
		for _, tc := range []struct {
			mode    string
			filters []string
		}{
			{"MUTABLE", nil},
			{"IMMUTABLE", nil},
			{"MUTABLE_WITH_EXCLUSION", []string{"filterType=WILDCARD,filter=release-*"}},
			{"IMMUTABLE_WITH_EXCLUSION", []string{"filterType=WILDCARD,filter=latest", "filterType=WILDCARD,filter=*-snapshot"}},
		} {
			args := []string{"put-image-tag-mutability", "--repository-name", "cli/plain", "--image-tag-mutability", tc.mode}
			if tc.filters != nil {
				args = append(append(args, "--image-tag-mutability-exclusion-filters"), tc.filters...)
			}
			out := cli.obj(t, args...)
			checkMembers(t, "PutImageTagMutability", out, []string{"registryId", "repositoryName", "imageTagMutability", "imageTagMutabilityExclusionFilters"},
				[]string{"registryId", "repositoryName", "imageTagMutability"})
			if out["registryId"] != acct || out["repositoryName"] != "cli/plain" || out["imageTagMutability"] != tc.mode {
				t.Errorf("%s: %v", tc.mode, out)
			}
			if f, ok := out["imageTagMutabilityExclusionFilters"]; ok != (tc.filters != nil) || (ok && len(asList(t, "filters", f)) != len(tc.filters)) {
				t.Errorf("%s: imageTagMutabilityExclusionFilters %v, want %d filters", tc.mode, f, len(tc.filters))
			}
		}
		out := cli.obj(t, "describe-repositories", "--repository-names", "cli/plain")
		r := checkRepository(t, "repository", asList(t, "repositories", out["repositories"])[0], acct, s.Addr, "cli/plain")
		if r["imageTagMutability"] != "IMMUTABLE_WITH_EXCLUSION" || len(asList(t, "filters", r["imageTagMutabilityExclusionFilters"])) != 2 {
			t.Errorf("describe-repositories after the last change: %v", r)
		}
	})
	t.Run("put-image-scanning-configuration", func(t *testing.T) {
		out := cli.obj(t, "put-image-scanning-configuration", "--repository-name", "cli/app", "--image-scanning-configuration", "scanOnPush=false")
		checkMembers(t, "PutImageScanningConfiguration", out, []string{"registryId", "repositoryName", "imageScanningConfiguration"},
			[]string{"registryId", "repositoryName", "imageScanningConfiguration"})
		if fmt.Sprint(out["imageScanningConfiguration"]) != "map[scanOnPush:false]" || out["registryId"] != acct || out["repositoryName"] != "cli/app" {
			t.Errorf("PutImageScanningConfiguration: %v", out)
		}
	})
	t.Run("resource tags", func(t *testing.T) {
		tags := func(t *testing.T) []string {
			out := cli.obj(t, "list-tags-for-resource", "--resource-arn", arn)
			checkMembers(t, "ListTagsForResource", out, []string{"tags"}, []string{"tags"})
			var kv []string
			for _, tag := range asList(t, "tags", out["tags"]) {
				o := asObj(t, "tag", tag)
				checkMembers(t, "Tag", o, []string{"Key", "Value"}, []string{"Key", "Value"})
				kv = append(kv, fmt.Sprintf("%v=%v", o["Key"], o["Value"]))
			}
			sort.Strings(kv)
			return kv
		}
		if got := tags(t); !slices.Equal(got, []string{"env=dev", "team=platform"}) {
			t.Errorf("tags from create-repository: %v", got)
		}
		r := cli.exec(t, "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=prod", "Key=owner,Value=me")
		if r.err != nil || strings.TrimSpace(r.stdout) != "" {
			t.Fatalf("tag-resource should succeed with an empty output:\n%s", r)
		}
		if got := tags(t); !slices.Equal(got, []string{"env=prod", "owner=me", "team=platform"}) {
			t.Errorf("tags after tag-resource: %v", got)
		}
		cli.ok(t, nil, "untag-resource", "--resource-arn", arn, "--tag-keys", "team", "owner")
		if got := tags(t); !slices.Equal(got, []string{"env=prod"}) {
			t.Errorf("tags after untag-resource: %v", got)
		}
		msg := cli.fails(t, "RepositoryNotFoundException", "ListTagsForResource", "list-tags-for-resource",
			"--resource-arn", "arn:aws:ecr:us-east-1:"+acct+":repository/cli/nope")
		if !strings.Contains(msg, "cli/nope") {
			t.Errorf("message %q does not name the repository", msg)
		}
	})
	t.Run("describe-registry", func(t *testing.T) {
		out := cli.obj(t, "describe-registry")
		checkMembers(t, "DescribeRegistry", out, []string{"registryId", "replicationConfiguration"}, []string{"registryId", "replicationConfiguration"})
		if out["registryId"] != acct || fmt.Sprint(out["replicationConfiguration"]) != "map[rules:[]]" {
			t.Errorf("DescribeRegistry: %v", out)
		}
	})
	t.Run("account settings", func(t *testing.T) {
		get := func(name string) map[string]any {
			out := cli.obj(t, "get-account-setting", "--name", name)
			checkMembers(t, "GetAccountSetting", out, []string{"name", "value"}, []string{"name", "value"})
			return out
		}
		if out := get("BASIC_SCAN_TYPE_VERSION"); out["value"] != "AWS_NATIVE" {
			t.Errorf("BASIC_SCAN_TYPE_VERSION: %v, want AWS_NATIVE", out)
		}
		out := cli.obj(t, "put-account-setting", "--name", "BLOB_MOUNTING", "--value", "DISABLED")
		if fmt.Sprint(out) != "map[name:BLOB_MOUNTING value:DISABLED]" {
			t.Errorf("PutAccountSetting: %v", out)
		}
		if out := get("BLOB_MOUNTING"); out["value"] != "DISABLED" {
			t.Errorf("BLOB_MOUNTING after put: %v", out)
		}
		msg := cli.fails(t, "ValidationException", "PutAccountSetting", "put-account-setting", "--name", "BLOB_MOUNTING", "--value", "SOMETIMES")
		if !strings.Contains(msg, "SOMETIMES") {
			t.Errorf("message %q does not name the bad value", msg)
		}
	})
	t.Run("get-authorization-token and get-login-password", func(t *testing.T) {
		out := cli.obj(t, "get-authorization-token")
		password := checkAuthorizationData(t, out, s.Addr)
		r := cli.exec(t, "get-login-password")
		if r.err != nil {
			t.Fatalf("get-login-password:\n%s", r)
		}
		printed := strings.TrimSpace(r.stdout)
		for _, p := range []string{password, printed} {
			if resp, body := newECRV2Client(s, p).do(t, http.MethodGet, "/v2/", nil); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /v2/ with a password from the CLI: %d %s", resp.StatusCode, body)
			}
		}
	})
	t.Run("delete-repository", func(t *testing.T) {
		out := cli.obj(t, "delete-repository", "--repository-name", "cli/kms")
		checkMembers(t, "DeleteRepository", out, []string{"repository"}, []string{"repository"})
		checkRepository(t, "repository", out["repository"], acct, s.Addr, "cli/kms")
		cli.fails(t, "RepositoryNotFoundException", "DeleteRepository", "delete-repository", "--repository-name", "cli/kms")
	})
}

// TestECRCLIPagination drives --page-size (sent as maxResults) and --max-items/--starting-token (the
// CLI's own paging over nextToken) over more items than a page.
func TestECRCLIPagination(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	var repos []string
	for i := range 5 {
		name := fmt.Sprintf("page/r%d", i)
		ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": name}, nil)
		repos = append(repos, name)
	}
	repo := "page/r0"
	img := newECRImage(t, "page", 1024)
	img.pushBlobs(t, newECRV2Client(s, s.Token(t)), repo)
	var digests []string
	for i := range 5 {
		v := img.variant(t, fmt.Sprint(i))
		ecrJSON(t, s, "PutImage", map[string]any{"repositoryName": repo, "imageManifest": string(v.manifest), "imageTag": fmt.Sprintf("t%d", i)}, nil)
		digests = append(digests, v.digest)
	}
	slices.Sort(digests)

	// pages lists with --max-items 3 --page-size 2, then continues with --starting-token.
	pages := func(t *testing.T, key, member string, args ...string) []string {
		first := cli.obj(t, append(args, "--page-size", "2", "--max-items", "3")...)
		items := asList(t, key, first[key])
		if len(items) != 3 {
			t.Fatalf("--max-items 3 returned %d %s", len(items), key)
		}
		next, ok := first["NextToken"].(string)
		if !ok || next == "" {
			t.Fatalf("--max-items 3 of 5 returned no NextToken: %v", first)
		}
		rest := cli.obj(t, append(args, "--page-size", "2", "--starting-token", next)...)
		more := asList(t, key, rest[key])
		if len(more) != 2 {
			t.Errorf("--starting-token returned %d more %s, want 2", len(more), key)
		}
		if _, ok := rest["NextToken"]; ok {
			t.Errorf("the last page has a NextToken: %v", rest["NextToken"])
		}
		var got []string
		for _, it := range append(items, more...) {
			got = append(got, asString(t, member, asObj(t, key, it)[member]))
		}
		return got
	}
	t.Run("describe-repositories", func(t *testing.T) {
		got := pages(t, "repositories", "repositoryName", "describe-repositories")
		slices.Sort(got)
		if !slices.Equal(got, repos) {
			t.Errorf("paged repositories %v, want %v", got, repos)
		}
	})
	t.Run("describe-images", func(t *testing.T) {
		got := pages(t, "imageDetails", "imageDigest", "describe-images", "--repository-name", repo)
		slices.Sort(got)
		if !slices.Equal(got, digests) {
			t.Errorf("paged images %v, want %v", got, digests)
		}
	})
	t.Run("list-images", func(t *testing.T) {
		out := cli.obj(t, "list-images", "--repository-name", repo, "--page-size", "2")
		var got []string
		for _, id := range asList(t, "imageIds", out["imageIds"]) {
			got = append(got, asString(t, "imageDigest", asObj(t, "imageId", id)["imageDigest"]))
		}
		slices.Sort(got)
		if !slices.Equal(got, digests) {
			t.Errorf("list-images --page-size 2 collected %v, want %v", got, digests)
		}
	})
}

// TestECRCLIEndpointFromEnvironment reaches berth through AWS_ENDPOINT_URL_ECR, with no
// --endpoint-url, as a user who points every ECR client at berth does.
func TestECRCLIEndpointFromEnvironment(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLIEnv(t, nil, "AWS_ENDPOINT_URL_ECR="+s.URL(),
		"AWS_ACCESS_KEY_ID="+RootAccessKeyID, "AWS_SECRET_ACCESS_KEY="+RootSecretAccessKey)
	out := cli.obj(t, "create-repository", "--repository-name", "env/app")
	checkRepository(t, "repository", out["repository"], s.AccountID, s.Addr, "env/app")
	r := cli.exec(t, "get-login-password")
	if r.err != nil {
		t.Fatalf("get-login-password:\n%s", r)
	}
	if resp, body := newECRV2Client(s, strings.TrimSpace(r.stdout)).do(t, http.MethodGet, "/v2/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/ with the password: %d %s", resp.StatusCode, body)
	}
}
