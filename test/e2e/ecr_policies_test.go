package e2e

// The real aws CLI against ECR's resource-based policies: repository policies (with
// validation and the force that a lock-out needs) and the registry policy (with its
// V1 scope).

import (
	"strings"
	"testing"
)

func TestECRRepositoryPolicies(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	acct := s.AccountID
	cli.ok(t, nil, "create-repository", "--repository-name", "pol/app")
	allowPull := `{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`

	msg := cli.fails(t, "RepositoryPolicyNotFoundException", "GetRepositoryPolicy", "get-repository-policy", "--repository-name", "pol/app")
	if want := "Repository policy does not exist for the repository with name 'pol/app' in the registry with id '" + acct + "'"; msg != want {
		t.Errorf("no policy yet: %q, want %q", msg, want)
	}
	cli.fails(t, "RepositoryPolicyNotFoundException", "DeleteRepositoryPolicy", "delete-repository-policy", "--repository-name", "pol/app")
	msg = cli.fails(t, "RepositoryNotFoundException", "SetRepositoryPolicy", "set-repository-policy",
		"--repository-name", "pol/none", "--policy-text", allowPull)
	if !strings.Contains(msg, "The repository with name 'pol/none' does not exist in the registry with id '"+acct+"'") {
		t.Errorf("no repository: %q", msg)
	}

	out := cli.obj(t, "set-repository-policy", "--repository-name", "pol/app", "--policy-text", allowPull)
	checkMembers(t, "SetRepositoryPolicy", out, []string{"registryId", "repositoryName", "policyText"},
		[]string{"registryId", "repositoryName", "policyText"})
	if out["registryId"] != acct || out["repositoryName"] != "pol/app" || out["policyText"] != allowPull {
		t.Errorf("SetRepositoryPolicy = %v", out)
	}
	got := cli.obj(t, "get-repository-policy", "--repository-name", "pol/app")
	if got["policyText"] != allowPull {
		t.Errorf("GetRepositoryPolicy policyText %v, want it as set", got["policyText"])
	}

	for name, text := range map[string]string{
		"not JSON":         "{not json",
		"no principal":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`,
		"bad effect":       `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]}`,
		"action no vendor": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"BatchGetImage"}]}`,
	} {
		msg := cli.fails(t, "InvalidParameterException", "SetRepositoryPolicy", "set-repository-policy",
			"--repository-name", "pol/app", "--policy-text", text)
		if msg != "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'" {
			t.Errorf("%s: %q", name, msg)
		}
	}
	if got := cli.obj(t, "get-repository-policy", "--repository-name", "pol/app"); got["policyText"] != allowPull {
		t.Errorf("a refused policy replaced the stored one: %v", got["policyText"])
	}

	// A policy that denies its setter ecr:SetRepositoryPolicy locks them out: it takes force.
	lockout := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:SetRepositoryPolicy"}]}`
	msg = cli.fails(t, "InvalidParameterException", "SetRepositoryPolicy", "set-repository-policy",
		"--repository-name", "pol/app", "--policy-text", lockout)
	if !strings.Contains(msg, "force") {
		t.Errorf("lock-out without force: %q, want it to name the force parameter", msg)
	}
	cli.ok(t, nil, "set-repository-policy", "--repository-name", "pol/app", "--policy-text", lockout, "--force")
	msg = cli.fails(t, "AccessDeniedException", "SetRepositoryPolicy", "set-repository-policy",
		"--repository-name", "pol/app", "--policy-text", allowPull)
	if !strings.HasSuffix(msg, "ecr:SetRepositoryPolicy on resource: arn:aws:ecr:us-east-1:"+acct+
		":repository/pol/app with an explicit deny in a resource-based policy") {
		t.Errorf("after the lock-out even the root is denied: %q", msg)
	}
	deleted := cli.obj(t, "delete-repository-policy", "--repository-name", "pol/app")
	if deleted["policyText"] != lockout {
		t.Errorf("DeleteRepositoryPolicy returned %v, want the deleted text", deleted["policyText"])
	}
	cli.fails(t, "RepositoryPolicyNotFoundException", "GetRepositoryPolicy", "get-repository-policy", "--repository-name", "pol/app")

	// A repository's policy goes with it.
	cli.ok(t, nil, "set-repository-policy", "--repository-name", "pol/app", "--policy-text", allowPull)
	cli.ok(t, nil, "delete-repository", "--repository-name", "pol/app")
	cli.ok(t, nil, "create-repository", "--repository-name", "pol/app")
	cli.fails(t, "RepositoryPolicyNotFoundException", "GetRepositoryPolicy", "get-repository-policy", "--repository-name", "pol/app")
}

func TestECRRegistryPolicy(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	acct := s.AccountID
	replicate := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:root"},` +
		`"Action":["ecr:CreateRepository","ecr:ReplicateImage"],"Resource":"arn:aws:ecr:us-east-1:` + acct + `:repository/*"}]}`
	pull := strings.Replace(replicate, `["ecr:CreateRepository","ecr:ReplicateImage"]`, `["ecr:BatchGetImage"]`, 1)

	msg := cli.fails(t, "RegistryPolicyNotFoundException", "GetRegistryPolicy", "get-registry-policy")
	if want := "Registry policy does not exist in the registry with id '" + acct + "'"; msg != want {
		t.Errorf("no registry policy: %q, want %q", msg, want)
	}
	out := cli.obj(t, "put-registry-policy", "--policy-text", pull)
	if out["registryId"] != acct || out["policyText"] != pull {
		t.Errorf("PutRegistryPolicy = %v", out)
	}
	if got := cli.obj(t, "get-registry-policy"); got["policyText"] != pull {
		t.Errorf("GetRegistryPolicy = %v", got)
	}
	msg = cli.fails(t, "InvalidParameterException", "PutRegistryPolicy", "put-registry-policy", "--policy-text", `{"Statement":[]}`)
	if msg != "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'" {
		t.Errorf("invalid registry policy: %q", msg)
	}

	// Under scope V1 only ReplicateImage, BatchImportUpstreamImage and CreateRepository.
	cli.ok(t, nil, "put-account-setting", "--name", "REGISTRY_POLICY_SCOPE", "--value", "V1")
	cli.fails(t, "InvalidParameterException", "PutRegistryPolicy", "put-registry-policy", "--policy-text", pull)
	cli.ok(t, nil, "put-registry-policy", "--policy-text", replicate)
	cli.ok(t, nil, "put-account-setting", "--name", "REGISTRY_POLICY_SCOPE", "--value", "V2")

	deleted := cli.obj(t, "delete-registry-policy")
	if deleted["policyText"] != replicate {
		t.Errorf("DeleteRegistryPolicy = %v", deleted)
	}
	cli.fails(t, "RegistryPolicyNotFoundException", "DeleteRegistryPolicy", "delete-registry-policy")
}
