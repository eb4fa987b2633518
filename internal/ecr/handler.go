// Package ecr serves the Amazon ECR API (AWS JSON 1.1, SigV4) on berth's one port:
// decoding, validation and the wire shapes of each operation. The rules live in
// internal/registry, identities in internal/iam.
package ecr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Options configures the ECR face.
type Options struct {
	// Region is the region berth presents itself as (ARNs, credential scope).
	Region string
	// Regions are all the regions accepted in SigV4 credential scopes; Region if empty.
	Regions []string
	// MaxSkew is the allowed clock skew of signed requests (AWS allows 15 minutes).
	MaxSkew time.Duration
}

// Handler serves the ECR API.
type Handler struct {
	reg      *registry.Registry
	id       *iam.Service
	store    meta.Accounts
	verifier *awsproto.Verifier
	region   string
	log      *slog.Logger
	now      func() time.Time
}

// New returns the ECR API handler.
func New(reg *registry.Registry, id *iam.Service, accounts meta.Accounts, opts Options, log *slog.Logger) *Handler {
	regions := opts.Regions
	if len(regions) == 0 {
		regions = []string{opts.Region}
	}
	return &Handler{
		reg:      reg,
		id:       id,
		store:    accounts,
		verifier: &awsproto.Verifier{Regions: regions, MaxSkew: opts.MaxSkew},
		region:   opts.Region,
		log:      log,
		now:      time.Now,
	}
}

// call is one API call: who made it, on what, with which input.
type call struct {
	ctx       context.Context
	r         *http.Request
	op        string
	body      []byte
	principal iam.Principal
	account   meta.Account
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
	ident, err := h.verifier.Verify(r.Context(), r, body, SigningName, h.lookupSecret)
	if err != nil {
		return nil, err
	}
	_, p, err := h.id.AccessKey(r.Context(), ident.AccessKeyID)
	if err != nil {
		return nil, err
	}
	acct, err := h.store.GetAccount(r.Context(), p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("account of %s: %w", p.AccessKeyID, err)
	}
	return fn(h, &call{ctx: r.Context(), r: r, op: op, body: body, principal: p, account: acct})
}

func (h *Handler) lookupSecret(ctx context.Context, id string) (string, error) {
	secret, _, err := h.id.AccessKey(ctx, id)
	if errors.Is(err, iam.ErrUnknownAccessKey) {
		return "", fmt.Errorf("%w: %w", awsproto.ErrUnknownAccessKey, err)
	}
	return secret, err
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
}

// decode reads the call's input into v.
func (c *call) decode(v any) error { return awsproto.Decode(c.body, v) }

// registry returns the registry a call addresses: registryID if given, else the
// caller's own. Until policies decide otherwise, a principal may act only on its own
// account's registry.
func (h *Handler) registry(c *call, registryID, resource string) (string, error) {
	if registryID == "" {
		return c.account.ID, nil
	}
	if err := validateRegistryID(registryID); err != nil {
		return "", err
	}
	if registryID != c.account.ID {
		return "", errcode.New(errcode.Denied,
			"User: %s is not authorized to perform: ecr:%s on resource: %s because no resource-based policy allows the ecr:%s action",
			c.principal.ARN, c.op, h.repositoryARN(registryID, resource), c.op)
	}
	return registryID, nil
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

// host is the registry host of the call's account, as clients push to it.
func (c *call) host() string { return iam.RegistryHost(c.account, c.r.Host) }

// proxyEndpoint is the registry URL for docker login.
func (c *call) proxyEndpoint() string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.host()
}
