package e2e

// TestIAMAssumeRole: STS AssumeRole as users run it with the aws CLI (a role trusting a user, the
// session's credentials in AWS_SESSION_TOKEN, who the session is, the refusals), then a 2-second
// session with the Go SDK that expires on the ECR API, on STS and IAM, and on /v2.

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var (
	temporaryKeyRE = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	roleIDRE       = regexp.MustCompile(`^AROA[A-Z2-7]{17}$`)
)

func TestIAMAssumeRole(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithArgs("--min-session-duration=2s"))
	root, acct := rootOf(s), s.AccountID
	admin := cliAs(t, s, root)
	deployer := newIAMUser(t, s, root, "deployer", nil)
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": "assume/app"}, nil)

	t.Run("aws CLI", func(t *testing.T) {
		t.Parallel()
		out := admin.do(t, "iam", "create-role", "--role-name", "pusher", "--assume-role-policy-document", trusting(deployer.ARN))
		roleARN := "arn:aws:iam::" + acct + ":role/pusher"
		roleID, _ := at(out, "Role.RoleId").(string)
		wantAt(t, "create-role", out, map[string]any{"Role.Arn": roleARN, "Role.MaxSessionDuration": 3600,
			"Role.AssumeRolePolicyDocument.Statement.0.Principal.AWS": "[" + deployer.ARN + "]"})
		if !roleIDRE.MatchString(roleID) {
			t.Errorf("RoleId %q, want AROA and 17 characters", roleID)
		}
		admin.do(t, "iam", "attach-role-policy", "--role-name", "pusher", "--policy-arn", awsPolicyPrefix+"AmazonEC2ContainerRegistryPowerUser")

		before := time.Now()
		out = cliAs(t, s, deployer).do(t, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "ci-build")
		sessionARN := "arn:aws:sts::" + acct + ":assumed-role/pusher/ci-build"
		wantAt(t, "assume-role", out, map[string]any{"AssumedRoleUser.Arn": sessionARN, "AssumedRoleUser.AssumedRoleId": roleID + ":ci-build"})
		session := iamCreds{KeyID: asString(t, "AccessKeyId", at(out, "Credentials.AccessKeyId")),
			Secret: asString(t, "SecretAccessKey", at(out, "Credentials.SecretAccessKey")),
			Token:  asString(t, "SessionToken", at(out, "Credentials.SessionToken")), Account: acct, ARN: sessionARN}
		if !temporaryKeyRE.MatchString(session.KeyID) || len(session.Secret) != 40 || session.Token == "" {
			t.Errorf("credentials %q / %d-character secret / %d-character token, want ASIA…, 40 and a token",
				session.KeyID, len(session.Secret), len(session.Token))
		}
		if exp, err := time.Parse(time.RFC3339, asString(t, "Expiration", at(out, "Credentials.Expiration"))); err != nil ||
			exp.Before(before.Add(time.Hour-time.Minute)) || exp.After(time.Now().Add(time.Hour+time.Minute)) {
			t.Errorf("Expiration %v (%v), want an hour from now (the default)", at(out, "Credentials.Expiration"), err)
		}

		as := cliAs(t, s, session)
		out = as.do(t, "sts", "get-caller-identity")
		wantAt(t, "get-caller-identity in the session", out, map[string]any{"Arn": sessionARN, "UserId": roleID + ":ci-build", "Account": acct})
		out = as.do(t, "ecr", "describe-repositories")
		wantAt(t, "describe-repositories in the session", out, map[string]any{"repositories.0.repositoryName": "assume/app"})
		as.refuseWith(t, "AccessDeniedException", "CreateRepository",
			deniedMessage(sessionARN, "ecr:CreateRepository", repoARN(acct, "assume/new"), noIdentityClause("ecr:CreateRepository")),
			"ecr", "create-repository", "--repository-name", "assume/new")

		// A session policy narrows the session to what both it and the role allow.
		out = cliAs(t, s, deployer).do(t, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "narrow",
			"--policy", allowAll("ecr:DescribeRepositories"))
		narrowARN := "arn:aws:sts::" + acct + ":assumed-role/pusher/narrow"
		wantAt(t, "assume-role with a session policy", out, map[string]any{"AssumedRoleUser.Arn": narrowARN,
			"PackedPolicySize": func(v any) bool { n, ok := v.(float64); return ok && n > 0 && n <= 100 }})
		narrow := cliAs(t, s, iamCreds{KeyID: asString(t, "AccessKeyId", at(out, "Credentials.AccessKeyId")),
			Secret: asString(t, "SecretAccessKey", at(out, "Credentials.SecretAccessKey")),
			Token:  asString(t, "SessionToken", at(out, "Credentials.SessionToken"))})
		narrow.do(t, "ecr", "describe-repositories")
		narrow.refuseWith(t, "AccessDeniedException", "ListImages",
			deniedMessage(narrowARN, "ecr:ListImages", repoARN(acct, "assume/app"), "because no session policy allows the ecr:ListImages action"),
			"ecr", "list-images", "--repository-name", "assume/app")

		admin.refuseWith(t, "AccessDenied", "AssumeRole", iamMsgRootAssume,
			"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "root")
		// Even an administrator of the account needs the trust policy to name it.
		outsider := newIAMUser(t, s, root, "outsider", nil, awsPolicyPrefix+"AdministratorAccess")
		cliAs(t, s, outsider).refuseWith(t, "AccessDenied", "AssumeRole",
			"User: "+outsider.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN,
			"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "outsider")
		cliAs(t, s, deployer).refuseWith(t, "ValidationError", "AssumeRole",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
			"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "long", "--duration-seconds", "7200")
	})

	t.Run("a trust policy naming the account needs an identity allow", func(t *testing.T) {
		t.Parallel()
		roleARN := newIAMRole(t, s, root, "ops", trusting("arn:aws:iam::"+acct+":root"), nil)
		without := newIAMUser(t, s, root, "no-assume", nil)
		_, err := stsSDK(t, s, without).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
		wantSDKError(t, "AssumeRole without an identity allow", err, "AccessDenied", http.StatusForbidden,
			"User: "+without.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
		with := newIAMUser(t, s, root, "may-assume", map[string]string{"assume": policyDoc(stmt("Allow", "sts:AssumeRole", roleARN))})
		session, _ := assumeRole(t, s, with, roleARN, "s1", 0)
		id, err := stsSDK(t, s, session).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(id.Arn) != session.ARN {
			t.Errorf("GetCallerIdentity in the session: %v %v, want %s", id, err, session.ARN)
		}
	})

	t.Run("sessions, resource policies and deleted roles", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		// GetCallerIdentity needs no permission: even an explicit deny of everything allows it.
		denied := newIAMUser(t, s, root, "deny-everything", map[string]string{"deny": policyDoc(stmt("Deny", "*", "*"))})
		if id, err := stsSDK(t, s, denied).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || aws.ToString(id.Arn) != denied.ARN {
			t.Errorf("GetCallerIdentity under a Deny of everything: %v %v", id, err)
		}

		// A repository policy naming the role grants its sessions; one naming a session grants that session.
		roleARN := newIAMRole(t, s, root, "puller", trusting(deployer.ARN), nil)
		s1, _ := assumeRole(t, s, deployer, roleARN, "s1", 0)
		s2, _ := assumeRole(t, s, deployer, roleARN, "s2", 0)
		ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": "assume/pull"}, nil)
		ecrJSON(t, s, "SetRepositoryPolicy", map[string]any{"repositoryName": "assume/pull", "policyText": policyDoc(
			principalStmt("Allow", roleARN, "ecr:ListImages"), principalStmt("Allow", s1.ARN, "ecr:DescribeImages"))}, nil)
		in := []byte(`{"repositoryName":"assume/pull"}`)
		for _, tc := range []struct {
			session iamCreds
			op      string
			allowed bool
		}{{s1, "ListImages", true}, {s2, "ListImages", true}, {s1, "DescribeImages", true}, {s2, "DescribeImages", false}, {s1, "BatchGetImage", false}} {
			status, hdr, body := signedECR(t, s, tc.session, tc.op, in)
			if tc.allowed && status != http.StatusOK {
				t.Errorf("%s as %s: %d %s, want it allowed by the repository policy", tc.op, tc.session.ARN, status, body)
			} else if !tc.allowed {
				wantAWSError(t, tc.op+" as "+tc.session.ARN, status, hdr, body, http.StatusBadRequest, "AccessDeniedException",
					deniedMessage(tc.session.ARN, "ecr:"+tc.op, repoARN(acct, "assume/pull"), noIdentityClause("ecr:"+tc.op)))
			}
		}

		// A session outlives its role's deletion, but its role's policies are gone with the role.
		tempARN := newIAMRole(t, s, root, "temp", trusting(deployer.ARN), map[string]string{"ecr": allowAll("ecr:*")})
		temp, _ := assumeRole(t, s, deployer, tempARN, "temp", 0)
		if status, _, body := signedECR(t, s, temp, "DescribeRegistry", []byte("{}")); status != http.StatusOK {
			t.Fatalf("DescribeRegistry in the session: %d %s", status, body)
		}
		rootIAM := iamSDK(t, s, root)
		_, err := rootIAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("temp"), PolicyName: aws.String("ecr")})
		must(t, "DeleteRolePolicy", err)
		_, err = rootIAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("temp")})
		must(t, "DeleteRole", err)
		status, hdr, body := signedECR(t, s, temp, "DescribeRegistry", []byte("{}"))
		wantAWSError(t, "DescribeRegistry after the role was deleted", status, hdr, body, http.StatusBadRequest, "AccessDeniedException",
			deniedMessage(temp.ARN, "ecr:DescribeRegistry", "*", noIdentityClause("ecr:DescribeRegistry")))
	})

	t.Run("across accounts both sides must allow AssumeRole", func(t *testing.T) {
		t.Parallel()
		b := createMemberAccount(t, s, "assume-member", "assume-member@example.com")
		admin := newIAMUser(t, s, root, "assume-admin", nil, awsPolicyPrefix+"AdministratorAccess")
		inB, _ := assumeRole(t, s, admin, orgAccessRole(b), "setup", 0)
		traveller := newIAMUser(t, s, root, "traveller", nil)
		roleARN := newIAMRole(t, s, inB, "from-a", trusting(traveller.ARN), nil)
		_, err := stsSDK(t, s, traveller).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("trip")})
		wantSDKError(t, "AssumeRole into another account that trusts the user, without an identity allow", err, "AccessDenied",
			http.StatusForbidden, "User: "+traveller.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
		_, err = iamSDK(t, s, root).PutUserPolicy(t.Context(), &iam.PutUserPolicyInput{UserName: aws.String("traveller"),
			PolicyName: aws.String("assume"), PolicyDocument: aws.String(policyDoc(stmt("Allow", "sts:AssumeRole", roleARN)))})
		must(t, "PutUserPolicy", err)
		session, _ := assumeRole(t, s, traveller, roleARN, "trip", 0)
		id, err := stsSDK(t, s, session).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(id.Account) != b || aws.ToString(id.Arn) != "arn:aws:sts::"+b+":assumed-role/from-a/trip" {
			t.Errorf("GetCallerIdentity in the other account's role: %v %v", id, err)
		}
	})

	t.Run("a 2-second session expires everywhere", func(t *testing.T) {
		t.Parallel()
		roleARN := newIAMRole(t, s, root, "short", trusting(deployer.ARN), map[string]string{"all": allowAll([]string{"ecr:*", "iam:*"})})
		_, err := stsSDK(t, s, deployer).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("short"), DurationSeconds: aws.Int32(1)})
		wantSDKError(t, "AssumeRole for 1 s", err, "ValidationError", http.StatusBadRequest,
			"1 validation error detected: Value '1' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 2")

		session, expires := assumeRole(t, s, deployer, roleARN, "short", 2)
		if d := time.Until(expires); d > 2*time.Second || d < 0 {
			t.Fatalf("the session expires in %s, want 2 s or less", d)
		}
		ecrc, stsc, iamc := ecrSDKAs(t, s, session), stsSDK(t, s, session), iamSDK(t, s, session)
		if _, err := ecrc.DescribeRepositories(t.Context(), &ecr.DescribeRepositoriesInput{}); err != nil {
			t.Errorf("DescribeRepositories in the session: %v", err)
		}
		if id, err := stsc.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil || aws.ToString(id.Arn) != session.ARN {
			t.Errorf("GetCallerIdentity in the session: %v %v", id, err)
		}
		tok, err := ecrc.GetAuthorizationToken(t.Context(), &ecr.GetAuthorizationTokenInput{})
		must(t, "GetAuthorizationToken in the session", err)
		if got := aws.ToTime(tok.AuthorizationData[0].ExpiresAt); !got.Equal(expires) {
			t.Errorf("the token expires at %v, want with the session at %v", got, expires)
		}
		raw, _ := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
		v2 := newECRV2Client(s, strings.TrimPrefix(string(raw), "AWS:"))
		if resp, body := v2.do(t, http.MethodGet, "/v2/assume/app/tags/list", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("/v2 with the session's token: %d %s", resp.StatusCode, body)
		}

		time.Sleep(time.Until(expires.Add(300 * time.Millisecond)))
		_, err = ecrc.DescribeRepositories(t.Context(), &ecr.DescribeRepositoriesInput{})
		wantSDKError(t, "ECR after the session expired", err, "ExpiredTokenException", http.StatusBadRequest, iamMsgExpiredToken)
		_, err = stsc.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		wantSDKError(t, "STS after the session expired", err, "ExpiredToken", http.StatusForbidden, iamMsgExpiredToken)
		_, err = iamc.ListUsers(t.Context(), &iam.ListUsersInput{})
		wantSDKError(t, "IAM after the session expired", err, "ExpiredToken", http.StatusForbidden, iamMsgExpiredToken)
		resp, body := v2.do(t, http.MethodGet, "/v2/assume/app/tags/list", nil)
		if code, msg := v2Error(body); resp.StatusCode != http.StatusForbidden || code != "DENIED" || msg != iamMsgV2Expired {
			t.Errorf("/v2 with the token after the session expired: %d %s, want 403 DENIED %q", resp.StatusCode, body, iamMsgV2Expired)
		}
	})
}
