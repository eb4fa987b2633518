package iamapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// The real identity service is a Backend.
var _ Backend = (*iam.Service)(nil)

const acct = "123456789012"

var (
	created = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	updated = time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)

	alice    = meta.User{AccountID: acct, Name: "alice", ID: "AIDAALICE0000000000", Path: "/eng/", CreatedAt: created}
	bob      = meta.User{AccountID: acct, Name: "bob", ID: "AIDABOB000000000000", Path: "/", CreatedAt: created}
	devs     = meta.Group{AccountID: acct, Name: "devs", ID: "AGPADEVS00000000000", Path: "/teams/", CreatedAt: created}
	deployer = meta.Role{AccountID: acct, Name: "deployer", ID: "AROADEPLOYER0000000", Path: "/service/", Description: "CI deploys",
		TrustPolicy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`,
		MaxSessionDuration: 7200, CreatedAt: created}
	customerPolicy = meta.ManagedPolicy{ARN: "arn:aws:iam::123456789012:policy/ops/pull", AccountID: acct, Name: "pull",
		ID: "ANPAPULL00000000000", Path: "/ops/", Description: "pull images", DefaultVersion: "v2", AttachmentCount: 3,
		CreatedAt: created, UpdatedAt: updated}
	readOnly = meta.ManagedPolicy{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", AccountID: "aws", Name: "ReadOnlyAccess",
		ID: "ANPAREADONLY0000000", Path: "/", DefaultVersion: "v1", CreatedAt: created, UpdatedAt: updated}
	policyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`
	keyAlice  = meta.AccessKey{ID: "AKIAALICE0000000000A", AccountID: acct, UserName: "alice", Status: "Active", CreatedAt: created}
	keyAlice2 = meta.AccessKey{ID: "AKIAALICE0000000000B", AccountID: acct, UserName: "alice", Status: "Inactive", CreatedAt: updated}
	org       = iam.Organization{ID: "o-abcdefghij", ARN: "arn:aws:organizations::123456789012:organization/o-abcdefghij",
		MasterAccountID: acct, MasterAccountARN: "arn:aws:organizations::123456789012:account/o-abcdefghij/123456789012",
		MasterAccountEmail: "root@example.com"}
	carStatus = meta.CreateAccountStatus{ID: "car-0123456789abcdef0123456789abcdef", AccountName: "team", Email: "team@example.com",
		State: "IN_PROGRESS", RequestedAt: created}

	userCallerPrincipal = iam.Principal{Type: iam.TypeUser, AccountID: acct, ARN: "arn:aws:iam::123456789012:user/eng/alice",
		UserID: alice.ID, AccessKeyID: keyAlice.ID, UserName: "alice"}
	rootCallerPrincipal = iam.RootPrincipal(acct, "AKIAROOT00000000000A")
	roleCallerPrincipal = iam.Principal{Type: iam.TypeAssumedRole, AccountID: acct,
		ARN: "arn:aws:sts::123456789012:assumed-role/deployer/ci", UserID: "AROADEPLOYER0000000:ci",
		AccessKeyID: "ASIAEXAMPLE00000000A", RoleName: "deployer", RoleARN: "arn:aws:iam::123456789012:role/service/deployer",
		SessionName: "ci"}
)

// fakeBackend answers with fixed entities and records what it was asked, in order.
type fakeBackend struct {
	mu sync.Mutex
	// caller is who Authenticate says signed; authnErr fails it instead.
	caller   iam.Principal
	authnErr error
	// deny, if set, is what Authorize answers.
	deny error
	// fail, if set, is what every other method answers.
	fail error

	services []string
	requests []iam.Request
	// events are the methods called, in order, with their arguments.
	events []string
}

func newFake() *fakeBackend { return &fakeBackend{caller: userCallerPrincipal} }

func (f *fakeBackend) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf(format, args...))
	return f.fail
}

func (f *fakeBackend) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *fakeBackend) Authenticate(_ context.Context, _ *http.Request, _ []byte, service string) (iam.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.services = append(f.services, service)
	return f.caller, f.authnErr
}

func (f *fakeBackend) Authorize(_ context.Context, req iam.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	f.events = append(f.events, "Authorize "+req.Action+" "+req.Resource)
	return f.deny
}

