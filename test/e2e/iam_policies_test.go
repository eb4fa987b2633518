package e2e

// TestIAMExplicitDenyWins: an explicit Deny beats every Allow, wherever it is — in an identity-based
// policy (here a group's), in a repository policy, in the registry policy — with the aws CLI, as users
// set and meet them; and the repository policy API's own refusals.

import (
	"net/http"
	"testing"
)

func TestIAMExplicitDenyWins(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	root := rootOf(s)
	admin := cliAs(t, s, root)
	img := newECRImage(t, "deny", 300)
	v2 := newECRV2Client(s, s.Token(t))
	for _, repo := range []string{"deny/identity", "deny/resource", "deny/open"} {
		ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": repo}, nil)
		img.pushBlobs(t, v2, repo)
		if resp, body := v2.putManifest(t, repo, "v1", mtOCIManifest, img.manifest); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push %s: %d %s", repo, resp.StatusCode, body)
		}
	}

	t.Run("identity Allow and identity Deny", func(t *testing.T) {
		t.Parallel()
		// Allowed by an AWS managed policy attached to the user, denied by its group's inline policy.
		user := newIAMUser(t, s, root, "deny-by-group", nil, awsPolicyPrefix+"AmazonEC2ContainerRegistryPowerUser")
		cli := cliAs(t, s, user)
		cli.do(t, "ecr", "batch-get-image", "--repository-name", "deny/identity", "--image-ids", "imageTag=v1")
		admin.do(t, "iam", "create-group", "--group-name", "no-pulls")
		admin.do(t, "iam", "put-group-policy", "--group-name", "no-pulls", "--policy-name", "deny-pull",
			"--policy-document", policyDoc(stmt("Deny", "ecr:BatchGetImage", repoARN(s.AccountID, "deny/*"))))
		admin.do(t, "iam", "add-user-to-group", "--group-name", "no-pulls", "--user-name", "deny-by-group")
		cli.refuseWith(t, "AccessDeniedException", "BatchGetImage",
			deniedMessage(user.ARN, "ecr:BatchGetImage", repoARN(s.AccountID, "deny/identity"), identityDenyClause),
			"ecr", "batch-get-image", "--repository-name", "deny/identity", "--image-ids", "imageTag=v1")
		// What the Deny does not name is still allowed.
		out := cli.do(t, "ecr", "describe-images", "--repository-name", "deny/identity")
		wantAt(t, "describe-images", out, map[string]any{"imageDetails.0.imageDigest": img.digest})
	})

	t.Run("identity Allow and repository policy Deny", func(t *testing.T) {
		t.Parallel()
		user := newIAMUser(t, s, root, "deny-by-repo", map[string]string{"ecr": allowAll("ecr:*")})
		cli := cliAs(t, s, user)
		admin.refuseWith(t, "RepositoryPolicyNotFoundException", "GetRepositoryPolicy",
			"Repository policy does not exist for the repository with name 'deny/resource' in the registry with id '"+s.AccountID+"'",
			"ecr", "get-repository-policy", "--repository-name", "deny/resource")
		admin.refuseWith(t, "InvalidParameterException", "SetRepositoryPolicy",
			"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
			"ecr", "set-repository-policy", "--repository-name", "deny/resource", "--policy-text", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`)
		deny := policyDoc(principalStmt("Deny", user.ARN, []string{"ecr:BatchGetImage", "ecr:PutImage"}))
		out := admin.do(t, "ecr", "set-repository-policy", "--repository-name", "deny/resource", "--policy-text", deny)
		wantAt(t, "set-repository-policy", out, map[string]any{"registryId": s.AccountID, "repositoryName": "deny/resource", "policyText": deny})
		cli.refuseWith(t, "AccessDeniedException", "BatchGetImage",
			deniedMessage(user.ARN, "ecr:BatchGetImage", repoARN(s.AccountID, "deny/resource"), resourceDenyClause),
			"ecr", "batch-get-image", "--repository-name", "deny/resource", "--image-ids", "imageTag=v1")
		// The repository without that policy, and what the policy does not deny.
		cli.do(t, "ecr", "batch-get-image", "--repository-name", "deny/open", "--image-ids", "imageTag=v1")
		cli.do(t, "ecr", "list-images", "--repository-name", "deny/resource")

		// A policy that would deny its setter ecr:SetRepositoryPolicy needs --force.
		lockout := policyDoc(principalStmt("Deny", root.ARN, "ecr:SetRepositoryPolicy"))
		admin.refuseWith(t, "InvalidParameterException", "SetRepositoryPolicy",
			"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'The repository policy you are setting would prevent "+
				"you from setting another policy in the future. To set this policy anyway, use the force parameter'",
			"ecr", "set-repository-policy", "--repository-name", "deny/resource", "--policy-text", lockout)
		admin.do(t, "ecr", "set-repository-policy", "--repository-name", "deny/resource", "--policy-text", lockout, "--force")
		admin.refuseWith(t, "AccessDeniedException", "SetRepositoryPolicy",
			deniedMessage(root.ARN, "ecr:SetRepositoryPolicy", repoARN(s.AccountID, "deny/resource"), resourceDenyClause),
			"ecr", "set-repository-policy", "--repository-name", "deny/resource", "--policy-text", deny)
		out = admin.do(t, "ecr", "delete-repository-policy", "--repository-name", "deny/resource")
		wantAt(t, "delete-repository-policy", out, map[string]any{"policyText": lockout})
		cli.do(t, "ecr", "batch-get-image", "--repository-name", "deny/resource", "--image-ids", "imageTag=v1")
	})

	t.Run("registry policy Deny", func(t *testing.T) {
		t.Parallel()
		user := newIAMUser(t, s, root, "deny-by-registry", map[string]string{"ecr": allowAll("ecr:*")})
		cli := cliAs(t, s, user)
		deny := policyDoc(
			map[string]any{"Sid": "NoNewRepositories", "Effect": "Deny", "Principal": map[string]any{"AWS": user.ARN},
				"Action": "ecr:CreateRepository", "Resource": repoARN(s.AccountID, "*")},
			map[string]any{"Sid": "NoDescribeImages", "Effect": "Deny", "Principal": map[string]any{"AWS": user.ARN},
				"Action": "ecr:DescribeImages", "Resource": repoARN(s.AccountID, "*")})
		out := admin.do(t, "ecr", "put-registry-policy", "--policy-text", deny)
		wantAt(t, "put-registry-policy", out, map[string]any{"registryId": s.AccountID, "policyText": deny})
		cli.refuseWith(t, "AccessDeniedException", "CreateRepository",
			deniedMessage(user.ARN, "ecr:CreateRepository", repoARN(s.AccountID, "deny/new"), resourceDenyClause),
			"ecr", "create-repository", "--repository-name", "deny/new")
		// Under the default scope (V2) the registry policy governs every ECR action; under V1 only
		// CreateRepository, ReplicateImage and BatchImportUpstreamImage.
		wantAt(t, "get-account-setting", admin.do(t, "ecr", "get-account-setting", "--name", "REGISTRY_POLICY_SCOPE"),
			map[string]any{"value": "V2"})
		cli.refuseWith(t, "AccessDeniedException", "DescribeImages",
			deniedMessage(user.ARN, "ecr:DescribeImages", repoARN(s.AccountID, "deny/open"), resourceDenyClause),
			"ecr", "describe-images", "--repository-name", "deny/open")
		admin.do(t, "ecr", "put-account-setting", "--name", "REGISTRY_POLICY_SCOPE", "--value", "V1")
		cli.do(t, "ecr", "describe-images", "--repository-name", "deny/open")
		cli.refuseWith(t, "AccessDeniedException", "CreateRepository",
			deniedMessage(user.ARN, "ecr:CreateRepository", repoARN(s.AccountID, "deny/new"), resourceDenyClause),
			"ecr", "create-repository", "--repository-name", "deny/new")
		admin.do(t, "ecr", "put-account-setting", "--name", "REGISTRY_POLICY_SCOPE", "--value", "V2")
		admin.do(t, "ecr", "delete-registry-policy")
		out = cli.do(t, "ecr", "create-repository", "--repository-name", "deny/new")
		wantAt(t, "create-repository once the registry policy is gone", out, map[string]any{"repository.registryId": s.AccountID})
	})
}
