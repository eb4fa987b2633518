// Package errcode defines berth's one error type. Every error a client can cause is an
// *Error with a Code; the OCI face (internal/oci) and the AWS faces turn a Code into their
// wire shape, each in exactly one place.
package errcode

import (
	"errors"
	"fmt"
)

// Code says what went wrong in terms of the domain, not of a wire protocol.
type Code int

const (
	// Internal is a server-side failure; the client did nothing wrong.
	Internal Code = iota
	NameInvalid
	NameUnknown
	BlobUnknown
	BlobUploadUnknown
	BlobUploadInvalid
	// RangeInvalid is an upload chunk that does not start where the session stands.
	RangeInvalid
	DigestInvalid
	SizeInvalid
	ManifestInvalid
	ManifestUnknown
	ManifestBlobUnknown
	// ReferencedManifestUnknown is an index whose child manifests are not stored.
	ReferencedManifestUnknown
	// ManifestTooLarge is a manifest over the 4 MiB limit.
	ManifestTooLarge
	// Referenced is a manifest or blob that a stored manifest still references.
	Referenced
	TagInvalid
	PaginationInvalid
	Unsupported
	Unauthorized
	Denied
	TooManyRequests
)

var names = [...]string{
	Internal:                  "Internal",
	NameInvalid:               "NameInvalid",
	NameUnknown:               "NameUnknown",
	BlobUnknown:               "BlobUnknown",
	BlobUploadUnknown:         "BlobUploadUnknown",
	BlobUploadInvalid:         "BlobUploadInvalid",
	RangeInvalid:              "RangeInvalid",
	DigestInvalid:             "DigestInvalid",
	SizeInvalid:               "SizeInvalid",
	ManifestInvalid:           "ManifestInvalid",
	ManifestUnknown:           "ManifestUnknown",
	ManifestBlobUnknown:       "ManifestBlobUnknown",
	ReferencedManifestUnknown: "ReferencedManifestUnknown",
	ManifestTooLarge:          "ManifestTooLarge",
	Referenced:                "Referenced",
	TagInvalid:                "TagInvalid",
	PaginationInvalid:         "PaginationInvalid",
	Unsupported:               "Unsupported",
	Unauthorized:              "Unauthorized",
	Denied:                    "Denied",
	TooManyRequests:           "TooManyRequests",
}

func (c Code) String() string {
	if int(c) >= 0 && int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Error is an error a client can act on: Message says what was wrong and what to do.
// Detail is optional structured data for the OCI error body.
type Error struct {
	Code    Code
	Message string
	Detail  any
	// Err is the underlying cause, kept for logs; it is never sent to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns a copy of e carrying detail.
func (e *Error) WithDetail(detail any) *Error {
	c := *e
	c.Detail = detail
	return &c
}

// From returns the *Error in err's chain, or an Internal error wrapping err.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal server error", Err: err}
}

// Is reports whether err carries code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
