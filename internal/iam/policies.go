package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

// IAM's quotas on policy sizes, in characters not counting white space: the
// aggregate of a user's, group's or role's inline policies, and one managed policy.
var inlineQuota = map[meta.IAMKind]int{meta.KindUser: 2048, meta.KindGroup: 5120, meta.KindRole: 10240}

const managedQuota = 6144

// policySize is a policy's size as IAM counts it for quotas.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// validate parses an identity-based policy document, answering MalformedPolicyDocument.
func (s *Service) validate(document string, kind policy.Kind) error {
	if _, err := policy.Parse(document, kind); err != nil {
		return malformed(err)
	}
	return nil
}

// PutInlinePolicy creates or replaces an inline policy of a user, group or role.
func (s *Service) PutInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name, document string) error {
	if err := s.validate(document, policy.Identity); err != nil {
		return err
	}
	total := policySize(document)
	names, err := s.store.ListInlinePolicies(ctx, accountID, kind, owner)
	if err != nil {
		return storeError(err, string(kind), owner)
	}
	for _, other := range names {
		if strings.EqualFold(other, name) {
			continue
		}
		doc, err := s.store.GetInlinePolicy(ctx, accountID, kind, owner, other)
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("inline policy %s: %w", other, err)
		}
		total += policySize(doc)
	}
	if quota := inlineQuota[kind]; total > quota {
		return errcode.New(errcode.LimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", quota, kind, owner)
	}
	if err := s.store.PutInlinePolicy(ctx, accountID, kind, owner, name, document); err != nil {
		return storeError(err, string(kind), owner)
	}
	s.log.Info("put inline policy", "account", accountID, "kind", kind, "owner", owner, "policy", name)
	return nil
}

// GetInlinePolicy returns an inline policy's document.
func (s *Service) GetInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) (string, error) {
	if _, err := s.store.ListInlinePolicies(ctx, accountID, kind, owner); err != nil {
		return "", storeError(err, string(kind), owner)
	}
	doc, err := s.store.GetInlinePolicy(ctx, accountID, kind, owner, name)
	return doc, storeError(err, string(kind)+" policy", name)
}

// DeleteInlinePolicy deletes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) error {
	if _, err := s.store.ListInlinePolicies(ctx, accountID, kind, owner); err != nil {
		return storeError(err, string(kind), owner)
	}
	return storeError(s.store.DeleteInlinePolicy(ctx, accountID, kind, owner, name), string(kind)+" policy", name)
}

// ListInlinePolicies returns the names of an owner's inline policies.
func (s *Service) ListInlinePolicies(ctx context.Context, accountID string, kind meta.IAMKind, owner string) ([]string, error) {
	names, err := s.store.ListInlinePolicies(ctx, accountID, kind, owner)
	return names, storeError(err, string(kind), owner)
}

// AttachPolicy attaches a managed policy (the account's own or an AWS managed one).
func (s *Service) AttachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error {
	notAttachable := errcode.New(errcode.EntityNotFound, "Policy %s does not exist or is not attachable.", policyARN)
	if _, ok := s.managed[policyARN]; !ok {
		if !s.ownPolicy(accountID, policyARN) {
			return notAttachable
		}
		if _, err := s.store.GetPolicy(ctx, policyARN); errors.Is(err, meta.ErrNotFound) {
			return notAttachable
		} else if err != nil {
			return fmt.Errorf("policy %s: %w", policyARN, err)
		}
	}
	err := s.store.AttachPolicy(ctx, accountID, kind, owner, policyARN)
	if errors.Is(err, meta.ErrNotFound) {
		if _, lerr := s.store.ListInlinePolicies(ctx, accountID, kind, owner); lerr != nil {
			return storeError(lerr, string(kind), owner)
		}
		return notAttachable
	}
	if err != nil {
		return fmt.Errorf("attach %s: %w", policyARN, err)
	}
	s.log.Info("attached policy", "account", accountID, "kind", kind, "owner", owner, "policy", policyARN)
	return nil
}

// ownPolicy reports whether arn names a customer managed policy of accountID.
func (s *Service) ownPolicy(accountID, arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:iam::"+accountID+":policy/")
}

