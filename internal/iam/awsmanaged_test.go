package iam

import (
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"testing"
)

// Action lists of the ECR managed policies as AWS publishes them
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html,
// same in moto 5.2.1 moto/iam/aws_managed_policies.py and zoph-io/MAMIP).
// Hard-coded so an edit of a document that drops or adds an action fails.
var awsManagedECRActions = map[string][][]string{
	"AmazonEC2ContainerRegistryFullAccess": {
		{"ecr:*", "cloudtrail:LookupEvents"},
		{"iam:CreateServiceLinkedRole"},
	},
	"AmazonEC2ContainerRegistryPowerUser": {{
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
	}},
	"AmazonEC2ContainerRegistryReadOnly": {{
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
	}},
	"AmazonEC2ContainerRegistryPullOnly": {{
		"ecr:GetAuthorizationToken",
		"ecr:BatchGetImage",
		"ecr:GetDownloadUrlForLayer",
		"ecr:BatchImportUpstreamImage",
	}},
}

type awsManagedTestDoc struct {
	Version   string
	Statement []struct {
		Effect    string
		Action    json.RawMessage
		Resource  json.RawMessage
		Condition map[string]map[string][]string
	}
}

func actionList(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		t.Fatalf("Action %s: %v", raw, err)
	}
	return many
}

func TestAWSManagedPolicies(t *testing.T) {
	ps := AWSManagedPolicies()
	if len(ps) != 7 {
		t.Fatalf("got %d policies, want 7", len(ps))
	}
	names := make([]string, len(ps))
	seen := map[string]bool{}
	ids := map[string]bool{}
	idRE := regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
	for i, p := range ps {
		names[i] = p.Name
		if seen[p.Name] {
			t.Errorf("duplicate name %s", p.Name)
		}
		seen[p.Name] = true
		if !idRE.MatchString(p.ID) {
			t.Errorf("%s: bad policy id %q", p.Name, p.ID)
		}
		if ids[p.ID] {
			t.Errorf("%s: duplicate policy id %s", p.Name, p.ID)
		}
		ids[p.ID] = true
		if p.Path != "/" || p.Description == "" || p.VersionID == "" {
			t.Errorf("%s: incomplete metadata %+v", p.Name, p)
		}
		if p.CreateDate.IsZero() || p.UpdateDate.Before(p.CreateDate) {
			t.Errorf("%s: bad dates %v %v", p.Name, p.CreateDate, p.UpdateDate)
		}
		if !json.Valid([]byte(p.Document)) {
			t.Errorf("%s: document is not valid JSON", p.Name)
			continue
		}
		var d awsManagedTestDoc
		if err := json.Unmarshal([]byte(p.Document), &d); err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if d.Version != "2012-10-17" || len(d.Statement) == 0 {
			t.Errorf("%s: bad document %s", p.Name, p.Document)
		}
		for _, s := range d.Statement {
			if s.Effect != "Allow" || string(s.Resource) != `"*"` {
				t.Errorf("%s: statement %+v", p.Name, s)
			}
		}
		want, ok := awsManagedECRActions[p.Name]
		if !ok {
			continue
		}
		var got [][]string
		for _, s := range d.Statement {
			got = append(got, actionList(t, s.Action))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: actions\n got %q\nwant %q", p.Name, got, want)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("names not sorted: %v", names)
	}
	for n := range awsManagedECRActions {
		if !seen[n] {
			t.Errorf("missing %s", n)
		}
	}

	// FullAccess's second statement is conditioned on the replication SLR.
	for _, p := range ps {
		if p.Name != "AmazonEC2ContainerRegistryFullAccess" {
			continue
		}
		var d awsManagedTestDoc
		_ = json.Unmarshal([]byte(p.Document), &d)
		want := map[string]map[string][]string{"StringEquals": {"iam:AWSServiceName": {"replication.ecr.amazonaws.com"}}}
		if len(d.Statement) != 2 || d.Statement[0].Condition != nil || !reflect.DeepEqual(d.Statement[1].Condition, want) {
			t.Errorf("FullAccess conditions: %s", p.Document)
		}
	}
}
