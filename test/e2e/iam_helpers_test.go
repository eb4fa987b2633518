package e2e

// Helpers of the IAM, STS and Organizations tests (iam_*_test.go): credentials of any principal
// (root, user, role session), aws-sdk-go-v2 clients signed with them, raw signed ECR calls that carry
// a session token, users and roles made in one call, policy documents, and the aws CLI for any
// service.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/berth-registry/berth/internal/awsproto"
)

// AWS's messages, verbatim, besides those of ecr_auth_test.go.
const (
	iamMsgMissingToken = "Missing Authentication Token"
	iamMsgExpiredToken = "The security token included in the request is expired"
	iamMsgV2Invalid    = "Your authorization token is invalid. Reauthenticate and try again."
	iamMsgV2Expired    = "Your authorization token has expired. Reauthenticate and try again."
	iamMsgOrgsDenied   = "You don't have permissions to access this resource."
	iamMsgRootAssume   = "Roles may not be assumed by root accounts."
)

// AWS managed policies by name.
const awsPolicyPrefix = "arn:aws:iam::aws:policy/"

// iamCreds are the credentials of one principal, and who it is.
type iamCreds struct {
	KeyID, Secret, Token string // Token is the session token of temporary credentials
	Account              string
	ARN                  string // of the principal as AWS names it in messages
}

// rootOf is the root of the server's default account, with the harness's keys.
func rootOf(s *Server) iamCreds {
	return iamCreds{KeyID: RootAccessKeyID, Secret: RootSecretAccessKey, Account: s.AccountID,
		ARN: "arn:aws:iam::" + s.AccountID + ":root"}
}

// env is the credentials as the aws CLI and docker's credential flow read them.
func (c iamCreds) env() []string {
	env := []string{"AWS_ACCESS_KEY_ID=" + c.KeyID, "AWS_SECRET_ACCESS_KEY=" + c.Secret}
	if c.Token != "" {
		env = append(env, "AWS_SESSION_TOKEN="+c.Token)
	}
	return env
}

// ---------------------------------------------------------------------------------------------------
// aws-sdk-go-v2

// sdkConfig is an SDK configuration that signs with c and reads no shared files; one attempt per call.
func sdkConfig(t testing.TB, c iamCreds) aws.Config {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(),
		awsconfig.WithRegion(Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.KeyID, c.Secret, c.Token)),
		awsconfig.WithSharedConfigFiles([]string{}),
		awsconfig.WithSharedCredentialsFiles([]string{}),
		awsconfig.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatalf("load AWS SDK config: %v", err)
	}
	return cfg
}

