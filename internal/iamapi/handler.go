// Package iamapi serves berth's identity APIs as AWS does: IAM and STS over the query
// protocol (form-encoded requests, XML responses) and a subset of AWS Organizations
// over AWS JSON 1.1. It decodes and validates requests, authorizes them and writes the
// wire shapes; the rules live in internal/iam, behind Backend.
package iamapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
)

// maxQueryBody bounds a query request: a policy document is up to 131072 characters,
// which form encoding can triple (or more, for characters past ASCII).
const maxQueryBody = 2 << 20

// face is one query API served on the shared endpoint: IAM or STS.
type face struct {
	// service is the SigV4 signing name.
	service   string
	version   string
	namespace string
	ops       map[string]queryOp
	errors    map[errcode.Code]wireError
}

// queryOp serves one operation. A nil result is an operation without output.
type queryOp func(h *queryHandler, c *call) (any, error)

var (
	iamFace = &face{service: "iam", version: "2010-05-08", namespace: "https://iam.amazonaws.com/doc/2010-05-08/",
		ops: iamOps, errors: iamErrors}
	stsFace = &face{service: "sts", version: "2011-06-15", namespace: "https://sts.amazonaws.com/doc/2011-06-15/",
		ops: stsOps, errors: stsErrors}
)

// iamOps are the IAM operations berth serves, by name.
var iamOps = map[string]queryOp{
	"CreateUser":          (*queryHandler).createUser,
	"GetUser":             (*queryHandler).getUser,
	"ListUsers":           (*queryHandler).listUsers,
	"DeleteUser":          (*queryHandler).deleteUser,
	"CreateAccessKey":     (*queryHandler).createAccessKey,
	"ListAccessKeys":      (*queryHandler).listAccessKeys,
	"UpdateAccessKey":     (*queryHandler).updateAccessKey,
	"DeleteAccessKey":     (*queryHandler).deleteAccessKey,
	"CreateGroup":         (*queryHandler).createGroup,
	"GetGroup":            (*queryHandler).getGroup,
	"ListGroups":          (*queryHandler).listGroups,
	"ListGroupsForUser":   (*queryHandler).listGroupsForUser,
	"DeleteGroup":         (*queryHandler).deleteGroup,
	"AddUserToGroup":      (*queryHandler).addUserToGroup,
	"RemoveUserFromGroup": (*queryHandler).removeUserFromGroup,

	"CreateRole":             (*queryHandler).createRole,
	"GetRole":                (*queryHandler).getRole,
	"ListRoles":              (*queryHandler).listRoles,
	"DeleteRole":             (*queryHandler).deleteRole,
	"UpdateAssumeRolePolicy": (*queryHandler).updateAssumeRolePolicy,

	"PutUserPolicy":             putInlinePolicy(userOwner),
	"GetUserPolicy":             getInlinePolicy(userOwner),
	"DeleteUserPolicy":          deleteInlinePolicy(userOwner),
	"ListUserPolicies":          listInlinePolicies(userOwner),
	"PutRolePolicy":             putInlinePolicy(roleOwner),
	"GetRolePolicy":             getInlinePolicy(roleOwner),
	"DeleteRolePolicy":          deleteInlinePolicy(roleOwner),
	"ListRolePolicies":          listInlinePolicies(roleOwner),
	"PutGroupPolicy":            putInlinePolicy(groupOwner),
	"GetGroupPolicy":            getInlinePolicy(groupOwner),
	"DeleteGroupPolicy":         deleteInlinePolicy(groupOwner),
	"ListGroupPolicies":         listInlinePolicies(groupOwner),
	"AttachUserPolicy":          attachPolicy(userOwner),
	"DetachUserPolicy":          detachPolicy(userOwner),
	"ListAttachedUserPolicies":  listAttachedPolicies(userOwner),
	"AttachRolePolicy":          attachPolicy(roleOwner),
	"DetachRolePolicy":          detachPolicy(roleOwner),
	"ListAttachedRolePolicies":  listAttachedPolicies(roleOwner),
	"AttachGroupPolicy":         attachPolicy(groupOwner),
	"DetachGroupPolicy":         detachPolicy(groupOwner),
	"ListAttachedGroupPolicies": listAttachedPolicies(groupOwner),

	"CreatePolicy":            (*queryHandler).createPolicy,
	"GetPolicy":               (*queryHandler).getPolicy,
	"ListPolicies":            (*queryHandler).listPolicies,
	"DeletePolicy":            (*queryHandler).deletePolicy,
	"CreatePolicyVersion":     (*queryHandler).createPolicyVersion,
	"GetPolicyVersion":        (*queryHandler).getPolicyVersion,
	"ListPolicyVersions":      (*queryHandler).listPolicyVersions,
	"DeletePolicyVersion":     (*queryHandler).deletePolicyVersion,
	"SetDefaultPolicyVersion": (*queryHandler).setDefaultPolicyVersion,
}

