package oci

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
)

func setBlobHeaders(w http.ResponseWriter, b meta.Blob) {
	h := w.Header()
	h.Set("Docker-Content-Digest", b.Digest.String())
	h.Set("Content-Type", "application/octet-stream")
	h.Set("ETag", `"`+b.Digest.String()+`"`)
	h.Set("Cache-Control", "max-age=31536000")
}

func (h *Handler) getBlob(w http.ResponseWriter, r *http.Request, rt route) {
	if h.redirect != nil {
		h.redirectBlob(w, r, rt)
		return
	}
	h.serveBlob(w, r, rt)
}

// redirectBlob answers a blob GET with a redirect to the blob store, or serves the
// blob itself if the store cannot give a URL or holds it encrypted by berth (a KMS
// repository).
func (h *Handler) redirectBlob(w http.ResponseWriter, r *http.Request, rt route) {
	b, asIs, err := h.reg.StatStoredBlob(r.Context(), rt.repo(), rt.ref)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if !asIs {
		h.serveBlob(w, r, rt)
		return
	}
	u, err := h.redirect.RedirectURL(r.Context(), b.Digest, h.redirectTTL)
	if err != nil {
		h.log.WarnContext(r.Context(), "blob redirect failed, serving the blob", "digest", b.Digest.String(), "err", err)
		h.serveBlob(w, r, rt)
		return
	}
	w.Header().Set("Docker-Content-Digest", b.Digest.String())
	http.Redirect(w, r, u, http.StatusTemporaryRedirect)
}

func (h *Handler) serveBlob(w http.ResponseWriter, r *http.Request, rt route) {
	b, content, err := h.reg.OpenBlob(r.Context(), rt.repo(), rt.ref)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	defer content.Close()
	setBlobHeaders(w, b)
	// ServeContent answers Range and conditional requests; a plaintext blob on the
	// filesystem store is an *os.File, so the body goes out with sendfile; an encrypted
	// one is decrypted as it streams, from the offset a Range asks for, and the server's
	// writer copies it in 1 MiB writes. The Content-Type set above spares ServeContent
	// reading the start of the blob to guess one.
	http.ServeContent(w, r, "", time.Time{}, content)
}

func (h *Handler) headBlob(w http.ResponseWriter, r *http.Request, rt route) {
	b, err := h.reg.StatBlob(r.Context(), rt.repo(), rt.ref)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	setBlobHeaders(w, b)
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Length", itoa(b.Size))
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) deleteBlob(w http.ResponseWriter, r *http.Request, rt route) {
	if err := h.reg.DeleteBlob(r.Context(), rt.repo(), rt.ref); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

func blobCreated(w http.ResponseWriter, name string, b meta.Blob) {
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+b.Digest.String())
	w.Header().Set("Docker-Content-Digest", b.Digest.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func uploadAccepted(w http.ResponseWriter, name string, u meta.Upload, status int) {
	w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+u.ID)
	w.Header().Set("Docker-Upload-UUID", u.ID)
	w.Header().Set("Range", rangeHeader(u.Size))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// startUpload is POST /v2/<name>/blobs/uploads/: a cross-repository mount, a whole
// blob in one request, or the start of a session.
func (h *Handler) startUpload(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	from := q.Get("from")
	// A mount from a repository the caller may not read is declined, not denied: the
	// client uploads the blob instead, as the spec lets a registry decide.
	if q.Has("mount") && (from == "" || h.allowed(r, rt.principal, "ecr:GetDownloadUrlForLayer", rt.registry, from)) {
		b, mounted, err := h.reg.MountBlob(r.Context(), rt.repo(), q.Get("mount"), from)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if mounted {
			blobCreated(w, rt.name, b)
			return
		}
	} else if q.Has("digest") {
		b, err := h.reg.PutBlob(r.Context(), rt.repo(), q.Get("digest"), registry.Chunk{Start: -1, Length: r.ContentLength, Body: r.Body})
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		blobCreated(w, rt.name, b)
		return
	}
	u, err := h.reg.StartUpload(r.Context(), rt.repo())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	uploadAccepted(w, rt.name, u, http.StatusAccepted)
}

func (h *Handler) uploadStatus(w http.ResponseWriter, r *http.Request, rt route) {
	u, err := h.reg.Upload(r.Context(), rt.repo(), rt.ref)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	uploadAccepted(w, rt.name, u, http.StatusNoContent)
}

func (h *Handler) patchUpload(w http.ResponseWriter, r *http.Request, rt route) {
	c, err := chunk(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	u, err := h.reg.AppendUpload(r.Context(), rt.repo(), rt.ref, c)
	if err != nil {
		h.uploadError(w, r, rt, err)
		return
	}
	uploadAccepted(w, rt.name, u, http.StatusAccepted)
}

func (h *Handler) completeUpload(w http.ResponseWriter, r *http.Request, rt route) {
	c, err := chunk(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	b, err := h.reg.CompleteUpload(r.Context(), rt.repo(), rt.ref, r.URL.Query().Get("digest"), c)
	if err != nil {
		h.uploadError(w, r, rt, err)
		return
	}
	blobCreated(w, rt.name, b)
}

// uploadError adds the session's Location to a refused chunk, so the client can resume.
func (h *Handler) uploadError(w http.ResponseWriter, r *http.Request, rt route, err error) {
	if errcode.Is(err, errcode.RangeInvalid) {
		w.Header().Set("Location", "/v2/"+rt.name+"/blobs/uploads/"+rt.ref)
		w.Header().Set("Docker-Upload-UUID", rt.ref)
	}
	h.writeError(w, r, err)
}

func (h *Handler) cancelUpload(w http.ResponseWriter, r *http.Request, rt route) {
	if err := h.reg.CancelUpload(r.Context(), rt.repo(), rt.ref); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}

// chunk reads the chunk a PATCH or PUT carries: Content-Range, when present, says
// where it starts and how long it is.
func chunk(r *http.Request) (registry.Chunk, error) {
	c := registry.Chunk{Start: -1, Length: r.ContentLength, Body: r.Body}
	cr := r.Header.Get("Content-Range")
	if cr == "" {
		return c, nil
	}
	start, end, err := parseContentRange(cr)
	if err != nil {
		return c, errcode.New(errcode.BlobUploadInvalid,
			"invalid Content-Range %q: %v; send <start>-<end>, inclusive byte offsets", cr, err)
	}
	length := end - start + 1
	if r.ContentLength >= 0 && r.ContentLength != length {
		return c, errcode.New(errcode.BlobUploadInvalid,
			"Content-Range %q covers %d bytes but Content-Length is %d", cr, length, r.ContentLength)
	}
	c.Start, c.Length = start, length
	return c, nil
}

// parseContentRange parses "<start>-<end>", tolerating a "bytes " or "bytes=" prefix
// and a "/<total>" suffix that some clients send.
func parseContentRange(s string) (start, end int64, err error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "bytes="), "bytes ")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("no '-'")
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad start")
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
		return 0, 0, fmt.Errorf("bad end")
	}
	return start, end, nil
}
