package iam

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

const (
	testAccount = "111122223333"
	testRootKey = "AKIAGIVEN00000000001"
)

// bootstrapped returns a service with its default account.
func bootstrapped(t *testing.T) (*Service, meta.Store) {
	t.Helper()
	s, store, _ := newService(t)
	if _, err := s.Bootstrap(t.Context(), BootstrapOptions{AccountID: testAccount, RootAccessKeyID: testRootKey,
		RootSecretAccessKey: "given-secret-given-secret"}); err != nil {
		t.Fatal(err)
	}
	return s, store
}

// newUser creates a user with an access key and returns its principal.
func newUser(t *testing.T, s *Service, account, name string) (Principal, string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, account, name, "/"); err != nil {
		t.Fatal(err)
	}
	k, secret, err := s.CreateAccessKey(ctx, account, name)
	if err != nil {
		t.Fatal(err)
	}
	got, p, err := s.credential(ctx, k.ID, "")
	if err != nil || got != secret {
		t.Fatalf("credential of a new key: %q %v", got, err)
	}
	return p, k.ID
}

func repoARN(account, name string) string {
	return "arn:aws:ecr:us-east-1:" + account + ":repository/" + name
}

// wantDecision checks the outcome of one authorization: "" for allowed, else a part
// of the AccessDenied message.
func wantDecision(t *testing.T, s *Service, req Request, want string) {
	t.Helper()
	err := s.Authorize(t.Context(), req)
	switch {
	case want == "" && err != nil:
		t.Errorf("%s %s on %s: %v, want allowed", req.Principal.ARN, req.Action, req.Resource, err)
	case want != "" && err == nil:
		t.Errorf("%s %s on %s: allowed, want denied (%s)", req.Principal.ARN, req.Action, req.Resource, want)
	case want != "" && (!errcode.Is(err, errcode.Denied) || !strings.Contains(err.Error(), want)):
		t.Errorf("%s %s on %s: %v, want Denied with %q", req.Principal.ARN, req.Action, req.Resource, err, want)
	}
}

func TestAuthorizeIdentityPolicies(t *testing.T) {
	ctx := t.Context()
	s, _ := bootstrapped(t)
	bob, _ := newUser(t, s, testAccount, "bob")
	pull := Request{Principal: bob, Action: "ecr:BatchGetImage", Resource: repoARN(testAccount, "app")}
	push := Request{Principal: bob, Action: "ecr:PutImage", Resource: repoARN(testAccount, "app")}

	wantDecision(t, s, pull, "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: ecr:BatchGetImage on resource: "+
		"arn:aws:ecr:us-east-1:111122223333:repository/app because no identity-based policy allows the ecr:BatchGetImage action")
	if err := s.AttachPolicy(ctx, testAccount, meta.KindUser, "bob", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, pull, "")
	wantDecision(t, s, push, "no identity-based policy allows the ecr:PutImage action")
	wantDecision(t, s, Request{Principal: bob, Action: "ecr:GetAuthorizationToken", Resource: "*"}, "")

	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:BatchGetImage","Resource":"arn:aws:ecr:*:*:repository/app"}]}`
	if err := s.PutInlinePolicy(ctx, testAccount, meta.KindUser, "bob", "no-app", deny); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, pull, "with an explicit deny in an identity-based policy")
	wantDecision(t, s, Request{Principal: bob, Action: "ecr:BatchGetImage", Resource: repoARN(testAccount, "other")}, "")

	// Through a group: a policy of the group applies to its members.
	if err := s.DeleteInlinePolicy(ctx, testAccount, meta.KindUser, "bob", "no-app"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, testAccount, "pushers", "/"); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, push, "no identity-based policy allows")
	if err := s.AttachPolicy(ctx, testAccount, meta.KindGroup, "pushers", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUserToGroup(ctx, testAccount, "pushers", "bob"); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, push, "")
	if err := s.RemoveUserFromGroup(ctx, testAccount, "pushers", "bob"); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, push, "no identity-based policy allows")

	root := RootPrincipal(testAccount, testRootKey)
	wantDecision(t, s, Request{Principal: root, Action: "ecr:DeleteRepository", Resource: repoARN(testAccount, "app")}, "")
}

