package e2e

// TestIAMCLIManagement: every IAM operation berth serves, walked through with the aws CLI as an
// administrator runs them, with the shapes the CLI prints (users, groups, roles, policies, policy
// documents decoded from their URL encoding) and IAM's refusals with its exact messages; then
// Organizations and `berth account` (iam_orgs_test.go).

import (
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"
)

var (
	userIDRE   = regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`)
	groupIDRE  = regexp.MustCompile(`^AGPA[A-Z2-7]{17}$`)
	policyIDRE = regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
)

// matches is a wantAt predicate: the value is a string matching re.
func matches(re *regexp.Regexp) func(any) bool {
	return func(v any) bool { s, ok := v.(string); return ok && re.MatchString(s) }
}

// recent is a wantAt predicate: the value is an ISO 8601 time within ten minutes of now.
func recent(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	tm, err := time.Parse(time.RFC3339, s)
	return err == nil && time.Since(tm).Abs() < 10*time.Minute
}

// names is the values at key of a list of objects.
func names(v any, key string) []string {
	var out []string
	for _, e := range asAnyList(v) {
		if s, ok := at(e, key).(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestIAMCLIManagement(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	admin := cliAs(t, s, rootOf(s))

	t.Run("walkthrough", func(t *testing.T) { cliWalkthrough(t, s, admin) })
	// The walkthrough ran every IAM and Organizations operation berth serves.
	for _, api := range []struct{ service, file, mapStart string }{
		{"iam", "internal/iamapi/handler.go", "var iamOps = map[string]queryOp{"},
		{"organizations", "internal/iamapi/organizations.go", "var orgOps = map[string]orgOp{"},
	} {
		ops := operationsServed(t, api.file, api.mapStart)
		t.Logf("%d %s operations served, each checked for a run in the walkthrough", len(ops), api.service)
		for _, op := range ops {
			if !admin.ranCommand(api.service + " " + cliCommand(op)) {
				t.Errorf("berth serves %s %s, which the walkthrough does not run (aws %s %s)", api.service, op, api.service, cliCommand(op))
			}
		}
	}
}

func cliWalkthrough(t *testing.T, s *Server, admin *awsCLI) {
	root := rootOf(s)
	acct := s.AccountID
	readOnly := awsPolicyPrefix + "AmazonEC2ContainerRegistryReadOnly"
	describe := policyDoc(stmt("Allow", "ecr:Describe*", "*"))

	t.Run("users, access keys and groups", func(t *testing.T) {
		t.Parallel()
		out := admin.do(t, "iam", "create-user", "--user-name", "alice", "--path", "/team/")
		wantAt(t, "create-user", out, map[string]any{"User.UserName": "alice", "User.Path": "/team/",
			"User.Arn": "arn:aws:iam::" + acct + ":user/team/alice", "User.UserId": matches(userIDRE), "User.CreateDate": recent})
		id := at(out, "User.UserId")
		admin.refuseWith(t, "EntityAlreadyExists", "CreateUser", "User with name alice already exists.", "iam", "create-user", "--user-name", "alice")
		admin.refuseWith(t, "ValidationError", "CreateUser",
			`1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`,
			"iam", "create-user", "--user-name", "bad name!")
		out = admin.do(t, "iam", "get-user", "--user-name", "alice")
		wantAt(t, "get-user", out, map[string]any{"User.UserId": id, "User.Path": "/team/", "User.Arn": "arn:aws:iam::" + acct + ":user/team/alice"})
		admin.refuseWith(t, "NoSuchEntity", "GetUser", "The user with name nobody cannot be found.", "iam", "get-user", "--user-name", "nobody")
		out = admin.do(t, "iam", "get-user")
		wantAt(t, "get-user as the root", out, map[string]any{"User.UserId": acct, "User.Arn": root.ARN})
		out = admin.do(t, "iam", "list-users", "--path-prefix", "/team/")
		if got := names(out["Users"], "UserName"); !slices.Equal(got, []string{"alice"}) {
			t.Errorf("list-users --path-prefix /team/: %v, want [alice]", got)
		}

		out = admin.do(t, "iam", "create-access-key", "--user-name", "alice")
		keyID, _ := at(out, "AccessKey.AccessKeyId").(string)
		wantAt(t, "create-access-key", out, map[string]any{"AccessKey.UserName": "alice", "AccessKey.Status": "Active",
			"AccessKey.AccessKeyId": matches(longTermKeyRE), "AccessKey.CreateDate": recent,
			"AccessKey.SecretAccessKey": func(v any) bool { s, _ := v.(string); return len(s) == 40 }})
		admin.do(t, "iam", "update-access-key", "--user-name", "alice", "--access-key-id", keyID, "--status", "Inactive")
		out = admin.do(t, "iam", "list-access-keys", "--user-name", "alice")
		wantAt(t, "list-access-keys", out, map[string]any{"AccessKeyMetadata.0.AccessKeyId": keyID,
			"AccessKeyMetadata.0.Status": "Inactive", "AccessKeyMetadata.0.UserName": "alice", "AccessKeyMetadata.0.SecretAccessKey": nil})
		admin.refuseWith(t, "DeleteConflict", "DeleteUser", "Cannot delete entity, must delete access keys first.",
			"iam", "delete-user", "--user-name", "alice")
		admin.do(t, "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", keyID)

		out = admin.do(t, "iam", "create-group", "--group-name", "devs")
		wantAt(t, "create-group", out, map[string]any{"Group.GroupName": "devs", "Group.Path": "/", "Group.GroupId": matches(groupIDRE),
			"Group.Arn": "arn:aws:iam::" + acct + ":group/devs", "Group.CreateDate": recent})
		admin.do(t, "iam", "add-user-to-group", "--group-name", "devs", "--user-name", "alice")
		admin.refuseWith(t, "NoSuchEntity", "AddUserToGroup", "The user with name nobody cannot be found.",
			"iam", "add-user-to-group", "--group-name", "devs", "--user-name", "nobody")
		out = admin.do(t, "iam", "list-groups")
		if got := names(out["Groups"], "GroupName"); !slices.Contains(got, "devs") {
			t.Errorf("list-groups: %v lacks devs", got)
		}
		out = admin.do(t, "iam", "get-group", "--group-name", "devs")
		wantAt(t, "get-group", out, map[string]any{"Group.GroupName": "devs", "Users.0.UserName": "alice", "Users.0.UserId": id})
		out = admin.do(t, "iam", "list-groups-for-user", "--user-name", "alice")
		wantAt(t, "list-groups-for-user", out, map[string]any{"Groups.0.GroupName": "devs", "Groups.0.Arn": "arn:aws:iam::" + acct + ":group/devs"})
		admin.refuseWith(t, "DeleteConflict", "DeleteGroup", "Cannot delete entity, must remove users from group first.",
			"iam", "delete-group", "--group-name", "devs")
		admin.refuseWith(t, "DeleteConflict", "DeleteUser", "Cannot delete entity, must remove users from group first.",
			"iam", "delete-user", "--user-name", "alice")
		admin.do(t, "iam", "remove-user-from-group", "--group-name", "devs", "--user-name", "alice")
		// Removing a user who is not a member succeeds, as in IAM.
		admin.do(t, "iam", "remove-user-from-group", "--group-name", "devs", "--user-name", "alice")
		admin.do(t, "iam", "delete-group", "--group-name", "devs")
		admin.refuseWith(t, "NoSuchEntity", "GetGroup", "The group with name devs cannot be found.", "iam", "get-group", "--group-name", "devs")
		admin.do(t, "iam", "delete-user", "--user-name", "alice")
		admin.refuseWith(t, "NoSuchEntity", "DeleteUser", "The user with name alice cannot be found.", "iam", "delete-user", "--user-name", "alice")
	})

	t.Run("inline policies and roles", func(t *testing.T) {
		t.Parallel()
		createUser(t, s, root, "bob")
		admin.refuseWith(t, "MalformedPolicyDocument", "PutUserPolicy", "Policy statement must contain resources.",
			"iam", "put-user-policy", "--user-name", "bob", "--policy-name", "bad", "--policy-document",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`)
		admin.refuseWith(t, "MalformedPolicyDocument", "PutUserPolicy", "Syntax errors in policy.",
			"iam", "put-user-policy", "--user-name", "bob", "--policy-name", "bad", "--policy-document", `{"Version":`)
		admin.do(t, "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "describe", "--policy-document", describe)
		out := admin.do(t, "iam", "get-user-policy", "--user-name", "bob", "--policy-name", "describe")
		wantAt(t, "get-user-policy", out, map[string]any{"UserName": "bob", "PolicyName": "describe",
			"PolicyDocument.Statement.0.Action": "ecr:Describe*", "PolicyDocument.Version": "2012-10-17"})
		out = admin.do(t, "iam", "list-user-policies", "--user-name", "bob")
		wantAt(t, "list-user-policies", out, map[string]any{"PolicyNames": []any{"describe"}})
		admin.refuseWith(t, "DeleteConflict", "DeleteUser", "Cannot delete entity, must delete policies first.",
			"iam", "delete-user", "--user-name", "bob")
		admin.do(t, "iam", "delete-user-policy", "--user-name", "bob", "--policy-name", "describe")
		admin.refuseWith(t, "NoSuchEntity", "GetUserPolicy", "The user policy with name describe cannot be found.",
			"iam", "get-user-policy", "--user-name", "bob", "--policy-name", "describe")

		admin.do(t, "iam", "create-group", "--group-name", "ops", "--path", "/teams/")
		admin.do(t, "iam", "put-group-policy", "--group-name", "ops", "--policy-name", "describe", "--policy-document", describe)
		out = admin.do(t, "iam", "get-group-policy", "--group-name", "ops", "--policy-name", "describe")
		wantAt(t, "get-group-policy", out, map[string]any{"GroupName": "ops", "PolicyDocument.Statement.0.Resource": "*"})
		out = admin.do(t, "iam", "list-group-policies", "--group-name", "ops")
		wantAt(t, "list-group-policies", out, map[string]any{"PolicyNames": []any{"describe"}})
		admin.refuseWith(t, "DeleteConflict", "DeleteGroup", "Cannot delete entity, must delete policies first.",
			"iam", "delete-group", "--group-name", "ops")
		admin.do(t, "iam", "delete-group-policy", "--group-name", "ops", "--policy-name", "describe")

		trust := trusting(userARN(acct, "bob"))
		admin.refuseWith(t, "MalformedPolicyDocument", "CreateRole", "Has prohibited field Resource",
			"iam", "create-role", "--role-name", "builder", "--assume-role-policy-document",
			policyDoc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": root.ARN}, "Action": "sts:AssumeRole", "Resource": "*"}))
		out = admin.do(t, "iam", "create-role", "--role-name", "builder", "--path", "/ci/", "--assume-role-policy-document", trust,
			"--description", "Builds images", "--max-session-duration", "7200")
		wantAt(t, "create-role", out, map[string]any{"Role.RoleName": "builder", "Role.Path": "/ci/", "Role.RoleId": matches(roleIDRE),
			"Role.Arn": "arn:aws:iam::" + acct + ":role/ci/builder", "Role.CreateDate": recent, "Role.Description": "Builds images",
			"Role.MaxSessionDuration": 7200, "Role.AssumeRolePolicyDocument.Statement.0.Principal.AWS": "[" + userARN(acct, "bob") + "]",
			"Role.AssumeRolePolicyDocument.Statement.0.Action": "sts:AssumeRole"})
		admin.refuseWith(t, "EntityAlreadyExists", "CreateRole", "Role with name builder already exists.",
			"iam", "create-role", "--role-name", "builder", "--assume-role-policy-document", trust)
		out = admin.do(t, "iam", "get-role", "--role-name", "builder")
		wantAt(t, "get-role", out, map[string]any{"Role.Arn": "arn:aws:iam::" + acct + ":role/ci/builder",
			"Role.AssumeRolePolicyDocument.Version": "2012-10-17", "Role.RoleLastUsed": map[string]any{}})
		out = admin.do(t, "iam", "list-roles", "--path-prefix", "/ci/")
		wantAt(t, "list-roles", out, map[string]any{"Roles.0.RoleName": "builder", "Roles.0.AssumeRolePolicyDocument.Statement.0.Effect": "Allow"})
		admin.do(t, "iam", "update-assume-role-policy", "--role-name", "builder", "--policy-document", trusting(root.ARN))
		out = admin.do(t, "iam", "get-role", "--role-name", "builder")
		wantAt(t, "get-role after update-assume-role-policy", out, map[string]any{"Role.AssumeRolePolicyDocument.Statement.0.Principal.AWS": "[" + root.ARN + "]"})
		admin.do(t, "iam", "put-role-policy", "--role-name", "builder", "--policy-name", "describe", "--policy-document", describe)
		out = admin.do(t, "iam", "get-role-policy", "--role-name", "builder", "--policy-name", "describe")
		wantAt(t, "get-role-policy", out, map[string]any{"RoleName": "builder", "PolicyDocument.Statement.0.Effect": "Allow"})
		out = admin.do(t, "iam", "list-role-policies", "--role-name", "builder")
		wantAt(t, "list-role-policies", out, map[string]any{"PolicyNames": []any{"describe"}})
		admin.refuseWith(t, "DeleteConflict", "DeleteRole", "Cannot delete entity, must delete policies first.",
			"iam", "delete-role", "--role-name", "builder")
		admin.do(t, "iam", "delete-role-policy", "--role-name", "builder", "--policy-name", "describe")
		admin.do(t, "iam", "delete-role", "--role-name", "builder")
		admin.refuseWith(t, "NoSuchEntity", "GetRole", "The role with name builder cannot be found.", "iam", "get-role", "--role-name", "builder")
	})

	t.Run("managed policies and their versions", func(t *testing.T) {
		t.Parallel()
		createUser(t, s, root, "carol")
		must(t, "CreateGroup", createGroup(t, s, root, "auditors"))
		newIAMRole(t, s, root, "auditor", trusting(root.ARN), nil)
		arn := "arn:aws:iam::" + acct + ":policy/ops/pull"
		admin.refuseWith(t, "MalformedPolicyDocument", "CreatePolicy", "Policy statement must contain resources.",
			"iam", "create-policy", "--policy-name", "pull", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`)
		out := admin.do(t, "iam", "create-policy", "--policy-name", "pull", "--path", "/ops/", "--policy-document", describe,
			"--description", "pull images")
		wantAt(t, "create-policy", out, map[string]any{"Policy.PolicyName": "pull", "Policy.Arn": arn, "Policy.Path": "/ops/",
			"Policy.PolicyId": matches(policyIDRE), "Policy.DefaultVersionId": "v1", "Policy.AttachmentCount": 0,
			"Policy.IsAttachable": true, "Policy.CreateDate": recent, "Policy.UpdateDate": recent})
		admin.refuseWith(t, "EntityAlreadyExists", "CreatePolicy", "A policy called pull already exists. Duplicate names are not allowed.",
			"iam", "create-policy", "--policy-name", "pull", "--path", "/ops/", "--policy-document", describe)
		out = admin.do(t, "iam", "get-policy", "--policy-arn", arn)
		wantAt(t, "get-policy", out, map[string]any{"Policy.Description": "pull images", "Policy.DefaultVersionId": "v1"})
		out = admin.do(t, "iam", "list-policies", "--scope", "Local")
		if got := names(out["Policies"], "Arn"); !slices.Equal(got, []string{arn}) {
			t.Errorf("list-policies --scope Local: %v, want [%s]", got, arn)
		}
		out = admin.do(t, "iam", "list-policies", "--scope", "AWS")
		want := []string{"AdministratorAccess", "AmazonEC2ContainerRegistryFullAccess", "AmazonEC2ContainerRegistryPowerUser",
			"AmazonEC2ContainerRegistryPullOnly", "AmazonEC2ContainerRegistryReadOnly", "IAMFullAccess", "IAMReadOnlyAccess"}
		if got := names(out["Policies"], "PolicyName"); !slices.Equal(got, want) {
			t.Errorf("list-policies --scope AWS: %v, want %v", got, want)
		}

		for v := 2; v <= 5; v++ {
			args := []string{"iam", "create-policy-version", "--policy-arn", arn, "--policy-document",
				policyDoc(stmt("Allow", []string{"ecr:Describe*", "ecr:List*"}, "*"))}
			if v == 5 {
				args = append(args, "--set-as-default")
			}
			out = admin.do(t, args...)
			wantAt(t, "create-policy-version", out, map[string]any{"PolicyVersion.VersionId": "v" + strconv.Itoa(v),
				"PolicyVersion.IsDefaultVersion": v == 5, "PolicyVersion.CreateDate": recent})
		}
		admin.refuseWith(t, "LimitExceeded", "CreatePolicyVersion",
			"A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
			"iam", "create-policy-version", "--policy-arn", arn, "--policy-document", describe)
		out = admin.do(t, "iam", "list-policy-versions", "--policy-arn", arn)
		if got := names(out["Versions"], "VersionId"); !slices.Equal(got, []string{"v5", "v4", "v3", "v2", "v1"}) {
			t.Errorf("list-policy-versions: %v, want v5 to v1", got)
		}
		wantAt(t, "list-policy-versions", out, map[string]any{"Versions.0.IsDefaultVersion": true, "Versions.4.IsDefaultVersion": false})
		out = admin.do(t, "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v5")
		wantAt(t, "get-policy-version", out, map[string]any{"PolicyVersion.Document.Statement.0.Action.1": "ecr:List*",
			"PolicyVersion.VersionId": "v5", "PolicyVersion.IsDefaultVersion": true})
		admin.refuseWith(t, "NoSuchEntity", "GetPolicyVersion", "Policy "+arn+" version v9 does not exist or is not attachable.",
			"iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v9")
		admin.refuseWith(t, "DeleteConflict", "DeletePolicyVersion", "Cannot delete the default version of a policy.",
			"iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v5")
		admin.do(t, "iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1")
		wantAt(t, "get-policy after set-default-policy-version", admin.do(t, "iam", "get-policy", "--policy-arn", arn),
			map[string]any{"Policy.DefaultVersionId": "v1"})

		admin.do(t, "iam", "attach-user-policy", "--user-name", "carol", "--policy-arn", arn)
		admin.do(t, "iam", "attach-user-policy", "--user-name", "carol", "--policy-arn", readOnly)
		admin.do(t, "iam", "attach-group-policy", "--group-name", "auditors", "--policy-arn", arn)
		admin.do(t, "iam", "attach-role-policy", "--role-name", "auditor", "--policy-arn", arn)
		admin.refuseWith(t, "NoSuchEntity", "AttachUserPolicy", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
			"iam", "attach-user-policy", "--user-name", "carol", "--policy-arn", "arn:aws:iam::aws:policy/NoSuchPolicy")
		out = admin.do(t, "iam", "list-attached-user-policies", "--user-name", "carol")
		if got := names(out["AttachedPolicies"], "PolicyArn"); !sameSet(got, []string{arn, readOnly}) {
			t.Errorf("list-attached-user-policies: %v, want %s and %s", got, arn, readOnly)
		}
		wantAt(t, "list-attached-group-policies", admin.do(t, "iam", "list-attached-group-policies", "--group-name", "auditors"),
			map[string]any{"AttachedPolicies.0.PolicyName": "pull", "AttachedPolicies.0.PolicyArn": arn})
		wantAt(t, "list-attached-role-policies", admin.do(t, "iam", "list-attached-role-policies", "--role-name", "auditor"),
			map[string]any{"AttachedPolicies.0.PolicyName": "pull"})
		wantAt(t, "get-policy once attached", admin.do(t, "iam", "get-policy", "--policy-arn", arn), map[string]any{"Policy.AttachmentCount": 3})
		wantAt(t, "get-policy of an AWS managed policy", admin.do(t, "iam", "get-policy", "--policy-arn", readOnly),
			map[string]any{"Policy.AttachmentCount": 1, "Policy.PolicyId": "ANPAIFYZPA37OOHVIH7KQ", "Policy.DefaultVersionId": "v3"})
		admin.refuseWith(t, "DeleteConflict", "DeleteUser", "Cannot delete entity, must detach all policies first.",
			"iam", "delete-user", "--user-name", "carol")
		admin.refuseWith(t, "DeleteConflict", "DeletePolicy", "Cannot delete a policy attached to entities.",
			"iam", "delete-policy", "--policy-arn", arn)
		admin.do(t, "iam", "detach-user-policy", "--user-name", "carol", "--policy-arn", arn)
		admin.do(t, "iam", "detach-group-policy", "--group-name", "auditors", "--policy-arn", arn)
		admin.do(t, "iam", "detach-role-policy", "--role-name", "auditor", "--policy-arn", arn)
		admin.refuseWith(t, "NoSuchEntity", "DetachRolePolicy", "Policy "+arn+" was not found.",
			"iam", "detach-role-policy", "--role-name", "auditor", "--policy-arn", arn)
		admin.refuseWith(t, "DeleteConflict", "DeletePolicy", "This policy has more than one version. Before you delete a policy, "+
			"you must delete the policy's versions. The default version is deleted with the policy.",
			"iam", "delete-policy", "--policy-arn", arn)
		for _, v := range []string{"v2", "v3", "v4", "v5"} {
			admin.do(t, "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", v)
		}
		admin.do(t, "iam", "delete-policy", "--policy-arn", arn)
		admin.refuseWith(t, "NoSuchEntity", "GetPolicy", "Policy "+arn+" was not found.", "iam", "get-policy", "--policy-arn", arn)
	})

	t.Run("Organizations and berth account", func(t *testing.T) {
		t.Parallel()
		cliOrganizations(t, s, admin)
	})
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
