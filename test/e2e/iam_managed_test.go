package e2e

// TestIAMManagedPolicies: the AWS managed policies give exactly what AWS documents. The action lists
// below are AWS's (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html), as
// internal/iam/awsmanaged_test.go has them; they are not read from berth's documents, so a document
// that drifts from AWS's fails here.

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// awsDocumentedECRActions are the Allow actions of the ECR managed policies, as AWS publishes them.
var awsDocumentedECRActions = map[string][]string{
	"AmazonEC2ContainerRegistryFullAccess": {"ecr:*", "cloudtrail:LookupEvents", "iam:CreateServiceLinkedRole"},
	"AmazonEC2ContainerRegistryPowerUser": {
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
		"ecr:DescribeImageScanFindings",
		"ecr:InitiateLayerUpload",
		"ecr:UploadLayerPart",
		"ecr:CompleteLayerUpload",
		"ecr:PutImage",
	},
	"AmazonEC2ContainerRegistryReadOnly": {
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
		"ecr:DescribeImageScanFindings",
	},
	"AmazonEC2ContainerRegistryPullOnly": {
		"ecr:GetAuthorizationToken",
		"ecr:BatchGetImage",
		"ecr:GetDownloadUrlForLayer",
		"ecr:BatchImportUpstreamImage",
	},
}

// documents reports whether a documented action list grants action (ecr:* grants every ECR action).
func documents(actions []string, action string) bool {
	return slices.Contains(actions, action) || strings.HasPrefix(action, "ecr:") && slices.Contains(actions, "ecr:*")
}

func TestIAMManagedPolicies(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	root := rootOf(s)
	// A repository policy that names only the account, which grants nothing on its own in the account.
	fx := newECRFixture(t, s, policyDoc(principalStmt("Allow", root.ARN, "ecr:DescribeImages")))
	ops := ecrOps()
	served := ecrOperationsServed(t)
	for _, name := range []string{"AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPowerUser",
		"AmazonEC2ContainerRegistryPullOnly", "AmazonEC2ContainerRegistryFullAccess"} {
		user := newIAMUser(t, s, root, "managed-"+strings.TrimPrefix(name, "AmazonEC2ContainerRegistry"), nil, awsPolicyPrefix+name)
		x := fx.cell(t, strings.ToLower(strings.TrimPrefix(name, "AmazonEC2ContainerRegistry")), s.AccountID, "", true)
		allowed, denied := 0, 0
		seen := map[string]bool{}
		for _, oc := range ops {
			seen[oc.op] = true
			want := documents(awsDocumentedECRActions[name], oc.action())
			status, typ, msg, problem := callECR(t, fx, user, x, oc)
			_, repo := oc.in(fx, x)
			registry := x.registry
			if repo == "" {
				registry = x.account
			}
			switch {
			case want && (status != http.StatusOK || problem != ""):
				t.Errorf("%s: %s (%s) is documented, but the call got %d %s: %s %s", name, oc.label, oc.action(), status, typ, msg, problem)
			case want:
				allowed++
			default:
				wantMsg := deniedMessage(user.ARN, oc.action(), oc.resource(repo, registry), noIdentityClause(oc.action()))
				if status != http.StatusBadRequest || typ != "AccessDeniedException" || msg != wantMsg {
					t.Errorf("%s: %s (%s) is not documented, but the call got %d %s: %s %s\nwant AccessDeniedException: %s",
						name, oc.label, oc.action(), status, typ, msg, problem, wantMsg)
				}
				denied++
			}
		}
		for _, op := range served {
			if !seen[op] {
				t.Errorf("berth serves %s, which this test does not call", op)
			}
		}
		t.Logf("%s: %d calls allowed, %d denied", name, allowed, denied)
	}

	t.Run("IAM actions on their resources", func(t *testing.T) {
		createUser(t, s, root, "outside-the-team")
		teamUsers := "arn:aws:iam::" + s.AccountID + ":user/team/*"
		lead := newIAMUser(t, s, root, "team-lead", map[string]string{"team": policyDoc(
			stmt("Allow", []string{"iam:CreateUser", "iam:GetUser"}, teamUsers))})
		c := iamSDK(t, s, lead)
		_, err := c.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("member"), Path: aws.String("/team/")})
		must(t, "CreateUser under /team/", err)
		_, err = c.GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String("member")})
		must(t, "GetUser of /team/member", err)
		_, err = c.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("stranger")})
		wantSDKError(t, "CreateUser outside /team/", err, "AccessDenied", http.StatusForbidden,
			deniedMessage(lead.ARN, "iam:CreateUser", userARN(s.AccountID, "stranger"), noIdentityClause("iam:CreateUser")))
		_, err = c.GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String("outside-the-team")})
		wantSDKError(t, "GetUser outside /team/", err, "AccessDenied", http.StatusForbidden,
			deniedMessage(lead.ARN, "iam:GetUser", userARN(s.AccountID, "outside-the-team"), noIdentityClause("iam:GetUser")))
	})

	t.Run("IAMReadOnlyAccess", func(t *testing.T) {
		user := newIAMUser(t, s, root, "iam-reader", nil, awsPolicyPrefix+"IAMReadOnlyAccess")
		c := iamSDK(t, s, user)
		out, err := c.ListUsers(t.Context(), &iam.ListUsersInput{})
		must(t, "ListUsers as an IAMReadOnlyAccess user", err)
		var names []string
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if !slices.Contains(names, "iam-reader") {
			t.Errorf("ListUsers: %v lacks iam-reader", names)
		}
		if _, err := c.GetUser(t.Context(), &iam.GetUserInput{}); err != nil {
			t.Errorf("GetUser (iam:Get*): %v", err)
		}
		_, err = c.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("not-made")})
		wantSDKError(t, "CreateUser as an IAMReadOnlyAccess user", err, "AccessDenied", http.StatusForbidden,
			deniedMessage(user.ARN, "iam:CreateUser", userARN(s.AccountID, "not-made"), noIdentityClause("iam:CreateUser")))
		_, err = iamSDK(t, s, root).GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String("not-made")})
		wantSDKError(t, "the user was not made", err, "NoSuchEntity", http.StatusNotFound, "The user with name not-made cannot be found.")
		// It grants nothing of ECR.
		status, _, body := signedECR(t, s, user, "DescribeRegistry", []byte("{}"))
		wantAWSError(t, "DescribeRegistry as an IAMReadOnlyAccess user", status, nil, body, http.StatusBadRequest, "AccessDeniedException",
			deniedMessage(user.ARN, "ecr:DescribeRegistry", "*", noIdentityClause("ecr:DescribeRegistry")))
	})
}