func TestAuthorizeResourcePolicies(t *testing.T) {
	ctx := t.Context()
	s, store := bootstrapped(t)
	repo, _, err := store.CreateRepository(ctx, meta.Repository{RegistryID: testAccount, Name: "shared"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateMemberAccount(ctx, "other", "other@example.com", "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := newUser(t, s, other.Account.ID, "alice")
	bob, _ := newUser(t, s, testAccount, "bob")
	if err := s.AttachPolicy(ctx, other.Account.ID, meta.KindUser, "alice", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"); err != nil {
		t.Fatal(err)
	}
	pull := func(p Principal) Request {
		return Request{Principal: p, Action: "ecr:BatchGetImage", Resource: repoARN(testAccount, "shared"), ResourceAccount: testAccount}
	}
	wantDecision(t, s, pull(alice), "because no resource-based policy allows the ecr:BatchGetImage action")
	wantDecision(t, s, pull(bob), "because no identity-based policy allows")

	// The repository policy names alice's account: cross-account, both sides allow.
	byAccount := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other.Account.ID +
		`:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`
	if err := store.SetRepositoryPolicy(ctx, repo.ID, byAccount); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, pull(alice), "")
	// Naming bob's own account grants bob nothing his identity policies don't.
	sameAccount := strings.ReplaceAll(byAccount, other.Account.ID, testAccount)
	if err := store.SetRepositoryPolicy(ctx, repo.ID, sameAccount); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, pull(bob), "because no identity-based policy allows")
	// Naming bob himself does.
	byUser := strings.ReplaceAll(byAccount, "arn:aws:iam::"+other.Account.ID+":root", bob.ARN)
	if err := store.SetRepositoryPolicy(ctx, repo.ID, byUser); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, pull(bob), "")
	wantDecision(t, s, pull(alice), "because no resource-based policy allows")

	// An explicit Deny in the registry policy beats the repository policy's Allow.
	denyAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:BatchGetImage",` +
		`"Resource":"arn:aws:ecr:us-east-1:` + testAccount + `:repository/*"}]}`
	if err := store.PutRegistryPolicy(ctx, testAccount, denyAll); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, pull(bob), "with an explicit deny in a resource-based policy")
	wantDecision(t, s, pull(RootPrincipal(testAccount, testRootKey)), "with an explicit deny in a resource-based policy")
}

