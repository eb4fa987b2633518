package iamapi

import (
	"strings"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/meta"
)

// owner is a kind of identity that has inline and attached policies: how the calls on
// its policies name it, and its name's shape in each (the model gives attach calls on
// users the 64-character userNameType, the others the 128-character one).
type owner struct {
	kind   meta.IAMKind
	param  string
	inline strShape
	attach strShape
}

var (
	userOwner  = owner{kind: meta.KindUser, param: "UserName", inline: existingUserNameType, attach: userNameType}
	groupOwner = owner{kind: meta.KindGroup, param: "GroupName", inline: groupNameType, attach: groupNameType}
	roleOwner  = owner{kind: meta.KindRole, param: "RoleName", inline: roleNameType, attach: roleNameType}
)

// resource is the ARN of an owner, as IAM authorizes calls on its policies.
func (o owner) resource(h *queryHandler, c *call, name string) (string, error) {
	switch o.kind {
	case meta.KindGroup:
		return h.groupResource(c, name)
	case meta.KindRole:
		return h.roleResource(c, name)
	}
	return h.userResource(c, name)
}

// authorizeOwner authorizes a call on an owner's policies.
func (o owner) authorize(h *queryHandler, c *call, name string, extra map[string][]string) error {
	resource, err := o.resource(h, c, name)
	if err != nil {
		return err
	}
	return h.authorize(c, resource, extra)
}

func putInlinePolicy(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		p := newParams(c.q)
		name := p.required(o.param, o.inline)
		policy := p.required("PolicyName", policyNameType)
		doc := p.required("PolicyDocument", policyDocumentType)
		if err := p.err(); err != nil {
			return nil, err
		}
		if err := o.authorize(h, c, name, nil); err != nil {
			return nil, err
		}
		return nil, h.b.PutInlinePolicy(c.ctx, c.account(), o.kind, name, policy, doc)
	}
}

// inlinePolicyResult is Get{User,Group,Role}PolicyResult: one of the owner names is set.
type inlinePolicyResult struct {
	UserName       string `xml:"UserName,omitempty"`
	GroupName      string `xml:"GroupName,omitempty"`
	RoleName       string `xml:"RoleName,omitempty"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func getInlinePolicy(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		p := newParams(c.q)
		name := p.required(o.param, o.inline)
		policy := p.required("PolicyName", policyNameType)
		if err := p.err(); err != nil {
			return nil, err
		}
		if err := o.authorize(h, c, name, nil); err != nil {
			return nil, err
		}
		doc, err := h.b.GetInlinePolicy(c.ctx, c.account(), o.kind, name, policy)
		if err != nil {
			return nil, err
		}
		out := inlinePolicyResult{PolicyName: policy, PolicyDocument: encodeDocument(doc)}
		switch o.kind {
		case meta.KindUser:
			out.UserName = name
		case meta.KindGroup:
			out.GroupName = name
		case meta.KindRole:
			out.RoleName = name
		}
		return out, nil
	}
}

func deleteInlinePolicy(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		p := newParams(c.q)
		name := p.required(o.param, o.inline)
		policy := p.required("PolicyName", policyNameType)
		if err := p.err(); err != nil {
			return nil, err
		}
		if err := o.authorize(h, c, name, nil); err != nil {
			return nil, err
		}
		return nil, h.b.DeleteInlinePolicy(c.ctx, c.account(), o.kind, name, policy)
	}
}

type listInlinePoliciesResult struct {
	PolicyNames awsproto.Members[string] `xml:"PolicyNames"`
	listPage
}

func listInlinePolicies(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		p := newParams(c.q)
		name := p.required(o.param, o.inline)
		marker, maxItems := p.page()
		if err := p.err(); err != nil {
			return nil, err
		}
		if err := o.authorize(h, c, name, nil); err != nil {
			return nil, err
		}
		names, err := h.b.ListInlinePolicies(c.ctx, c.account(), o.kind, name)
		if err != nil {
			return nil, err
		}
		names, next, err := pageOf(names, marker, maxItems, func(s string) string { return s })
		if err != nil {
			return nil, err
		}
		return listInlinePoliciesResult{PolicyNames: awsproto.Members[string](names), listPage: pageOut(next)}, nil
	}
}

// attachment reads the owner and PolicyArn of an attach or detach call and authorizes
// it, with the policy as iam:PolicyARN.
func (o owner) attachment(h *queryHandler, c *call) (name, policyARN string, err error) {
	p := newParams(c.q)
	name = p.required(o.param, o.attach)
	policyARN = p.required("PolicyArn", arnType)
	if err := p.err(); err != nil {
		return "", "", err
	}
	return name, policyARN, o.authorize(h, c, name, map[string][]string{"iam:PolicyARN": {policyARN}})
}

func attachPolicy(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		name, arn, err := o.attachment(h, c)
		if err != nil {
			return nil, err
		}
		return nil, h.b.AttachPolicy(c.ctx, c.account(), o.kind, name, arn)
	}
}

func detachPolicy(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		name, arn, err := o.attachment(h, c)
		if err != nil {
			return nil, err
		}
		return nil, h.b.DetachPolicy(c.ctx, c.account(), o.kind, name, arn)
	}
}

type listAttachedPoliciesResult struct {
	AttachedPolicies awsproto.Members[attachedPolicyShape] `xml:"AttachedPolicies"`
	listPage
}

func listAttachedPolicies(o owner) queryOp {
	return func(h *queryHandler, c *call) (any, error) {
		p := newParams(c.q)
		name := p.required(o.param, o.attach)
		prefix, _ := p.str("PathPrefix", policyPathType)
		marker, maxItems := p.page()
		if err := p.err(); err != nil {
			return nil, err
		}
		if err := o.authorize(h, c, name, nil); err != nil {
			return nil, err
		}
		attached, err := h.b.ListAttachedPolicies(c.ctx, c.account(), o.kind, name)
		if err != nil {
			return nil, err
		}
		out := make(awsproto.Members[attachedPolicyShape], 0, len(attached))
		for _, a := range attached {
			if strings.HasPrefix(policyPath(a.ARN), prefix) {
				out = append(out, attachedPolicyShape{PolicyName: a.Name, PolicyArn: a.ARN})
			}
		}
		out, next, err := pageOf(out, marker, maxItems, func(a attachedPolicyShape) string { return a.PolicyArn })
		if err != nil {
			return nil, err
		}
		return listAttachedPoliciesResult{AttachedPolicies: out, listPage: pageOut(next)}, nil
	}
}

// policyPath is the path of a managed policy's ARN, arn:aws:iam::<account>:policy<path><name>.
func policyPath(arn string) string {
	_, rest, ok := strings.Cut(arn, ":policy/")
	if !ok {
		return ""
	}
	return "/" + rest[:strings.LastIndexByte(rest, '/')+1]
}
