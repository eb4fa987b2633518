package iamapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-registry/berth/internal/errcode"
)

// orgRequest is an Organizations call as the aws CLI sends it.
func orgRequest(op, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", OrganizationsTargetPrefix+"."+op)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAROOT00000000000A/20250102/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
	r.RemoteAddr = "192.0.2.7:53124"
	return r
}

func serveOrg(t *testing.T, f *fakeBackend, r *http.Request) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "req-org")
	NewOrganizations(f, quietLog()).ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, w.Body)
	}
	return w, out
}

// jsonAt follows a dotted path through decoded JSON: "Accounts.1.Arn".
func jsonAt(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			v = node[seg]
		case []any:
			i := 0
			for _, c := range seg {
				i = i*10 + int(c-'0')
			}
			if i >= len(node) {
				return nil
			}
			v = node[i]
		default:
			return nil
		}
	}
	return v
}

func TestOrganizationsOperations(t *testing.T) {
	tests := []struct {
		op   string
		body string
		call string
		want map[string]any
	}{
		{op: "CreateAccount", body: `{"Email":"team@example.com","AccountName":"team","RoleName":"Admin","IamUserAccessToBilling":"DENY","Tags":[{"Key":"env","Value":"prod"}]}`,
			call: `CreateAccount 123456789012 team team@example.com "Admin"`,
			want: map[string]any{"CreateAccountStatus.Id": carStatus.ID, "CreateAccountStatus.AccountName": "team",
				"CreateAccountStatus.State": "IN_PROGRESS", "CreateAccountStatus.RequestedTimestamp": 1735787045.0,
				"CreateAccountStatus.CompletedTimestamp": nil, "CreateAccountStatus.AccountId": nil}},
		{op: "DescribeCreateAccountStatus", body: `{"CreateAccountRequestId":"car-0123456789abcdef0123456789abcdef"}`,
			call: "DescribeCreateAccountStatus 123456789012 car-0123456789abcdef0123456789abcdef",
			want: map[string]any{"CreateAccountStatus.State": "SUCCEEDED", "CreateAccountStatus.AccountId": "210987654321",
				"CreateAccountStatus.CompletedTimestamp": 1738555506.0}},
		{op: "ListCreateAccountStatus", body: `{"States":["IN_PROGRESS","FAILED"],"MaxResults":5,"NextToken":"tok"}`,
			call: `ListCreateAccountStatus 123456789012 [IN_PROGRESS FAILED] "tok" 5`,
			want: map[string]any{"CreateAccountStatuses.0.Id": carStatus.ID, "NextToken": nil}},
		{op: "ListAccounts", body: `{}`, call: "DescribeOrganization 123456789012",
			want: map[string]any{"Accounts.0.Id": acct, "Accounts.0.Arn": org.MasterAccountARN, "Accounts.0.Email": "root@example.com",
				"Accounts.0.Name": "main", "Accounts.0.Status": "ACTIVE", "Accounts.0.State": "ACTIVE", "Accounts.0.JoinedMethod": "INVITED",
				"Accounts.0.JoinedTimestamp": 1735787045.0,
				"Accounts.1.Arn":             "arn:aws:organizations::123456789012:account/o-abcdefghij/210987654321",
				"Accounts.1.JoinedMethod":    "CREATED"}},
		{op: "DescribeOrganization", call: "DescribeOrganization 123456789012",
			want: map[string]any{"Organization.Id": org.ID, "Organization.Arn": org.ARN, "Organization.FeatureSet": "ALL",
				"Organization.MasterAccountArn": org.MasterAccountARN, "Organization.MasterAccountId": acct,
				"Organization.MasterAccountEmail": "root@example.com", "Organization.AvailablePolicyTypes": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			f := newFake()
			f.caller = rootCallerPrincipal
			w, out := serveOrg(t, f, orgRequest(tt.op, tt.body))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d\n%s", w.Code, w.Body)
			}
			if f.services[0] != "organizations" {
				t.Errorf("authenticated for %q", f.services)
			}
			events := f.log()
			if want := "Authorize organizations:" + tt.op + " *"; len(events) == 0 || events[0] != want {
				t.Errorf("events = %q, want first %q", events, want)
			}
			if events[len(events)-1] != tt.call {
				t.Errorf("events = %q, want last %q", events, tt.call)
			}
			for path, want := range tt.want {
				if got := jsonAt(out, path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

func TestOrganizationsErrors(t *testing.T) {
	tests := []struct {
		name     string
		op       string
		body     string
		target   string
		authnErr error
		deny     error
		fail     error
		status   int
		code     string
		reason   string
		message  string
	}{
		{name: "email missing", op: "CreateAccount", body: `{"AccountName":"team"}`, status: 400, code: "InvalidInputException",
			reason: "INPUT_REQUIRED", message: "You must specify a value for all required parameters. (Email is required.)"},
		{name: "email pattern", op: "CreateAccount", body: `{"Email":"not-an-email","AccountName":"team"}`, status: 400,
			code: "InvalidInputException", reason: "INVALID_PATTERN",
			message: `You provided a value that does not match the required pattern. (Email must match [^\s@]+@[^\s@]+\.[^\s@]+.)`},
		{name: "name too long", op: "CreateAccount", body: `{"Email":"a@example.com","AccountName":"` + strings.Repeat("n", 51) + `"}`,
			status: 400, code: "InvalidInputException", reason: "MAX_LENGTH_EXCEEDED",
			message: "You provided a string parameter that is longer than allowed. (AccountName must be at most 50 characters.)"},
		{name: "billing enum", op: "CreateAccount", body: `{"Email":"a@example.com","AccountName":"n","IamUserAccessToBilling":"MAYBE"}`,
			status: 400, code: "InvalidInputException", reason: "INVALID_ENUM"},
		{name: "request id pattern", op: "DescribeCreateAccountStatus", body: `{"CreateAccountRequestId":"car-X"}`, status: 400,
			code: "InvalidInputException", reason: "INVALID_PATTERN"},
		{name: "MaxResults too large", op: "ListAccounts", body: `{"MaxResults":21}`, status: 400, code: "InvalidInputException",
			reason: "MAX_VALUE_EXCEEDED", message: "You provided a numeric parameter that has a larger value than allowed. (MaxResults must be at most 20.)"},
		{name: "state enum", op: "ListCreateAccountStatus", body: `{"States":["DONE"]}`, status: 400, code: "InvalidInputException",
			reason: "INVALID_ENUM"},
		{name: "wrong JSON type", op: "ListAccounts", body: `{"MaxResults":"ten"}`, status: 400, code: "SerializationException"},
		{name: "denied", op: "ListAccounts", body: `{}`, status: 400, code: "AccessDeniedException",
			deny:    errcode.New(errcode.Denied, "You don't have permissions to access this resource."),
			message: "You don't have permissions to access this resource."},
		{name: "member account", op: "DescribeOrganization", status: 400, code: "AccessDeniedException",
			fail:    errcode.New(errcode.Denied, "You don't have permissions to access this resource."),
			message: "You don't have permissions to access this resource."},
		{name: "request not found", op: "DescribeCreateAccountStatus", body: `{"CreateAccountRequestId":"car-0123456789"}`, status: 400,
			code: "CreateAccountStatusNotFoundException", fail: errcode.New(errcode.EntityNotFound, "We can't find it."), message: "We can't find it."},
		{name: "no organization", op: "ListAccounts", status: 400, code: "AWSOrganizationsNotInUseException",
			fail:    errcode.New(errcode.EntityNotFound, "Your account is not a member of an organization."),
			message: "Your account is not a member of an organization."},
		{name: "internal", op: "ListAccounts", status: 500, code: "ServiceException", fail: errors.New("db down"),
			message: "AWS Organizations can't complete your request because of an internal service error. Try again later."},
		{name: "bad signature", op: "ListAccounts", status: 400, code: "InvalidSignatureException",
			authnErr: errcode.New(errcode.InvalidSignature, "sig"), message: "sig"},
		{name: "unknown operation", op: "CreateOrganization", status: 400, code: "UnknownOperationException"},
		{name: "other service's target", op: "ListAccounts", target: "AmazonEC2ContainerRegistry_V20150921.ListAccounts", status: 400,
			code: "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.caller = rootCallerPrincipal
			f.authnErr, f.deny, f.fail = tt.authnErr, tt.deny, tt.fail
			r := orgRequest(tt.op, tt.body)
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			w, out := serveOrg(t, f, r)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if out["__type"] != tt.code || w.Header().Get("X-Amzn-ErrorType") != tt.code {
				t.Errorf("__type = %v, want %s", out["__type"], tt.code)
			}
			if tt.reason != "" && out["Reason"] != tt.reason {
				t.Errorf("Reason = %v, want %s", out["Reason"], tt.reason)
			}
			if tt.message != "" && out["message"] != tt.message {
				t.Errorf("message = %q\nwant      %q", out["message"], tt.message)
			}
			if tt.reason != "" {
				for _, e := range f.log() {
					t.Errorf("%q was called for an invalid request", e)
				}
			}
		})
	}
}