func TestKeyChangesTakeEffectAtOnce(t *testing.T) {
	ctx := t.Context()
	s, _ := bootstrapped(t)
	bob, keyID := newUser(t, s, testAccount, "bob")
	password, _ := s.IssueToken(bob)
	if _, err := s.VerifyToken(ctx, password); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	if err := s.UpdateAccessKey(ctx, testAccount, "bob", keyID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.credential(ctx, keyID, ""); !errors.Is(err, awsproto.ErrUnknownAccessKey) {
		t.Errorf("inactive key: %v, want unknown", err)
	}
	if _, err := s.VerifyToken(ctx, password); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token of an inactive key: %v, want invalid", err)
	}
	if err := s.UpdateAccessKey(ctx, testAccount, "bob", keyID, "Active"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.credential(ctx, keyID, ""); err != nil {
		t.Errorf("reactivated key: %v", err)
	}
	if err := s.DeleteAccessKey(ctx, testAccount, "bob", keyID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.credential(ctx, keyID, ""); !errors.Is(err, awsproto.ErrUnknownAccessKey) {
		t.Errorf("deleted key: %v, want unknown", err)
	}
	if _, err := s.VerifyToken(ctx, password); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token of a deleted key: %v, want invalid", err)
	}
	if err := s.DeleteAccessKey(ctx, testAccount, "bob", keyID); !errcode.Is(err, errcode.EntityNotFound) {
		t.Errorf("deleting it again: %v, want NoSuchEntity", err)
	}
}

func TestAssumeRole(t *testing.T) {
	ctx := t.Context()
	s, _ := bootstrapped(t)
	bob, _ := newUser(t, s, testAccount, "bob")
	carol, _ := newUser(t, s, testAccount, "carol")
	trustBob := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob.ARN + `"},"Action":"sts:AssumeRole"}]}`
	if _, err := s.CreateRole(ctx, testAccount, meta.Role{Name: "deployer", TrustPolicy: trustBob, MaxSessionDuration: 7200}); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachPolicy(ctx, testAccount, meta.KindRole, "deployer", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"); err != nil {
		t.Fatal(err)
	}
	roleARN := "arn:aws:iam::" + testAccount + ":role/deployer"
	in := AssumeRoleInput{RoleARN: roleARN, SessionName: "ci"}

	if _, _, err := s.AssumeRole(ctx, RootPrincipal(testAccount, testRootKey), in); err == nil ||
		!strings.Contains(err.Error(), "Roles may not be assumed by root accounts.") {
		t.Errorf("root assuming a role: %v", err)
	}
	if _, _, err := s.AssumeRole(ctx, carol, in); !errcode.Is(err, errcode.Denied) ||
		!strings.Contains(err.Error(), "User: "+carol.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN) {
		t.Errorf("carol, not trusted: %v", err)
	}
	if _, _, err := s.AssumeRole(ctx, bob, AssumeRoleInput{RoleARN: roleARN, SessionName: "ci", Duration: 3 * time.Hour}); !errcode.Is(err, errcode.Validation) {
		t.Errorf("longer than MaxSessionDuration: %v", err)
	}
	creds, session, err := s.AssumeRole(ctx, bob, in)
	if err != nil {
		t.Fatalf("bob, trusted by ARN: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || len(creds.SecretAccessKey) != 40 || creds.SessionToken == "" {
		t.Errorf("credentials %+v", creds)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/deployer/ci"; session.ARN != want {
		t.Errorf("session ARN %s, want %s", session.ARN, want)
	}
	secret, p, err := s.credential(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil || secret != creds.SecretAccessKey || p.ARN != session.ARN || p.RoleName != "deployer" {
		t.Fatalf("session credential: %q %+v %v", secret, p, err)
	}
	wantDecision(t, s, Request{Principal: p, Action: "ecr:PutImage", Resource: repoARN(testAccount, "app")}, "")
	wantDecision(t, s, Request{Principal: p, Action: "ecr:DeleteRepository", Resource: repoARN(testAccount, "app")},
		"User: arn:aws:sts::111122223333:assumed-role/deployer/ci is not authorized to perform: ecr:DeleteRepository")
	if _, _, err := s.credential(ctx, creds.AccessKeyID, creds.SessionToken+"x"); !errors.Is(err, awsproto.ErrUnknownAccessKey) {
		t.Errorf("tampered session token: %v", err)
	}
	if _, _, err := s.credential(ctx, creds.AccessKeyID, ""); !errors.Is(err, awsproto.ErrUnknownAccessKey) {
		t.Errorf("no session token: %v", err)
	}
	if _, _, err := s.credential(ctx, testRootKey, creds.SessionToken); !errors.Is(err, awsproto.ErrUnknownAccessKey) {
		t.Errorf("a long-term key with a session token: %v", err)
	}
	// A registry token got with the session expires with it.
	password, expires := s.IssueToken(p)
	if !expires.Equal(creds.Expiration) {
		t.Errorf("token of a session expires %s, want the session's %s", expires, creds.Expiration)
	}
	later := time.Now().Add(time.Hour + time.Minute)
	s.now = func() time.Time { return later }
	if _, _, err := s.credential(ctx, creds.AccessKeyID, creds.SessionToken); !errors.Is(err, awsproto.ErrExpiredToken) {
		t.Errorf("expired session: %v, want ErrExpiredToken", err)
	}
	if _, err := s.VerifyToken(ctx, password); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("registry token of an expired session: %v", err)
	}
	s.now = time.Now

	// Trusting the account delegates to its identity policies.
	trustAccount := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	if err := s.UpdateAssumeRolePolicy(ctx, testAccount, "deployer", trustAccount); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AssumeRole(ctx, carol, in); !errcode.Is(err, errcode.Denied) {
		t.Errorf("carol without sts:AssumeRole: %v", err)
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}]}`
	if err := s.PutInlinePolicy(ctx, testAccount, meta.KindUser, "carol", "assume", allow); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AssumeRole(ctx, carol, in); err != nil {
		t.Errorf("carol with sts:AssumeRole: %v", err)
	}
}

func TestOrganizationAccountAccessRole(t *testing.T) {
	ctx := t.Context()
	s, _ := bootstrapped(t)
	member, err := s.CreateMemberAccount(ctx, "team", "team@example.com", "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := newUser(t, s, testAccount, "admin")
	if err := s.AttachPolicy(ctx, testAccount, meta.KindUser, "admin", "arn:aws:iam::aws:policy/AdministratorAccess"); err != nil {
		t.Fatal(err)
	}
	_, session, err := s.AssumeRole(ctx, admin, AssumeRoleInput{
		RoleARN: "arn:aws:iam::" + member.Account.ID + ":role/OrganizationAccountAccessRole", SessionName: "admin"})
	if err != nil {
		t.Fatalf("management admin assuming the member's role: %v", err)
	}
	wantDecision(t, s, Request{Principal: session, Action: "ecr:CreateRepository", Resource: repoARN(member.Account.ID, "x")}, "")
	wantDecision(t, s, Request{Principal: session, Action: "iam:CreateUser", Resource: "arn:aws:iam::" + member.Account.ID + ":user/u"}, "")

	outsider, _ := newUser(t, s, member.Account.ID, "outsider")
	if _, _, err := s.AssumeRole(ctx, outsider, AssumeRoleInput{
		RoleARN: "arn:aws:iam::" + member.Account.ID + ":role/OrganizationAccountAccessRole", SessionName: "x"}); !errcode.Is(err, errcode.Denied) {
		t.Errorf("a member's user assuming the role: %v", err)
	}
	if _, _, err := s.ListAccounts(ctx, outsider, "", 10); !errcode.Is(err, errcode.Denied) {
		t.Errorf("a member account listing accounts: %v", err)
	}
	accts, _, err := s.ListAccounts(ctx, admin, "", 10)
	if err != nil || len(accts) != 2 {
		t.Errorf("ListAccounts = %d accounts, %v", len(accts), err)
	}
}

func TestDecisionCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	s, _ := bootstrapped(t)
	bob, _ := newUser(t, s, testAccount, "bob")
	req := Request{Principal: bob, Action: "ecr:BatchGetImage", Resource: repoARN(testAccount, "app")}
	for i := 0; i < 3; i++ {
		wantDecision(t, s, req, "no identity-based policy allows")
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}]}`
	if err := s.PutInlinePolicy(ctx, testAccount, meta.KindUser, "bob", "pull", allow); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, req, "")
	p, err := s.CreatePolicy(ctx, testAccount, "deny-pull", "/", "", strings.ReplaceAll(allow, "Allow", "Deny"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachPolicy(ctx, testAccount, meta.KindUser, "bob", p.ARN); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, req, "explicit deny")
	if _, err := s.CreatePolicyVersion(ctx, testAccount, p.ARN, allow, true); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, req, "")
	if err := s.SetDefaultPolicyVersion(ctx, testAccount, p.ARN, "v1"); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, req, "explicit deny")

	// A condition on the source address is evaluated on every request, never cached.
	cond := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:PutImage","Resource":"*",` +
		`"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	if err := s.PutInlinePolicy(ctx, testAccount, meta.KindUser, "bob", "push-inside", cond); err != nil {
		t.Fatal(err)
	}
	push := Request{Principal: bob, Action: "ecr:PutImage", Resource: repoARN(testAccount, "app"), SourceIP: "10.1.2.3"}
	wantDecision(t, s, push, "")
	push.SourceIP = "192.0.2.1"
	wantDecision(t, s, push, "no identity-based policy allows")
	push.SourceIP = "10.9.9.9"
	wantDecision(t, s, push, "")
}
