package e2e

// TestIAMKeysTakeEffectAtOnce: an access key that is deactivated, reactivated or deleted with the aws
// CLI is refused or accepted from the very next request, on the JSON face (ECR), the query face
// (STS), and on /v2 for the authorization tokens obtained with it; and no secret ever reaches berth's
// log or lies in clear in its data directory.

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var longTermKeyRE = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)

func TestIAMKeysTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	root := rootOf(s)
	admin := cliAs(t, s, root)
	acct := s.AccountID
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": "keys/app"}, nil)

	admin.do(t, "iam", "create-user", "--user-name", "rotator")
	admin.do(t, "iam", "attach-user-policy", "--user-name", "rotator", "--policy-arn", awsPolicyPrefix+"AmazonEC2ContainerRegistryPowerUser")
	out := admin.do(t, "iam", "create-access-key", "--user-name", "rotator")
	wantAt(t, "create-access-key", out, map[string]any{"AccessKey.UserName": "rotator", "AccessKey.Status": "Active"})
	user := iamCreds{KeyID: asString(t, "AccessKeyId", at(out, "AccessKey.AccessKeyId")),
		Secret: asString(t, "SecretAccessKey", at(out, "AccessKey.SecretAccessKey")), Account: acct, ARN: userARN(acct, "rotator")}
	if !longTermKeyRE.MatchString(user.KeyID) || len(user.Secret) != 40 {
		t.Errorf("access key %q with a %d-character secret, want AKIA… and 40", user.KeyID, len(user.Secret))
	}
	secrets := map[string]string{"the root's secret": RootSecretAccessKey, "the user's secret": user.Secret}
	cli := cliAs(t, s, user)

	r := cli.run(t, "ecr", "get-login-password")
	if r.err != nil {
		t.Fatalf("get-login-password as the user:\n%s", r)
	}
	password := strings.TrimSpace(r.stdout)
	secrets["the user's /v2 password"] = password
	v2 := newECRV2Client(s, password)

	// works checks that the key is accepted on both faces and on /v2; refused that it is refused.
	works := func(t *testing.T, when string) {
		t.Helper()
		if status, _, body := signedECR(t, s, user, "DescribeRepositories", []byte("{}")); status != http.StatusOK {
			t.Errorf("%s: ECR DescribeRepositories: %d %s", when, status, body)
		}
		if resp, body := v2.do(t, http.MethodGet, "/v2/keys/app/tags/list", nil); resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("%s: /v2 with the key's token: %d %s", when, resp.StatusCode, body)
		}
		out := cli.do(t, "sts", "get-caller-identity")
		wantAt(t, when+": get-caller-identity", out, map[string]any{"Arn": user.ARN})
	}
	refused := func(t *testing.T, when string) {
		t.Helper()
		// Right away, before anything else happens, then with the aws CLI.
		status, hdr, body := signedECR(t, s, user, "DescribeRepositories", []byte("{}"))
		wantAWSError(t, when+": ECR DescribeRepositories", status, hdr, body, http.StatusBadRequest, "UnrecognizedClientException", ecrMsgInvalidToken)
		resp, body := v2.do(t, http.MethodGet, "/v2/keys/app/tags/list", nil)
		if code, msg := v2Error(body); resp.StatusCode != http.StatusUnauthorized || code != "UNAUTHORIZED" || msg != iamMsgV2Invalid {
			t.Errorf("%s: /v2 with the key's token: %d %s, want 401 UNAUTHORIZED %q", when, resp.StatusCode, body, iamMsgV2Invalid)
		}
		cli.refuseWith(t, "UnrecognizedClientException", "DescribeRepositories", ecrMsgInvalidToken, "ecr", "describe-repositories")
		cli.refuseWith(t, "InvalidClientTokenId", "GetCallerIdentity", ecrMsgInvalidToken, "sts", "get-caller-identity")
	}

	works(t, "a new key")
	admin.do(t, "iam", "update-access-key", "--user-name", "rotator", "--access-key-id", user.KeyID, "--status", "Inactive")
	refused(t, "inactive")
	out = admin.do(t, "iam", "list-access-keys", "--user-name", "rotator")
	wantAt(t, "list-access-keys", out, map[string]any{"AccessKeyMetadata.0.AccessKeyId": user.KeyID, "AccessKeyMetadata.0.Status": "Inactive"})

	// A second key of the same user is not affected by the first one's status.
	out = admin.do(t, "iam", "create-access-key", "--user-name", "rotator")
	second := iamCreds{KeyID: asString(t, "AccessKeyId", at(out, "AccessKey.AccessKeyId")),
		Secret: asString(t, "SecretAccessKey", at(out, "AccessKey.SecretAccessKey")), Account: acct, ARN: user.ARN}
	secrets["the second key's secret"] = second.Secret
	if status, _, body := signedECR(t, s, second, "DescribeRepositories", []byte("{}")); status != http.StatusOK {
		t.Errorf("the second key while the first is inactive: %d %s", status, body)
	}
	admin.refuseWith(t, "LimitExceeded", "CreateAccessKey", "Cannot exceed quota for AccessKeysPerUser: 2",
		"iam", "create-access-key", "--user-name", "rotator")

	admin.do(t, "iam", "update-access-key", "--user-name", "rotator", "--access-key-id", user.KeyID, "--status", "Active")
	works(t, "reactivated")
	// Policies take effect at once too, on the tokens already issued as well.
	powerUser := awsPolicyPrefix + "AmazonEC2ContainerRegistryPowerUser"
	admin.do(t, "iam", "detach-user-policy", "--user-name", "rotator", "--policy-arn", powerUser)
	status, hdr, body := signedECR(t, s, user, "DescribeRepositories", []byte("{}"))
	wantAWSError(t, "DescribeRepositories once the policy is detached", status, hdr, body, http.StatusBadRequest, "AccessDeniedException",
		deniedMessage(user.ARN, "ecr:DescribeRepositories", repoARN(acct, "*"), noIdentityClause("ecr:DescribeRepositories")))
	resp, rbody := v2.do(t, http.MethodGet, "/v2/keys/app/tags/list", nil)
	wantV2 := deniedMessage(user.ARN, "ecr:ListImages", repoARN(acct, "keys/app"), noIdentityClause("ecr:ListImages"))
	if code, msg := v2Error(rbody); resp.StatusCode != http.StatusForbidden || code != "DENIED" || msg != wantV2 {
		t.Errorf("/v2 once the policy is detached: %d %s, want 403 DENIED %q", resp.StatusCode, rbody, wantV2)
	}
	admin.do(t, "iam", "attach-user-policy", "--user-name", "rotator", "--policy-arn", powerUser)
	if status, _, body := signedECR(t, s, user, "DescribeRepositories", []byte("{}")); status != http.StatusOK {
		t.Errorf("DescribeRepositories once the policy is attached again: %d %s", status, body)
	}

	admin.do(t, "iam", "delete-access-key", "--user-name", "rotator", "--access-key-id", user.KeyID)
	refused(t, "deleted")
	admin.refuseWith(t, "NoSuchEntity", "DeleteAccessKey", "The Access Key with id "+user.KeyID+" cannot be found.",
		"iam", "delete-access-key", "--user-name", "rotator", "--access-key-id", user.KeyID)

	// A role session's secret and token stay out of the log too.
	roleARN := newIAMRole(t, s, root, "keys-role", trusting(second.ARN), map[string]string{"ecr": allowAll("ecr:*")})
	session, _ := assumeRole(t, s, second, roleARN, "keys", 0)
	secrets["a session's secret"], secrets["a session's token"] = session.Secret, session.Token
	secrets["a session's /v2 password"] = ecrPassword(t, s, session)

	log := s.Log()
	for what, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("%s appears in berth's log", what)
		}
		if found := ecrFilesContaining(t, s.DataDir, secret, ""); len(found) > 0 {
			t.Errorf("%s is stored in clear in %v", what, found)
		}
	}
}
