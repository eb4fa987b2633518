package iamapi

import (
	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// A role's session length bounds, in seconds.
const (
	minRoleSession = 3600
	maxRoleSession = 43200
)

// roleResource is the ARN IAM authorizes a call on a role against (see userResource).
func (h *queryHandler) roleResource(c *call, name string) (string, error) {
	r, err := h.b.GetRole(c.ctx, c.account(), name)
	switch {
	case err == nil:
		return iam.EntityARN(c.account(), "role", r.Path, r.Name), nil
	case errcode.Is(err, errcode.EntityNotFound):
		return iam.EntityARN(c.account(), "role", "/", name), nil
	}
	return "", err
}

type roleResult struct {
	Role roleShape `xml:"Role"`
}

func (h *queryHandler) createRole(c *call) (any, error) {
	p := newParams(c.q)
	path, _ := p.str("Path", pathType)
	name := p.required("RoleName", roleNameType)
	trust := p.required("AssumeRolePolicyDocument", policyDocumentType)
	description, _ := p.str("Description", roleDescriptionType)
	maxSession, _ := p.integer("MaxSessionDuration", minRoleSession, maxRoleSession)
	_, boundary := p.str("PermissionsBoundary", arnType)
	tags := p.tags("Tags")
	if err := p.err(); err != nil {
		return nil, err
	}
	if boundary {
		return nil, unsupported("CreateRole", "PermissionsBoundary", "create the role without one and limit it with its policies.")
	}
	if err := h.authorize(c, iam.EntityARN(c.account(), "role", path, name), requestTags(tags)); err != nil {
		return nil, err
	}
	r, err := h.b.CreateRole(c.ctx, c.account(), meta.Role{Name: name, Path: path, Description: description,
		TrustPolicy: trust, MaxSessionDuration: maxSession})
	if err != nil {
		return nil, err
	}
	return roleResult{Role: toRole(r)}, nil
}

func (h *queryHandler) getRole(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("RoleName", roleNameType)
	if err := p.err(); err != nil {
		return nil, err
	}
	resource, err := h.roleResource(c, name)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	r, err := h.b.GetRole(c.ctx, c.account(), name)
	if err != nil {
		return nil, err
	}
	out := toRole(r)
	out.RoleLastUsed = &roleLastUsed{}
	return roleResult{Role: out}, nil
}

type listRolesResult struct {
	Roles awsproto.Members[roleShape] `xml:"Roles"`
	listPage
}

func (h *queryHandler) listRoles(c *call) (any, error) {
	p := newParams(c.q)
	prefix, _ := p.str("PathPrefix", pathPrefixType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, listResource(c, "role"), nil); err != nil {
		return nil, err
	}
	roles, next, err := h.b.ListRoles(c.ctx, c.account(), prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := make(awsproto.Members[roleShape], len(roles))
	for i, r := range roles {
		out[i] = toRole(r)
	}
	return listRolesResult{Roles: out, listPage: pageOut(next)}, nil
}

func (h *queryHandler) deleteRole(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("RoleName", roleNameType)
	if err := p.err(); err != nil {
		return nil, err
	}
	resource, err := h.roleResource(c, name)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	return nil, h.b.DeleteRole(c.ctx, c.account(), name)
}

func (h *queryHandler) updateAssumeRolePolicy(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("RoleName", roleNameType)
	doc := p.required("PolicyDocument", policyDocumentType)
	if err := p.err(); err != nil {
		return nil, err
	}
	resource, err := h.roleResource(c, name)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	return nil, h.b.UpdateAssumeRolePolicy(c.ctx, c.account(), name, doc)
}
