// Package ecr serves the Amazon ECR API (AWS JSON 1.1, SigV4) on berth's one port:
// decoding, validation and the wire shapes of each operation. The rules live in
// internal/registry, identities in internal/iam.
package ecr

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
)

// TargetPrefix is the X-Amz-Target prefix of ECR operations.
const TargetPrefix = "AmazonEC2ContainerRegistry_V20150921"

// SigningName is the SigV4 service name of ECR.
const SigningName = "ecr"

// maxBody bounds a request body: UploadLayerPart carries up to 20 MiB, base64-encoded.
const maxBody = 30 << 20

// Handler serves the ECR API.
type Handler struct {
	reg    *registry.Registry
	id     *iam.Service
	store  meta.Accounts
	region string
	log    *slog.Logger
	now    func() time.Time
}

// New returns the ECR API handler; id authenticates and authorizes its callers.
func New(reg *registry.Registry, id *iam.Service, accounts meta.Accounts, log *slog.Logger) *Handler {
	return &Handler{reg: reg, id: id, store: accounts, region: id.Region(), log: log, now: time.Now}
}

// call is one API call: who made it, on what, with which input.
type call struct {
	ctx       context.Context
	r         *http.Request
	op        string
	body      []byte
	principal iam.Principal
	// account is the caller's.
	account meta.Account
	// authContext holds condition keys of the request (aws:RequestTag/…) for
	// authorization.
	authContext map[string][]string
	// hosts are the registry hosts of other accounts this call named.
	hosts map[string]string
}

type operation func(h *Handler, c *call) (any, error)

// ServeHTTP serves POST / with an ECR X-Amz-Target.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := w.Header().Get("X-Request-Id")
	out, err := h.serve(r)
	if err != nil {
		h.writeError(w, r, requestID, err)
		return
	}
	awsproto.WriteJSON(w, requestID, out)
}

