package iamapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// cliCase is one aws CLI command and what its JSON output must hold (dotted paths, as
// jsonAt reads them). Commands without output print nothing.
type cliCase struct {
	args []string
	want map[string]any
}

func cliCases() []cliCase {
	return []cliCase{
		{args: []string{"iam", "create-user", "--user-name", "carol", "--path", "/dev/", "--tags", "Key=team,Value=ops"},
			want: map[string]any{"User.UserName": "carol", "User.Path": "/dev/", "User.CreateDate": "2025-01-02T03:04:05Z"}},
		{args: []string{"iam", "get-user", "--user-name", "alice"}, want: map[string]any{"User.Arn": userARN, "User.UserId": alice.ID}},
		{args: []string{"iam", "get-user"}, want: map[string]any{"User.UserName": "alice"}},
		{args: []string{"iam", "list-users"}, want: map[string]any{"Users.0.UserName": "alice", "Users.3.UserName": "bob"}},
		{args: []string{"iam", "delete-user", "--user-name", "bob"}},
		{args: []string{"iam", "create-access-key", "--user-name", "alice"},
			want: map[string]any{"AccessKey.SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AccessKey.Status": "Active"}},
		{args: []string{"iam", "list-access-keys", "--user-name", "alice"},
			want: map[string]any{"AccessKeyMetadata.1.AccessKeyId": keyAlice2.ID, "AccessKeyMetadata.1.Status": "Inactive"}},
		{args: []string{"iam", "update-access-key", "--user-name", "alice", "--access-key-id", keyAlice.ID, "--status", "Inactive"}},
		{args: []string{"iam", "delete-access-key", "--access-key-id", keyAlice.ID}},
		{args: []string{"iam", "create-group", "--group-name", "ops", "--path", "/teams/"},
			want: map[string]any{"Group.Arn": "arn:aws:iam::123456789012:group/teams/ops"}},
		{args: []string{"iam", "get-group", "--group-name", "devs"},
			want: map[string]any{"Group.GroupName": "devs", "Users.1.UserName": "bob"}},
		{args: []string{"iam", "list-groups"}, want: map[string]any{"Groups.0.GroupId": devs.ID}},
		{args: []string{"iam", "list-groups-for-user", "--user-name", "alice"}, want: map[string]any{"Groups.0.GroupName": "devs"}},
		{args: []string{"iam", "delete-group", "--group-name", "devs"}},
		{args: []string{"iam", "add-user-to-group", "--group-name", "devs", "--user-name", "bob"}},
		{args: []string{"iam", "remove-user-from-group", "--group-name", "devs", "--user-name", "bob"}},
		{args: []string{"iam", "create-role", "--role-name", "builder", "--assume-role-policy-document", trustDoc,
			"--description", "Builds images", "--max-session-duration", "7200"},
			want: map[string]any{"Role.AssumeRolePolicyDocument.Statement.0.Principal.Service": "ec2.amazonaws.com",
				"Role.MaxSessionDuration": 7200.0, "Role.Description": "Builds images"}},
		{args: []string{"iam", "get-role", "--role-name", "deployer"},
			want: map[string]any{"Role.AssumeRolePolicyDocument.Statement.0.Action": "sts:AssumeRole", "Role.RoleLastUsed": map[string]any{}}},
		{args: []string{"iam", "list-roles"}, want: map[string]any{"Roles.0.AssumeRolePolicyDocument.Version": "2012-10-17"}},
		{args: []string{"iam", "delete-role", "--role-name", "deployer"}},
		{args: []string{"iam", "update-assume-role-policy", "--role-name", "deployer", "--policy-document", trustDoc}},
		{args: []string{"iam", "put-user-policy", "--user-name", "alice", "--policy-name", "p1", "--policy-document", policyDoc}},
		{args: []string{"iam", "get-user-policy", "--user-name", "alice", "--policy-name", "p1"},
			want: map[string]any{"UserName": "alice", "PolicyDocument.Statement.0.Action": "ecr:*"}},
		{args: []string{"iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "p1"}},
		{args: []string{"iam", "list-user-policies", "--user-name", "alice"}, want: map[string]any{"PolicyNames.2": "p3"}},
		{args: []string{"iam", "put-role-policy", "--role-name", "deployer", "--policy-name", "p1", "--policy-document", policyDoc}},
		{args: []string{"iam", "get-role-policy", "--role-name", "deployer", "--policy-name", "p1"},
			want: map[string]any{"RoleName": "deployer", "PolicyDocument.Version": "2012-10-17"}},
		{args: []string{"iam", "delete-role-policy", "--role-name", "deployer", "--policy-name", "p1"}},
		{args: []string{"iam", "list-role-policies", "--role-name", "deployer"}, want: map[string]any{"PolicyNames.0": "p1"}},
		{args: []string{"iam", "put-group-policy", "--group-name", "devs", "--policy-name", "p1", "--policy-document", policyDoc}},
		{args: []string{"iam", "get-group-policy", "--group-name", "devs", "--policy-name", "p1"},
			want: map[string]any{"GroupName": "devs", "PolicyDocument.Statement.0.Resource": "*"}},
		{args: []string{"iam", "delete-group-policy", "--group-name", "devs", "--policy-name", "p1"}},
		{args: []string{"iam", "list-group-policies", "--group-name", "devs"}, want: map[string]any{"PolicyNames.1": "p2"}},
		{args: []string{"iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", readARN}},
		{args: []string{"iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", readARN}},
		{args: []string{"iam", "list-attached-user-policies", "--user-name", "alice"},
			want: map[string]any{"AttachedPolicies.0.PolicyName": "ReadOnlyAccess", "AttachedPolicies.1.PolicyArn": custARN}},
		{args: []string{"iam", "attach-role-policy", "--role-name", "deployer", "--policy-arn", custARN}},
		{args: []string{"iam", "detach-role-policy", "--role-name", "deployer", "--policy-arn", custARN}},
		{args: []string{"iam", "list-attached-role-policies", "--role-name", "deployer"}, want: map[string]any{"AttachedPolicies.1.PolicyName": "pull"}},
		{args: []string{"iam", "attach-group-policy", "--group-name", "devs", "--policy-arn", custARN}},
		{args: []string{"iam", "detach-group-policy", "--group-name", "devs", "--policy-arn", custARN}},
		{args: []string{"iam", "list-attached-group-policies", "--group-name", "devs", "--path-prefix", "/ops/"},
			want: map[string]any{"AttachedPolicies.0.PolicyArn": custARN}},
		{args: []string{"iam", "create-policy", "--policy-name", "push", "--path", "/ops/", "--policy-document", policyDoc, "--description", "push images"},
			want: map[string]any{"Policy.Arn": "arn:aws:iam::123456789012:policy/ops/push", "Policy.IsAttachable": true, "Policy.AttachmentCount": 0.0}},
		{args: []string{"iam", "get-policy", "--policy-arn", custARN},
			want: map[string]any{"Policy.AttachmentCount": 3.0, "Policy.Description": "pull images", "Policy.DefaultVersionId": "v2"}},
		{args: []string{"iam", "list-policies", "--scope", "Local", "--only-attached", "--path-prefix", "/ops/"},
			want: map[string]any{"Policies.1.Arn": custARN, "Policies.1.UpdateDate": "2025-02-03T04:05:06Z"}},
		{args: []string{"iam", "delete-policy", "--policy-arn", custARN}},
		{args: []string{"iam", "create-policy-version", "--policy-arn", custARN, "--policy-document", policyDoc, "--set-as-default"},
			want: map[string]any{"PolicyVersion.VersionId": "v3", "PolicyVersion.IsDefaultVersion": true}},
		{args: []string{"iam", "get-policy-version", "--policy-arn", custARN, "--version-id", "v2"},
			want: map[string]any{"PolicyVersion.Document.Statement.0.Effect": "Allow", "PolicyVersion.VersionId": "v2"}},
		{args: []string{"iam", "list-policy-versions", "--policy-arn", custARN},
			want: map[string]any{"Versions.1.VersionId": "v1", "Versions.1.IsDefaultVersion": false}},
		{args: []string{"iam", "delete-policy-version", "--policy-arn", custARN, "--version-id", "v1"}},
		{args: []string{"iam", "set-default-policy-version", "--policy-arn", custARN, "--version-id", "v1"}},

		{args: []string{"sts", "get-caller-identity"}, want: map[string]any{"Account": acct, "Arn": userARN, "UserId": alice.ID}},
		{args: []string{"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "ci", "--policy", policyDoc},
			want: map[string]any{"Credentials.AccessKeyId": "ASIASESSION000000000", "Credentials.Expiration": "2025-02-03T04:05:06Z",
				"AssumedRoleUser.AssumedRoleId": "AROADEPLOYER0000000:ci", "PackedPolicySize": 5.0}},

		{args: []string{"organizations", "create-account", "--email", "team@example.com", "--account-name", "team"},
			want: map[string]any{"CreateAccountStatus.State": "IN_PROGRESS", "CreateAccountStatus.Id": carStatus.ID}},
		{args: []string{"organizations", "describe-create-account-status", "--create-account-request-id", carStatus.ID},
			want: map[string]any{"CreateAccountStatus.AccountId": "210987654321"}},
		{args: []string{"organizations", "list-create-account-status", "--states", "IN_PROGRESS"},
			want: map[string]any{"CreateAccountStatuses.0.AccountName": "team"}},
		{args: []string{"organizations", "list-accounts"},
			want: map[string]any{"Accounts.1.JoinedMethod": "CREATED", "Accounts.0.Arn": org.MasterAccountARN}},
		{args: []string{"organizations", "describe-organization"},
			want: map[string]any{"Organization.FeatureSet": "ALL", "Organization.MasterAccountId": acct}},
	}
}

// runCLI runs the aws CLI against url and returns what it printed.
func runCLI(t *testing.T, url string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("aws", append(args, "--endpoint-url", url, "--output", "json")...)
	home := t.TempDir()
	// Only the test's own AWS settings: none of the environment's profiles or keys.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "HOME="+home)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TestCLI runs the real aws CLI against the faces for every operation, to prove that
// botocore parses each output shape, decodes the URL-encoded policy documents and
// reads the errors.
func TestCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the aws CLI (v1) must be on PATH for this test: %v", err)
	}
	srv := newServer(t, newFake())
	slots := make(chan struct{}, runtime.NumCPU()+2)
	for _, tt := range cliCases() {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			stdout, stderr, err := runCLI(t, srv.URL, tt.args...)
			if err != nil {
				t.Fatalf("aws %s: %v\n%s", strings.Join(tt.args, " "), err, stderr)
			}
			if tt.want == nil {
				if strings.TrimSpace(stdout) != "" {
					t.Errorf("printed %q for an operation without output", stdout)
				}
				return
			}
			var out any
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			for path, want := range tt.want {
				if got := jsonAt(out, path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v\n%s", path, got, want, stdout)
				}
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		slots <- struct{}{}
		defer func() { <-slots }()
		_, stderr, err := runCLI(t, srv.URL, "iam", "get-role", "--role-name", "ghost")
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("aws iam get-role of a missing role: %v, want a failure", err)
		}
		want := "An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name ghost cannot be found."
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want %q", stderr, want)
		}
	})
}

// TestEveryOperationRunsInTheCLI keeps the CLI table in step with the operations.
func TestEveryOperationRunsInTheCLI(t *testing.T) {
	ran := map[string]bool{}
	for _, tt := range cliCases() {
		op := ""
		for _, word := range strings.Split(tt.args[1], "-") {
			op += strings.ToUpper(word[:1]) + word[1:]
		}
		ran[op] = true
	}
	for _, ops := range []map[string]queryOp{iamOps, stsOps} {
		for op := range ops {
			if !ran[op] {
				t.Errorf("%s is not run through the CLI", op)
			}
		}
	}
	for op := range orgOps {
		if !ran[op] {
			t.Errorf("%s is not run through the CLI", op)
		}
	}
}
