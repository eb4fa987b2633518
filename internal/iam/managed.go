package iam

import (
	"log/slog"

	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

// managedPolicy is an AWS managed policy, parsed.
type managedPolicy struct {
	AWSManagedPolicy
	arn string
	doc *policy.Document
}

// AWSManagedPolicyARN is the ARN of an AWS managed policy.
func AWSManagedPolicyARN(path, name string) string { return "arn:aws:iam::aws:policy" + path + name }

// parseManagedPolicies parses the AWS managed policies berth ships; one that does not
// parse is left out (and logged): a test keeps that from happening.
func parseManagedPolicies(log *slog.Logger) []managedPolicy {
	var out []managedPolicy
	for _, p := range AWSManagedPolicies() {
		doc, err := policy.Parse(p.Document, policy.Identity)
		if err != nil {
			log.Error("an AWS managed policy does not parse", "policy", p.Name, "err", err)
			continue
		}
		out = append(out, managedPolicy{AWSManagedPolicy: p, arn: AWSManagedPolicyARN(p.Path, p.Name), doc: doc})
	}
	return out
}

// meta is p as a managed policy attached attachments times in an account.
func (p managedPolicy) meta(attachments int) meta.ManagedPolicy {
	return meta.ManagedPolicy{ARN: p.arn, AccountID: "aws", Name: p.Name, ID: p.ID, Path: p.Path,
		Description: p.Description, DefaultVersion: p.VersionID, AttachmentCount: attachments,
		CreatedAt: p.CreateDate, UpdatedAt: p.UpdateDate}
}
