package iamapi

import (
	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// groupResource is the ARN IAM authorizes a call on a group against (see userResource).
func (h *queryHandler) groupResource(c *call, name string) (string, error) {
	g, _, err := h.b.GetGroup(c.ctx, c.account(), name)
	switch {
	case err == nil:
		return iam.EntityARN(c.account(), "group", g.Path, g.Name), nil
	case errcode.Is(err, errcode.EntityNotFound):
		return iam.EntityARN(c.account(), "group", "/", name), nil
	}
	return "", err
}

type createGroupResult struct {
	Group groupShape `xml:"Group"`
}

func (h *queryHandler) createGroup(c *call) (any, error) {
	p := newParams(c.q)
	path, _ := p.str("Path", pathType)
	name := p.required("GroupName", groupNameType)
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, iam.EntityARN(c.account(), "group", path, name), nil); err != nil {
		return nil, err
	}
	g, err := h.b.CreateGroup(c.ctx, c.account(), name, path)
	if err != nil {
		return nil, err
	}
	return createGroupResult{Group: toGroup(g)}, nil
}

type getGroupResult struct {
	Group groupShape                  `xml:"Group"`
	Users awsproto.Members[userShape] `xml:"Users"`
	listPage
}

func (h *queryHandler) getGroup(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("GroupName", groupNameType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	resource, err := h.groupResource(c, name)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	g, users, err := h.b.GetGroup(c.ctx, c.account(), name)
	if err != nil {
		return nil, err
	}
	users, next, err := pageOf(users, marker, maxItems, func(u meta.User) string { return u.Name })
	if err != nil {
		return nil, err
	}
	return getGroupResult{Group: toGroup(g), Users: toUsers(users), listPage: pageOut(next)}, nil
}

type listGroupsResult struct {
	Groups awsproto.Members[groupShape] `xml:"Groups"`
	listPage
}

func (h *queryHandler) listGroups(c *call) (any, error) {
	p := newParams(c.q)
	prefix, _ := p.str("PathPrefix", pathPrefixType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, listResource(c, "group"), nil); err != nil {
		return nil, err
	}
	groups, next, err := h.b.ListGroups(c.ctx, c.account(), prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listGroupsResult{Groups: toGroups(groups), listPage: pageOut(next)}, nil
}

func (h *queryHandler) listGroupsForUser(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("UserName", existingUserNameType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	resource, err := h.userResource(c, name)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	groups, err := h.b.ListGroupsForUser(c.ctx, c.account(), name)
	if err != nil {
		return nil, err
	}
	groups, next, err := pageOf(groups, marker, maxItems, func(g meta.Group) string { return g.Name })
	if err != nil {
		return nil, err
	}
	return listGroupsResult{Groups: toGroups(groups), listPage: pageOut(next)}, nil
}

func (h *queryHandler) deleteGroup(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("GroupName", groupNameType)
	if err := p.err(); err != nil {
		return nil, err
	}
	resource, err := h.groupResource(c, name)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	return nil, h.b.DeleteGroup(c.ctx, c.account(), name)
}

// membership reads GroupName and UserName and authorizes the call on the group, the
// resource of AddUserToGroup and RemoveUserFromGroup.
func (h *queryHandler) membership(c *call) (group, user string, err error) {
	p := newParams(c.q)
	group = p.required("GroupName", groupNameType)
	user = p.required("UserName", existingUserNameType)
	if err := p.err(); err != nil {
		return "", "", err
	}
	resource, err := h.groupResource(c, group)
	if err != nil {
		return "", "", err
	}
	return group, user, h.authorize(c, resource, nil)
}

func (h *queryHandler) addUserToGroup(c *call) (any, error) {
	group, user, err := h.membership(c)
	if err != nil {
		return nil, err
	}
	return nil, h.b.AddUserToGroup(c.ctx, c.account(), group, user)
}

func (h *queryHandler) removeUserFromGroup(c *call) (any, error) {
	group, user, err := h.membership(c)
	if err != nil {
		return nil, err
	}
	return nil, h.b.RemoveUserFromGroup(c.ctx, c.account(), group, user)
}
