package iamapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/berth-registry/berth/internal/errcode"
)

// newServer serves the three faces as the router does: Organizations by its
// X-Amz-Target, the query faces otherwise, each response with a request id.
func newServer(t *testing.T, f *fakeBackend) *httptest.Server {
	t.Helper()
	query, orgs := NewQuery(f, quietLog()), NewOrganizations(f, quietLog())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-srv")
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), OrganizationsTargetPrefix+".") {
			orgs.ServeHTTP(w, r)
			return
		}
		query.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sdkConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAALICE0000000000A", "secret", ""),
		RetryMaxAttempts: 1,
	}
}

// TestSDKParsesResponses decodes berth's answers with aws-sdk-go-v2's own clients.
func TestSDKParsesResponses(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	srv := newServer(t, f)
	client := awsiam.NewFromConfig(sdkConfig(), func(o *awsiam.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	created, err := client.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("carol"), Path: aws.String("/dev/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u := created.User; aws.ToString(u.UserName) != "carol" || aws.ToString(u.Path) != "/dev/" ||
		aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/dev/carol" || !u.CreateDate.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("CreateUser = %+v", u)
	}

	got, err := client.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if u := got.User; aws.ToString(u.UserId) != alice.ID || aws.ToString(u.Arn) != userARN {
		t.Errorf("GetUser = %+v", u)
	}

	list, err := client.ListUsers(ctx, &awsiam.ListUsersInput{MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(list.Users) != 2 || aws.ToString(list.Users[1].UserName) != "bob" || !list.IsTruncated || aws.ToString(list.Marker) != "next-users" {
		t.Errorf("ListUsers = %+v", list)
	}
	pages := awsiam.NewListUsersPaginator(client, &awsiam.ListUsersInput{})
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers page: %v", err)
		}
		n += len(page.Users)
	}
	if n != 4 {
		t.Errorf("ListUsers paginator saw %d users, want 4 (two pages)", n)
	}

	role, err := client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("deployer")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	doc, err := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil || doc != deployer.TrustPolicy {
		t.Errorf("GetRole trust policy decodes to %q, %v; want %q", doc, err, deployer.TrustPolicy)
	}
	if aws.ToInt32(role.Role.MaxSessionDuration) != 7200 || aws.ToString(role.Role.Description) != "CI deploys" || role.Role.RoleLastUsed == nil {
		t.Errorf("GetRole = %+v", role.Role)
	}

	version, err := client.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(custARN), VersionId: aws.String("v2")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(version.PolicyVersion.Document)); doc != policyDoc || !version.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion = %+v", version.PolicyVersion)
	}

	if _, err := client.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
		t.Errorf("DeleteUser: %v", err)
	}

	stsClient := sts.NewFromConfig(sdkConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	who, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(who.Account) != acct || aws.ToString(who.Arn) != userARN || aws.ToString(who.UserId) != alice.ID {
		t.Errorf("GetCallerIdentity = %+v", who)
	}
	assumed, err := stsClient.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci"),
		DurationSeconds: aws.Int32(900), Policy: aws.String(policyDoc)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if c := assumed.Credentials; aws.ToString(c.AccessKeyId) != "ASIASESSION000000000" || aws.ToString(c.SessionToken) == "" ||
		!c.Expiration.Equal(time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("AssumeRole credentials = %+v", c)
	}
	if u := assumed.AssumedRoleUser; aws.ToString(u.Arn) != "arn:aws:sts::123456789012:assumed-role/deployer/ci" ||
		aws.ToString(u.AssumedRoleId) != "AROADEPLOYER0000000:ci" || aws.ToInt32(assumed.PackedPolicySize) != 5 {
		t.Errorf("AssumeRole = %+v, %d", u, aws.ToInt32(assumed.PackedPolicySize))
	}
	if got := f.services; len(got) < 2 || got[len(got)-1] != "sts" {
		t.Errorf("the STS client's requests were authenticated for %q", got)
	}
}

