package oci

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
)

// Auth is what /v2 needs to authenticate and authorize requests, as ECR does: HTTP
// Basic with user AWS and the password of an ECR authorization token, or a presigned
// blob URL; then IAM's decision on the ECR action the request amounts to.
type Auth interface {
	// AccountForHost returns the account whose registry a request to host addresses.
	AccountForHost(ctx context.Context, host string) (meta.Account, error)
	// VerifyToken returns the principal an authorization token was issued to.
	VerifyToken(ctx context.Context, password string) (iam.Principal, error)
	// VerifyPresignedBlob checks the query of a presigned blob download URL.
	VerifyPresignedBlob(registryID, repository, dgst string, q url.Values) error
	// Authorize returns nil if req is allowed, else an *errcode.Error (Denied).
	Authorize(ctx context.Context, req iam.Request) error
	// Region is the region of the registry's ARNs.
	Region() string
}

func (rt route) repo() registry.RepoRef {
	return registry.RepoRef{Registry: rt.registry, Name: rt.name}
}

// authenticate resolves the registry of the request and checks its credentials,
// answering 401 with ECR's Basic challenge when there are none. It returns the
// caller, and false when the request was answered. A presigned URL has no caller: it
// was authorized when it was issued.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, rt *route) (*iam.Principal, bool) {
	acct, err := h.auth.AccountForHost(r.Context(), r.Host)
	if err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	rt.registry = acct.ID
	q := r.URL.Query()
	if rt.kind == "blob" && r.Method == http.MethodGet && q.Has(iam.URLSignatureParam) {
		err := h.auth.VerifyPresignedBlob(acct.ID, rt.name, rt.ref, q)
		if err == nil {
			return nil, true
		}
		h.writeError(w, r, credentialsError(err))
		return nil, false
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		h.challenge(w, r, errcode.New(errcode.Unauthorized,
			"authentication required: log in with `aws ecr get-login-password | docker login --username AWS --password-stdin %s`", r.Host))
		return nil, false
	}
	if user != "AWS" {
		h.challenge(w, r, errcode.New(errcode.Unauthorized, "unknown user %q: log in as AWS with a password from aws ecr get-login-password", truncate(user)))
		return nil, false
	}
	p, err := h.auth.VerifyToken(r.Context(), password)
	if err != nil {
		h.challenge(w, r, credentialsError(err))
		return nil, false
	}
	return &p, true
}

// routeActions are the ECR actions a /v2 request amounts to, as IAM knows them: a
// pull is BatchGetImage and GetDownloadUrlForLayer, a push InitiateLayerUpload,
// UploadLayerPart, CompleteLayerUpload, BatchCheckLayerAvailability and PutImage.
func routeActions(rt route, r *http.Request) []string {
	switch rt.kind + " " + r.Method {
	case "catalog GET":
		return []string{"ecr:DescribeRepositories"}
	case "tags GET":
		return []string{"ecr:ListImages"}
	case "manifest GET", "manifest HEAD", "referrers GET":
		return []string{"ecr:BatchGetImage"}
	case "manifest PUT":
		return []string{"ecr:PutImage"}
	case "manifest DELETE", "blob DELETE":
		return []string{"ecr:BatchDeleteImage"}
	case "blob GET":
		return []string{"ecr:GetDownloadUrlForLayer"}
	case "blob HEAD":
		return []string{"ecr:BatchCheckLayerAvailability"}
	case "uploads POST":
		if r.URL.Query().Has("digest") && !r.URL.Query().Has("mount") {
			return []string{"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"}
		}
		return []string{"ecr:InitiateLayerUpload"}
	case "upload GET", "upload PATCH", "upload DELETE":
		return []string{"ecr:UploadLayerPart"}
	case "upload PUT":
		if r.ContentLength != 0 {
			return []string{"ecr:UploadLayerPart", "ecr:CompleteLayerUpload"}
		}
		return []string{"ecr:CompleteLayerUpload"}
	}
	return nil
}

// authorize checks that p may do what the request amounts to, answering DENIED with
// IAM's message when not. A push that would create its repository also needs
// ecr:CreateRepository; that is asked when the push gets there.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, rt route, p iam.Principal) (*http.Request, bool) {
	resource := h.repositoryARN(rt.registry, rt.name)
	if rt.kind == "catalog" {
		resource = h.repositoryARN(rt.registry, "*")
	}
	for _, action := range routeActions(rt, r) {
		if err := h.auth.Authorize(r.Context(), h.request(r, p, action, rt.registry, resource)); err != nil {
			h.writeError(w, r, err)
			return r, false
		}
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		ctx := registry.WithCreateCheck(r.Context(), func(ctx context.Context, rr registry.RepoRef) error {
			return h.auth.Authorize(ctx, h.request(r, p, "ecr:CreateRepository", rr.Registry, h.repositoryARN(rr.Registry, rr.Name)))
		})
		r = r.WithContext(ctx)
	}
	return r, true
}

// allowed reports whether p may perform action on a repository: for the source of a
// cross-repository mount, which is refused (an upload starts instead) rather than
// denied.
func (h *Handler) allowed(r *http.Request, p *iam.Principal, action, registryID, name string) bool {
	if p == nil {
		return false
	}
	return h.auth.Authorize(r.Context(), h.request(r, *p, action, registryID, h.repositoryARN(registryID, name))) == nil
}

func (h *Handler) request(r *http.Request, p iam.Principal, action, account, resource string) iam.Request {
	return iam.Request{Principal: p, Action: action, Resource: resource, ResourceAccount: account,
		SourceIP: sourceIP(r), Secure: r.TLS != nil}
}

// repositoryARN is the ARN of a repository of a registry.
func (h *Handler) repositoryARN(registryID, name string) string {
	return "arn:aws:ecr:" + h.auth.Region() + ":" + registryID + ":repository/" + name
}

// sourceIP is the address a request came from (aws:SourceIp).
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func credentialsError(err error) error {
	if errors.Is(err, iam.ErrTokenExpired) {
		return errcode.New(errcode.TokenExpired, "Your authorization token has expired. Reauthenticate and try again.")
	}
	if errors.Is(err, iam.ErrTokenInvalid) {
		return errcode.New(errcode.Unauthorized, "Your authorization token is invalid. Reauthenticate and try again.")
	}
	return err
}

// challenge answers 401 with the WWW-Authenticate header ECR sends.
func (h *Handler) challenge(w http.ResponseWriter, r *http.Request, err error) {
	if errcode.Is(err, errcode.Unauthorized) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="`+scheme+"://"+r.Host+`/",service="ecr.amazonaws.com"`)
	}
	h.writeError(w, r, err)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
