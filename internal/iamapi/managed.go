package iamapi

import (
	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// Managed policy operations. IAM authorizes each on the policy's ARN.

type policyResult struct {
	Policy policyShape `xml:"Policy"`
}

func (h *queryHandler) createPolicy(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("PolicyName", policyNameType)
	path, _ := p.str("Path", policyPathType)
	doc := p.required("PolicyDocument", policyDocumentType)
	description, _ := p.str("Description", policyDescType)
	tags := p.tags("Tags")
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, iam.EntityARN(c.account(), "policy", path, name), requestTags(tags)); err != nil {
		return nil, err
	}
	mp, err := h.b.CreatePolicy(c.ctx, c.account(), name, path, description, doc)
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: toPolicy(mp, true)}, nil
}

// policyARN reads PolicyArn and authorizes the call on it.
func (h *queryHandler) policyARN(c *call, p *params) (string, error) {
	arn := p.required("PolicyArn", arnType)
	if err := p.err(); err != nil {
		return "", err
	}
	return arn, h.authorize(c, arn, nil)
}

func (h *queryHandler) getPolicy(c *call) (any, error) {
	arn, err := h.policyARN(c, newParams(c.q))
	if err != nil {
		return nil, err
	}
	mp, err := h.b.GetPolicy(c.ctx, c.account(), arn)
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: toPolicy(mp, true)}, nil
}

type listPoliciesResult struct {
	Policies awsproto.Members[policyShape] `xml:"Policies"`
	listPage
}

func (h *queryHandler) listPolicies(c *call) (any, error) {
	p := newParams(c.q)
	scope, ok := p.enum("Scope", "All", "AWS", "Local")
	if !ok {
		scope = "All"
	}
	onlyAttached := p.boolean("OnlyAttached")
	prefix, _ := p.str("PathPrefix", policyPathType)
	usage, _ := p.enum("PolicyUsageFilter", "PermissionsPolicy", "PermissionsBoundary")
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, listResource(c, "policy"), nil); err != nil {
		return nil, err
	}
	out := listPoliciesResult{Policies: awsproto.Members[policyShape]{}}
	if usage == "PermissionsBoundary" {
		// berth sets no permissions boundaries, so no policy is used as one.
		return out, nil
	}
	policies, next, err := h.b.ListPolicies(c.ctx, c.account(), scope, onlyAttached, prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	for _, mp := range policies {
		out.Policies = append(out.Policies, toPolicy(mp, false))
	}
	out.listPage = pageOut(next)
	return out, nil
}

func (h *queryHandler) deletePolicy(c *call) (any, error) {
	arn, err := h.policyARN(c, newParams(c.q))
	if err != nil {
		return nil, err
	}
	return nil, h.b.DeletePolicy(c.ctx, c.account(), arn)
}

type policyVersionResult struct {
	PolicyVersion policyVersionShape `xml:"PolicyVersion"`
}

func (h *queryHandler) createPolicyVersion(c *call) (any, error) {
	p := newParams(c.q)
	arn := p.required("PolicyArn", arnType)
	doc := p.required("PolicyDocument", policyDocumentType)
	setDefault := p.boolean("SetAsDefault")
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, arn, nil); err != nil {
		return nil, err
	}
	v, err := h.b.CreatePolicyVersion(c.ctx, c.account(), arn, doc, setDefault)
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: toPolicyVersion(v, false)}, nil
}

// policyVersion reads PolicyArn and VersionId and authorizes the call on the policy.
func (h *queryHandler) policyVersion(c *call) (arn, version string, err error) {
	p := newParams(c.q)
	arn = p.required("PolicyArn", arnType)
	version = p.required("VersionId", policyVersionIDType)
	if err := p.err(); err != nil {
		return "", "", err
	}
	return arn, version, h.authorize(c, arn, nil)
}

func (h *queryHandler) getPolicyVersion(c *call) (any, error) {
	arn, version, err := h.policyVersion(c)
	if err != nil {
		return nil, err
	}
	v, err := h.b.GetPolicyVersion(c.ctx, c.account(), arn, version)
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: toPolicyVersion(v, true)}, nil
}

type listPolicyVersionsResult struct {
	Versions awsproto.Members[policyVersionShape] `xml:"Versions"`
	listPage
}

func (h *queryHandler) listPolicyVersions(c *call) (any, error) {
	p := newParams(c.q)
	arn := p.required("PolicyArn", arnType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, arn, nil); err != nil {
		return nil, err
	}
	versions, err := h.b.ListPolicyVersions(c.ctx, c.account(), arn)
	if err != nil {
		return nil, err
	}
	versions, next, err := pageOf(versions, marker, maxItems, func(v meta.PolicyVersion) string { return v.VersionID })
	if err != nil {
		return nil, err
	}
	out := make(awsproto.Members[policyVersionShape], len(versions))
	for i, v := range versions {
		out[i] = toPolicyVersion(v, false)
	}
	return listPolicyVersionsResult{Versions: out, listPage: pageOut(next)}, nil
}

func (h *queryHandler) deletePolicyVersion(c *call) (any, error) {
	arn, version, err := h.policyVersion(c)
	if err != nil {
		return nil, err
	}
	return nil, h.b.DeletePolicyVersion(c.ctx, c.account(), arn, version)
}

func (h *queryHandler) setDefaultPolicyVersion(c *call) (any, error) {
	arn, version, err := h.policyVersion(c)
	if err != nil {
		return nil, err
	}
	return nil, h.b.SetDefaultPolicyVersion(c.ctx, c.account(), arn, version)
}
