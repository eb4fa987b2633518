package e2e

// Organizations with the aws CLI and `berth account` beside a running server: the part of
// TestIAMCLIManagement that creates accounts, assumes OrganizationAccountAccessRole into one, and
// checks what member accounts may not do.

import (
	"context"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

var (
	orgIDRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	carIDRE     = regexp.MustCompile(`^car-[a-z0-9]{8,32}$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// berthAccount runs `berth account <args> --data-dir <the server's>` as an administrator does beside
// a running server, and returns its output.
func berthAccount(t *testing.T, s *Server, args ...string) string {
	t.Helper()
	cmd := exec.Command(berthBinary, append(append([]string{"account"}, args...), "--data-dir", s.DataDir)...)
	cmd.Env = serverEnv(nil)
	out, err := cmd.CombinedOutput()
	t.Logf("$ berth account %s  (%v)", strings.Join(args, " "), exitString(err))
	if err != nil {
		t.Fatalf("berth account %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitForAccount waits until the server lists an account (berth account create works on the data
// directory; the server sees it within a second or so).
func waitForAccount(t *testing.T, s *Server, id string) {
	t.Helper()
	c := orgSDK(t, s, rootOf(s))
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := c.ListAccounts(context.Background(), &organizations.ListAccountsInput{})
		must(t, "ListAccounts", err)
		for _, a := range out.Accounts {
			if *a.Id == id {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server does not list account %s 5 s after berth account create", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func cliOrganizations(t *testing.T, s *Server, admin *awsCLI) {
	root, mgmt := rootOf(s), s.AccountID

	out := admin.do(t, "organizations", "describe-organization")
	org, _ := at(out, "Organization.Id").(string)
	wantAt(t, "describe-organization", out, map[string]any{"Organization.Id": matches(orgIDRE), "Organization.FeatureSet": "ALL",
		"Organization.MasterAccountId": mgmt, "Organization.Arn": "arn:aws:organizations::" + mgmt + ":organization/" + org,
		"Organization.MasterAccountArn": "arn:aws:organizations::" + mgmt + ":account/" + org + "/" + mgmt})

	// Organizations CreateAccount answers IN_PROGRESS; the status tells the outcome.
	out = admin.do(t, "organizations", "create-account", "--email", "team@example.com", "--account-name", "team")
	request, _ := at(out, "CreateAccountStatus.Id").(string)
	wantAt(t, "create-account", out, map[string]any{"CreateAccountStatus.State": "IN_PROGRESS", "CreateAccountStatus.AccountName": "team",
		"CreateAccountStatus.Id": matches(carIDRE), "CreateAccountStatus.RequestedTimestamp": func(v any) bool { _, ok := v.(float64); return ok }})
	out = admin.do(t, "organizations", "describe-create-account-status", "--create-account-request-id", request)
	team, _ := at(out, "CreateAccountStatus.AccountId").(string)
	wantAt(t, "describe-create-account-status", out, map[string]any{"CreateAccountStatus.State": "SUCCEEDED",
		"CreateAccountStatus.AccountId": matches(accountIDRE), "CreateAccountStatus.Id": request})
	out = admin.do(t, "organizations", "list-create-account-status", "--states", "SUCCEEDED")
	if got := names(out["CreateAccountStatuses"], "Id"); !sameSet(got, []string{request}) {
		t.Errorf("list-create-account-status --states SUCCEEDED: %v, want [%s]", got, request)
	}
	out = admin.do(t, "organizations", "create-account", "--email", "team@example.com", "--account-name", "team again")
	again, _ := at(out, "CreateAccountStatus.Id").(string)
	wantAt(t, "describe-create-account-status of a second account with the same email",
		admin.do(t, "organizations", "describe-create-account-status", "--create-account-request-id", again),
		map[string]any{"CreateAccountStatus.State": "FAILED", "CreateAccountStatus.FailureReason": "EMAIL_ALREADY_EXISTS"})

	// berth account create, beside the running server.
	const sideHost = "side.registry.test:5000"
	created := time.Now()
	printed := berthAccount(t, s, "create", "--name", "side", "--email", "side@example.com", "--account-registry-host", sideHost)
	m := regexp.MustCompile(`Created account ([0-9]{12}) \(side, side@example.com\) in organization ` + org).FindStringSubmatch(printed)
	k, sec := printedKeyRE.FindStringSubmatch(printed), printedSecretRE.FindStringSubmatch(printed)
	if m == nil || k == nil || sec == nil || !strings.Contains(printed, orgAccessRole(m[1])) {
		t.Fatalf("berth account create printed:\n%s", printed)
	}
	side := m[1]
	sideRoot := iamCreds{KeyID: k[1], Secret: sec[1], Account: side, ARN: "arn:aws:iam::" + side + ":root"}
	listed := berthAccount(t, s, "list")
	for _, want := range []string{mgmt + "  default (management)", team + "  team", side + "  side", sideHost} {
		if !strings.Contains(listed, want) {
			t.Errorf("berth account list lacks %q:\n%s", want, listed)
		}
	}
	waitForAccount(t, s, side)
	if d := time.Since(created); d > 3*time.Second {
		t.Errorf("the server listed the account %s after berth account create, want about a second", d.Round(10*time.Millisecond))
	} else {
		t.Logf("the server listed the new account %s after berth account create started", d.Round(10*time.Millisecond))
	}
	out = admin.do(t, "organizations", "list-accounts")
	byID := map[string]any{}
	for _, a := range asAnyList(out["Accounts"]) {
		byID[at(a, "Id").(string)] = a
	}
	wantAt(t, "list-accounts", byID, map[string]any{
		mgmt + ".JoinedMethod": "INVITED", mgmt + ".Status": "ACTIVE",
		mgmt + ".Arn":  "arn:aws:organizations::" + mgmt + ":account/" + org + "/" + mgmt,
		team + ".Name": "team", team + ".Email": "team@example.com", team + ".JoinedMethod": "CREATED", team + ".Status": "ACTIVE",
		side + ".Name": "side", side + ".Email": "side@example.com", side + ".JoinedMethod": "CREATED",
	})
	if len(byID) != 3 {
		t.Errorf("list-accounts: %d accounts, want 3", len(byID))
	}

	// A user of the management account allowed to assume the new account's OrganizationAccountAccessRole.
	ops := newIAMUser(t, s, root, "ops", map[string]string{"assume": policyDoc(stmt("Allow", "sts:AssumeRole", orgAccessRole(side)))})
	opsCLI := cliAs(t, s, ops)
	out = opsCLI.do(t, "sts", "assume-role", "--role-arn", orgAccessRole(side), "--role-session-name", "ops")
	sessionARN := "arn:aws:sts::" + side + ":assumed-role/OrganizationAccountAccessRole/ops"
	wantAt(t, "assume-role into the new account", out, map[string]any{"AssumedRoleUser.Arn": sessionARN})
	session := iamCreds{KeyID: asString(t, "AccessKeyId", at(out, "Credentials.AccessKeyId")),
		Secret: asString(t, "SecretAccessKey", at(out, "Credentials.SecretAccessKey")),
		Token:  asString(t, "SessionToken", at(out, "Credentials.SessionToken")), Account: side, ARN: sessionARN}
	out = cliAs(t, s, session).do(t, "ecr", "create-repository", "--repository-name", "side/app")
	wantAt(t, "create-repository in the new account", out, map[string]any{"repository.registryId": side,
		"repository.repositoryArn": repoARN(side, "side/app"), "repository.repositoryUri": sideHost + "/side/app"})
	// Not the other account's role: its trust names the management account, whose identity policies
	// must allow it too.
	opsCLI.refuseWith(t, "AccessDenied", "AssumeRole",
		"User: "+ops.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+orgAccessRole(team),
		"sts", "assume-role", "--role-arn", orgAccessRole(team), "--role-session-name", "ops")

	// /v2 of the new account's registry host is the new account's registry; the server's own address
	// is the management account's, where the session has no resource policy to rely on.
	password := ecrPassword(t, s, session)
	for _, tc := range []struct {
		host, want string
		status     int
	}{
		{sideHost, `"side/app"`, http.StatusOK},
		{s.Addr, deniedMessage(sessionARN, "ecr:DescribeRepositories", repoARN(mgmt, "*"), noResourceClause("ecr:DescribeRepositories")), http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/v2/_catalog", nil)
		req.Host = tc.host
		req.SetBasicAuth("AWS", password)
		resp, err := s.Client().Do(req)
		must(t, "GET /v2/_catalog", err)
		body := readBody(t, resp)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET /v2/_catalog on %s with the session's token: %d %s, want %d and %s", tc.host, resp.StatusCode, body, tc.status, tc.want)
		}
	}

	// An account created through the API gets its registry host from the admin command, and its
	// repositories' URIs follow at once.
	const teamHost = "team.registry.test:5000"
	if got := berthAccount(t, s, "set-registry-host", team, teamHost); !strings.Contains(got, teamHost) {
		t.Errorf("berth account set-registry-host printed %q", got)
	}
	teamOps := newIAMUser(t, s, root, "team-ops", map[string]string{"assume": policyDoc(stmt("Allow", "sts:AssumeRole", orgAccessRole(team)))})
	out = cliAs(t, s, teamOps).do(t, "sts", "assume-role", "--role-arn", orgAccessRole(team), "--role-session-name", "ops")
	teamSession := iamCreds{KeyID: asString(t, "AccessKeyId", at(out, "Credentials.AccessKeyId")),
		Secret: asString(t, "SecretAccessKey", at(out, "Credentials.SecretAccessKey")),
		Token:  asString(t, "SessionToken", at(out, "Credentials.SessionToken")), Account: team,
		ARN: "arn:aws:sts::" + team + ":assumed-role/OrganizationAccountAccessRole/ops"}
	out = cliAs(t, s, teamSession).do(t, "ecr", "create-repository", "--repository-name", "team/app")
	wantAt(t, "create-repository in the API-created account", out, map[string]any{"repository.registryId": team,
		"repository.repositoryUri": teamHost + "/team/app"})
	for _, bad := range [][]string{{"set-registry-host", "999999999999", "x.test"}, {"set-registry-host", side, teamHost},
		{"set-registry-host", mgmt, "y.test"}} {
		cmd := exec.Command(berthBinary, append(append([]string{"account"}, bad...), "--data-dir", s.DataDir)...)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("berth account %v succeeded: %s", bad, out)
		}
	}

	// A member account's user, even an administrator of it, may not use Organizations' management
	// operations; it may describe its organization.
	member := newIAMUser(t, s, sideRoot, "member-admin", nil, awsPolicyPrefix+"AdministratorAccess")
	memberCLI := cliAs(t, s, member)
	memberCLI.refuseWith(t, "AccessDeniedException", "ListAccounts", iamMsgOrgsDenied, "organizations", "list-accounts")
	memberCLI.refuseWith(t, "AccessDeniedException", "CreateAccount", iamMsgOrgsDenied,
		"organizations", "create-account", "--email", "rogue@example.com", "--account-name", "rogue")
	wantAt(t, "describe-organization as a member", memberCLI.do(t, "organizations", "describe-organization"),
		map[string]any{"Organization.Id": org, "Organization.MasterAccountId": mgmt})
}
