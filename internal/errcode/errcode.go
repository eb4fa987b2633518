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
	// DigestInvalid is a digest that is malformed or of an unsupported algorithm.
	DigestInvalid
	// BlobDigestMismatch is uploaded content whose digest is not the one declared.
	BlobDigestMismatch
	// ManifestDigestMismatch is a manifest whose digest is not the one declared.
	ManifestDigestMismatch
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
	// TagImmutable is a tag that may not move to another image.
	TagImmutable
	// ImageAlreadyExists is a put that would change nothing.
	ImageAlreadyExists
	RepositoryAlreadyExists
	RepositoryNotEmpty
	// LayerAlreadyExists is a completed layer upload of a layer the repository has.
	LayerAlreadyExists
	// LayerInaccessible is a layer that no image references.
	LayerInaccessible
	// LayerPartTooSmall is a layer upload with a part other than the last under 5 MiB.
	LayerPartTooSmall
	EmptyUpload
	PaginationInvalid
	// InvalidParameter is a request parameter that breaks a documented constraint.
	InvalidParameter
	InvalidTagParameter
	TooManyTags
	LimitExceeded
	// Validation is a request the service rejects as a whole (AWS ValidationException).
	Validation
	// Serialization is a request body that is not the JSON the operation takes.
	Serialization
	UnknownOperation
	RequestTooLarge
	Unsupported
	// MissingAuthenticationToken is an AWS API request without a signature.
	MissingAuthenticationToken
	// IncompleteSignature is a malformed SigV4 Authorization header.
	IncompleteSignature
	// InvalidSignature is a SigV4 signature that does not verify, or is out of date.
	InvalidSignature
	// UnrecognizedClient is an access key the registry does not know.
	UnrecognizedClient
	// Unauthorized is a registry request without valid credentials.
	Unauthorized
	// TokenExpired is a registry request whose authorization token has expired.
	TokenExpired
	Denied
	TooManyRequests
	// ExpiredToken is an AWS API request signed with temporary credentials that expired.
	ExpiredToken
	// EntityNotFound is an IAM entity (user, group, role, policy, key) that does not exist.
	EntityNotFound
	// EntityAlreadyExists is an IAM entity whose name is taken.
	EntityAlreadyExists
	// DeleteConflict is a delete of an IAM entity that others still depend on.
	DeleteConflict
	// MalformedPolicy is a policy document that is not a valid policy of its kind.
	MalformedPolicy
	// RepositoryPolicyNotFound is a repository without a repository policy.
	RepositoryPolicyNotFound
	// RegistryPolicyNotFound is a registry without a registry policy.
	RegistryPolicyNotFound
	// KMSDisabled is a KMS key that is disabled.
	KMSDisabled
	// KMSInvalidCiphertext is a ciphertext KMS cannot decrypt: corrupt, of another key,
	// or with another encryption context.
	KMSInvalidCiphertext
	// KMSIncorrectKey is a ciphertext of another key than the one the caller named.
	KMSIncorrectKey
	// KMSError is a KMS failure as another service reports it (ECR's KmsException);
	// Detail {"kmsError": <KMS exception name>} says which.
	KMSError
)

var names = map[Code]string{
	Internal: "Internal", NameInvalid: "NameInvalid", NameUnknown: "NameUnknown", BlobUnknown: "BlobUnknown",
	BlobUploadUnknown: "BlobUploadUnknown", BlobUploadInvalid: "BlobUploadInvalid", RangeInvalid: "RangeInvalid",
	DigestInvalid: "DigestInvalid", BlobDigestMismatch: "BlobDigestMismatch", ManifestDigestMismatch: "ManifestDigestMismatch",
	SizeInvalid: "SizeInvalid", ManifestInvalid: "ManifestInvalid", ManifestUnknown: "ManifestUnknown",
	ManifestBlobUnknown: "ManifestBlobUnknown", ReferencedManifestUnknown: "ReferencedManifestUnknown",
	ManifestTooLarge: "ManifestTooLarge", Referenced: "Referenced", TagInvalid: "TagInvalid", TagImmutable: "TagImmutable",
	ImageAlreadyExists: "ImageAlreadyExists", RepositoryAlreadyExists: "RepositoryAlreadyExists",
	RepositoryNotEmpty: "RepositoryNotEmpty", LayerAlreadyExists: "LayerAlreadyExists", LayerInaccessible: "LayerInaccessible",
	LayerPartTooSmall: "LayerPartTooSmall", EmptyUpload: "EmptyUpload", PaginationInvalid: "PaginationInvalid",
	InvalidParameter: "InvalidParameter", InvalidTagParameter: "InvalidTagParameter", TooManyTags: "TooManyTags",
	LimitExceeded: "LimitExceeded", Validation: "Validation", Serialization: "Serialization",
	UnknownOperation: "UnknownOperation", RequestTooLarge: "RequestTooLarge", Unsupported: "Unsupported",
	MissingAuthenticationToken: "MissingAuthenticationToken", IncompleteSignature: "IncompleteSignature",
	InvalidSignature: "InvalidSignature", UnrecognizedClient: "UnrecognizedClient", Unauthorized: "Unauthorized",
	TokenExpired: "TokenExpired", Denied: "Denied", TooManyRequests: "TooManyRequests", ExpiredToken: "ExpiredToken",
	EntityNotFound: "EntityNotFound", EntityAlreadyExists: "EntityAlreadyExists", DeleteConflict: "DeleteConflict",
	MalformedPolicy: "MalformedPolicy", RepositoryPolicyNotFound: "RepositoryPolicyNotFound",
	RegistryPolicyNotFound: "RegistryPolicyNotFound",
	KMSDisabled:            "KMSDisabled", KMSInvalidCiphertext: "KMSInvalidCiphertext", KMSIncorrectKey: "KMSIncorrectKey",
	KMSError: "KMSError",
}

// Codes returns every code, for tests that check each face maps all of them.
func Codes() []Code {
	out := make([]Code, 0, len(names))
	for c := range names {
		out = append(out, c)
	}
	return out
}

func (c Code) String() string {
	if name, ok := names[c]; ok {
		return name
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
