package oci

import (
	"encoding/json"
	"net/http"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/registry"
)

// ociError is how one errcode.Code appears on /v2: the spec's code and HTTP status.
type ociError struct {
	code   string
	status int
}

// ociErrors is the one place errcode codes become OCI error codes.
var ociErrors = map[errcode.Code]ociError{
	errcode.Internal:               {"UNKNOWN", http.StatusInternalServerError},
	errcode.NameInvalid:            {"NAME_INVALID", http.StatusBadRequest},
	errcode.NameUnknown:            {"NAME_UNKNOWN", http.StatusNotFound},
	errcode.BlobUnknown:            {"BLOB_UNKNOWN", http.StatusNotFound},
	errcode.BlobUploadUnknown:      {"BLOB_UPLOAD_UNKNOWN", http.StatusNotFound},
	errcode.BlobUploadInvalid:      {"BLOB_UPLOAD_INVALID", http.StatusBadRequest},
	errcode.RangeInvalid:           {"BLOB_UPLOAD_INVALID", http.StatusRequestedRangeNotSatisfiable},
	errcode.DigestInvalid:          {"DIGEST_INVALID", http.StatusBadRequest},
	errcode.BlobDigestMismatch:     {"DIGEST_INVALID", http.StatusBadRequest},
	errcode.ManifestDigestMismatch: {"DIGEST_INVALID", http.StatusBadRequest},
	errcode.SizeInvalid:            {"SIZE_INVALID", http.StatusBadRequest},
	errcode.ManifestInvalid:        {"MANIFEST_INVALID", http.StatusBadRequest},
	errcode.ManifestUnknown:        {"MANIFEST_UNKNOWN", http.StatusNotFound},
	errcode.ManifestBlobUnknown:    {"MANIFEST_BLOB_UNKNOWN", http.StatusBadRequest},
	// An index with missing children is a bad request, not a missing resource.
	errcode.ReferencedManifestUnknown: {"MANIFEST_UNKNOWN", http.StatusBadRequest},
	errcode.ManifestTooLarge:          {"SIZE_INVALID", http.StatusRequestEntityTooLarge},
	errcode.Referenced:                {"DENIED", http.StatusConflict},
	errcode.TagInvalid:                {"MANIFEST_INVALID", http.StatusBadRequest},
	// ECR answers a push over an immutable tag with TAG_INVALID, which docker shows as
	// "tag invalid: <message>".
	errcode.TagImmutable:               {"TAG_INVALID", http.StatusBadRequest},
	errcode.ImageAlreadyExists:         {"MANIFEST_INVALID", http.StatusBadRequest},
	errcode.RepositoryAlreadyExists:    {"DENIED", http.StatusConflict},
	errcode.RepositoryNotEmpty:         {"DENIED", http.StatusConflict},
	errcode.LayerAlreadyExists:         {"BLOB_UPLOAD_INVALID", http.StatusConflict},
	errcode.LayerInaccessible:          {"BLOB_UNKNOWN", http.StatusNotFound},
	errcode.LayerPartTooSmall:          {"SIZE_INVALID", http.StatusBadRequest},
	errcode.EmptyUpload:                {"SIZE_INVALID", http.StatusBadRequest},
	errcode.InvalidParameter:           {"UNSUPPORTED", http.StatusBadRequest},
	errcode.InvalidTagParameter:        {"UNSUPPORTED", http.StatusBadRequest},
	errcode.TooManyTags:                {"UNSUPPORTED", http.StatusBadRequest},
	errcode.LimitExceeded:              {"TOOMANYREQUESTS", http.StatusTooManyRequests},
	errcode.Validation:                 {"UNSUPPORTED", http.StatusBadRequest},
	errcode.Serialization:              {"UNSUPPORTED", http.StatusBadRequest},
	errcode.UnknownOperation:           {"UNSUPPORTED", http.StatusNotFound},
	errcode.RequestTooLarge:            {"SIZE_INVALID", http.StatusRequestEntityTooLarge},
	errcode.MissingAuthenticationToken: {"UNAUTHORIZED", http.StatusUnauthorized},
	errcode.IncompleteSignature:        {"UNAUTHORIZED", http.StatusUnauthorized},
	errcode.InvalidSignature:           {"UNAUTHORIZED", http.StatusUnauthorized},
	errcode.UnrecognizedClient:         {"UNAUTHORIZED", http.StatusUnauthorized},
	errcode.TokenExpired:               {"DENIED", http.StatusForbidden},
	errcode.PaginationInvalid:          {"UNSUPPORTED", http.StatusBadRequest},
	errcode.Unsupported:                {"UNSUPPORTED", http.StatusMethodNotAllowed},
	errcode.Unauthorized:               {"UNAUTHORIZED", http.StatusUnauthorized},
	errcode.Denied:                     {"DENIED", http.StatusForbidden},
	// A repository whose KMS key cannot be used (disabled, unknown): refused as ECR does.
	errcode.KMSError:             {"DENIED", http.StatusForbidden},
	errcode.KMSDisabled:          {"DENIED", http.StatusForbidden},
	errcode.KMSInvalidCiphertext: {"DENIED", http.StatusForbidden},
	errcode.KMSIncorrectKey:      {"DENIED", http.StatusForbidden},
	errcode.TooManyRequests:      {"TOOMANYREQUESTS", http.StatusTooManyRequests},
	errcode.ExpiredToken:         {"UNAUTHORIZED", http.StatusUnauthorized},
	// IAM's and the policy APIs' codes do not arise on /v2; these keep the mapping total.
	errcode.MalformedPolicy:          {"UNSUPPORTED", http.StatusBadRequest},
	errcode.EntityNotFound:           {"NAME_UNKNOWN", http.StatusNotFound},
	errcode.EntityAlreadyExists:      {"UNSUPPORTED", http.StatusConflict},
	errcode.DeleteConflict:           {"UNSUPPORTED", http.StatusConflict},
	errcode.RegistryPolicyNotFound:   {"NAME_UNKNOWN", http.StatusNotFound},
	errcode.RepositoryPolicyNotFound: {"NAME_UNKNOWN", http.StatusNotFound},
}

type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// writeError sends err as the spec's JSON error body.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errcode.From(err)
	oe, ok := ociErrors[e.Code]
	if !ok {
		oe = ociErrors[errcode.Internal]
	}
	if e.Code == errcode.Internal {
		h.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		h.log.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if re, ok := e.Detail.(registry.RangeError); ok {
		w.Header().Set("Range", rangeHeader(re.Size))
		e = &errcode.Error{Code: e.Code, Message: e.Message}
	}
	body, _ := json.Marshal(errorBody{Errors: []errorEntry{{Code: oe.code, Message: e.Message, Detail: e.Detail}}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", itoa(int64(len(body))))
	w.WriteHeader(oe.status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
