package oci

import (
	"net/http"
)

func (h *Handler) getManifest(w http.ResponseWriter, r *http.Request, rt route) {
	m, err := h.reg.GetManifest(r.Context(), rt.name, rt.ref, r.Header.Values("Accept"))
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
	}
}

func (h *Handler) putManifest(w http.ResponseWriter, r *http.Request, rt route) {
	tags := r.URL.Query()["tag"]
	m, err := h.reg.PutManifest(r.Context(), rt.name, rt.ref, r.Header.Get("Content-Type"), r.Body, tags)
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
	for _, t := range tags {
		hd.Add("OCI-Tag", t)
	}
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func (h *Handler) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) {
	if err := h.reg.DeleteManifest(r.Context(), rt.name, rt.ref); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}
