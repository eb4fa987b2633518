package ecr

import (
	"net/http"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
)

// exception is how one errcode.Code appears on the ECR API.
type exception struct {
	name   string
	status int
}

// exceptions is the one place errcode codes become ECR exceptions. All are 400 but
// ServerException, as the model says.
var exceptions = map[errcode.Code]exception{
	errcode.Internal:                  {"ServerException", http.StatusInternalServerError},
	errcode.NameInvalid:               {"InvalidParameterException", 400},
	errcode.NameUnknown:               {"RepositoryNotFoundException", 400},
	errcode.BlobUnknown:               {"LayersNotFoundException", 400},
	errcode.BlobUploadUnknown:         {"UploadNotFoundException", 400},
	errcode.BlobUploadInvalid:         {"InvalidLayerPartException", 400},
	errcode.RangeInvalid:              {"InvalidLayerPartException", 400},
	errcode.DigestInvalid:             {"InvalidParameterException", 400},
	errcode.BlobDigestMismatch:        {"InvalidLayerException", 400},
	errcode.ManifestDigestMismatch:    {"ImageDigestDoesNotMatchException", 400},
	errcode.SizeInvalid:               {"InvalidParameterException", 400},
	errcode.ManifestInvalid:           {"InvalidParameterException", 400},
	errcode.ManifestUnknown:           {"ImageNotFoundException", 400},
	errcode.ManifestBlobUnknown:       {"LayersNotFoundException", 400},
	errcode.ReferencedManifestUnknown: {"ReferencedImagesNotFoundException", 400},
	errcode.ManifestTooLarge:          {"InvalidParameterException", 400},
	errcode.Referenced:                {"InvalidParameterException", 400},
	errcode.TagInvalid:                {"InvalidParameterException", 400},
	errcode.TagImmutable:              {"ImageTagAlreadyExistsException", 400},
	errcode.ImageAlreadyExists:        {"ImageAlreadyExistsException", 400},
	errcode.RepositoryAlreadyExists:   {"RepositoryAlreadyExistsException", 400},
	errcode.RepositoryNotEmpty:        {"RepositoryNotEmptyException", 400},
	errcode.LayerAlreadyExists:        {"LayerAlreadyExistsException", 400},
	errcode.LayerInaccessible:         {"LayerInaccessibleException", 400},
	errcode.LayerPartTooSmall:         {"LayerPartTooSmallException", 400},
	errcode.EmptyUpload:               {"EmptyUploadException", 400},
	errcode.PaginationInvalid:         {"InvalidParameterException", 400},
	errcode.InvalidParameter:          {"InvalidParameterException", 400},
	errcode.InvalidTagParameter:       {"InvalidTagParameterException", 400},
	errcode.TooManyTags:               {"TooManyTagsException", 400},
	errcode.LimitExceeded:             {"LimitExceededException", 400},
	errcode.Validation:                {"ValidationException", 400},
	errcode.Unsupported:               {"ValidationException", 400},
	errcode.Denied:                    {"AccessDeniedException", 400},
	errcode.TooManyRequests:           {"ThrottlingException", 400},
	errcode.RepositoryPolicyNotFound:  {"RepositoryPolicyNotFoundException", 400},
	errcode.RegistryPolicyNotFound:    {"RegistryPolicyNotFoundException", 400},
	errcode.MalformedPolicy:           {"InvalidParameterException", 400},
	// IAM's own codes do not arise on the ECR face; these keep the mapping total.
	errcode.EntityNotFound:      {"InvalidParameterException", 400},
	errcode.EntityAlreadyExists: {"InvalidParameterException", 400},
	errcode.DeleteConflict:      {"InvalidParameterException", 400},
	// A key ECR cannot use: its KmsException, kmsError in the detail.
	errcode.KMSError:             {"KmsException", 400},
	errcode.KMSDisabled:          {"KmsException", 400},
	errcode.KMSInvalidCiphertext: {"KmsException", 400},
	errcode.KMSIncorrectKey:      {"KmsException", 400},
}

// shape returns the exception name and status of a code.
func shape(code errcode.Code) exception {
	if name, status, ok := awsproto.AuthErrorShape(code); ok {
		return exception{name, status}
	}
	if e, ok := exceptions[code]; ok {
		return e
	}
	return exceptions[errcode.Internal]
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, requestID string, err error) {
	e := errcode.From(err)
	ex := shape(e.Code)
	message := e.Message
	if e.Code == errcode.Internal {
		h.log.ErrorContext(r.Context(), "ECR request failed", "target", r.Header.Get("X-Amz-Target"), "err", err)
		message = "We encountered an internal error. Please try again."
	} else {
		h.log.DebugContext(r.Context(), "ECR request refused", "target", r.Header.Get("X-Amz-Target"), "err", err)
	}
	extra, _ := e.Detail.(map[string]any)
	awsproto.WriteError(w, requestID, ex.status, ex.name, message, extra)
}
