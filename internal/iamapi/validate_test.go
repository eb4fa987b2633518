package iamapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-registry/berth/internal/iam"
)

func TestValidation(t *testing.T) {
	role := roleCallerPrincipal
	long := strings.Repeat("a", 65)
	var tooManyTags strings.Builder
	for i := 1; i <= 51; i++ {
		tooManyTags.WriteString("&Tags.member." + strconv.Itoa(i) + ".Key=k" + strconv.Itoa(i) + "&Tags.member." + strconv.Itoa(i) + ".Value=v")
	}
	tests := []struct {
		name    string
		service string
		caller  *iam.Principal
		form    string
		status  int
		code    string
		message string
	}{
		{name: "required member missing", form: "Action=CreateUser",
			code: "ValidationError", message: "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{name: "every broken constraint at once", form: "Action=CreateUser&Path=nopath&UserName=bad+name%21",
			code: "ValidationError", message: "2 validation errors detected: " +
				`Value 'nopath' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F); ` +
				`Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{name: "too long", form: "Action=CreateUser&UserName=" + long,
			code: "ValidationError", message: "1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{name: "empty and so shorter than allowed", form: "Action=GetGroup&GroupName=",
			code: "ValidationError", message: "2 validation errors detected: " +
				"Value '' at 'groupName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				`Value '' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{name: "existing user names may be longer", form: "Action=GetUser&UserName=" + strings.Repeat("a", 129),
			code: "ValidationError", message: "1 validation error detected: Value '" + strings.Repeat("a", 129) +
				"' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{name: "MaxItems too small", form: "Action=ListUsers&MaxItems=0",
			code: "ValidationError", message: "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{name: "MaxItems too large", form: "Action=ListRoles&MaxItems=1001",
			code: "ValidationError", message: "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{name: "MaxItems not a number", form: "Action=ListGroups&MaxItems=ten",
			code: "ValidationError", message: "1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be an integer"},
		{name: "marker not of this list", form: "Action=ListAccessKeys&UserName=alice&Marker=bm9wZQ",
			code: "InvalidInput", message: "Invalid Marker."},
		{name: "MaxSessionDuration under an hour", form: "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=600",
			code: "ValidationError", message: "1 validation error detected: Value '600' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{name: "enum", form: "Action=UpdateAccessKey&AccessKeyId=AKIAALICE0000000000A&Status=Disabled",
			code: "ValidationError", message: "1 validation error detected: Value 'Disabled' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{name: "enum missing", form: "Action=UpdateAccessKey&AccessKeyId=AKIAALICE0000000000A",
			code: "ValidationError", message: "1 validation error detected: Value null at 'status' failed to satisfy constraint: Member must not be null"},
		{name: "scope", form: "Action=ListPolicies&Scope=Mine",
			code: "ValidationError", message: "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"},
		{name: "boolean", form: "Action=ListPolicies&OnlyAttached=yes",
			code: "ValidationError", message: "1 validation error detected: Value 'yes' at 'onlyAttached' failed to satisfy constraint: Member must be a boolean (true or false)"},
		{name: "version id", form: "Action=GetPolicyVersion&PolicyArn=" + esc(custARN) + "&VersionId=2",
			code: "ValidationError", message: `1 validation error detected: Value '2' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`},
		{name: "policy ARN too short", form: "Action=GetPolicy&PolicyArn=arn:aws:iam::1",
			code: "ValidationError", message: "1 validation error detected: Value 'arn:aws:iam::1' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{name: "policy path", form: "Action=CreatePolicy&PolicyName=p&PolicyDocument=%7B%7D&Path=ops",
			code: "ValidationError", message: `1 validation error detected: Value 'ops' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`},
		{name: "policy document outside Latin-1", form: "Action=PutUserPolicy&UserName=alice&PolicyName=p&PolicyDocument=%E2%82%AC",
			code: "ValidationError", message: `1 validation error detected: Value '€' at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
		{name: "tag key", form: "Action=CreateUser&UserName=carol&Tags.member.1.Key=a%2Ab&Tags.member.1.Value=v",
			code: "ValidationError", message: `1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{name: "too many tags", form: "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D" + tooManyTags.String(),
			code: "ValidationError", message: "1 validation error detected: Value '[Tag(key=k1, value=v)"},
		{name: "permissions boundary", form: "Action=CreateUser&UserName=carol&PermissionsBoundary=" + esc(custARN),
			code: "ValidationError", message: "berth does not support PermissionsBoundary in CreateUser; create the user without one and limit it with its policies."},
		{name: "a role session must name the user", caller: &role, form: "Action=GetUser",
			code: "ValidationError", message: "Must specify userName when calling with non-User credentials"},
		{name: "a role session must name the key's user", caller: &role, form: "Action=ListAccessKeys",
			code: "ValidationError", message: "Must specify userName when calling with non-User credentials"},

		{name: "session name too short", service: "sts", form: "Action=AssumeRole&RoleArn=" + esc(roleARN) + "&RoleSessionName=a",
			code: "ValidationError", message: "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{name: "duration too short", service: "sts", form: "Action=AssumeRole&RoleArn=" + esc(roleARN) + "&RoleSessionName=ci&DurationSeconds=60",
			code: "ValidationError", message: "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{name: "role ARN and session name missing", service: "sts", form: "Action=AssumeRole",
			code: "ValidationError", message: "2 validation errors detected: " +
				"Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{name: "external id", service: "sts", form: "Action=AssumeRole&RoleArn=" + esc(roleARN) + "&RoleSessionName=ci&ExternalId=a%20b",
			code: "ValidationError", message: `1 validation error detected: Value 'a b' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`},
		{name: "policy ARNs", service: "sts", form: "Action=AssumeRole&RoleArn=" + esc(roleARN) + "&RoleSessionName=ci&PolicyArns.member.1.arn=" + esc(readARN),
			code: "ValidationError", message: "berth does not support PolicyArns in AssumeRole; pass the session policy as a document in Policy."},
		{name: "session tags", service: "sts", form: "Action=AssumeRole&RoleArn=" + esc(roleARN) + "&RoleSessionName=ci&Tags.member.1.Key=k&Tags.member.1.Value=v",
			code: "ValidationError", message: "berth does not support session tags in AssumeRole; call AssumeRole without Tags and TransitiveTagKeys."},
		{name: "MFA", service: "sts", form: "Action=AssumeRole&RoleArn=" + esc(roleARN) + "&RoleSessionName=ci&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fa&TokenCode=123456",
			code: "ValidationError", message: "berth does not support MFA in AssumeRole; call AssumeRole without SerialNumber and TokenCode."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.caller != nil {
				f.caller = *tt.caller
			}
			service, version := "iam", "2010-05-08"
			if tt.service == "sts" {
				service, version = "sts", "2011-06-15"
			}
			w := serve(t, f, queryRequest(service, tt.form+"&Version="+version))
			if w.Code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", w.Code)
			}
			root := parseXML(t, w.Body.Bytes())
			checkXML(t, root, map[string]string{"Error/Type": "Sender", "Error/Code": tt.code})
			if msg, _ := root.find("Error/Message"); !strings.HasPrefix(msg.text, tt.message) {
				t.Errorf("message = %q\nwant      %q", msg.text, tt.message)
			}
			for _, e := range f.log() {
				if !strings.HasPrefix(e, "ListAccessKeys") && !isLookup(e) && !strings.HasPrefix(e, "Authorize") {
					t.Errorf("%q was called for an invalid request", e)
				}
			}
		})
	}
}
