// Package oci serves the OCI Distribution API v1.1 under /v2/: routing, headers and
// the wire shapes. The rules live in internal/registry.
package oci

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/registry"
)

// Handler serves /v2/.
type Handler struct {
	reg  *registry.Registry
	auth Auth
	log  *slog.Logger
	// redirect, if set, serves blob GETs with a redirect to a URL valid redirectTTL.
	redirect    blob.Redirector
	redirectTTL time.Duration
}

// New returns the /v2/ handler.
func New(reg *registry.Registry, auth Auth, log *slog.Logger) *Handler {
	return &Handler{reg: reg, auth: auth, log: log}
}

// RedirectBlobs makes a blob GET answer 307 Temporary Redirect to a URL of to, valid
// for ttl, as ECR sends layer downloads to S3: the bytes then bypass the registry.
// HEAD requests are still answered here.
func (h *Handler) RedirectBlobs(to blob.Redirector, ttl time.Duration) {
	h.redirect, h.redirectTTL = to, ttl
}

// route is a parsed /v2/ path.
type route struct {
	kind string // "base", "catalog", "tags", "manifest", "blob", "uploads", "upload", "referrers"
	name string // repository name
	ref  string // tag, digest or upload id
	// registry is the account whose registry the request addresses (set by authenticate).
	registry string
	// principal is the caller; nil for a presigned URL.
	principal *iam.Principal
}

// parseRoute splits a /v2/ path. Repository names contain '/', so the resource is
// found from the end of the path.
func parseRoute(path string) (route, bool) {
	rest, ok := strings.CutPrefix(path, "/v2")
	if !ok {
		return route{}, false
	}
	if rest == "" || rest == "/" {
		return route{kind: "base"}, true
	}
	rest = strings.TrimPrefix(rest, "/")
	if rest == "_catalog" {
		return route{kind: "catalog"}, true
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	switch {
	case n >= 3 && segs[n-2] == "tags" && segs[n-1] == "list":
		return route{kind: "tags", name: strings.Join(segs[:n-2], "/")}, true
	case n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads":
		if segs[n-1] == "" {
			return route{kind: "uploads", name: strings.Join(segs[:n-3], "/")}, true
		}
		return route{kind: "upload", name: strings.Join(segs[:n-3], "/"), ref: segs[n-1]}, true
	case n >= 3 && segs[n-2] == "blobs" && segs[n-1] == "uploads":
		return route{kind: "uploads", name: strings.Join(segs[:n-2], "/")}, true
	case n >= 3 && segs[n-2] == "blobs":
		return route{kind: "blob", name: strings.Join(segs[:n-2], "/"), ref: segs[n-1]}, true
	case n >= 3 && segs[n-2] == "manifests":
		return route{kind: "manifest", name: strings.Join(segs[:n-2], "/"), ref: segs[n-1]}, true
	case n >= 3 && segs[n-2] == "referrers":
		return route{kind: "referrers", name: strings.Join(segs[:n-2], "/"), ref: segs[n-1]}, true
	}
	return route{}, false
}

// ServeHTTP dispatches a /v2/ request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		h.writeError(w, r, errcode.New(errcode.NameUnknown, "no registry API at %s", r.URL.Path))
		return
	}
	p, ok := h.authenticate(w, r, &rt)
	if !ok {
		return
	}
	if p != nil {
		if r, ok = h.authorize(w, r, rt, *p); !ok {
			return
		}
		rt.principal = p
	}
	methods := routeMethods[rt.kind]
	fn, ok := methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(methods))
		for m := range methods {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.writeError(w, r, errcode.New(errcode.Unsupported, "%s is not supported on %s", r.Method, r.URL.Path))
		return
	}
	fn(h, w, r, rt)
}

type handlerFunc func(*Handler, http.ResponseWriter, *http.Request, route)

// routeMethods maps each kind of route to the handler of each method it supports.
var routeMethods = map[string]map[string]handlerFunc{
	"base":    {http.MethodGet: (*Handler).base, http.MethodHead: (*Handler).base},
	"catalog": {http.MethodGet: (*Handler).catalog},
	"tags":    {http.MethodGet: (*Handler).tags},
	"manifest": {http.MethodGet: (*Handler).getManifest, http.MethodHead: (*Handler).getManifest,
		http.MethodPut: (*Handler).putManifest, http.MethodDelete: (*Handler).deleteManifest},
	"blob": {http.MethodGet: (*Handler).getBlob, http.MethodHead: (*Handler).headBlob,
		http.MethodDelete: (*Handler).deleteBlob},
	"uploads": {http.MethodPost: (*Handler).startUpload},
	"upload": {http.MethodGet: (*Handler).uploadStatus, http.MethodPatch: (*Handler).patchUpload,
		http.MethodPut: (*Handler).completeUpload, http.MethodDelete: (*Handler).cancelUpload},
	"referrers": {http.MethodGet: (*Handler).referrers},
}

func (h *Handler) base(w http.ResponseWriter, r *http.Request, _ route) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write([]byte("{}"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// rangeHeader is the Range header of an upload holding size bytes.
func rangeHeader(size int64) string {
	if size == 0 {
		return "0-0"
	}
	return "0-" + itoa(size-1)
}