// DetachPolicy detaches a managed policy.
func (s *Service) DetachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error {
	if _, err := s.store.ListInlinePolicies(ctx, accountID, kind, owner); err != nil {
		return storeError(err, string(kind), owner)
	}
	err := s.store.DetachPolicy(ctx, accountID, kind, owner, policyARN)
	if errors.Is(err, meta.ErrNotFound) {
		return errcode.New(errcode.EntityNotFound, "Policy %s was not found.", policyARN)
	}
	if err != nil {
		return fmt.Errorf("detach %s: %w", policyARN, err)
	}
	return nil
}

// ListAttachedPolicies lists the managed policies attached to an owner.
func (s *Service) ListAttachedPolicies(ctx context.Context, accountID string, kind meta.IAMKind, owner string) ([]AttachedPolicy, error) {
	arns, err := s.store.ListAttachedPolicies(ctx, accountID, kind, owner)
	if err != nil {
		return nil, storeError(err, string(kind), owner)
	}
	out := make([]AttachedPolicy, len(arns))
	for i, arn := range arns {
		out[i] = AttachedPolicy{Name: arn[strings.LastIndexByte(arn, '/')+1:], ARN: arn}
	}
	return out, nil
}

// CreatePolicy creates a customer managed policy.
func (s *Service) CreatePolicy(ctx context.Context, accountID, name, path, description, document string) (meta.ManagedPolicy, error) {
	if path == "" {
		path = "/"
	}
	if err := s.validate(document, policy.Identity); err != nil {
		return meta.ManagedPolicy{}, err
	}
	if policySize(document) > managedQuota {
		return meta.ManagedPolicy{}, errcode.New(errcode.LimitExceeded, "Cannot exceed quota for PolicySize: %d", managedQuota)
	}
	now := s.now().UTC()
	p := meta.ManagedPolicy{ARN: EntityARN(accountID, "policy", path, name), AccountID: accountID, Name: name,
		ID: newUniqueID("ANPA"), Path: path, Description: description, DefaultVersion: "v1", CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreatePolicy(ctx, p, document); err != nil {
		return meta.ManagedPolicy{}, storeError(err, "policy", name)
	}
	s.log.Info("created managed policy", "account", accountID, "policy", p.ARN)
	return p, nil
}

// GetPolicy returns a managed policy of the account, or an AWS managed one.
func (s *Service) GetPolicy(ctx context.Context, accountID, arn string) (meta.ManagedPolicy, error) {
	if m, ok := s.managed[arn]; ok {
		n, err := s.store.AttachmentCount(ctx, accountID, arn)
		if err != nil {
			return meta.ManagedPolicy{}, fmt.Errorf("attachments of %s: %w", arn, err)
		}
		return m.meta(n), nil
	}
	if !s.ownPolicy(accountID, arn) {
		return meta.ManagedPolicy{}, noSuchEntity("policy", arn)
	}
	p, err := s.store.GetPolicy(ctx, arn)
	return p, storeError(err, "policy", arn)
}

// ListPolicies lists managed policies: scope All, AWS or Local; AWS managed ones first.
func (s *Service) ListPolicies(ctx context.Context, accountID, scope string, onlyAttached bool, pathPrefix, marker string, maxItems int) ([]meta.ManagedPolicy, string, error) {
	var aws []meta.ManagedPolicy
	if scope != "Local" {
		for _, m := range s.managedList {
			if pathPrefix != "" && !strings.HasPrefix(m.Path, pathPrefix) {
				continue
			}
			n, err := s.store.AttachmentCount(ctx, accountID, m.arn)
			if err != nil {
				return nil, "", fmt.Errorf("attachments of %s: %w", m.arn, err)
			}
			if onlyAttached && n == 0 {
				continue
			}
			aws = append(aws, m.meta(n))
		}
	}
	// Markers are "aws:<name>" within the AWS managed ones, "local:<name>" after.
	return page(marker, maxItems, func(after string, limit int) ([]meta.ManagedPolicy, error) {
		var out []meta.ManagedPolicy
		localAfter, inLocal := strings.CutPrefix(after, "local:")
		if !inLocal {
			awsAfter := strings.TrimPrefix(after, "aws:")
			for _, p := range aws {
				if after == "" || p.Name > awsAfter {
					out = append(out, p)
				}
			}
		}
		if scope == "AWS" || len(out) >= limit {
			return out, nil
		}
		local, err := s.store.ListPolicies(ctx, accountID, pathPrefix, onlyAttached, localAfter, limit-len(out))
		return append(out, local...), err
	}, func(p meta.ManagedPolicy) string {
		if p.AccountID == "aws" {
			return "aws:" + p.Name
		}
		return "local:" + p.Name
	})
}

// customerPolicy checks that arn is a customer managed policy of the account that
// exists (AWS managed policies cannot be changed).
func (s *Service) customerPolicy(ctx context.Context, accountID, arn string) (meta.ManagedPolicy, error) {
	if _, ok := s.managed[arn]; ok {
		return meta.ManagedPolicy{}, errcode.New(errcode.InvalidParameter, "Cannot modify AWS managed policy %s.", arn)
	}
	if !s.ownPolicy(accountID, arn) {
		return meta.ManagedPolicy{}, noSuchEntity("policy", arn)
	}
	p, err := s.store.GetPolicy(ctx, arn)
	return p, storeError(err, "policy", arn)
}

// DeletePolicy deletes a customer managed policy with no attachments or extra versions.
func (s *Service) DeletePolicy(ctx context.Context, accountID, arn string) error {
	if _, err := s.customerPolicy(ctx, accountID, arn); err != nil {
		return err
	}
	return storeError(s.store.DeletePolicy(ctx, arn), "policy", arn)
}

// CreatePolicyVersion adds a version to a customer managed policy.
func (s *Service) CreatePolicyVersion(ctx context.Context, accountID, arn, document string, setDefault bool) (meta.PolicyVersion, error) {
	if _, err := s.customerPolicy(ctx, accountID, arn); err != nil {
		return meta.PolicyVersion{}, err
	}
	if err := s.validate(document, policy.Identity); err != nil {
		return meta.PolicyVersion{}, err
	}
	if policySize(document) > managedQuota {
		return meta.PolicyVersion{}, errcode.New(errcode.LimitExceeded, "Cannot exceed quota for PolicySize: %d", managedQuota)
	}
	v, err := s.store.CreatePolicyVersion(ctx, arn, document, setDefault, s.now().UTC())
	if errors.Is(err, meta.ErrLimitExceeded) {
		return meta.PolicyVersion{}, errcode.New(errcode.LimitExceeded,
			"A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	}
	return v, storeError(err, "policy", arn)
}

// GetPolicyVersion returns one version of a managed policy.
func (s *Service) GetPolicyVersion(ctx context.Context, accountID, arn, versionID string) (meta.PolicyVersion, error) {
	if m, ok := s.managed[arn]; ok {
		if versionID != m.VersionID {
			return meta.PolicyVersion{}, errcode.New(errcode.EntityNotFound, "Policy %s version %s does not exist or is not attachable.", arn, versionID)
		}
		return meta.PolicyVersion{VersionID: m.VersionID, Document: m.Document, IsDefault: true, CreatedAt: m.UpdateDate}, nil
	}
	if !s.ownPolicy(accountID, arn) {
		return meta.PolicyVersion{}, noSuchEntity("policy", arn)
	}
	v, err := s.store.GetPolicyVersion(ctx, arn, versionID)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.PolicyVersion{}, errcode.New(errcode.EntityNotFound, "Policy %s version %s does not exist or is not attachable.", arn, versionID)
	}
	return v, err
}

// ListPolicyVersions lists a managed policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, accountID, arn string) ([]meta.PolicyVersion, error) {
	if m, ok := s.managed[arn]; ok {
		return []meta.PolicyVersion{{VersionID: m.VersionID, IsDefault: true, CreatedAt: m.UpdateDate}}, nil
	}
	if !s.ownPolicy(accountID, arn) {
		return nil, noSuchEntity("policy", arn)
	}
	vs, err := s.store.ListPolicyVersions(ctx, arn)
	return vs, storeError(err, "policy", arn)
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, accountID, arn, versionID string) error {
	if _, err := s.customerPolicy(ctx, accountID, arn); err != nil {
		return err
	}
	err := s.store.DeletePolicyVersion(ctx, arn, versionID)
	if errors.Is(err, meta.ErrNotFound) {
		return errcode.New(errcode.EntityNotFound, "Policy %s version %s does not exist or is not attachable.", arn, versionID)
	}
	return storeError(err, "policy version", arn)
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, accountID, arn, versionID string) error {
	if _, err := s.customerPolicy(ctx, accountID, arn); err != nil {
		return err
	}
	err := s.store.SetDefaultPolicyVersion(ctx, arn, versionID, s.now().UTC())
	if errors.Is(err, meta.ErrNotFound) {
		return errcode.New(errcode.EntityNotFound, "Policy %s version %s does not exist or is not attachable.", arn, versionID)
	}
	return err
}
