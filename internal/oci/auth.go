package oci

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
)

// Auth is what /v2 needs to authenticate requests, as ECR does: HTTP Basic with user
// AWS and the password of an ECR authorization token, or a presigned blob URL.
type Auth interface {
	// AccountForHost returns the account whose registry a request to host addresses.
	AccountForHost(ctx context.Context, host string) (meta.Account, error)
	// VerifyToken returns the principal an authorization token was issued to.
	VerifyToken(password string) (iam.Principal, error)
	// VerifyPresignedBlob checks the query of a presigned blob download URL.
	VerifyPresignedBlob(registryID, repository, dgst string, q url.Values) error
}

func (rt route) repo() registry.RepoRef {
	return registry.RepoRef{Registry: rt.registry, Name: rt.name}
}

// authenticate resolves the registry of the request and checks its credentials,
// answering 401 with ECR's Basic challenge when there are none.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, rt *route) bool {
	acct, err := h.auth.AccountForHost(r.Context(), r.Host)
	if err != nil {
		h.writeError(w, r, err)
		return false
	}
	rt.registry = acct.ID
	q := r.URL.Query()
	if rt.kind == "blob" && r.Method == http.MethodGet && q.Has(iam.URLSignatureParam) {
		err := h.auth.VerifyPresignedBlob(acct.ID, rt.name, rt.ref, q)
		if err == nil {
			return true
		}
		h.writeError(w, r, credentialsError(err))
		return false
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		h.challenge(w, r, errcode.New(errcode.Unauthorized,
			"authentication required: log in with `aws ecr get-login-password | docker login --username AWS --password-stdin %s`", r.Host))
		return false
	}
	if user != "AWS" {
		h.challenge(w, r, errcode.New(errcode.Unauthorized, "unknown user %q: log in as AWS with a password from aws ecr get-login-password", truncate(user)))
		return false
	}
	p, err := h.auth.VerifyToken(password)
	if err != nil {
		h.challenge(w, r, credentialsError(err))
		return false
	}
	if p.AccountID != acct.ID {
		h.writeError(w, r, errcode.New(errcode.Denied,
			"User: %s is not authorized to access the registry of account %s", p.ARN, acct.ID))
		return false
	}
	return true
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
