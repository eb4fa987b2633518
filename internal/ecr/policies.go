package ecr

import (
	"github.com/berth-registry/berth/internal/iam/policy"
)

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
	if _, err := policy.Parse(in.PolicyText, policy.Resource); err != nil {
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