func iamSDK(t testing.TB, s *Server, c iamCreds) *iam.Client {
	t.Helper()
	return iam.NewFromConfig(sdkConfig(t, c), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func stsSDK(t testing.TB, s *Server, c iamCreds) *sts.Client {
	t.Helper()
	return sts.NewFromConfig(sdkConfig(t, c), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func orgSDK(t testing.TB, s *Server, c iamCreds) *organizations.Client {
	t.Helper()
	return organizations.NewFromConfig(sdkConfig(t, c), func(o *organizations.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func ecrSDKAs(t testing.TB, s *Server, c iamCreds) *ecr.Client {
	t.Helper()
	return ecr.NewFromConfig(sdkConfig(t, c), func(o *ecr.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

// must fails the test if err is not nil.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// apiError returns the AWS error code, message and HTTP status of an SDK error ("" if err is not one).
func apiError(err error) (code, message string, status int) {
	var api smithy.APIError
	if errors.As(err, &api) {
		code, message = api.ErrorCode(), api.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, message, status
}

// wantSDKError checks that err is the AWS error code with HTTP status and message (exact when
// message is not "").
func wantSDKError(t testing.TB, what string, err error, code string, status int, message string) {
	t.Helper()
	got, msg, st := apiError(err)
	if got != code || st != status || (message != "" && msg != message) {
		t.Errorf("%s: got %v (code %q, status %d, message %q), want %s %d %q", what, err, got, st, msg, code, status, message)
	}
}

// ---------------------------------------------------------------------------------------------------
// Identities

// stmt is one policy statement.
func stmt(effect string, action any, resource any) map[string]any {
	return map[string]any{"Effect": effect, "Action": action, "Resource": resource}
}

// principalStmt is a statement of a resource-based policy.
func principalStmt(effect string, principals any, action any) map[string]any {
	return map[string]any{"Effect": effect, "Principal": map[string]any{"AWS": principals}, "Action": action}
}

// policyDoc is a policy document of the statements.
func policyDoc(statements ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b)
}

// allowAll allows actions (a string or a list) on every resource.
func allowAll(actions any) string { return policyDoc(stmt("Allow", actions, "*")) }

// userARN is the ARN of a user with the default path.
func userARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// createUser creates a user without access keys or policies as admin.
func createUser(t testing.TB, s *Server, admin iamCreds, name string) {
	t.Helper()
	_, err := iamSDK(t, s, admin).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
	must(t, "CreateUser "+name, err)
}

// newIAMUser creates a user in admin's account with the inline policies (name → document) and the
// managed policies (ARNs) attached, and an access key; it returns the user's credentials.
func newIAMUser(t testing.TB, s *Server, admin iamCreds, name string, inline map[string]string, managed ...string) iamCreds {
	t.Helper()
	c := iamSDK(t, s, admin)
	ctx := context.Background()
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	must(t, "CreateUser "+name, err)
	for pn, doc := range inline {
		_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(pn), PolicyDocument: aws.String(doc)})
		must(t, "PutUserPolicy "+name+"/"+pn, err)
	}
	for _, arn := range managed {
		_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)})
		must(t, "AttachUserPolicy "+name+" "+arn, err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	must(t, "CreateAccessKey "+name, err)
	return iamCreds{KeyID: aws.ToString(k.AccessKey.AccessKeyId), Secret: aws.ToString(k.AccessKey.SecretAccessKey),
		Account: admin.Account, ARN: userARN(admin.Account, name)}
}

// newIAMRole creates a role in admin's account with a trust policy and inline policies; it
// returns the role's ARN.
func newIAMRole(t testing.TB, s *Server, admin iamCreds, name, trust string, inline map[string]string) string {
	t.Helper()
	c := iamSDK(t, s, admin)
	ctx := context.Background()
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, "CreateRole "+name, err)
	for pn, doc := range inline {
		_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn), PolicyDocument: aws.String(doc)})
		must(t, "PutRolePolicy "+name+"/"+pn, err)
	}
	return aws.ToString(out.Role.Arn)
}

// createGroup creates a group as admin.
func createGroup(t testing.TB, s *Server, admin iamCreds, name string) error {
	t.Helper()
	_, err := iamSDK(t, s, admin).CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(name)})
	return err
}

// deleteKey deletes a user's access key as admin.
func deleteKey(t testing.TB, s *Server, admin iamCreds, user, keyID string) error {
	t.Helper()
	_, err := iamSDK(t, s, admin).DeleteAccessKey(context.Background(),
		&iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID)})
	return err
}

// trusting is a trust policy that lets the principals (ARNs) assume a role.
func trusting(principals ...string) string {
	return policyDoc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": principals}, "Action": "sts:AssumeRole"})
}

// assumeRole assumes a role with the SDK and returns the session's credentials.
func assumeRole(t testing.TB, s *Server, caller iamCreds, roleARN, session string, seconds int32) (iamCreds, time.Time) {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)}
	if seconds != 0 {
		in.DurationSeconds = aws.Int32(seconds)
	}
	out, err := stsSDK(t, s, caller).AssumeRole(context.Background(), in)
	must(t, "AssumeRole "+roleARN+" as "+caller.ARN, err)
	account := strings.Split(roleARN, ":")[4]
	role := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	return iamCreds{KeyID: aws.ToString(out.Credentials.AccessKeyId), Secret: aws.ToString(out.Credentials.SecretAccessKey),
		Token: aws.ToString(out.Credentials.SessionToken), Account: account,
		ARN: "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session}, aws.ToTime(out.Credentials.Expiration)
}