// TestSDKParsesErrors checks that the SDKs recognize berth's errors as their modeled
// types, with code and message.
func TestSDKParsesErrors(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	srv := newServer(t, f)
	client := awsiam.NewFromConfig(sdkConfig(), func(o *awsiam.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	f.fail = errcode.New(errcode.EntityNotFound, "The role with name ghost cannot be found.")
	_, err := client.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("ghost")})
	var noSuch *iamtypes.NoSuchEntityException
	if !errors.As(err, &noSuch) || noSuch.ErrorMessage() != "The role with name ghost cannot be found." {
		t.Errorf("DeleteRole error = %v, want NoSuchEntityException", err)
	}

	f.fail = nil
	const deniedMsg = "User: u is not authorized to perform: iam:ListRoles on resource: r"
	f.deny = errcode.New(errcode.Denied, deniedMsg)
	_, err = client.ListRoles(ctx, &awsiam.ListRolesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || apiErr.ErrorMessage() != deniedMsg {
		t.Errorf("ListRoles error = %v, want AccessDenied", err)
	}

	f.deny = nil
	f.authnErr = errcode.New(errcode.ExpiredToken, "The security token included in the request is expired")
	stsClient := sts.NewFromConfig(sdkConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	_, err = stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ExpiredToken" {
		t.Errorf("GetCallerIdentity error = %v, want ExpiredToken", err)
	}

	f.authnErr = nil
	f.fail = errcode.New(errcode.Denied, "You don't have permissions to access this resource.")
	orgClient := organizations.NewFromConfig(sdkConfig(), func(o *organizations.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	_, err = orgClient.ListAccounts(ctx, &organizations.ListAccountsInput{})
	var denied *orgtypes.AccessDeniedException
	if !errors.As(err, &denied) || denied.ErrorMessage() != "You don't have permissions to access this resource." {
		t.Errorf("ListAccounts error = %v, want AccessDeniedException", err)
	}
	_, err = orgClient.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	var invalid *orgtypes.InvalidInputException
	if !errors.As(err, &invalid) || invalid.Reason != orgtypes.InvalidInputExceptionReasonMaxValueExceeded {
		t.Errorf("ListAccounts error = %v, want InvalidInputException MAX_VALUE_EXCEEDED", err)
	}
}

func TestSDKOrganizations(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	f.caller = rootCallerPrincipal
	srv := newServer(t, f)
	client := organizations.NewFromConfig(sdkConfig(), func(o *organizations.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	st, err := client.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("team@example.com"), AccountName: aws.String("team")})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if s := st.CreateAccountStatus; aws.ToString(s.Id) != carStatus.ID || s.State != orgtypes.CreateAccountStateInProgress ||
		!s.RequestedTimestamp.Equal(created) {
		t.Errorf("CreateAccount = %+v", s)
	}
	done, err := client.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.CreateAccountStatus.Id})
	if err != nil {
		t.Fatalf("DescribeCreateAccountStatus: %v", err)
	}
	if s := done.CreateAccountStatus; s.State != orgtypes.CreateAccountStateSucceeded || aws.ToString(s.AccountId) != "210987654321" {
		t.Errorf("DescribeCreateAccountStatus = %+v", s)
	}
	statuses, err := client.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{
		States: []orgtypes.CreateAccountState{orgtypes.CreateAccountStateInProgress}})
	if err != nil || len(statuses.CreateAccountStatuses) != 1 {
		t.Errorf("ListCreateAccountStatus = %+v, %v", statuses, err)
	}
	accounts, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	if len(accounts.Accounts) != 2 || accounts.Accounts[1].JoinedMethod != orgtypes.AccountJoinedMethodCreated ||
		accounts.Accounts[0].Status != orgtypes.AccountStatusActive || !accounts.Accounts[1].JoinedTimestamp.Equal(updated) {
		t.Errorf("ListAccounts = %+v", accounts.Accounts)
	}
	o, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatalf("DescribeOrganization: %v", err)
	}
	if aws.ToString(o.Organization.Id) != org.ID || o.Organization.FeatureSet != orgtypes.OrganizationFeatureSetAll {
		t.Errorf("DescribeOrganization = %+v", o.Organization)
	}
}