func notFound(what, name string) error {
	return errcode.New(errcode.EntityNotFound, "The %s with name %s cannot be found.", what, name)
}

func (f *fakeBackend) CreateUser(_ context.Context, a, name, path string) (meta.User, error) {
	if path == "" {
		path = "/"
	}
	return meta.User{AccountID: a, Name: name, ID: "AIDANEW000000000000", Path: path, CreatedAt: created},
		f.record("CreateUser %s %s %s", a, name, path)
}

func (f *fakeBackend) GetUser(_ context.Context, a, name string) (meta.User, error) {
	if err := f.record("GetUser %s %s", a, name); err != nil {
		return meta.User{}, err
	}
	switch strings.ToLower(name) {
	case "alice":
		return alice, nil
	case "bob":
		return bob, nil
	}
	return meta.User{}, notFound("user", name)
}

func (f *fakeBackend) ListUsers(_ context.Context, a, prefix, marker string, max int) ([]meta.User, string, error) {
	next := "next-users"
	if marker != "" {
		next = "" // the second page is the last
	}
	return []meta.User{alice, bob}, next, f.record("ListUsers %s %q %q %d", a, prefix, marker, max)
}

func (f *fakeBackend) DeleteUser(_ context.Context, a, name string) error {
	return f.record("DeleteUser %s %s", a, name)
}

func (f *fakeBackend) CreateAccessKey(_ context.Context, a, user string) (meta.AccessKey, string, error) {
	k := keyAlice
	k.UserName = user
	return k, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", f.record("CreateAccessKey %s %q", a, user)
}

func (f *fakeBackend) ListAccessKeys(_ context.Context, a, user string) ([]meta.AccessKey, error) {
	return []meta.AccessKey{keyAlice, keyAlice2}, f.record("ListAccessKeys %s %q", a, user)
}

func (f *fakeBackend) UpdateAccessKey(_ context.Context, a, user, id, status string) error {
	return f.record("UpdateAccessKey %s %q %s %s", a, user, id, status)
}

func (f *fakeBackend) DeleteAccessKey(_ context.Context, a, user, id string) error {
	return f.record("DeleteAccessKey %s %q %s", a, user, id)
}

func (f *fakeBackend) CreateGroup(_ context.Context, a, name, path string) (meta.Group, error) {
	if path == "" {
		path = "/"
	}
	return meta.Group{AccountID: a, Name: name, ID: "AGPANEW000000000000", Path: path, CreatedAt: created},
		f.record("CreateGroup %s %s %s", a, name, path)
}

func (f *fakeBackend) GetGroup(_ context.Context, a, name string) (meta.Group, []meta.User, error) {
	if err := f.record("GetGroup %s %s", a, name); err != nil {
		return meta.Group{}, nil, err
	}
	if strings.EqualFold(name, "devs") {
		return devs, []meta.User{alice, bob}, nil
	}
	return meta.Group{}, nil, notFound("group", name)
}

func (f *fakeBackend) ListGroups(_ context.Context, a, prefix, marker string, max int) ([]meta.Group, string, error) {
	return []meta.Group{devs}, "", f.record("ListGroups %s %q %q %d", a, prefix, marker, max)
}

func (f *fakeBackend) ListGroupsForUser(_ context.Context, a, user string) ([]meta.Group, error) {
	return []meta.Group{devs}, f.record("ListGroupsForUser %s %s", a, user)
}

func (f *fakeBackend) DeleteGroup(_ context.Context, a, name string) error {
	return f.record("DeleteGroup %s %s", a, name)
}

func (f *fakeBackend) AddUserToGroup(_ context.Context, a, group, user string) error {
	return f.record("AddUserToGroup %s %s %s", a, group, user)
}

func (f *fakeBackend) RemoveUserFromGroup(_ context.Context, a, group, user string) error {
	return f.record("RemoveUserFromGroup %s %s %s", a, group, user)
}

