package oci

import (
	"net/http"

	"github.com/berth-registry/berth/internal/registry"
)

func (h *Handler) getManifest(w http.ResponseWriter, r *http.Request, rt route) {
	m, err := h.reg.GetManifest(r.Context(), rt.repo(), rt.ref, r.Header.Values("Accept"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", m.MediaType)
	hd.Set("Docker-Content-Digest", m.Digest.String())
	hd.Set("ETag", `"`+m.Digest.String()+`"`)
	hd.Set("Content-Length", itoa(int64(len(m.Payload))))
	if match := r.Header.Get("If-None-Match"); match != "" && (match == `"`+m.Digest.String()+`"` || match == m.Digest.String()) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(m.Payload)
		h.reg.RecordPull(r.Context(), m.RepositoryID, m.Stored)
	}
}

func (h *Handler) putManifest(w http.ResponseWriter, r *http.Request, rt route) {
	extraTags := r.URL.Query()["tag"]
	req := registry.PutRequest{ContentType: r.Header.Get("Content-Type"), Body: r.Body, Tags: extraTags}
	if registry.IsDigest(rt.ref) {
		req.Digest = rt.ref
	} else {
		req.Tags = append([]string{rt.ref}, extraTags...)
	}
	m, err := h.reg.PutManifest(r.Context(), rt.repo(), req)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Location", "/v2/"+rt.name+"/manifests/"+m.Digest.String())
	hd.Set("Docker-Content-Digest", m.Digest.String())
	if m.Subject != "" {
		hd.Set("OCI-Subject", m.Subject.String())
	}
	for _, t := range extraTags {
		hd.Add("OCI-Tag", t)
	}
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func (h *Handler) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) {
	if err := h.reg.DeleteManifest(r.Context(), rt.repo(), rt.ref); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}
