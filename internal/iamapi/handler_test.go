package iamapi

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// queryRequest is a POST of form as the aws CLI sends it, with a (fake) signature
// scoped to service ("" for none).
func queryRequest(service, form string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if service != "" {
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAALICE0000000000A/20250102/us-east-1/"+service+
			"/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000")
	}
	r.RemoteAddr = "192.0.2.7:53124"
	return r
}

// serve runs one request through the query face and returns the response.
func serve(t *testing.T, f *fakeBackend, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "req-test")
	NewQuery(f, quietLog()).ServeHTTP(w, r)
	return w
}

// xnode is an XML element, for reading responses back.
type xnode struct {
	name string
	text string
	kids []*xnode
}

func parseXML(t *testing.T, body []byte) *xnode {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	root := &xnode{}
	stack := []*xnode{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, body)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: tok.Name.Local}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	if len(root.kids) != 1 {
		t.Fatalf("response has %d root elements:\n%s", len(root.kids), body)
	}
	return root.kids[0]
}

// find follows a path of element names, "Users/member[1]/UserName"; [i] picks the
// i-th of several children of that name.
func (n *xnode) find(path string) (*xnode, bool) {
	for _, seg := range strings.Split(path, "/") {
		name, index := seg, 0
		if i := strings.IndexByte(seg, '['); i >= 0 {
			name = seg[:i]
			index, _ = strconv.Atoi(strings.TrimSuffix(seg[i+1:], "]"))
		}
		var next *xnode
		for _, k := range n.kids {
			if k.name == name {
				if index == 0 {
					next = k
					break
				}
				index--
			}
		}
		if next == nil {
			return nil, false
		}
		n = next
	}
	return n, true
}

// absent is a want value: the element must not be there.
const absent = "<absent>"

func checkXML(t *testing.T, root *xnode, want map[string]string) {
	t.Helper()
	for path, v := range want {
		n, ok := root.find(path)
		switch {
		case v == absent && ok:
			t.Errorf("%s = %q, want it left out", path, n.text)
		case v != absent && !ok:
			t.Errorf("%s is missing", path)
		case v != absent && n.text != v:
			t.Errorf("%s = %q, want %q", path, n.text, v)
		}
	}
}

// isLookup reports whether a backend event is a read of an entity that the face makes
// to learn the path of the ARN it authorizes against.
func isLookup(event string) bool {
	for _, m := range []string{"GetUser ", "GetGroup ", "GetRole "} {
		if strings.HasPrefix(event, m) {
			return true
		}
	}
	return false
}

