package ecr

import (
	"errors"

	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

// registryPolicyV1Actions are the only actions a registry policy may name under the
// V1 registry policy scope.
var registryPolicyV1Actions = map[string]bool{
	"ecr:ReplicateImage": true, "ecr:BatchImportUpstreamImage": true, "ecr:CreateRepository": true,
}

// ecrActions are all of ECR's IAM actions: its 58 operations and the two actions
// without an operation.
var ecrActions = []string{
	"ecr:BatchCheckLayerAvailability", "ecr:BatchDeleteImage", "ecr:BatchGetImage",
	"ecr:BatchGetRepositoryScanningConfiguration", "ecr:BatchImportUpstreamImage", "ecr:CompleteLayerUpload",
	"ecr:CreatePullThroughCacheRule", "ecr:CreateRepository", "ecr:CreateRepositoryCreationTemplate",
	"ecr:DeleteLifecyclePolicy", "ecr:DeletePullThroughCacheRule", "ecr:DeleteRegistryPolicy",
	"ecr:DeleteRepository", "ecr:DeleteRepositoryCreationTemplate", "ecr:DeleteRepositoryPolicy",
	"ecr:DeleteSigningConfiguration", "ecr:DeregisterPullTimeUpdateExclusion",
	"ecr:DescribeImageReplicationStatus", "ecr:DescribeImageScanFindings", "ecr:DescribeImageSigningStatus",
	"ecr:DescribeImages", "ecr:DescribePullThroughCacheRules", "ecr:DescribeRegistry",
	"ecr:DescribeRepositories", "ecr:DescribeRepositoryCreationTemplates", "ecr:GetAccountSetting",
	"ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "ecr:GetLifecyclePolicy",
	"ecr:GetLifecyclePolicyPreview", "ecr:GetRegistryPolicy", "ecr:GetRegistryScanningConfiguration",
	"ecr:GetRepositoryPolicy", "ecr:GetSigningConfiguration", "ecr:InitiateLayerUpload",
	"ecr:ListImageReferrers", "ecr:ListImages", "ecr:ListPullTimeUpdateExclusions", "ecr:ListTagsForResource",
	"ecr:PutAccountSetting", "ecr:PutImage", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability",
	"ecr:PutLifecyclePolicy", "ecr:PutRegistryPolicy", "ecr:PutRegistryScanningConfiguration",
	"ecr:PutReplicationConfiguration", "ecr:PutSigningConfiguration", "ecr:RegisterPullTimeUpdateExclusion",
	"ecr:ReplicateImage", "ecr:SetRepositoryPolicy", "ecr:StartImageScan", "ecr:StartLifecyclePolicyPreview",
	"ecr:TagResource", "ecr:UntagResource", "ecr:UpdateImageStorageClass", "ecr:UpdatePullThroughCacheRule",
	"ecr:UpdateRepositoryCreationTemplate", "ecr:UploadLayerPart", "ecr:ValidatePullThroughCacheRule",
}

// governsBeyondV1 reports whether a registry policy names an ECR action that scope V1
// does not allow, or any action outside ECR.
func governsBeyondV1(doc *policy.Document) bool {
	if doc.GovernsAction("sts:NotAnEcrAction") {
		return true
	}
	for _, action := range ecrActions {
		if !registryPolicyV1Actions[action] && doc.GovernsAction(action) {
			return true
		}
	}
	return false
}

type repositoryPolicyInput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	PolicyText     string `json:"policyText"`
	Force          bool   `json:"force"`
}

// maxPolicyText is the model's limit on repository and registry policy texts.
const maxPolicyText = 10240

func (h *Handler) setRepositoryPolicy(c *call) (any, error) {
	var in repositoryPolicyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := required("policyText", in.PolicyText != ""); err != nil {
		return nil, err
	}
	if err := stringLength("policyText", in.PolicyText, 0, maxPolicyText); err != nil {
		return nil, err
	}
	if _, err := policy.Parse(in.PolicyText, policy.Resource); err != nil {
		return nil, invalid("PolicyText", "Invalid repository policy provided")
	}
	// A policy that denies its setter ecr:SetRepositoryPolicy locks them out of ever
	// changing it again; ECR wants force for that.
	if !in.Force && h.id.LocksOut(c.principal, in.PolicyText, "ecr:SetRepositoryPolicy", h.repositoryARN(rr.Registry, rr.Name)) {
		return nil, invalid("PolicyText", "The repository policy you are setting would prevent you from setting "+
			"another policy in the future. To set this policy anyway, use the force parameter")
	}
	if err := h.reg.SetRepositoryPolicy(c.ctx, rr, in.PolicyText); err != nil {
		return nil, err
	}
	return map[string]any{"registryId": rr.Registry, "repositoryName": rr.Name, "policyText": in.PolicyText}, nil
}

func (h *Handler) getRepositoryPolicy(c *call) (any, error) {
	var in repositoryPolicyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	text, err := h.reg.RepositoryPolicy(c.ctx, rr)
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": rr.Registry, "repositoryName": rr.Name, "policyText": text}, nil
}

func (h *Handler) deleteRepositoryPolicy(c *call) (any, error) {
	var in repositoryPolicyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	text, err := h.reg.DeleteRepositoryPolicy(c.ctx, rr)
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": rr.Registry, "repositoryName": rr.Name, "policyText": text}, nil
}

type registryPolicyInput struct {
	PolicyText string `json:"policyText"`
}

func (h *Handler) putRegistryPolicy(c *call) (any, error) {
	var in registryPolicyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := required("policyText", in.PolicyText != ""); err != nil {
		return nil, err
	}
	if err := stringLength("policyText", in.PolicyText, 0, maxPolicyText); err != nil {
		return nil, err
	}
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	doc, err := policy.Parse(in.PolicyText, policy.Resource)
	if err != nil {
		return nil, invalid("PolicyText", "Invalid registry policy provided")
	}
	scope, err := h.store.AccountSetting(c.ctx, c.account.ID, "REGISTRY_POLICY_SCOPE")
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return nil, err
	}
	if scope == "V1" && governsBeyondV1(doc) {
		return nil, invalid("PolicyText", "Invalid registry policy provided")
	}
	if err := h.reg.PutRegistryPolicy(c.ctx, c.account.ID, in.PolicyText); err != nil {
		return nil, err
	}
	return map[string]any{"registryId": c.account.ID, "policyText": in.PolicyText}, nil
}

func (h *Handler) getRegistryPolicy(c *call) (any, error) {
	var in struct{}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	text, err := h.reg.RegistryPolicy(c.ctx, c.account.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": c.account.ID, "policyText": text}, nil
}

func (h *Handler) deleteRegistryPolicy(c *call) (any, error) {
	var in struct{}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := h.authorizeRegistry(c); err != nil {
		return nil, err
	}
	text, err := h.reg.DeleteRegistryPolicy(c.ctx, c.account.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": c.account.ID, "policyText": text}, nil
}
