package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// doc wraps statements in a Version 2012-10-17 document.
func doc(statements string) string {
	return `{"Version":"2012-10-17","Statement":[` + statements + `]}`
}

const readOnlyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": [
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:GetRepositoryPolicy",
      "ecr:DescribeRepositories",
      "ecr:ListImages",
      "ecr:DescribeImages",
      "ecr:BatchGetImage",
      "ecr:GetLifecyclePolicy",
      "ecr:GetLifecyclePolicyPreview",
      "ecr:ListTagsForResource",
      "ecr:DescribeImageScanFindings"
    ],
    "Resource": "*"
  }]
}`

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		text string
	}{
		{"read-only managed policy", Identity, readOnlyPolicy},
		{"no Version", Identity, `{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*"}}`},
		{"Statement object", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`},
		{"Id", Identity, `{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`},
		{"NotAction NotResource", Identity, doc(`{"Effect":"Allow","NotAction":["iam:*"],"NotResource":"arn:aws:ecr:*:*:repository/secret"}`)},
		{"action wildcards", Identity, doc(`{"Effect":"Allow","Action":["ecr:*","ecr:Get*","ecr:*Image","ecr:?etImage","*","ECR:Get","aws-marketplace:View","a.b:c"],"Resource":"*"}`)},
		{"resource wildcards", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":["arn:*:ecr:*:*:repository/*","arn:aws:iam::*:role/*","arn:aws:iam::123456789012:*","arn:aws:s3:::bucket/*","arn:aws:ecr","arn:aws:s3:us-east-1:123456789012:accesspoint/x"]}`)},
		{"unique Sids", Identity, doc(`{"Sid":"A1","Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Sid":"B2","Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"ecr:*","Resource":"*"}`)},
		{"conditions", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{
			"StringEquals":{"aws:username":["a","b"]},
			"StringNotEqualsIgnoreCase":{"ecr:ResourceTag/team":"x"},
			"ForAnyValue:StringLike":{"aws:TagKeys":"team*"},
			"ForAllValues:StringNotLikeIfExists":{"aws:TagKeys":["a?"]},
			"NumericLessThanEquals":{"aws:MultiFactorAuthAge":3600},
			"NumericGreaterThan":{"s3:max-keys":["1.5","-2"]},
			"DateGreaterThan":{"aws:CurrentTime":["2024-01-01T00:00:00Z","2024-01-01","1700000000","2024-01-01T10:00:00.5+02:00","2024-01-01t10:00:00z"]},
			"Bool":{"aws:SecureTransport":true},
			"BinaryEquals":{"x:b":"QmluYXJ5"},
			"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.7","2001:db8::/32","::1"]},
			"NotIpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"},
			"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"},
			"ArnNotEquals":{"aws:SourceArn":"*"},
			"Null":{"aws:TokenIssueTime":"true"},
			"StringEqualsIfExists":{"oidc.eks.us-east-1.amazonaws.com/id/X:sub":"y"}
		}}`)},
		{"empty Condition", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{}}`)},
		{"empty operator block", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{"StringEquals":{}}}`)},
		{"variables", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}/*"}`)},
		{"repository policy without Resource", Resource, doc(`{"Sid":"pull from anywhere","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`)},
		{"repeated Sids in a resource policy", Resource, doc(`{"Sid":"x","Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Sid":"x","Effect":"Deny","Principal":"*","Action":"ecr:Delete*"}`)},
		{"Version 2008-10-17 resource policy", Resource, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:*"}]}`},
		{"principal forms", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":["*","123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/path/alice","arn:aws:iam::123456789012:role/R","arn:aws:sts::123456789012:assumed-role/R/s"],"Service":"codebuild.amazonaws.com","Federated":["cognito-identity.amazonaws.com"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"ecr:*","Resource":"*"}`)},
		{"Allow with NotPrincipal", Resource, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"ecr:*"}`)},
		{"Deny with NotPrincipal", Resource, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"ecr:*"}`)},
		{"trust policy", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`)},
		{"trust policy wildcards", Trust, doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:*","sts:Assume*","*","sts:SetSourceIdentity","sts:AssumeRoleWithSAML","sts:AssumeRoleWithWebIdentity"]}`)},
		{"Version 2008-10-17 trust policy", Trust, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		{"unterminated variable is literal", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.text, tt.kind); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	const (
		allowAll = `{"Effect":"Allow","Action":"*","Resource":"*"}`
		pAll     = `"Principal":"*",`
	)
	tests := []struct {
		name string
		kind Kind
		text string
		want string
	}{
		// Syntax.
		{"not JSON", Identity, `{`, msgSyntax},
		{"trailing data", Identity, doc(allowAll) + ` {}`, msgSyntax},
		{"not an object", Identity, `[` + allowAll + `]`, msgSyntax},
		{"unknown top-level element", Identity, `{"Version":"2012-10-17","Statements":[` + allowAll + `]}`, msgSyntax},
		{"unknown Version", Identity, `{"Version":"2012-10-18","Statement":[` + allowAll + `]}`, msgSyntax},
		{"Version not a string", Identity, `{"Version":2012,"Statement":[` + allowAll + `]}`, msgSyntax},
		{"Id not a string", Identity, `{"Version":"2012-10-17","Id":1,"Statement":[` + allowAll + `]}`, msgSyntax},
		{"no Statement", Identity, `{"Version":"2012-10-17"}`, msgSyntax},
		{"Statement a string", Identity, `{"Version":"2012-10-17","Statement":"x"}`, msgSyntax},
		{"Statement empty", Identity, doc(``), msgSyntax},
		{"statement not an object", Identity, doc(`"x"`), msgSyntax},
		{"unknown statement element", Identity, doc(`{"Effect":"Allow","Actions":"*","Resource":"*"}`), msgSyntax},
		{"no Effect", Identity, doc(`{"Action":"*","Resource":"*"}`), msgSyntax},
		{"unknown Effect", Identity, doc(`{"Effect":"Permit","Action":"*","Resource":"*"}`), msgSyntax},
		{"Effect not a string", Identity, doc(`{"Effect":true,"Action":"*","Resource":"*"}`), msgSyntax},
		{"Action and NotAction", Identity, doc(`{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}`), msgSyntax},
		{"Resource and NotResource", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), msgSyntax},
		{"Principal and NotPrincipal", Resource, doc(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}`), msgSyntax},
		{"Action a number", Identity, doc(`{"Effect":"Allow","Action":1,"Resource":"*"}`), msgSyntax},
		{"Action array with a number", Identity, doc(`{"Effect":"Allow","Action":["ecr:*",1],"Resource":"*"}`), msgSyntax},
		{"Resource an object", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":{}}`), msgSyntax},
		{"Sid not a string", Identity, doc(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), msgSyntax},
		{"Principal a string other than *", Resource, doc(`{"Effect":"Allow","Principal":"123456789012","Action":"*"}`), msgSyntax},
		{"Principal empty object", Resource, doc(`{"Effect":"Allow","Principal":{},"Action":"*"}`), msgSyntax},
		{"Principal empty array", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"*"}`), msgSyntax},
		{"Principal value a number", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":123456789012},"Action":"*"}`), msgSyntax},
		{"Condition a string", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}`), msgSyntax},
		{"operator block a string", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}`), msgSyntax},
		{"unknown operator", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringMatches":{"aws:username":"x"}}}`), msgSyntax},
		{"operator in lower case", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"aws:username":"x"}}}`), msgSyntax},
		{"NullIfExists", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}`), msgSyntax},
		{"unknown set operator", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:username":"x"}}}`), msgSyntax},
		{"condition value null", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}`), msgSyntax},
		{"condition value an object", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{}}}}`), msgSyntax},
		{"condition array with an object", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":["a",[]]}}}`), msgSyntax},
		{"duplicate member", Identity, doc(`{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}`), msgSyntax},
		{"duplicate member in a large object", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{` + manyKeys(20) + `,"k:3":"x"}}}`), msgSyntax},

		// Version.
		{"identity policy Version 2008-10-17", Identity, `{"Version":"2008-10-17","Statement":[` + allowAll + `]}`, msgVersion},

		// Principal presence.
		{"identity policy with Principal", Identity, doc(`{"Effect":"Allow",` + pAll + `"Action":"*","Resource":"*"}`), msgPrincipalForbidden},
		{"identity policy with NotPrincipal", Identity, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}`), msgPrincipalForbidden},
		{"resource policy without Principal", Resource, doc(`{"Effect":"Allow","Action":"ecr:*"}`), msgPrincipalMissing},
		{"trust policy without Principal", Trust, doc(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), msgPrincipalMissing},
		{"trust policy with NotPrincipal", Trust, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`), msgTrustNotPrincipal},

		// Legacy parsing.
		{"Effect in lower case", Identity, doc(`{"Effect":"allow","Action":"*","Resource":"*"}`), msgLegacy},
		{"bad date", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}}`), msgLegacy},
		{"bad month", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2024-13-01"}}}`), msgLegacy},
		{"variable in a date", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}}`), msgLegacy},
		{"bad number", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"ten"}}}`), msgLegacy},
		{"bad address", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0"}}}`), msgLegacy},
		{"bad prefix length", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}`), msgLegacy},
		{"bad IPv6 prefix", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/129"}}}`), msgLegacy},
		{"resource with empty service", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"arn:aws::us-east-1:123456789012:x"}`), msgLegacy},
		{"resource with too few parts", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":["arn:aws:ecr::"]}`), msgLegacy},

		// Sids.
		{"duplicate Sid", Identity, doc(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}`), msgSidUnique},
		{"Sid not alphanumeric", Identity, doc(`{"Sid":"Allow_Pull","Effect":"Allow","Action":"*","Resource":"*"}`), msgSidAlnum},

		// Actions.
		{"no Action", Identity, doc(`{"Effect":"Allow","Resource":"*"}`), msgNoActions},
		{"empty Action", Identity, doc(`{"Effect":"Allow","Action":[],"Resource":"*"}`), msgNoActions},
		{"empty NotAction", Resource, doc(`{"Effect":"Allow",` + pAll + `"NotAction":[]}`), msgNoActions},

		// Resource format.
		{"resource not an ARN", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"174313347505.dkr.ecr.us-west-2.amazonaws.com/app"}`), `Resource 174313347505.dkr.ecr.us-west-2.amazonaws.com/app must be in ARN format or "*".`},
		{"unknown partition", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:amazon:ecr:::x"}`), `Partition "amazon" is not valid for resource "arn:amazon:ecr:::x".`},
		{"unknown partition, short", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:amazon"}`), `Partition "amazon" is not valid for resource "arn:amazon:*:*:*:*".`},
		{"no service", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws"}`), msgResourceVendor},
		{"IAM resource with region", Identity, doc(`{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:123456789012:user/x"}`), "IAM resource arn:aws:iam:us-east-1:123456789012:user/x cannot contain region information."},
		{"IAM resource path", Identity, doc(`{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:users"}`), msgIAMPath},
		{"S3 resource with region", Identity, doc(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::bucket"}`), "Resource arn:aws:s3:us-east-1::bucket can not contain region information."},
		{"resource with a colon but no partition", Identity, doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"repository:app"}`), `Partition "app" is not valid for resource "arn:app:*:*:*:*".`},
		{"NotResource not an ARN", Resource, doc(`{"Effect":"Deny",` + pAll + `"Action":"*","NotResource":"x"}`), `Resource x must be in ARN format or "*".`},
		{"resource error after Sid error", Identity, doc(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"x"},{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}`), msgSidUnique},

		// Vendors.
		{"action without vendor", Identity, doc(`{"Effect":"Allow","Action":"Get","Resource":"*"}`), msgVendor},
		{"action with empty vendor", Identity, doc(`{"Effect":"Allow","Action":":Get","Resource":"*"}`), msgVendor},
		{"action with two colons", Identity, doc(`{"Effect":"Allow","Action":"ecr:Get:Image","Resource":"*"}`), msgOneColon},
		{"vendor with wildcard", Identity, doc(`{"Effect":"Allow","NotAction":"ecr*:Get","Resource":"*"}`), "Vendor ecr* is not valid"},
		{"vendor a wildcard", Identity, doc(`{"Effect":"Allow","Action":"*:Get","Resource":"*"}`), "Vendor * is not valid"},
		{"condition key without vendor", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"x"}}}`), msgVendor},
		{"condition key with empty vendor", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{":x":"true"}}}`), msgVendor},

		// Resources by kind.
		{"identity policy without Resource", Identity, doc(`{"Effect":"Allow","Action":"*"}`), msgNoResources},
		{"identity policy with empty Resource", Identity, doc(`{"Effect":"Allow","Action":"*","Resource":[]}`), msgNoResources},
		{"resource policy with empty Resource", Resource, doc(`{"Effect":"Allow",` + pAll + `"Action":"*","Resource":[]}`), msgNoResources},
		{"trust policy with Resource", Trust, doc(`{"Effect":"Allow",` + pAll + `"Action":"sts:AssumeRole","Resource":"*"}`), msgTrustResource},
		{"trust policy with NotResource", Trust, doc(`{"Effect":"Allow",` + pAll + `"Action":"sts:AssumeRole","NotResource":"*"}`), msgTrustNotResource},

		// Trust actions.
		{"trust policy with another service", Trust, doc(`{"Effect":"Allow",` + pAll + `"Action":"s3:GetObject"}`), msgTrustAction},
		{"trust policy with another STS action", Trust, doc(`{"Effect":"Allow",` + pAll + `"Action":["sts:AssumeRole","sts:GetCallerIdentity"]}`), msgTrustAction},
		{"trust policy with a wildcard matching none", Trust, doc(`{"Effect":"Allow",` + pAll + `"Action":"sts:Get*"}`), msgTrustAction},
		{"trust policy NotAction", Trust, doc(`{"Effect":"Allow",` + pAll + `"NotAction":"ecr:*"}`), msgTrustAction},

		// Principal values.
		{"short account", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"}`), `Invalid principal in policy: "AWS":"12345"`},
		{"user ARN with wildcard", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"`},
		{"group ARN", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:group/g"]},"Action":"*"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/g"`},
		{"account in ARN too short", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1234:root"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::1234:root"`},
		{"session ARN without session", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/R"},"Action":"*"}`), `Invalid principal in policy: "AWS":"arn:aws:sts::123456789012:assumed-role/R"`},
		{"name, not ARN", Resource, doc(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"*"}`), `Invalid principal in policy: "AWS":"alice"`},
		{"empty service", Trust, doc(`{"Effect":"Allow","Principal":{"Service":""},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "Service":""`},
		{"unknown principal type", Resource, doc(`{"Effect":"Allow","Principal":{"Account":"123456789012"},"Action":"*"}`), `Invalid principal in policy: "Account":"123456789012"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.text, tt.kind)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse = %v, %v; want *Error %q", d, err, tt.want)
			}
			if perr.Message != tt.want {
				t.Errorf("Parse error = %q, want %q", perr.Message, tt.want)
			}
		})
	}
}

// manyKeys returns n distinct condition members.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k:%d":"v"`, i)
	}
	return b.String()
}

func TestParseLargeObject(t *testing.T) {
	if _, err := Parse(doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{`+manyKeys(40)+`}}}`), Identity); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}

func TestParseInvalidKind(t *testing.T) {
	for _, k := range []Kind{-1, 3} {
		_, err := Parse(readOnlyPolicy, k)
		var perr *Error
		if err == nil || errors.As(err, &perr) {
			t.Errorf("Parse(Kind(%d)) = %v, want a non-*Error error", k, err)
		}
	}
}