// createMemberAccount creates an account with Organizations CreateAccount (as the management
// account's root) and returns its id once DescribeCreateAccountStatus says SUCCEEDED.
func createMemberAccount(t testing.TB, s *Server, name, email string) string {
	t.Helper()
	c := orgSDK(t, s, rootOf(s))
	ctx := context.Background()
	out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(email)})
	must(t, "CreateAccount", err)
	id := aws.ToString(out.CreateAccountStatus.Id)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(id)})
		must(t, "DescribeCreateAccountStatus", err)
		switch st.CreateAccountStatus.State {
		case "SUCCEEDED":
			return aws.ToString(st.CreateAccountStatus.AccountId)
		case "FAILED":
			t.Fatalf("CreateAccount %s failed: %s", name, st.CreateAccountStatus.FailureReason)
		}
		if time.Now().After(deadline) {
			t.Fatalf("CreateAccount %s: still %s after 10 s", name, st.CreateAccountStatus.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// orgAccessRole is the ARN of the role Organizations creates in a member account.
func orgAccessRole(account string) string {
	return "arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole"
}

// ---------------------------------------------------------------------------------------------------
// Raw ECR calls and tokens

// signedECR sends one ECR call with body, signed with c (with X-Amz-Security-Token for a session), or
// unsigned when c has no key; it returns the status, headers and body.
func signedECR(t testing.TB, s *Server, c iamCreds, op string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", awsproto.ContentTypeJSON11)
	req.Header.Set("X-Amz-Target", ecrTargetPrefix+op)
	if c.KeyID != "" {
		if c.Token != "" {
			req.Header.Set("X-Amz-Security-Token", c.Token)
		}
		if err := awsproto.Sign(req, body, c.KeyID, c.Secret, Region, "ecr", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("ECR %s: %v", op, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// ecrAs calls op as c with input and decodes a 200 answer into out (unless nil); anything else fails.
func ecrAs(t testing.TB, s *Server, c iamCreds, op string, input, out any) {
	t.Helper()
	body, _ := json.Marshal(input)
	status, _, resp := signedECR(t, s, c, op, body)
	if status != http.StatusOK {
		t.Fatalf("ECR %s as %s: %d %s", op, c.ARN, status, resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatalf("ECR %s: %v in %s", op, err, resp)
		}
	}
}

// ecrPassword calls GetAuthorizationToken as c and returns the /v2 password.
func ecrPassword(t testing.TB, s *Server, c iamCreds) string {
	t.Helper()
	var out struct {
		AuthorizationData []struct{ AuthorizationToken string }
	}
	ecrAs(t, s, c, "GetAuthorizationToken", struct{}{}, &out)
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("GetAuthorizationToken as %s: %+v", c.ARN, out)
	}
	raw, err := base64.StdEncoding.DecodeString(out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		t.Fatal(err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user != "AWS" {
		t.Fatalf("authorizationToken decodes to %q", raw)
	}
	return password
}

// readBody reads and closes a response body.
func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tamper changes one character of a token's signature, near its end.
func tamper(token string) string {
	b := []byte(token)
	i := len(b) - 3
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// deniedMessage is AWS's AccessDenied message for an ECR or IAM action, with its reason clause.
func deniedMessage(principal, action, resource, clause string) string {
	return "User: " + principal + " is not authorized to perform: " + action + " on resource: " + resource + " " + clause
}

func noIdentityClause(action string) string {
	return "because no identity-based policy allows the " + action + " action"
}

func noResourceClause(action string) string {
	return "because no resource-based policy allows the " + action + " action"
}

const (
	identityDenyClause = "with an explicit deny in an identity-based policy"
	resourceDenyClause = "with an explicit deny in a resource-based policy"
)

// repoARN is the ARN of a repository ("*" for all of a registry's).
func repoARN(registry, name string) string {
	return "arn:aws:ecr:" + Region + ":" + registry + ":repository/" + name
}

// ---------------------------------------------------------------------------------------------------
// The aws CLI for any service

// cliAs returns an aws CLI that reaches s with c's credentials.
func cliAs(t testing.TB, s *Server, c iamCreds) *awsCLI {
	t.Helper()
	return newAWSCLIEnv(t, []string{"--endpoint-url", s.URL()}, c.env()...)
}

// cliCommandsRun records, per CLI, the commands ("iam create-user") it ran.
var cliCommandsRun sync.Map

// ranCommand reports whether the CLI ran a command ("iam create-user").
func (a *awsCLI) ranCommand(command string) bool {
	ran, ok := cliCommandsRun.Load(a)
	if !ok {
		return false
	}
	_, ok = ran.(*sync.Map).Load(command)
	return ok
}

// operationsServed reads the operation names of a map literal ("var iamOps = map[string]queryOp{")
// in a source file of berth, so that a test can check it covers every one.
func operationsServed(t testing.TB, file, mapStart string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(moduleRoot, file))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), mapStart)
	body, _, ok2 := strings.Cut(rest, "\n}")
	if !ok || !ok2 {
		t.Fatalf("%s has no %q", file, mapStart)
	}
	var ops []string
	for _, m := range regexp.MustCompile(`(?m)^\s*"(\w+)":`).FindAllStringSubmatch(body, -1) {
		ops = append(ops, m[1])
	}
	return ops
}

// cliCommand is the aws CLI command of an operation: ListAttachedUserPolicies → list-attached-user-policies.
func cliCommand(op string) string {
	var b strings.Builder
	for i, r := range op {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// run runs `aws <global> --output json <args>`: args start with the service (iam, sts, ecr, …). See
// iam_awscli_test.go for how.
func (a *awsCLI) run(t testing.TB, args ...string) cliResult {
	t.Helper()
	full := append(slices.Clone(a.global), "--output", "json")
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	stdout, stderr, err := runAWS(ctx, full, a.env, a.dir)
	r := cliResult{stdout: stdout, stderr: stderr, err: err, cmdline: "aws " + strings.Join(full, " ")}
	if len(args) >= 2 {
		ran, _ := cliCommandsRun.LoadOrStore(a, &sync.Map{})
		ran.(*sync.Map).Store(args[0]+" "+args[1], true)
	}
	t.Logf("$ %s  (%s, %v)", ecrShorten(r.cmdline), time.Since(start).Round(time.Millisecond), exitString(err))
	return r
}

// do runs a command that must succeed and returns its JSON output (nil for none).
func (a *awsCLI) do(t testing.TB, args ...string) map[string]any {
	t.Helper()
	r := a.run(t, args...)
	if r.err != nil {
		t.Fatalf("aws CLI failed:\n%s", r)
	}
	if strings.TrimSpace(r.stdout) == "" {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("aws CLI output is not JSON: %v\n%s", err, r)
	}
	return out
}

// refuseWith runs a command that must fail with code and exactly message.
func (a *awsCLI) refuseWith(t testing.TB, code, op, message string, args ...string) {
	t.Helper()
	r := a.run(t, args...)
	prefix := fmt.Sprintf("An error occurred (%s) when calling the %s operation: ", code, op)
	want := prefix + message
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.TrimSpace(line) == want {
			return
		}
	}
	t.Errorf("want the aws CLI to fail with\n  %s\n%s", want, r)
}

// at reads a value out of decoded JSON by a dotted path ("User.Arn", "Users.0.UserName").
func at(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// wantAt checks values of decoded JSON by path; a want of type func(any) bool is a predicate.
func wantAt(t testing.TB, what string, v any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got := at(v, path)
		if pred, ok := w.(func(any) bool); ok {
			if !pred(got) {
				t.Errorf("%s: %s = %#v is not as expected", what, path, got)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %#v, want %#v", what, path, got, w)
		}
	}
}
