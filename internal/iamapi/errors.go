package iamapi

import (
	"net/http"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
)

// wireError is how one errcode.Code appears on a face: the error code and HTTP status.
type wireError struct {
	code   string
	status int
}

// iamErrors is the one place errcode codes become IAM errors, with the statuses of the
// IAM model (botocore iam 2010-05-08). The SigV4 and protocol errors are
// awsproto.QueryErrorShape's.
var iamErrors = map[errcode.Code]wireError{
	errcode.Internal:            {"ServiceFailure", http.StatusInternalServerError},
	errcode.EntityNotFound:      {"NoSuchEntity", http.StatusNotFound},
	errcode.EntityAlreadyExists: {"EntityAlreadyExists", http.StatusConflict},
	errcode.DeleteConflict:      {"DeleteConflict", http.StatusConflict},
	errcode.LimitExceeded:       {"LimitExceeded", http.StatusConflict},
	errcode.MalformedPolicy:     {"MalformedPolicyDocument", http.StatusBadRequest},
	errcode.InvalidParameter:    {"InvalidInput", http.StatusBadRequest},
	errcode.PaginationInvalid:   {"InvalidInput", http.StatusBadRequest},
	errcode.Validation:          {"ValidationError", http.StatusBadRequest},
	errcode.Unsupported:         {"ValidationError", http.StatusBadRequest},
	errcode.Denied:              {"AccessDenied", http.StatusForbidden},
	errcode.TooManyRequests:     {"Throttling", http.StatusBadRequest},
}

// stsErrors is the same for STS (botocore sts 2011-06-15). STS has no modeled service
// failure; AWS's common query errors name it InternalFailure.
var stsErrors = map[errcode.Code]wireError{
	errcode.Internal:            {"InternalFailure", http.StatusInternalServerError},
	errcode.EntityNotFound:      {"NoSuchEntity", http.StatusNotFound},
	errcode.EntityAlreadyExists: {"EntityAlreadyExists", http.StatusConflict},
	errcode.DeleteConflict:      {"DeleteConflict", http.StatusConflict},
	errcode.LimitExceeded:       {"PackedPolicyTooLarge", http.StatusBadRequest},
	errcode.MalformedPolicy:     {"MalformedPolicyDocument", http.StatusBadRequest},
	errcode.InvalidParameter:    {"ValidationError", http.StatusBadRequest},
	errcode.PaginationInvalid:   {"ValidationError", http.StatusBadRequest},
	errcode.Validation:          {"ValidationError", http.StatusBadRequest},
	errcode.Unsupported:         {"ValidationError", http.StatusBadRequest},
	errcode.Denied:              {"AccessDenied", http.StatusForbidden},
	errcode.TooManyRequests:     {"Throttling", http.StatusBadRequest},
}

// shape returns the wire code and status of err on face f.
func (f *face) shape(err error) wireError {
	if code, status, ok := awsproto.QueryErrorShape(err); ok {
		return wireError{code, status}
	}
	if e, ok := f.errors[errcode.From(err).Code]; ok {
		return e
	}
	return f.errors[errcode.Internal]
}

func (h *queryHandler) writeError(w http.ResponseWriter, r *http.Request, f *face, requestID, action string, err error) {
	e := errcode.From(err)
	wire := f.shape(err)
	message := e.Message
	if wire.status >= http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "IAM request failed", "service", f.service, "action", action, "err", err)
		message = "We encountered an internal error. Please try again."
	} else {
		h.log.DebugContext(r.Context(), "IAM request refused", "service", f.service, "action", action, "err", err)
	}
	if e.Code == errcode.MissingAuthenticationToken {
		// The query services word it otherwise than the JSON ones.
		message = "Request is missing Authentication Token"
	}
	kind := "Sender"
	if wire.status >= http.StatusInternalServerError {
		kind = "Receiver"
	}
	awsproto.WriteQueryError(w, requestID, f.namespace, wire.status, kind, wire.code, message)
}

// orgErrors is the one place errcode codes become Organizations exceptions. The model
// gives them no status: like every Coral JSON service, Organizations answers 400 to the
// client's faults and 500 to its own. EntityNotFound is the organization itself except
// for DescribeCreateAccountStatus, whose request it is (see orgShape).
var orgErrors = map[errcode.Code]wireError{
	errcode.Internal:            {"ServiceException", http.StatusInternalServerError},
	errcode.Denied:              {"AccessDeniedException", http.StatusBadRequest},
	errcode.EntityNotFound:      {"AWSOrganizationsNotInUseException", http.StatusBadRequest},
	errcode.EntityAlreadyExists: {"DuplicateAccountException", http.StatusBadRequest},
	errcode.InvalidParameter:    {"InvalidInputException", http.StatusBadRequest},
	errcode.PaginationInvalid:   {"InvalidInputException", http.StatusBadRequest},
	errcode.Validation:          {"InvalidInputException", http.StatusBadRequest},
	errcode.Unsupported:         {"InvalidInputException", http.StatusBadRequest},
	errcode.LimitExceeded:       {"ConstraintViolationException", http.StatusBadRequest},
	errcode.DeleteConflict:      {"ConstraintViolationException", http.StatusBadRequest},
	errcode.MalformedPolicy:     {"MalformedPolicyDocumentException", http.StatusBadRequest},
	errcode.TooManyRequests:     {"TooManyRequestsException", http.StatusBadRequest},
}

// orgShape returns the exception name and status of a code on the Organizations face.
func orgShape(op string, code errcode.Code) wireError {
	if name, status, ok := awsproto.AuthErrorShape(code); ok {
		return wireError{name, status}
	}
	if code == errcode.EntityNotFound && op == "DescribeCreateAccountStatus" {
		return wireError{"CreateAccountStatusNotFoundException", http.StatusBadRequest}
	}
	if e, ok := orgErrors[code]; ok {
		return e
	}
	return orgErrors[errcode.Internal]
}

func (h *orgHandler) writeError(w http.ResponseWriter, r *http.Request, requestID, op string, err error) {
	e := errcode.From(err)
	wire := orgShape(op, e.Code)
	message := e.Message
	if wire.status >= http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "Organizations request failed", "operation", op, "err", err)
		message = "AWS Organizations can't complete your request because of an internal service error. Try again later."
	} else {
		h.log.DebugContext(r.Context(), "Organizations request refused", "operation", op, "err", err)
	}
	if e.Code == errcode.Denied {
		// Organizations words every denial alike, IAM's and its own.
		message = "You don't have permissions to access this resource."
	}
	extra, _ := e.Detail.(map[string]any)
	awsproto.WriteError(w, requestID, wire.status, wire.code, message, extra)
}
