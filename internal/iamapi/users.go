package iamapi

import (
	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// Principal types, as iam.Principal.Type holds them.
const (
	rootCaller        iam.PrincipalType = "Account"
	userCaller        iam.PrincipalType = "User"
	assumedRoleCaller iam.PrincipalType = "AssumedRole"
)

// errNotUser is IAM's answer to a call that names no user when the caller is not one.
var errNotUser = errcode.New(errcode.Validation, "Must specify userName when calling with non-User credentials")

// userResource is the ARN IAM authorizes a call on a user against: with the user's
// path, or with "/" for a user that does not exist, so that a caller that may not act
// learns nothing of which users exist.
func (h *queryHandler) userResource(c *call, name string) (string, error) {
	u, err := h.b.GetUser(c.ctx, c.account(), name)
	switch {
	case err == nil:
		return iam.EntityARN(c.account(), "user", u.Path, u.Name), nil
	case errcode.Is(err, errcode.EntityNotFound):
		return iam.EntityARN(c.account(), "user", "/", name), nil
	}
	return "", err
}

// listResource is the resource IAM authorizes a List operation against:
// arn:aws:iam::<account>:user/ for ListUsers, and so on.
func listResource(c *call, kind string) string {
	return "arn:aws:iam::" + c.account() + ":" + kind + "/"
}

// userResult is CreateUserResult and GetUserResult.
type userResult struct {
	User userShape `xml:"User"`
}

func (h *queryHandler) createUser(c *call) (any, error) {
	p := newParams(c.q)
	path, _ := p.str("Path", pathType)
	name := p.required("UserName", userNameType)
	_, boundary := p.str("PermissionsBoundary", arnType)
	tags := p.tags("Tags")
	if err := p.err(); err != nil {
		return nil, err
	}
	if boundary {
		return nil, unsupported("CreateUser", "PermissionsBoundary", "create the user without one and limit it with its policies.")
	}
	if err := h.authorize(c, iam.EntityARN(c.account(), "user", path, name), requestTags(tags)); err != nil {
		return nil, err
	}
	u, err := h.b.CreateUser(c.ctx, c.account(), name, path)
	if err != nil {
		return nil, err
	}
	return userResult{User: toUser(u)}, nil
}

// getUser answers for the caller when no user is named: a user, or the account's root
// (its id and ARN only, as IAM answers the root).
func (h *queryHandler) getUser(c *call) (any, error) {
	p := newParams(c.q)
	name, named := p.str("UserName", existingUserNameType)
	if err := p.err(); err != nil {
		return nil, err
	}
	resource := c.caller.ARN
	switch {
	case named:
		var err error
		if resource, err = h.userResource(c, name); err != nil {
			return nil, err
		}
	case c.caller.Type == rootCaller:
		if err := h.authorize(c, resource, nil); err != nil {
			return nil, err
		}
		return userResult{User: userShape{UserID: c.account(), Arn: iam.RootARN(c.account())}}, nil
	case c.caller.Type == userCaller:
		name = c.caller.UserName
	default:
		return nil, errNotUser
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	u, err := h.b.GetUser(c.ctx, c.account(), name)
	if err != nil {
		return nil, err
	}
	return userResult{User: toUser(u)}, nil
}

type listUsersResult struct {
	Users awsproto.Members[userShape] `xml:"Users"`
	listPage
}

func (h *queryHandler) listUsers(c *call) (any, error) {
	p := newParams(c.q)
	prefix, _ := p.str("PathPrefix", pathPrefixType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(c, listResource(c, "user"), nil); err != nil {
		return nil, err
	}
	users, next, err := h.b.ListUsers(c.ctx, c.account(), prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listUsersResult{Users: toUsers(users), listPage: pageOut(next)}, nil
}

func (h *queryHandler) deleteUser(c *call) (any, error) {
	p := newParams(c.q)
	name := p.required("UserName", existingUserNameType)
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
	return nil, h.b.DeleteUser(c.ctx, c.account(), name)
}

// keyOwner is the user whose access keys a call manages, and its ARN: the one named,
// or else the caller itself ("" and the root's ARN for the root). A role session must
// name one.
func (h *queryHandler) keyOwner(c *call, name string, named bool) (string, string, error) {
	if named {
		resource, err := h.userResource(c, name)
		return name, resource, err
	}
	switch c.caller.Type {
	case rootCaller:
		return "", iam.RootARN(c.account()), nil
	case userCaller:
		return c.caller.UserName, c.caller.ARN, nil
	}
	return "", "", errNotUser
}

type createAccessKeyResult struct {
	AccessKey accessKeyShape `xml:"AccessKey"`
}

func (h *queryHandler) createAccessKey(c *call) (any, error) {
	p := newParams(c.q)
	name, named := p.str("UserName", existingUserNameType)
	if err := p.err(); err != nil {
		return nil, err
	}
	user, resource, err := h.keyOwner(c, name, named)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	k, secret, err := h.b.CreateAccessKey(c.ctx, c.account(), user)
	if err != nil {
		return nil, err
	}
	out := toAccessKey(k)
	out.SecretAccessKey = secret
	return createAccessKeyResult{AccessKey: out}, nil
}

type listAccessKeysResult struct {
	AccessKeyMetadata awsproto.Members[accessKeyShape] `xml:"AccessKeyMetadata"`
	listPage
}

func (h *queryHandler) listAccessKeys(c *call) (any, error) {
	p := newParams(c.q)
	name, named := p.str("UserName", existingUserNameType)
	marker, maxItems := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	user, resource, err := h.keyOwner(c, name, named)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	keys, err := h.b.ListAccessKeys(c.ctx, c.account(), user)
	if err != nil {
		return nil, err
	}
	keys, next, err := pageOf(keys, marker, maxItems, func(k meta.AccessKey) string { return k.ID })
	if err != nil {
		return nil, err
	}
	out := make(awsproto.Members[accessKeyShape], len(keys))
	for i, k := range keys {
		out[i] = toAccessKey(k)
	}
	return listAccessKeysResult{AccessKeyMetadata: out, listPage: pageOut(next)}, nil
}

func (h *queryHandler) updateAccessKey(c *call) (any, error) {
	p := newParams(c.q)
	name, named := p.str("UserName", existingUserNameType)
	keyID := p.required("AccessKeyId", accessKeyIDType)
	status, ok := p.enum("Status", "Active", "Inactive", "Expired")
	if !ok {
		p.null("status")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	user, resource, err := h.keyOwner(c, name, named)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	return nil, h.b.UpdateAccessKey(c.ctx, c.account(), user, keyID, status)
}

func (h *queryHandler) deleteAccessKey(c *call) (any, error) {
	p := newParams(c.q)
	name, named := p.str("UserName", existingUserNameType)
	keyID := p.required("AccessKeyId", accessKeyIDType)
	if err := p.err(); err != nil {
		return nil, err
	}
	user, resource, err := h.keyOwner(c, name, named)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, resource, nil); err != nil {
		return nil, err
	}
	return nil, h.b.DeleteAccessKey(c.ctx, c.account(), user, keyID)
}
