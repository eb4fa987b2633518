package kms

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// TargetPrefix is the X-Amz-Target prefix of KMS operations.
const TargetPrefix = "TrentService"

// SigningName is KMS's SigV4 service name.
const SigningName = "kms"

// maxBody bounds a request body: plaintexts are at most 4 KiB.
const maxBody = 64 << 10

// Identity authenticates and authorizes callers (iam.Service).
type Identity interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (iam.Principal, error)
	Authorize(ctx context.Context, req iam.Request) error
}

// Handler serves the KMS API subset: POST / with X-Amz-Target TrentService.<Op>, AWS
// JSON 1.1, SigV4 service kms. Every operation is authorized as kms:<Op>, on the key's
// ARN or, for CreateKey and ListKeys, on "*", through the one policy evaluator.
type Handler struct {
	s   *Service
	id  Identity
	log *slog.Logger
}

// NewHandler returns the KMS face of s.
func NewHandler(s *Service, id Identity, log *slog.Logger) *Handler {
	return &Handler{s: s, id: id, log: log}
}

type call struct {
	ctx    context.Context
	r      *http.Request
	op     string
	body   []byte
	caller iam.Principal
}

func (c *call) account() string { return c.caller.AccountID }

type operation func(h *Handler, c *call) (any, error)

var operations = map[string]operation{
	"CreateKey":            (*Handler).createKey,
	"DescribeKey":          (*Handler).describeKey,
	"ListKeys":             (*Handler).listKeys,
	"EnableKey":            (*Handler).enableKey,
	"DisableKey":           (*Handler).disableKey,
	"EnableKeyRotation":    (*Handler).enableKeyRotation,
	"DisableKeyRotation":   (*Handler).disableKeyRotation,
	"GetKeyRotationStatus": (*Handler).getKeyRotationStatus,
	"RotateKeyOnDemand":    (*Handler).rotateKeyOnDemand,
	"CreateAlias":          (*Handler).createAlias,
	"Encrypt":              (*Handler).encrypt,
	"Decrypt":              (*Handler).decrypt,
	"GenerateDataKey":      (*Handler).generateDataKey,
}

// ServeHTTP serves one KMS request.
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
	fn, known := operations[op]
	if !ok || prefix != TargetPrefix || !known {
		names := make([]string, 0, len(operations))
		for n := range operations {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, errcode.New(errcode.UnknownOperation, "%q is not an operation of AWS KMS that berth serves; it serves %s.<Operation> for %s.",
			r.Header.Get("X-Amz-Target"), TargetPrefix, strings.Join(names, ", "))
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != awsproto.ContentTypeJSON11 {
		return nil, errcode.New(errcode.UnknownOperation, "the KMS API takes Content-Type %s, not %q", awsproto.ContentTypeJSON11, ct)
	}
	body, err := awsproto.ReadBody(r, maxBody)
	if err != nil {
		return nil, err
	}
	caller, err := h.id.Authenticate(r.Context(), r, body, SigningName)
	if err != nil {
		return nil, err
	}
	return fn(h, &call{ctx: r.Context(), r: r, op: op, body: body, caller: caller})
}

// authorize asks whether the caller may perform the call's operation on resource.
func (h *Handler) authorize(c *call, resource string) error {
	host, _, err := net.SplitHostPort(c.r.RemoteAddr)
	if err != nil {
		host = c.r.RemoteAddr
	}
	return h.id.Authorize(c.ctx, iam.Request{Principal: c.caller, Action: "kms:" + c.op, Resource: resource,
		SourceIP: host, Secure: c.r.TLS != nil})
}

// key resolves the call's KeyId and authorizes the call on the key's ARN.
func (h *Handler) key(c *call, keyID string) (meta.KMSKey, error) {
	k, err := h.s.Resolve(c.ctx, c.account(), keyID)
	if err != nil {
		return meta.KMSKey{}, err
	}
	if err := h.authorize(c, h.s.ARN(c.account(), k.ID)); err != nil {
		return meta.KMSKey{}, err
	}
	return k, nil
}

// exceptions is the one place errcode codes become KMS exceptions; all are 400 but
// KMSInternalException.
var exceptions = map[errcode.Code]string{
	errcode.EntityNotFound:       "NotFoundException",
	errcode.EntityAlreadyExists:  "AlreadyExistsException",
	errcode.Validation:           "ValidationException",
	errcode.InvalidParameter:     "ValidationException",
	errcode.PaginationInvalid:    "ValidationException",
	errcode.Unsupported:          "UnsupportedOperationException",
	errcode.InvalidTagParameter:  "TagException",
	errcode.TooManyTags:          "TagException",
	errcode.KMSDisabled:          "DisabledException",
	errcode.KMSInvalidCiphertext: "InvalidCiphertextException",
	errcode.KMSIncorrectKey:      "IncorrectKeyException",
	errcode.Denied:               "AccessDeniedException",
	errcode.TooManyRequests:      "LimitExceededException",
	errcode.LimitExceeded:        "LimitExceededException",
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, requestID string, err error) {
	e := errcode.From(err)
	name, status, ok := awsproto.AuthErrorShape(e.Code)
	if !ok {
		name, status = exceptions[e.Code], http.StatusBadRequest
	}
	message := e.Message
	if name == "" {
		name, status = "KMSInternalException", http.StatusInternalServerError
		h.log.ErrorContext(r.Context(), "KMS request failed", "target", r.Header.Get("X-Amz-Target"), "err", err)
		message = "We encountered an internal error. Please try again."
	} else {
		h.log.DebugContext(r.Context(), "KMS request refused", "target", r.Header.Get("X-Amz-Target"), "err", err)
	}
	awsproto.WriteError(w, requestID, status, name, message, nil)
}
