package oci

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

const (
	// defaultPageSize is the page a list returns when the client sets no n: as large
	// as any, since many clients never follow the Link header to the rest.
	defaultPageSize = 10000
	// maxPageSize caps n.
	maxPageSize = 10000
)

// page reads the n and last query parameters.
func page(r *http.Request) (n int, last string, err error) {
	q := r.URL.Query()
	n = defaultPageSize
	if s := q.Get("n"); s != "" {
		v, perr := strconv.Atoi(s)
		if perr != nil || v < 0 {
			return 0, "", errcode.New(errcode.PaginationInvalid, "invalid n %q: it must be a non-negative integer", s)
		}
		n = min(v, maxPageSize)
	}
	return n, q.Get("last"), nil
}

// setNextLink adds the RFC 5988 Link header that leads to the next page.
func setNextLink(w http.ResponseWriter, r *http.Request, last string, n int) {
	q := url.Values{}
	q.Set("last", last)
	if r.URL.Query().Has("n") {
		q.Set("n", strconv.Itoa(n))
	}
	w.Header().Set("Link", "<"+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
}

func writeJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", itoa(int64(len(body))))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (h *Handler) tags(w http.ResponseWriter, r *http.Request, rt route) {
	n, last, err := page(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	tags, more, err := h.reg.Tags(r.Context(), rt.repo(), last, n)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if more && len(tags) > 0 {
		setNextLink(w, r, tags[len(tags)-1], n)
	}
	writeJSON(w, r, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.name, tags})
}

func (h *Handler) catalog(w http.ResponseWriter, r *http.Request, rt route) {
	n, last, err := page(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	names, more, err := h.reg.Catalog(r.Context(), rt.registry, last, n)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if more && len(names) > 0 {
		setNextLink(w, r, names[len(names)-1], n)
	}
	writeJSON(w, r, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{names})
}

type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

const mediaTypeOCIIndex = "application/vnd.oci.image.index.v1+json"

func (h *Handler) referrers(w http.ResponseWriter, r *http.Request, rt route) {
	artifactType := r.URL.Query().Get("artifactType")
	refs, err := h.reg.Referrers(r.Context(), rt.repo(), rt.ref, artifactType)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	writeJSON(w, r, mediaTypeOCIIndex, struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []descriptor `json:"manifests"`
	}{2, mediaTypeOCIIndex, descriptors(refs)})
}

func descriptors(refs []meta.Descriptor) []descriptor {
	out := make([]descriptor, len(refs))
	for i, d := range refs {
		out[i] = descriptor{MediaType: d.MediaType, Digest: d.Digest.String(), Size: d.Size,
			ArtifactType: d.ArtifactType, Annotations: d.Annotations}
	}
	return out
}
