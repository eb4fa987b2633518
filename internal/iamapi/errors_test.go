package iamapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/berth-registry/berth/internal/errcode"
)

// identityCodes are the codes the identity service answers with; each face maps all.
var identityCodes = []errcode.Code{
	errcode.Internal, errcode.EntityNotFound, errcode.EntityAlreadyExists, errcode.DeleteConflict,
	errcode.LimitExceeded, errcode.MalformedPolicy, errcode.InvalidParameter, errcode.PaginationInvalid,
	errcode.Validation, errcode.Unsupported, errcode.Denied, errcode.TooManyRequests,
}

func TestEveryCodeHasAWireError(t *testing.T) {
	for _, c := range identityCodes {
		for name, table := range map[string]map[errcode.Code]wireError{"IAM": iamErrors, "STS": stsErrors, "Organizations": orgErrors} {
			if _, ok := table[c]; !ok {
				t.Errorf("errcode.%s has no %s error", c, name)
			}
		}
	}
}

func TestQueryErrors(t *testing.T) {
	const (
		iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
		stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"
	)
	tests := []struct {
		name     string
		service  string
		form     string
		authnErr error
		fail     error
		status   int
		ns       string
		kind     string
		code     string
		message  string
	}{
		{name: "no Action", service: "iam", form: "Version=2010-05-08", status: 400, ns: iamNS, code: "MissingAction",
			message: "The request must contain the parameter Action."},
		{name: "no Action, signed for STS", service: "sts", form: "Version=2011-06-15", status: 400, ns: stsNS, code: "MissingAction",
			message: "The request must contain the parameter Action."},
		{name: "no Version", service: "iam", form: "Action=ListUsers", status: 400, ns: iamNS, code: "InvalidAction",
			message: "Could not find operation ListUsers for version NO_VERSION_SPECIFIED"},
		{name: "unknown action", service: "iam", form: "Action=CreateLoginProfile&Version=2010-05-08", status: 400, ns: iamNS,
			code: "InvalidAction", message: "Could not find operation CreateLoginProfile for version 2010-05-08"},
		{name: "IAM action signed for STS", service: "sts", form: "Action=CreateUser&Version=2010-05-08&UserName=a", status: 400,
			ns: stsNS, code: "InvalidAction", message: "Could not find operation CreateUser for version 2010-05-08"},
		{name: "wrong version", service: "iam", form: "Action=ListUsers&Version=2011-06-15", status: 400, ns: iamNS,
			code: "InvalidAction", message: "Could not find operation ListUsers for version 2011-06-15"},
		{name: "bad form encoding", service: "iam", form: "Action=ListUsers&Version=2010-05-08&Marker=%zz", status: 404, ns: iamNS,
			code: "MalformedQueryString", message: "The request parameters are not valid form encoding"},
		{name: "unsigned", form: "Action=ListUsers&Version=2010-05-08", status: 403, ns: iamNS, code: "MissingAuthenticationToken",
			authnErr: errcode.New(errcode.MissingAuthenticationToken, "Missing Authentication Token"), message: "Request is missing Authentication Token"},
		{name: "unsigned STS action", form: "Action=GetCallerIdentity&Version=2011-06-15", status: 403, ns: stsNS,
			code: "MissingAuthenticationToken", authnErr: errcode.New(errcode.MissingAuthenticationToken, "m"),
			message: "Request is missing Authentication Token"},
		{name: "bad signature", service: "sts", form: "Action=GetCallerIdentity&Version=2011-06-15", status: 403, ns: stsNS,
			code: "SignatureDoesNotMatch", message: "Signature expired: 20250102T000000Z is now earlier than 20250102T001500Z (20250102T003000Z - 15 min.)",
			authnErr: errcode.New(errcode.InvalidSignature, "Signature expired: 20250102T000000Z is now earlier than 20250102T001500Z (20250102T003000Z - 15 min.)")},
		{name: "unknown key", service: "iam", form: "Action=ListUsers&Version=2010-05-08", status: 403, ns: iamNS,
			code: "InvalidClientTokenId", message: "The security token included in the request is invalid.",
			authnErr: errcode.New(errcode.UnrecognizedClient, "The security token included in the request is invalid.")},
		{name: "expired session", service: "iam", form: "Action=ListUsers&Version=2010-05-08", status: 403, ns: iamNS,
			code: "ExpiredToken", message: "The security token included in the request is expired",
			authnErr: errcode.New(errcode.ExpiredToken, "The security token included in the request is expired")},
		{name: "malformed authorization", service: "iam", form: "Action=ListUsers&Version=2010-05-08", status: 400, ns: iamNS,
			code: "IncompleteSignature", message: "m", authnErr: errcode.New(errcode.IncompleteSignature, "m")},
		{name: "no such entity", service: "iam", form: "Action=DeleteRole&Version=2010-05-08&RoleName=x", status: 404, ns: iamNS,
			code: "NoSuchEntity", message: "The role with name x cannot be found.",
			fail: errcode.New(errcode.EntityNotFound, "The role with name x cannot be found.")},
		{name: "conflict", service: "iam", form: "Action=DeleteUser&Version=2010-05-08&UserName=x", status: 409, ns: iamNS,
			code: "DeleteConflict", message: "Cannot delete entity, must delete access keys first.",
			fail: errcode.New(errcode.DeleteConflict, "Cannot delete entity, must delete access keys first.")},
		{name: "malformed policy", service: "iam", form: "Action=DeletePolicy&Version=2010-05-08&PolicyArn=" + esc(custARN), status: 400,
			ns: iamNS, code: "MalformedPolicyDocument", message: "Syntax errors in policy.",
			fail: errcode.New(errcode.MalformedPolicy, "Syntax errors in policy.")},
		{name: "server failure", service: "iam", form: "Action=ListRoles&Version=2010-05-08", status: 500, ns: iamNS, kind: "Receiver",
			code: "ServiceFailure", message: "We encountered an internal error. Please try again.", fail: errors.New("disk on fire")},
		{name: "STS server failure", service: "sts", form: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=ci&RoleArn=" + esc(roleARN),
			status: 500, ns: stsNS, kind: "Receiver", code: "InternalFailure", message: "We encountered an internal error. Please try again.",
			fail: errors.New("disk on fire")},
		{name: "STS denial", service: "sts", form: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=ci&RoleArn=" + esc(roleARN),
			status: 403, ns: stsNS, code: "AccessDenied", message: "User: u is not authorized to perform: sts:AssumeRole on resource: r",
			fail: errcode.New(errcode.Denied, "User: u is not authorized to perform: sts:AssumeRole on resource: r")},
		{name: "STS duration over the role's", service: "sts", form: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=ci&RoleArn=" + esc(roleARN),
			status: 400, ns: stsNS, code: "ValidationError", message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
			fail: errcode.New(errcode.Validation, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.authnErr, f.fail = tt.authnErr, tt.fail
			w := serve(t, f, queryRequest(tt.service, tt.form))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			kind := tt.kind
			if kind == "" {
				kind = "Sender"
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !strings.Contains(w.Body.String(), `<ErrorResponse xmlns="`+tt.ns+`">`) {
				t.Errorf("body = %s, want namespace %s", w.Body, tt.ns)
			}
			root := parseXML(t, w.Body.Bytes())
			checkXML(t, root, map[string]string{"Error/Type": kind, "Error/Code": tt.code, "RequestId": "req-test"})
			if msg, _ := root.find("Error/Message"); msg == nil || !strings.HasPrefix(msg.text, tt.message) {
				t.Errorf("message = %v, want %q", msg, tt.message)
			}
		})
	}
}

// TestDispatch checks which service a request is authenticated for: the signing
// scope's, or for an unsigned request the one that has the action.
func TestDispatch(t *testing.T) {
	tests := []struct {
		signed, action, version, want string
	}{
		{"iam", "ListUsers", "2010-05-08", "iam"},
		{"sts", "GetCallerIdentity", "2011-06-15", "sts"},
		{"", "GetCallerIdentity", "2011-06-15", "sts"},
		{"", "ListUsers", "2010-05-08", "iam"},
		{"", "Frobnicate", "2010-05-08", "iam"},
		{"ecr", "AssumeRole", "2011-06-15", "sts"},
		{"sts", "ListUsers", "2010-05-08", "sts"},
	}
	for _, tt := range tests {
		f := newFake()
		serve(t, f, queryRequest(tt.signed, "Action="+tt.action+"&Version="+tt.version))
		if !slices.Equal(f.services, []string{tt.want}) {
			t.Errorf("%s signed for %q: authenticated for %q, want %q", tt.action, tt.signed, f.services, tt.want)
		}
	}
}

func TestRequestTooLarge(t *testing.T) {
	f := newFake()
	r := queryRequest("iam", "Action=ListUsers&Version=2010-05-08&Marker="+strings.Repeat("a", maxQueryBody))
	w := serve(t, f, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", w.Code)
	}
	checkXML(t, parseXML(t, w.Body.Bytes()), map[string]string{"Error/Code": "RequestEntityTooLarge"})
	if len(f.services) != 0 {
		t.Error("an oversized request was authenticated")
	}
}

func TestNotAFormPost(t *testing.T) {
	f := newFake()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Action":"ListUsers"}`))
	r.Header.Set("Content-Type", "application/json")
	w := serve(t, f, r)
	if w.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", w.Code)
	}
	checkXML(t, parseXML(t, w.Body.Bytes()), map[string]string{"Error/Code": "MalformedQueryString"})
}