func marker(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

type opCase struct {
	name   string
	caller *iam.Principal // userCallerPrincipal if nil
	form   string         // the parameters besides Action and Version
	// action and resource are what Authorize must be asked; "" when it must not be.
	action, resource string
	// context is a condition key Authorize must be given.
	context string
	// call is the backend call the operation makes last ("" for none).
	call string
	// want are elements of the response (paths below the root) and their text.
	want map[string]string
}

const (
	trustDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	userARN    = "arn:aws:iam::123456789012:user/eng/alice"
	groupARN   = "arn:aws:iam::123456789012:group/teams/devs"
	roleARN    = "arn:aws:iam::123456789012:role/service/deployer"
	custARN    = "arn:aws:iam::123456789012:policy/ops/pull"
	readARN    = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	createDate = "2025-01-02T03:04:05Z"
)

func esc(s string) string { return url.QueryEscape(s) }

// iamCases are every IAM operation as the aws CLI sends it.
func iamCases() []opCase {
	root := rootCallerPrincipal
	return []opCase{
		{name: "CreateUser", form: "UserName=carol&Path=%2Fdev%2F&Tags.member.1.Key=team&Tags.member.1.Value=ops",
			action: "iam:CreateUser", resource: "arn:aws:iam::123456789012:user/dev/carol", context: "aws:RequestTag/team",
			call: "CreateUser 123456789012 carol /dev/",
			want: map[string]string{"CreateUserResult/User/UserName": "carol", "CreateUserResult/User/Path": "/dev/",
				"CreateUserResult/User/UserId": "AIDANEW000000000000", "CreateUserResult/User/Arn": "arn:aws:iam::123456789012:user/dev/carol",
				"CreateUserResult/User/CreateDate": createDate, "CreateUserResult/User/Tags": absent,
				"ResponseMetadata/RequestId": "req-test"}},
		{name: "CreateUser without path", form: "UserName=carol",
			action: "iam:CreateUser", resource: "arn:aws:iam::123456789012:user/carol", call: "CreateUser 123456789012 carol /",
			want: map[string]string{"CreateUserResult/User/Path": "/"}},
		{name: "GetUser", form: "UserName=alice", action: "iam:GetUser", resource: userARN, call: "GetUser 123456789012 alice",
			want: map[string]string{"GetUserResult/User/UserName": "alice", "GetUserResult/User/Path": "/eng/",
				"GetUserResult/User/Arn": userARN, "GetUserResult/User/UserId": "AIDAALICE0000000000",
				"GetUserResult/User/CreateDate": createDate}},
		{name: "GetUser of a user that does not exist", form: "UserName=zed", action: "iam:GetUser",
			resource: "arn:aws:iam::123456789012:user/zed"},
		{name: "GetUser of the calling user", action: "iam:GetUser", resource: userARN, call: "GetUser 123456789012 alice",
			want: map[string]string{"GetUserResult/User/UserName": "alice"}},
		{name: "GetUser of the calling root", caller: &root, action: "iam:GetUser", resource: "arn:aws:iam::123456789012:root",
			want: map[string]string{"GetUserResult/User/UserId": acct, "GetUserResult/User/Arn": "arn:aws:iam::123456789012:root",
				"GetUserResult/User/UserName": absent, "GetUserResult/User/Path": absent}},
		{name: "ListUsers", form: "PathPrefix=%2Feng%2F&MaxItems=10", action: "iam:ListUsers", resource: "arn:aws:iam::123456789012:user/",
			call: `ListUsers 123456789012 "/eng/" "" 10`,
			want: map[string]string{"ListUsersResult/Users/member[0]/UserName": "alice", "ListUsersResult/Users/member[1]/UserName": "bob",
				"ListUsersResult/Users/member[1]/Arn": "arn:aws:iam::123456789012:user/bob",
				"ListUsersResult/IsTruncated":         "true", "ListUsersResult/Marker": "next-users"}},
		{name: "ListUsers, last page", form: "Marker=next-users", action: "iam:ListUsers", resource: "arn:aws:iam::123456789012:user/",
			call: `ListUsers 123456789012 "" "next-users" 100`,
			want: map[string]string{"ListUsersResult/IsTruncated": "false", "ListUsersResult/Marker": absent}},
		{name: "DeleteUser", form: "UserName=bob", action: "iam:DeleteUser", resource: "arn:aws:iam::123456789012:user/bob",
			call: "DeleteUser 123456789012 bob", want: map[string]string{"DeleteUserResult": absent, "ResponseMetadata/RequestId": "req-test"}},

		{name: "CreateAccessKey", form: "UserName=alice", action: "iam:CreateAccessKey", resource: userARN,
			call: `CreateAccessKey 123456789012 "alice"`,
			want: map[string]string{"CreateAccessKeyResult/AccessKey/UserName": "alice", "CreateAccessKeyResult/AccessKey/AccessKeyId": keyAlice.ID,
				"CreateAccessKeyResult/AccessKey/Status": "Active", "CreateAccessKeyResult/AccessKey/CreateDate": createDate,
				"CreateAccessKeyResult/AccessKey/SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
		{name: "CreateAccessKey of the calling root", caller: &root, action: "iam:CreateAccessKey", resource: "arn:aws:iam::123456789012:root",
			call: `CreateAccessKey 123456789012 ""`, want: map[string]string{"CreateAccessKeyResult/AccessKey/UserName": absent}},
		{name: "ListAccessKeys", form: "MaxItems=1", action: "iam:ListAccessKeys", resource: userARN,
			call: `ListAccessKeys 123456789012 "alice"`,
			want: map[string]string{"ListAccessKeysResult/AccessKeyMetadata/member[0]/AccessKeyId": keyAlice.ID,
				"ListAccessKeysResult/AccessKeyMetadata/member[0]/UserName":   "alice",
				"ListAccessKeysResult/AccessKeyMetadata/member[0]/Status":     "Active",
				"ListAccessKeysResult/AccessKeyMetadata/member[0]/CreateDate": createDate,
				"ListAccessKeysResult/AccessKeyMetadata/member[1]":            absent,
				"ListAccessKeysResult/IsTruncated":                            "true", "ListAccessKeysResult/Marker": marker(keyAlice.ID)}},
		{name: "ListAccessKeys, second page", form: "UserName=alice&MaxItems=1&Marker=" + marker(keyAlice.ID),
			action: "iam:ListAccessKeys", resource: userARN, call: `ListAccessKeys 123456789012 "alice"`,
			want: map[string]string{"ListAccessKeysResult/AccessKeyMetadata/member[0]/AccessKeyId": keyAlice2.ID,
				"ListAccessKeysResult/AccessKeyMetadata/member[0]/Status": "Inactive", "ListAccessKeysResult/IsTruncated": "false"}},
		{name: "UpdateAccessKey", form: "UserName=alice&AccessKeyId=" + keyAlice.ID + "&Status=Inactive", action: "iam:UpdateAccessKey",
			resource: userARN, call: `UpdateAccessKey 123456789012 "alice" AKIAALICE0000000000A Inactive`},
		{name: "DeleteAccessKey of the calling user", form: "AccessKeyId=" + keyAlice.ID, action: "iam:DeleteAccessKey",
			resource: userARN, call: `DeleteAccessKey 123456789012 "alice" AKIAALICE0000000000A`},

		{name: "CreateGroup", form: "GroupName=ops&Path=%2Fteams%2F", action: "iam:CreateGroup", resource: "arn:aws:iam::123456789012:group/teams/ops",
			call: "CreateGroup 123456789012 ops /teams/",
			want: map[string]string{"CreateGroupResult/Group/GroupName": "ops", "CreateGroupResult/Group/Path": "/teams/",
				"CreateGroupResult/Group/GroupId": "AGPANEW000000000000", "CreateGroupResult/Group/Arn": "arn:aws:iam::123456789012:group/teams/ops",
				"CreateGroupResult/Group/CreateDate": createDate}},
		{name: "GetGroup", form: "GroupName=devs&MaxItems=1", action: "iam:GetGroup", resource: groupARN, call: "GetGroup 123456789012 devs",
			want: map[string]string{"GetGroupResult/Group/GroupName": "devs", "GetGroupResult/Group/Arn": groupARN,
				"GetGroupResult/Users/member[0]/UserName": "alice", "GetGroupResult/Users/member[1]": absent,
				"GetGroupResult/IsTruncated": "true", "GetGroupResult/Marker": marker("alice")}},
		{name: "ListGroups", form: "PathPrefix=%2F", action: "iam:ListGroups", resource: "arn:aws:iam::123456789012:group/",
			call: `ListGroups 123456789012 "/" "" 100`,
			want: map[string]string{"ListGroupsResult/Groups/member/GroupName": "devs", "ListGroupsResult/Groups/member/GroupId": devs.ID,
				"ListGroupsResult/IsTruncated": "false"}},
		{name: "ListGroupsForUser", form: "UserName=alice", action: "iam:ListGroupsForUser", resource: userARN,
			call: "ListGroupsForUser 123456789012 alice",
			want: map[string]string{"ListGroupsForUserResult/Groups/member/GroupName": "devs", "ListGroupsForUserResult/IsTruncated": "false"}},
		{name: "DeleteGroup", form: "GroupName=devs", action: "iam:DeleteGroup", resource: groupARN, call: "DeleteGroup 123456789012 devs"},
		{name: "AddUserToGroup", form: "GroupName=devs&UserName=bob", action: "iam:AddUserToGroup", resource: groupARN,
			call: "AddUserToGroup 123456789012 devs bob"},
		{name: "RemoveUserFromGroup", form: "GroupName=devs&UserName=bob", action: "iam:RemoveUserFromGroup", resource: groupARN,
			call: "RemoveUserFromGroup 123456789012 devs bob"},

		{name: "CreateRole", form: "RoleName=builder&Path=%2Fci%2F&AssumeRolePolicyDocument=" + esc(trustDoc) +
			"&Description=Builds+images&MaxSessionDuration=7200",
			action: "iam:CreateRole", resource: "arn:aws:iam::123456789012:role/ci/builder",
			call: `CreateRole 123456789012 builder /ci/ "Builds images" 7200 ` + trustDoc,
			want: map[string]string{"CreateRoleResult/Role/RoleName": "builder", "CreateRoleResult/Role/Path": "/ci/",
				"CreateRoleResult/Role/RoleId": "AROANEW000000000000", "CreateRoleResult/Role/Arn": "arn:aws:iam::123456789012:role/ci/builder",
				"CreateRoleResult/Role/CreateDate": createDate, "CreateRoleResult/Role/AssumeRolePolicyDocument": awsproto.PercentEncode(trustDoc),
				"CreateRoleResult/Role/Description": "Builds images", "CreateRoleResult/Role/MaxSessionDuration": "7200",
				"CreateRoleResult/Role/RoleLastUsed": absent}},
		{name: "GetRole", form: "RoleName=deployer", action: "iam:GetRole", resource: roleARN, call: "GetRole 123456789012 deployer",
			want: map[string]string{"GetRoleResult/Role/RoleName": "deployer", "GetRoleResult/Role/Arn": roleARN,
				"GetRoleResult/Role/AssumeRolePolicyDocument": awsproto.PercentEncode(deployer.TrustPolicy),
				"GetRoleResult/Role/MaxSessionDuration":       "7200", "GetRoleResult/Role/Description": "CI deploys",
				"GetRoleResult/Role/RoleLastUsed": ""}},
		{name: "ListRoles", action: "iam:ListRoles", resource: "arn:aws:iam::123456789012:role/", call: `ListRoles 123456789012 "" "" 100`,
			want: map[string]string{"ListRolesResult/Roles/member/RoleName": "deployer",
				"ListRolesResult/Roles/member/AssumeRolePolicyDocument": awsproto.PercentEncode(deployer.TrustPolicy),
				"ListRolesResult/IsTruncated":                           "false"}},
		{name: "DeleteRole", form: "RoleName=deployer", action: "iam:DeleteRole", resource: roleARN, call: "DeleteRole 123456789012 deployer"},
		{name: "UpdateAssumeRolePolicy", form: "RoleName=deployer&PolicyDocument=" + esc(trustDoc), action: "iam:UpdateAssumeRolePolicy",
			resource: roleARN, call: "UpdateAssumeRolePolicy 123456789012 deployer " + trustDoc},

		{name: "PutUserPolicy", form: "UserName=alice&PolicyName=p1&PolicyDocument=" + esc(policyDoc), action: "iam:PutUserPolicy",
			resource: userARN, call: "PutInlinePolicy 123456789012 user alice p1 " + policyDoc},
		{name: "GetUserPolicy", form: "UserName=alice&PolicyName=p1", action: "iam:GetUserPolicy", resource: userARN,
			call: "GetInlinePolicy 123456789012 user alice p1",
			want: map[string]string{"GetUserPolicyResult/UserName": "alice", "GetUserPolicyResult/PolicyName": "p1",
				"GetUserPolicyResult/PolicyDocument": awsproto.PercentEncode(policyDoc), "GetUserPolicyResult/RoleName": absent}},
		{name: "DeleteUserPolicy", form: "UserName=alice&PolicyName=p1", action: "iam:DeleteUserPolicy", resource: userARN,
			call: "DeleteInlinePolicy 123456789012 user alice p1"},
		{name: "ListUserPolicies", form: "UserName=alice&MaxItems=2", action: "iam:ListUserPolicies", resource: userARN,
			call: "ListInlinePolicies 123456789012 user alice",
			want: map[string]string{"ListUserPoliciesResult/PolicyNames/member[0]": "p1", "ListUserPoliciesResult/PolicyNames/member[1]": "p2",
				"ListUserPoliciesResult/PolicyNames/member[2]": absent, "ListUserPoliciesResult/IsTruncated": "true",
				"ListUserPoliciesResult/Marker": marker("p2")}},
		{name: "PutRolePolicy", form: "RoleName=deployer&PolicyName=p1&PolicyDocument=" + esc(policyDoc), action: "iam:PutRolePolicy",
			resource: roleARN, call: "PutInlinePolicy 123456789012 role deployer p1 " + policyDoc},
		{name: "GetRolePolicy", form: "RoleName=deployer&PolicyName=p1", action: "iam:GetRolePolicy", resource: roleARN,
			call: "GetInlinePolicy 123456789012 role deployer p1",
			want: map[string]string{"GetRolePolicyResult/RoleName": "deployer", "GetRolePolicyResult/PolicyName": "p1",
				"GetRolePolicyResult/PolicyDocument": awsproto.PercentEncode(policyDoc)}},
		{name: "DeleteRolePolicy", form: "RoleName=deployer&PolicyName=p1", action: "iam:DeleteRolePolicy", resource: roleARN,
			call: "DeleteInlinePolicy 123456789012 role deployer p1"},
		{name: "ListRolePolicies", form: "RoleName=deployer&Marker=" + marker("p2"), action: "iam:ListRolePolicies", resource: roleARN,
			call: "ListInlinePolicies 123456789012 role deployer",
			want: map[string]string{"ListRolePoliciesResult/PolicyNames/member[0]": "p3", "ListRolePoliciesResult/IsTruncated": "false"}},
		{name: "PutGroupPolicy", form: "GroupName=devs&PolicyName=p1&PolicyDocument=" + esc(policyDoc), action: "iam:PutGroupPolicy",
			resource: groupARN, call: "PutInlinePolicy 123456789012 group devs p1 " + policyDoc},
		{name: "GetGroupPolicy", form: "GroupName=devs&PolicyName=p1", action: "iam:GetGroupPolicy", resource: groupARN,
			call: "GetInlinePolicy 123456789012 group devs p1",
			want: map[string]string{"GetGroupPolicyResult/GroupName": "devs", "GetGroupPolicyResult/PolicyName": "p1",
				"GetGroupPolicyResult/PolicyDocument": awsproto.PercentEncode(policyDoc)}},
		{name: "DeleteGroupPolicy", form: "GroupName=devs&PolicyName=p1", action: "iam:DeleteGroupPolicy", resource: groupARN,
			call: "DeleteInlinePolicy 123456789012 group devs p1"},
		{name: "ListGroupPolicies", form: "GroupName=devs", action: "iam:ListGroupPolicies", resource: groupARN,
			call: "ListInlinePolicies 123456789012 group devs",
			want: map[string]string{"ListGroupPoliciesResult/PolicyNames/member[2]": "p3", "ListGroupPoliciesResult/IsTruncated": "false"}},

		{name: "AttachUserPolicy", form: "UserName=alice&PolicyArn=" + esc(readARN), action: "iam:AttachUserPolicy", resource: userARN,
			context: "iam:PolicyARN", call: "AttachPolicy 123456789012 user alice " + readARN},
		{name: "DetachUserPolicy", form: "UserName=alice&PolicyArn=" + esc(readARN), action: "iam:DetachUserPolicy", resource: userARN,
			context: "iam:PolicyARN", call: "DetachPolicy 123456789012 user alice " + readARN},
		{name: "ListAttachedUserPolicies", form: "UserName=alice", action: "iam:ListAttachedUserPolicies", resource: userARN,
			call: "ListAttachedPolicies 123456789012 user alice",
			want: map[string]string{"ListAttachedUserPoliciesResult/AttachedPolicies/member[0]/PolicyName": "ReadOnlyAccess",
				"ListAttachedUserPoliciesResult/AttachedPolicies/member[0]/PolicyArn": readARN,
				"ListAttachedUserPoliciesResult/AttachedPolicies/member[1]/PolicyArn": custARN,
				"ListAttachedUserPoliciesResult/IsTruncated":                          "false"}},
		{name: "AttachRolePolicy", form: "RoleName=deployer&PolicyArn=" + esc(custARN), action: "iam:AttachRolePolicy", resource: roleARN,
			call: "AttachPolicy 123456789012 role deployer " + custARN},
		{name: "DetachRolePolicy", form: "RoleName=deployer&PolicyArn=" + esc(custARN), action: "iam:DetachRolePolicy", resource: roleARN,
			call: "DetachPolicy 123456789012 role deployer " + custARN},
		{name: "ListAttachedRolePolicies", form: "RoleName=deployer&PathPrefix=%2Fops%2F", action: "iam:ListAttachedRolePolicies",
			resource: roleARN, call: "ListAttachedPolicies 123456789012 role deployer",
			want: map[string]string{"ListAttachedRolePoliciesResult/AttachedPolicies/member[0]/PolicyArn": custARN,
				"ListAttachedRolePoliciesResult/AttachedPolicies/member[1]": absent}},
		{name: "AttachGroupPolicy", form: "GroupName=devs&PolicyArn=" + esc(custARN), action: "iam:AttachGroupPolicy", resource: groupARN,
			call: "AttachPolicy 123456789012 group devs " + custARN},
		{name: "DetachGroupPolicy", form: "GroupName=devs&PolicyArn=" + esc(custARN), action: "iam:DetachGroupPolicy", resource: groupARN,
			call: "DetachPolicy 123456789012 group devs " + custARN},
		{name: "ListAttachedGroupPolicies", form: "GroupName=devs&MaxItems=1", action: "iam:ListAttachedGroupPolicies", resource: groupARN,
			call: "ListAttachedPolicies 123456789012 group devs",
			want: map[string]string{"ListAttachedGroupPoliciesResult/AttachedPolicies/member[0]/PolicyArn": readARN,
				"ListAttachedGroupPoliciesResult/IsTruncated": "true", "ListAttachedGroupPoliciesResult/Marker": marker(readARN)}},

		{name: "CreatePolicy", form: "PolicyName=push&Path=%2Fops%2F&PolicyDocument=" + esc(policyDoc) + "&Description=push+images",
			action: "iam:CreatePolicy", resource: "arn:aws:iam::123456789012:policy/ops/push",
			call: `CreatePolicy 123456789012 push /ops/ "push images" ` + policyDoc,
			want: map[string]string{"CreatePolicyResult/Policy/PolicyName": "push", "CreatePolicyResult/Policy/Arn": "arn:aws:iam::123456789012:policy/ops/push",
				"CreatePolicyResult/Policy/PolicyId": "ANPANEW000000000000", "CreatePolicyResult/Policy/Path": "/ops/",
				"CreatePolicyResult/Policy/DefaultVersionId": "v1", "CreatePolicyResult/Policy/AttachmentCount": "0",
				"CreatePolicyResult/Policy/PermissionsBoundaryUsageCount": "0", "CreatePolicyResult/Policy/IsAttachable": "true",
				"CreatePolicyResult/Policy/Description": "push images", "CreatePolicyResult/Policy/CreateDate": createDate,
				"CreatePolicyResult/Policy/UpdateDate": createDate}},
		{name: "GetPolicy", form: "PolicyArn=" + esc(custARN), action: "iam:GetPolicy", resource: custARN,
			call: "GetPolicy 123456789012 " + custARN,
			want: map[string]string{"GetPolicyResult/Policy/PolicyName": "pull", "GetPolicyResult/Policy/AttachmentCount": "3",
				"GetPolicyResult/Policy/DefaultVersionId": "v2", "GetPolicyResult/Policy/Description": "pull images",
				"GetPolicyResult/Policy/UpdateDate": "2025-02-03T04:05:06Z"}},
		{name: "ListPolicies", form: "Scope=Local&OnlyAttached=true&PathPrefix=%2Fops%2F&PolicyUsageFilter=PermissionsPolicy",
			action: "iam:ListPolicies", resource: "arn:aws:iam::123456789012:policy/",
			call: `ListPolicies 123456789012 Local true "/ops/" "" 100`,
			want: map[string]string{"ListPoliciesResult/Policies/member[0]/Arn": readARN, "ListPoliciesResult/Policies/member[1]/Arn": custARN,
				"ListPoliciesResult/Policies/member[1]/Description": absent, "ListPoliciesResult/IsTruncated": "false"}},
		{name: "ListPolicies used as permissions boundaries", form: "PolicyUsageFilter=PermissionsBoundary",
			action: "iam:ListPolicies", resource: "arn:aws:iam::123456789012:policy/",
			want: map[string]string{"ListPoliciesResult/Policies": "", "ListPoliciesResult/IsTruncated": "false"}},
		{name: "DeletePolicy", form: "PolicyArn=" + esc(custARN), action: "iam:DeletePolicy", resource: custARN,
			call: "DeletePolicy 123456789012 " + custARN},
		{name: "CreatePolicyVersion", form: "PolicyArn=" + esc(custARN) + "&PolicyDocument=" + esc(policyDoc) + "&SetAsDefault=true",
			action: "iam:CreatePolicyVersion", resource: custARN, call: "CreatePolicyVersion 123456789012 " + custARN + " true " + policyDoc,
			want: map[string]string{"CreatePolicyVersionResult/PolicyVersion/VersionId": "v3",
				"CreatePolicyVersionResult/PolicyVersion/IsDefaultVersion": "true",
				"CreatePolicyVersionResult/PolicyVersion/CreateDate":       "2025-02-03T04:05:06Z",
				"CreatePolicyVersionResult/PolicyVersion/Document":         absent}},
		{name: "GetPolicyVersion", form: "PolicyArn=" + esc(custARN) + "&VersionId=v2", action: "iam:GetPolicyVersion", resource: custARN,
			call: "GetPolicyVersion 123456789012 " + custARN + " v2",
			want: map[string]string{"GetPolicyVersionResult/PolicyVersion/VersionId": "v2",
				"GetPolicyVersionResult/PolicyVersion/Document":         awsproto.PercentEncode(policyDoc),
				"GetPolicyVersionResult/PolicyVersion/IsDefaultVersion": "true"}},
		{name: "ListPolicyVersions", form: "PolicyArn=" + esc(custARN), action: "iam:ListPolicyVersions", resource: custARN,
			call: "ListPolicyVersions 123456789012 " + custARN,
			want: map[string]string{"ListPolicyVersionsResult/Versions/member[0]/VersionId": "v2",
				"ListPolicyVersionsResult/Versions/member[0]/IsDefaultVersion": "true",
				"ListPolicyVersionsResult/Versions/member[1]/IsDefaultVersion": "false",
				"ListPolicyVersionsResult/Versions/member[0]/Document":         absent, "ListPolicyVersionsResult/IsTruncated": "false"}},
		{name: "DeletePolicyVersion", form: "PolicyArn=" + esc(custARN) + "&VersionId=v1", action: "iam:DeletePolicyVersion", resource: custARN,
			call: "DeletePolicyVersion 123456789012 " + custARN + " v1"},
		{name: "SetDefaultPolicyVersion", form: "PolicyArn=" + esc(custARN) + "&VersionId=v1", action: "iam:SetDefaultPolicyVersion",
			resource: custARN, call: "SetDefaultPolicyVersion 123456789012 " + custARN + " v1"},
	}
}

// stsCases are the STS operations as the aws CLI sends them; neither calls Authorize.
func stsCases() []opCase {
	return []opCase{
		{name: "GetCallerIdentity",
			want: map[string]string{"GetCallerIdentityResult/UserId": alice.ID, "GetCallerIdentityResult/Account": acct,
				"GetCallerIdentityResult/Arn": userARN}},
		{name: "AssumeRole", form: "RoleArn=" + esc(roleARN) + "&RoleSessionName=ci&DurationSeconds=1800&ExternalId=ext-1&Policy=" + esc(policyDoc),
			call: `AssumeRole arn:aws:iam::123456789012:user/eng/alice ` + roleARN + ` ci 30m0s "ext-1" "` + strings.ReplaceAll(policyDoc, `"`, `\"`) + `" 192.0.2.7 false`,
			want: map[string]string{"AssumeRoleResult/Credentials/AccessKeyId": "ASIASESSION000000000",
				"AssumeRoleResult/Credentials/SecretAccessKey": "sessionsecret", "AssumeRoleResult/Credentials/SessionToken": "FwoGZXIvYXdzEJr//token",
				"AssumeRoleResult/Credentials/Expiration":        "2025-02-03T04:05:06Z",
				"AssumeRoleResult/AssumedRoleUser/AssumedRoleId": "AROADEPLOYER0000000:ci",
				"AssumeRoleResult/AssumedRoleUser/Arn":           "arn:aws:sts::123456789012:assumed-role/deployer/ci",
				"AssumeRoleResult/PackedPolicySize":              "5"}},
		{name: "AssumeRole without a session policy", form: "RoleArn=" + esc(roleARN) + "&RoleSessionName=ci",
			call: `AssumeRole arn:aws:iam::123456789012:user/eng/alice ` + roleARN + ` ci 0s "" "" 192.0.2.7 false`,
			want: map[string]string{"AssumeRoleResult/PackedPolicySize": absent}},
	}
}

func opName(name string) string {
	op, _, _ := strings.Cut(name, " ")
	op, _, _ = strings.Cut(op, ",")
	return op
}

func TestOperations(t *testing.T) {
	run := func(t *testing.T, service, version string, tt opCase) {
		f := newFake()
		if tt.caller != nil {
			f.caller = *tt.caller
		}
		op := opName(tt.name)
		form := "Action=" + op + "&Version=" + version
		if tt.form != "" {
			form += "&" + tt.form
		}
		w := serve(t, f, queryRequest(service, form))
		events := f.log()
		if tt.call == "" && tt.want == nil {
			// An entity that does not exist: the authorization still names it.
			if w.Code != http.StatusNotFound {
				t.Errorf("status = %d, want 404\n%s", w.Code, w.Body)
			}
		} else if w.Code != http.StatusOK {
			t.Fatalf("status = %d\n%s", w.Code, w.Body)
		}
		if got := f.services; !slices.Equal(got, []string{service}) {
			t.Errorf("authenticated for %q, want %q", got, service)
		}
		authz := slices.IndexFunc(events, func(e string) bool { return strings.HasPrefix(e, "Authorize ") })
		if tt.action == "" {
			if authz >= 0 {
				t.Errorf("%s called Authorize: %q", op, events)
			}
		} else {
			if want := "Authorize " + tt.action + " " + tt.resource; authz < 0 || events[authz] != want {
				t.Errorf("events = %q, want %q", events, want)
			}
			for _, e := range events[:max(authz, 0)] {
				if !isLookup(e) {
					t.Errorf("%q was called before Authorize", e)
				}
			}
			req := f.requests[0]
			if req.Principal.ARN != f.caller.ARN || req.SourceIP != "192.0.2.7" || req.Secure || req.ResourceAccount != "" {
				t.Errorf("Authorize request = %+v", req)
			}
			if tt.context != "" && req.Context[tt.context] == nil {
				t.Errorf("Authorize context = %v, want %s", req.Context, tt.context)
			}
		}
		if tt.call != "" {
			if len(events) == 0 || events[len(events)-1] != tt.call {
				t.Errorf("events = %q\nwant last %q", events, tt.call)
			}
		}
		root := parseXML(t, w.Body.Bytes())
		if root.name != op+"Response" && w.Code == http.StatusOK {
			t.Errorf("root element = %s", root.name)
		}
		checkXML(t, root, tt.want)
	}
	for _, tt := range iamCases() {
		t.Run(tt.name, func(t *testing.T) { run(t, "iam", "2010-05-08", tt) })
	}
	for _, tt := range stsCases() {
		t.Run(tt.name, func(t *testing.T) { run(t, "sts", "2011-06-15", tt) })
	}
}

// TestEveryOperationIsTested keeps the tables above in step with the operations served.
func TestEveryOperationIsTested(t *testing.T) {
	tested := map[string]bool{}
	for _, tt := range append(iamCases(), stsCases()...) {
		tested[opName(tt.name)] = true
	}
	for _, ops := range []map[string]queryOp{iamOps, stsOps} {
		for op := range ops {
			if !tested[op] {
				t.Errorf("%s has no test case", op)
			}
		}
	}
}

// TestDenied checks that every authorized operation asks before it acts, and that a
// denial reaches the client as AccessDenied 403 with the backend's message unchanged.
func TestDenied(t *testing.T) {
	for _, tt := range iamCases() {
		if tt.action == "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.caller != nil {
				f.caller = *tt.caller
			}
			msg := "User: " + f.caller.ARN + " is not authorized to perform: " + tt.action + " on resource: " + tt.resource +
				" because no identity-based policy allows the " + tt.action + " action"
			f.deny = errcode.New(errcode.Denied, "%s", msg)
			op := opName(tt.name)
			form := "Action=" + op + "&Version=2010-05-08"
			if tt.form != "" {
				form += "&" + tt.form
			}
			w := serve(t, f, queryRequest("iam", form))
			if w.Code != http.StatusForbidden {
				t.Fatalf("status = %d, want 403\n%s", w.Code, w.Body)
			}
			checkXML(t, parseXML(t, w.Body.Bytes()), map[string]string{
				"Error/Type": "Sender", "Error/Code": "AccessDenied", "Error/Message": msg, "RequestId": "req-test"})
			for _, e := range f.log() {
				if !isLookup(e) && !strings.HasPrefix(e, "Authorize ") {
					t.Errorf("%q was called though the caller was denied", e)
				}
			}
		})
	}
}

func TestGetRequest(t *testing.T) {
	f := newFake()
	r := httptest.NewRequest(http.MethodGet, "/?Action=ListRoles&Version=2010-05-08&MaxItems=5", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAALICE0000000000A/20250102/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	w := serve(t, f, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d\n%s", w.Code, w.Body)
	}
	if ev := f.log(); ev[len(ev)-1] != `ListRoles 123456789012 "" "" 5` {
		t.Errorf("events = %q", ev)
	}
}