func (f *fakeBackend) CreateRole(_ context.Context, a string, r meta.Role) (meta.Role, error) {
	err := f.record("CreateRole %s %s %s %q %d %s", a, r.Name, r.Path, r.Description, r.MaxSessionDuration, r.TrustPolicy)
	r.AccountID, r.ID, r.CreatedAt = a, "AROANEW000000000000", created
	if r.Path == "" {
		r.Path = "/"
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	return r, err
}

func (f *fakeBackend) GetRole(_ context.Context, a, name string) (meta.Role, error) {
	if err := f.record("GetRole %s %s", a, name); err != nil {
		return meta.Role{}, err
	}
	if strings.EqualFold(name, "deployer") {
		return deployer, nil
	}
	return meta.Role{}, notFound("role", name)
}

func (f *fakeBackend) ListRoles(_ context.Context, a, prefix, marker string, max int) ([]meta.Role, string, error) {
	return []meta.Role{deployer}, "", f.record("ListRoles %s %q %q %d", a, prefix, marker, max)
}

func (f *fakeBackend) DeleteRole(_ context.Context, a, name string) error {
	return f.record("DeleteRole %s %s", a, name)
}

func (f *fakeBackend) UpdateAssumeRolePolicy(_ context.Context, a, role, doc string) error {
	return f.record("UpdateAssumeRolePolicy %s %s %s", a, role, doc)
}

func (f *fakeBackend) PutInlinePolicy(_ context.Context, a string, kind meta.IAMKind, o, name, doc string) error {
	return f.record("PutInlinePolicy %s %s %s %s %s", a, kind, o, name, doc)
}

func (f *fakeBackend) GetInlinePolicy(_ context.Context, a string, kind meta.IAMKind, o, name string) (string, error) {
	return policyDoc, f.record("GetInlinePolicy %s %s %s %s", a, kind, o, name)
}

func (f *fakeBackend) DeleteInlinePolicy(_ context.Context, a string, kind meta.IAMKind, o, name string) error {
	return f.record("DeleteInlinePolicy %s %s %s %s", a, kind, o, name)
}

func (f *fakeBackend) ListInlinePolicies(_ context.Context, a string, kind meta.IAMKind, o string) ([]string, error) {
	return []string{"p1", "p2", "p3"}, f.record("ListInlinePolicies %s %s %s", a, kind, o)
}

func (f *fakeBackend) AttachPolicy(_ context.Context, a string, kind meta.IAMKind, o, arn string) error {
	return f.record("AttachPolicy %s %s %s %s", a, kind, o, arn)
}

func (f *fakeBackend) DetachPolicy(_ context.Context, a string, kind meta.IAMKind, o, arn string) error {
	return f.record("DetachPolicy %s %s %s %s", a, kind, o, arn)
}

func (f *fakeBackend) ListAttachedPolicies(_ context.Context, a string, kind meta.IAMKind, o string) ([]iam.AttachedPolicy, error) {
	return []iam.AttachedPolicy{{Name: readOnly.Name, ARN: readOnly.ARN}, {Name: customerPolicy.Name, ARN: customerPolicy.ARN}},
		f.record("ListAttachedPolicies %s %s %s", a, kind, o)
}

func (f *fakeBackend) CreatePolicy(_ context.Context, a, name, path, description, doc string) (meta.ManagedPolicy, error) {
	err := f.record("CreatePolicy %s %s %s %q %s", a, name, path, description, doc)
	if path == "" {
		path = "/"
	}
	return meta.ManagedPolicy{ARN: iam.EntityARN(a, "policy", path, name), AccountID: a, Name: name, ID: "ANPANEW000000000000",
		Path: path, Description: description, DefaultVersion: "v1", CreatedAt: created, UpdatedAt: created}, err
}

func (f *fakeBackend) GetPolicy(_ context.Context, a, arn string) (meta.ManagedPolicy, error) {
	if arn == readOnly.ARN {
		return readOnly, f.record("GetPolicy %s %s", a, arn)
	}
	return customerPolicy, f.record("GetPolicy %s %s", a, arn)
}

func (f *fakeBackend) ListPolicies(_ context.Context, a, scope string, onlyAttached bool, prefix, marker string, max int) ([]meta.ManagedPolicy, string, error) {
	return []meta.ManagedPolicy{readOnly, customerPolicy}, "",
		f.record("ListPolicies %s %s %v %q %q %d", a, scope, onlyAttached, prefix, marker, max)
}

func (f *fakeBackend) DeletePolicy(_ context.Context, a, arn string) error {
	return f.record("DeletePolicy %s %s", a, arn)
}

func (f *fakeBackend) CreatePolicyVersion(_ context.Context, a, arn, doc string, setDefault bool) (meta.PolicyVersion, error) {
	return meta.PolicyVersion{VersionID: "v3", Document: doc, IsDefault: setDefault, CreatedAt: updated},
		f.record("CreatePolicyVersion %s %s %v %s", a, arn, setDefault, doc)
}

func (f *fakeBackend) GetPolicyVersion(_ context.Context, a, arn, version string) (meta.PolicyVersion, error) {
	return meta.PolicyVersion{VersionID: version, Document: policyDoc, IsDefault: true, CreatedAt: created},
		f.record("GetPolicyVersion %s %s %s", a, arn, version)
}

func (f *fakeBackend) ListPolicyVersions(_ context.Context, a, arn string) ([]meta.PolicyVersion, error) {
	return []meta.PolicyVersion{
		{VersionID: "v2", Document: policyDoc, IsDefault: true, CreatedAt: updated},
		{VersionID: "v1", Document: policyDoc, CreatedAt: created},
	}, f.record("ListPolicyVersions %s %s", a, arn)
}

func (f *fakeBackend) DeletePolicyVersion(_ context.Context, a, arn, version string) error {
	return f.record("DeletePolicyVersion %s %s %s", a, arn, version)
}

func (f *fakeBackend) SetDefaultPolicyVersion(_ context.Context, a, arn, version string) error {
	return f.record("SetDefaultPolicyVersion %s %s %s", a, arn, version)
}

func (f *fakeBackend) MinSessionDuration() time.Duration { return 15 * time.Minute }

func (f *fakeBackend) AssumeRole(_ context.Context, caller iam.Principal, in iam.AssumeRoleInput) (iam.Credentials, iam.Principal, error) {
	err := f.record("AssumeRole %s %s %s %s %q %q %s %v", caller.ARN, in.RoleARN, in.SessionName, in.Duration, in.ExternalID,
		in.Policy, in.SourceIP, in.Secure)
	creds := iam.Credentials{AccessKeyID: "ASIASESSION000000000", SecretAccessKey: "sessionsecret",
		SessionToken: "FwoGZXIvYXdzEJr//token", Expiration: updated}
	session := iam.Principal{Type: iam.TypeAssumedRole, AccountID: acct, ARN: iam.SessionARN(acct, "deployer", in.SessionName),
		UserID: deployer.ID + ":" + in.SessionName, RoleName: "deployer", RoleARN: in.RoleARN, SessionName: in.SessionName}
	return creds, session, err
}

func (f *fakeBackend) CreateAccount(_ context.Context, caller iam.Principal, name, email, role string) (meta.CreateAccountStatus, error) {
	return carStatus, f.record("CreateAccount %s %s %s %q", caller.AccountID, name, email, role)
}

func (f *fakeBackend) DescribeCreateAccountStatus(_ context.Context, caller iam.Principal, id string) (meta.CreateAccountStatus, error) {
	done := carStatus
	done.State, done.AccountID, done.CompletedAt = "SUCCEEDED", "210987654321", updated
	return done, f.record("DescribeCreateAccountStatus %s %s", caller.AccountID, id)
}

func (f *fakeBackend) ListCreateAccountStatus(_ context.Context, caller iam.Principal, states []string, token string, max int) ([]meta.CreateAccountStatus, string, error) {
	return []meta.CreateAccountStatus{carStatus}, "",
		f.record("ListCreateAccountStatus %s %v %q %d", caller.AccountID, states, token, max)
}

func (f *fakeBackend) ListAccounts(_ context.Context, caller iam.Principal, token string, max int) ([]meta.Account, string, error) {
	return []meta.Account{
		{ID: acct, Name: "main", Email: "root@example.com", CreatedAt: created},
		{ID: "210987654321", Name: "team", Email: "team@example.com", CreatedAt: updated},
	}, "", f.record("ListAccounts %s %q %d", caller.AccountID, token, max)
}

func (f *fakeBackend) DescribeOrganization(_ context.Context, caller iam.Principal) (iam.Organization, error) {
	return org, f.record("DescribeOrganization %s", caller.AccountID)
}
