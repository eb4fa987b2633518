package iam

import "time"

// AWSManagedPolicy is an AWS managed policy berth knows: attachable by ARN
// (arn:aws:iam::aws:policy<Path><Name>), never stored.
//
// Documents, versions, dates and descriptions are AWS's current ones as
// published in the AWS Managed Policy Reference
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html),
// cross-checked against moto 5.2.1's moto/iam/aws_managed_policies.py (whose
// dates carry seconds) and zoph-io/MAMIP. Policy IDs are from
// zoph-io/MAMIP policies-list.json (an `aws iam list-policies --scope AWS`
// dump) and wallix/awless aws/driver/policies.go. Documents keep AWS's key
// order (Version, Statement; Effect, Action, Resource, Condition); only
// whitespace is normalized.
type AWSManagedPolicy struct {
	Name, ID, Path, Description, VersionID string
	CreateDate, UpdateDate                 time.Time
	Document                               string
}

func awsDate(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// AWSManagedPolicies returns the AWS managed policies berth knows, sorted by name.
func AWSManagedPolicies() []AWSManagedPolicy {
	return []AWSManagedPolicy{
		{
			Name:        "AdministratorAccess",
			ID:          "ANPAIWMBCKSKIEE64ZLYK",
			Path:        "/",
			Description: "Provides full access to AWS services and resources.",
			VersionID:   "v1",
			CreateDate:  awsDate("2015-02-06T18:39:46Z"),
			UpdateDate:  awsDate("2015-02-06T18:39:46Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`,
		},
		{
			Name:        "AmazonEC2ContainerRegistryFullAccess",
			ID:          "ANPAIESRL7KD7IIVF6V4W",
			Path:        "/",
			Description: "Provides administrative access to Amazon ECR resources",
			VersionID:   "v3",
			CreateDate:  awsDate("2015-12-21T17:06:48Z"),
			UpdateDate:  awsDate("2020-12-05T00:04:19Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:*",
        "cloudtrail:LookupEvents"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "iam:CreateServiceLinkedRole"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "iam:AWSServiceName": [
            "replication.ecr.amazonaws.com"
          ]
        }
      }
    }
  ]
}`,
		},
		{
			Name:        "AmazonEC2ContainerRegistryPowerUser",
			ID:          "ANPAJDNE5PIHROIBGGDDW",
			Path:        "/",
			Description: "Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.",
			VersionID:   "v3",
			CreateDate:  awsDate("2015-12-21T17:05:33Z"),
			UpdateDate:  awsDate("2019-12-10T20:48:08Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
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
        "ecr:DescribeImageScanFindings",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage"
      ],
      "Resource": "*"
    }
  ]
}`,
		},
		{
			Name:        "AmazonEC2ContainerRegistryPullOnly",
			ID:          "ANPAZKAPJZG4ACPA6HO4Q",
			Path:        "/",
			Description: "Provides access to pull images from Amazon EC2 Container Registry repositories.",
			VersionID:   "v1",
			CreateDate:  awsDate("2024-10-04T16:58:49Z"),
			UpdateDate:  awsDate("2024-10-04T16:58:49Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchImportUpstreamImage"
      ],
      "Resource": "*"
    }
  ]
}`,
		},
		{
			Name:        "AmazonEC2ContainerRegistryReadOnly",
			ID:          "ANPAIFYZPA37OOHVIH7KQ",
			Path:        "/",
			Description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
			VersionID:   "v3",
			CreateDate:  awsDate("2015-12-21T17:04:15Z"),
			UpdateDate:  awsDate("2019-12-10T20:56:32Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
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
    }
  ]
}`,
		},
		{
			Name:        "IAMFullAccess",
			ID:          "ANPAI7XKCFMBPM3QQRRVQ",
			Path:        "/",
			Description: "Provides full access to IAM via the AWS Management Console.",
			VersionID:   "v2",
			CreateDate:  awsDate("2015-02-06T18:40:38Z"),
			UpdateDate:  awsDate("2019-06-21T19:40:00Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "iam:*",
        "organizations:DescribeAccount",
        "organizations:DescribeOrganization",
        "organizations:DescribeOrganizationalUnit",
        "organizations:DescribePolicy",
        "organizations:ListChildren",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
        "organizations:ListRoots",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy"
      ],
      "Resource": "*"
    }
  ]
}`,
		},
		{
			Name:        "IAMReadOnlyAccess",
			ID:          "ANPAJKSO7NDY4T57MWDSQ",
			Path:        "/",
			Description: "Provides read only access to IAM via the AWS Management Console.",
			VersionID:   "v4",
			CreateDate:  awsDate("2015-02-06T18:40:39Z"),
			UpdateDate:  awsDate("2018-01-25T19:11:27Z"),
			Document: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "iam:GenerateCredentialReport",
        "iam:GenerateServiceLastAccessedDetails",
        "iam:Get*",
        "iam:List*",
        "iam:SimulateCustomPolicy",
        "iam:SimulatePrincipalPolicy"
      ],
      "Resource": "*"
    }
  ]
}`,
		},
	}
}