func (h *Handler) serve(r *http.Request) (any, error) {
	prefix, op, ok := awsproto.Target(r)
	if !ok {
		return nil, errcode.New(errcode.UnknownOperation,
			"the X-Amz-Target header must name an operation, as %s.<Operation>", TargetPrefix)
	}
	fn, known := operations[op]
	if prefix != TargetPrefix || !known {
		return nil, errcode.New(errcode.UnknownOperation,
			"%s is not an operation of Amazon ECR that berth serves", r.Header.Get("X-Amz-Target"))
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != awsproto.ContentTypeJSON11 {
		return nil, errcode.New(errcode.UnknownOperation,
			"the ECR API takes Content-Type %s, not %q", awsproto.ContentTypeJSON11, ct)
	}
	body, err := awsproto.ReadBody(r, maxBody)
	if err != nil {
		return nil, err
	}
	p, err := h.id.Authenticate(r.Context(), r, body, SigningName)
	if err != nil {
		return nil, err
	}
	acct, err := h.store.GetAccount(r.Context(), p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("account of %s: %w", p.AccessKeyID, err)
	}
	return fn(h, &call{ctx: r.Context(), r: r, op: op, body: body, principal: p, account: acct})
}

// operations are the ECR operations berth serves, by name.
var operations = map[string]operation{
	"CreateRepository":              (*Handler).createRepository,
	"DescribeRepositories":          (*Handler).describeRepositories,
	"DeleteRepository":              (*Handler).deleteRepository,
	"PutImageTagMutability":         (*Handler).putImageTagMutability,
	"PutImageScanningConfiguration": (*Handler).putImageScanningConfiguration,
	"DescribeRegistry":              (*Handler).describeRegistry,
	"GetAuthorizationToken":         (*Handler).getAuthorizationToken,
	"ListImages":                    (*Handler).listImages,
	"DescribeImages":                (*Handler).describeImages,
	"BatchGetImage":                 (*Handler).batchGetImage,
	"PutImage":                      (*Handler).putImage,
	"BatchDeleteImage":              (*Handler).batchDeleteImage,
	"ListImageReferrers":            (*Handler).listImageReferrers,
	"BatchCheckLayerAvailability":   (*Handler).batchCheckLayerAvailability,
	"InitiateLayerUpload":           (*Handler).initiateLayerUpload,
	"UploadLayerPart":               (*Handler).uploadLayerPart,
	"CompleteLayerUpload":           (*Handler).completeLayerUpload,
	"GetDownloadUrlForLayer":        (*Handler).getDownloadURLForLayer,
	"TagResource":                   (*Handler).tagResource,
	"UntagResource":                 (*Handler).untagResource,
	"ListTagsForResource":           (*Handler).listTagsForResource,
	"GetAccountSetting":             (*Handler).getAccountSetting,
	"PutAccountSetting":             (*Handler).putAccountSetting,
	"SetRepositoryPolicy":           (*Handler).setRepositoryPolicy,
	"GetRepositoryPolicy":           (*Handler).getRepositoryPolicy,
	"DeleteRepositoryPolicy":        (*Handler).deleteRepositoryPolicy,
	"PutRegistryPolicy":             (*Handler).putRegistryPolicy,
	"GetRegistryPolicy":             (*Handler).getRegistryPolicy,
	"DeleteRegistryPolicy":          (*Handler).deleteRegistryPolicy,
}

// actions maps the operations whose IAM action is not ecr:<Operation>.
var actions = map[string]string{
	// "To use this API, you must have the ecr:BatchGetImage permission" (the model).
	"ListImageReferrers": "ecr:BatchGetImage",
}

// action is the IAM action of the call's operation.
func (c *call) action() string {
	if a, ok := actions[c.op]; ok {
		return a
	}
	return "ecr:" + c.op
}

// authorize checks that the caller may perform the call's operation on resource (an
// ARN or "*") of account.
func (h *Handler) authorize(c *call, account, resource string) error {
	return h.id.Authorize(c.ctx, iam.Request{Principal: c.principal, Action: c.action(), Resource: resource,
		ResourceAccount: account, SourceIP: sourceIP(c.r), Secure: c.r.TLS != nil, Context: c.authContext})
}

// sourceIP is the address a request came from (aws:SourceIp).
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decode reads the call's input into v.
func (c *call) decode(v any) error { return awsproto.Decode(c.body, v) }

// registry returns the registry a call addresses, registryID if given, else the
// caller's own, once the caller is authorized for the call's operation on the
// repository resource (a name, or "*" for all of them) there.
func (h *Handler) registry(c *call, registryID, resource string) (string, error) {
	id := c.account.ID
	if registryID != "" {
		if err := validateRegistryID(registryID); err != nil {
			return "", err
		}
		id = registryID
	}
	if err := h.authorize(c, id, h.repositoryARN(id, resource)); err != nil {
		return "", err
	}
	return id, nil
}

// authorizeRegistry authorizes an operation on the caller's registry as a whole
// (actions without a resource, which IAM evaluates against "*").
func (h *Handler) authorizeRegistry(c *call) error {
	return h.authorize(c, c.account.ID, "*")
}

// repoRef resolves the repository a call names.
func (h *Handler) repoRef(c *call, registryID, name string) (registry.RepoRef, error) {
	if err := validateRepositoryName(name); err != nil {
		return registry.RepoRef{}, err
	}
	id, err := h.registry(c, registryID, name)
	if err != nil {
		return registry.RepoRef{}, err
	}
	return registry.RepoRef{Registry: id, Name: name}, nil
}

// repositoryARN is the ARN of a repository ("*" for all of a registry's).
func (h *Handler) repositoryARN(registryID, name string) string {
	return "arn:aws:ecr:" + h.region + ":" + registryID + ":repository/" + name
}

// host is the registry host of a registry as clients push to it: its account's
// configured host, else the host this request came to. Registries of other accounts
// (cross-account calls) are looked up once per call.
func (c *call) host(h *Handler, registryID string) string {
	if registryID == c.account.ID {
		return iam.RegistryHost(c.account, c.r.Host)
	}
	if c.hosts == nil {
		c.hosts = map[string]string{}
	}
	if host, ok := c.hosts[registryID]; ok {
		return host
	}
	host := c.r.Host
	if acct, err := h.store.GetAccount(c.ctx, registryID); err == nil {
		host = iam.RegistryHost(acct, c.r.Host)
	}
	c.hosts[registryID] = host
	return host
}

// proxyEndpoint is the URL of a registry for docker login.
func (c *call) proxyEndpoint(h *Handler, registryID string) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.host(h, registryID)
}
