package iamapi

import (
	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// Wire shapes of the IAM and STS models. Optional members berth has nothing for are
// omitted, as AWS omits them when unset: PasswordLastUsed (berth has no console
// passwords), PermissionsBoundary (no boundaries), Tags (none are stored).

type userShape struct {
	Path       string        `xml:"Path,omitempty"`
	UserName   string        `xml:"UserName,omitempty"`
	UserID     string        `xml:"UserId"`
	Arn        string        `xml:"Arn"`
	CreateDate awsproto.Time `xml:"CreateDate"`
}

func toUser(u meta.User) userShape {
	return userShape{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: iam.EntityARN(u.AccountID, "user", u.Path, u.Name),
		CreateDate: awsproto.Time{Time: u.CreatedAt}}
}

func toUsers(users []meta.User) awsproto.Members[userShape] {
	out := make(awsproto.Members[userShape], len(users))
	for i, u := range users {
		out[i] = toUser(u)
	}
	return out
}

type groupShape struct {
	Path       string        `xml:"Path"`
	GroupName  string        `xml:"GroupName"`
	GroupID    string        `xml:"GroupId"`
	Arn        string        `xml:"Arn"`
	CreateDate awsproto.Time `xml:"CreateDate"`
}

func toGroup(g meta.Group) groupShape {
	return groupShape{Path: g.Path, GroupName: g.Name, GroupID: g.ID, Arn: iam.EntityARN(g.AccountID, "group", g.Path, g.Name),
		CreateDate: awsproto.Time{Time: g.CreatedAt}}
}

func toGroups(groups []meta.Group) awsproto.Members[groupShape] {
	out := make(awsproto.Members[groupShape], len(groups))
	for i, g := range groups {
		out[i] = toGroup(g)
	}
	return out
}

// roleLastUsed is empty: berth does not record when a role was last used, which is
// what AWS answers for a role never used (<RoleLastUsed/>).
type roleLastUsed struct{}

type roleShape struct {
	Path                     string        `xml:"Path"`
	RoleName                 string        `xml:"RoleName"`
	RoleID                   string        `xml:"RoleId"`
	Arn                      string        `xml:"Arn"`
	CreateDate               awsproto.Time `xml:"CreateDate"`
	AssumeRolePolicyDocument string        `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string        `xml:"Description,omitempty"`
	MaxSessionDuration       int           `xml:"MaxSessionDuration,omitempty"`
	// RoleLastUsed is in GetRole's answer only.
	RoleLastUsed *roleLastUsed `xml:"RoleLastUsed"`
}

// toRole is a role's shape; its trust policy is URL-encoded (RFC 3986), as IAM returns
// every policy document and as SDKs decode them.
func toRole(r meta.Role) roleShape {
	return roleShape{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: iam.EntityARN(r.AccountID, "role", r.Path, r.Name),
		CreateDate: awsproto.Time{Time: r.CreatedAt}, AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy),
		Description: r.Description, MaxSessionDuration: r.MaxSessionDuration}
}

// encodeDocument encodes a policy document as IAM returns them: URL-encoded per RFC
// 3986 (botocore and the SDKs decode it).
func encodeDocument(doc string) string {
	if doc == "" {
		return ""
	}
	return awsproto.PercentEncode(doc)
}

type accessKeyShape struct {
	UserName        string        `xml:"UserName,omitempty"`
	AccessKeyID     string        `xml:"AccessKeyId"`
	Status          string        `xml:"Status"`
	SecretAccessKey string        `xml:"SecretAccessKey,omitempty"`
	CreateDate      awsproto.Time `xml:"CreateDate"`
}

func toAccessKey(k meta.AccessKey) accessKeyShape {
	return accessKeyShape{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: awsproto.Time{Time: k.CreatedAt}}
}

type policyShape struct {
	PolicyName                    string        `xml:"PolicyName"`
	PolicyID                      string        `xml:"PolicyId"`
	Arn                           string        `xml:"Arn"`
	Path                          string        `xml:"Path"`
	DefaultVersionID              string        `xml:"DefaultVersionId"`
	AttachmentCount               int           `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int           `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool          `xml:"IsAttachable"`
	Description                   string        `xml:"Description,omitempty"`
	CreateDate                    awsproto.Time `xml:"CreateDate"`
	UpdateDate                    awsproto.Time `xml:"UpdateDate"`
}

// toPolicy is a managed policy's shape. Every policy berth holds can be attached, and
// none is a permissions boundary. ListPolicies leaves Description out, as AWS does.
func toPolicy(p meta.ManagedPolicy, withDescription bool) policyShape {
	out := policyShape{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, IsAttachable: true,
		CreateDate: awsproto.Time{Time: p.CreatedAt}, UpdateDate: awsproto.Time{Time: p.UpdatedAt}}
	if withDescription {
		out.Description = p.Description
	}
	return out
}

type policyVersionShape struct {
	Document         string        `xml:"Document,omitempty"`
	VersionID        string        `xml:"VersionId"`
	IsDefaultVersion bool          `xml:"IsDefaultVersion"`
	CreateDate       awsproto.Time `xml:"CreateDate"`
}

// toPolicyVersion is a version's shape; only GetPolicyVersion includes the document.
func toPolicyVersion(v meta.PolicyVersion, withDocument bool) policyVersionShape {
	out := policyVersionShape{VersionID: v.VersionID, IsDefaultVersion: v.IsDefault, CreateDate: awsproto.Time{Time: v.CreatedAt}}
	if withDocument {
		out.Document = encodeDocument(v.Document)
	}
	return out
}

type attachedPolicyShape struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// listPage is the paging members every IAM list result ends with.
type listPage struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

func pageOut(next string) listPage { return listPage{IsTruncated: next != "", Marker: next} }