// stsOps are the STS operations berth serves, by name.
var stsOps = map[string]queryOp{
	"GetCallerIdentity": (*queryHandler).getCallerIdentity,
	"AssumeRole":        (*queryHandler).assumeRole,
}

// faceOf picks the API a request is for: the service its SigV4 credential is scoped
// to, or, when it is not signed for either, the one that has the action. A request
// signed for STS with an IAM action is STS's to refuse, as AWS's STS endpoint does.
func faceOf(signingService, action string) *face {
	switch signingService {
	case "iam":
		return iamFace
	case "sts":
		return stsFace
	}
	if _, ok := stsOps[action]; ok {
		return stsFace
	}
	return iamFace
}

// queryHandler serves IAM and STS.
type queryHandler struct {
	b   Backend
	log *slog.Logger
}

// NewQuery serves IAM and STS (POST / with form-encoded Action=…; GET /?Action=… too),
// dispatching by the SigV4 credential scope's service ("iam" or "sts"), falling back
// to the action's owner when the request is unsigned.
func NewQuery(b Backend, log *slog.Logger) http.Handler {
	return &queryHandler{b: b, log: log}
}

// call is one API call: who made it, and with which parameters.
type call struct {
	ctx    context.Context
	r      *http.Request
	q      awsproto.Query
	action string
	caller iam.Principal
}

// ServeHTTP serves one IAM or STS request.
func (h *queryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := w.Header().Get("X-Request-Id")
	f := faceOf(awsproto.SigningService(r), "")
	body, err := awsproto.ReadBody(r, maxQueryBody)
	if err != nil {
		h.writeError(w, r, f, requestID, "", err)
		return
	}
	q, err := awsproto.ParseQuery(r, body)
	if err != nil {
		h.writeError(w, r, f, requestID, "", err)
		return
	}
	action := q.Action()
	f = faceOf(awsproto.SigningService(r), action)
	out, err := h.serve(r, body, f, q)
	if err != nil {
		h.writeError(w, r, f, requestID, action, err)
		return
	}
	awsproto.WriteQueryResult(w, requestID, f.namespace, action, out)
}

// serve authenticates a request for its face and runs its operation.
func (h *queryHandler) serve(r *http.Request, body []byte, f *face, q awsproto.Query) (any, error) {
	caller, err := h.b.Authenticate(r.Context(), r, body, f.service)
	if err != nil {
		return nil, err
	}
	op, ok := f.ops[q.Action()]
	if !ok || q.Version() != f.version {
		return nil, errcode.New(errcode.UnknownOperation, "Could not find operation %s for version %s", q.Action(), q.Version())
	}
	return op(h, &call{ctx: r.Context(), r: r, q: q, action: q.Action(), caller: caller})
}

// authorize asks whether the caller may perform the call's IAM action on resource.
// extra are condition keys the request carries (aws:RequestTag/…, iam:PolicyARN).
func (h *queryHandler) authorize(c *call, resource string, extra map[string][]string) error {
	return h.b.Authorize(c.ctx, iam.Request{
		Principal: c.caller,
		Action:    "iam:" + c.action,
		Resource:  resource,
		SourceIP:  sourceIP(c.r),
		Secure:    c.r.TLS != nil,
		Context:   extra,
	})
}

// sourceIP is the address the request came from (aws:SourceIp).
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// account is the caller's account, which every IAM call acts on.
func (c *call) account() string { return c.caller.AccountID }
