package ecr

import (
	"bytes"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/registry"
	"github.com/opencontainers/go-digest"
)

const (
	// partSize is the part size InitiateLayerUpload recommends, as ECR does.
	partSize = 10 << 20
	// minPartSize is the smallest part but the last that CompleteLayerUpload accepts.
	minPartSize = 5 << 20
	// maxPartBlob is the largest layerPartBlob of the model.
	maxPartBlob = 20971520
	// downloadURLLifetime is how long a GetDownloadUrlForLayer URL works.
	downloadURLLifetime = time.Hour
)

type layerDigestsInput struct {
	RegistryID     string   `json:"registryId"`
	RepositoryName string   `json:"repositoryName"`
	LayerDigests   []string `json:"layerDigests"`
}

func (h *Handler) batchCheckLayerAvailability(c *call) (any, error) {
	var in layerDigestsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	repo, err := h.repository(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := listLength("layerDigests", len(in.LayerDigests), 1, 100); err != nil {
		return nil, err
	}
	layers, failures := []layerShape{}, []layerFailure{}
	var valid []digest.Digest
	for _, d := range in.LayerDigests {
		switch {
		case d == "":
			failures = append(failures, layerFailure{FailureCode: "MissingLayerDigest",
				FailureReason: "Invalid request parameters: layer digest cannot be null"})
		case !layerDigestPattern.MatchString(d) || digest.Digest(d).Validate() != nil:
			failures = append(failures, layerFailure{LayerDigest: d, FailureCode: "InvalidLayerDigest",
				FailureReason: "Invalid request parameters: layer digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"})
		default:
			valid = append(valid, digest.Digest(d))
		}
	}
	blobs, types, err := h.reg.Layers(c.ctx, repo, valid)
	if err != nil {
		return nil, err
	}
	for _, d := range valid {
		b, ok := blobs[d]
		if !ok {
			layers = append(layers, layerShape{LayerDigest: d.String(), LayerAvailability: "UNAVAILABLE"})
			continue
		}
		layers = append(layers, layerShape{LayerDigest: d.String(), LayerAvailability: "AVAILABLE",
			LayerSize: b.Size, MediaType: types[d]})
	}
	return map[string]any{"layers": layers, "failures": failures}, nil
}

type uploadInput struct {
	RegistryID     string   `json:"registryId"`
	RepositoryName string   `json:"repositoryName"`
	UploadID       string   `json:"uploadId"`
	PartFirstByte  *int64   `json:"partFirstByte"`
	PartLastByte   *int64   `json:"partLastByte"`
	LayerPartBlob  []byte   `json:"layerPartBlob"`
	LayerDigests   []string `json:"layerDigests"`
}

func (h *Handler) initiateLayerUpload(c *call) (any, error) {
	var in uploadInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if _, err := h.reg.Repository(c.ctx, rr); err != nil {
		return nil, err // the ECR API never creates a repository on push
	}
	u, err := h.reg.StartUpload(c.ctx, rr)
	if err != nil {
		return nil, err
	}
	return map[string]any{"uploadId": u.ID, "partSize": partSize}, nil
}

func validateUploadID(id string) error {
	if err := required("uploadId", id != ""); err != nil {
		return err
	}
	if !uploadIDPattern.MatchString(id) {
		return invalid("uploadId", "must satisfy regular expression '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'")
	}
	return nil
}

func (h *Handler) uploadLayerPart(c *call) (any, error) {
	var in uploadInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := validateUploadID(in.UploadID); err != nil {
		return nil, err
	}
	for member, v := range map[string]*int64{"partFirstByte": in.PartFirstByte, "partLastByte": in.PartLastByte} {
		if err := required(member, v != nil); err != nil {
			return nil, err
		}
		if *v < 0 {
			return nil, invalid(member, "Member must have value greater than or equal to 0")
		}
	}
	if err := required("layerPartBlob", in.LayerPartBlob != nil); err != nil {
		return nil, err
	}
	if len(in.LayerPartBlob) > maxPartBlob {
		return nil, invalid("layerPartBlob", "Member must have length less than or equal to %d", maxPartBlob)
	}
	partError := func(err error, lastValid int64) error {
		e := errcode.From(err)
		return (&errcode.Error{Code: errcode.RangeInvalid, Message: e.Message, Err: err}).WithDetail(map[string]any{
			"registryId": rr.Registry, "repositoryName": rr.Name, "uploadId": in.UploadID, "lastValidByteReceived": lastValid})
	}
	first, last := *in.PartFirstByte, *in.PartLastByte
	current, err := h.reg.Upload(c.ctx, rr, in.UploadID)
	if err != nil {
		return nil, err
	}
	if last < first || last-first+1 != int64(len(in.LayerPartBlob)) {
		return nil, partError(errcode.New(errcode.RangeInvalid,
			"The part's bytes %d to %d do not match the %d bytes of layerPartBlob", first, last, len(in.LayerPartBlob)), current.Size-1)
	}
	u, err := h.reg.AppendUpload(c.ctx, rr, in.UploadID, registry.Chunk{Start: first, Length: int64(len(in.LayerPartBlob)),
		Body: bytes.NewReader(in.LayerPartBlob)})
	if errcode.Is(err, errcode.RangeInvalid) || errcode.Is(err, errcode.BlobUploadInvalid) {
		return nil, partError(errcode.New(errcode.RangeInvalid,
			"The part starts at byte %d but the upload has received bytes up to %d; send the part that starts at byte %d",
			first, current.Size-1, current.Size), current.Size-1)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": rr.Registry, "repositoryName": rr.Name, "uploadId": u.ID,
		"lastByteReceived": u.Size - 1}, nil
}

func (h *Handler) completeLayerUpload(c *call) (any, error) {
	var in uploadInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := validateUploadID(in.UploadID); err != nil {
		return nil, err
	}
	if err := listLength("layerDigests", len(in.LayerDigests), 1, 100); err != nil {
		return nil, err
	}
	for _, d := range in.LayerDigests {
		if err := validateLayerDigest("layerDigests.member", d); err != nil {
			return nil, err
		}
	}
	repo, err := h.reg.Repository(c.ctx, rr)
	if err != nil {
		return nil, err
	}
	u, err := h.reg.Upload(c.ctx, rr, in.UploadID)
	if err != nil {
		return nil, err
	}
	if u.Size == 0 {
		return nil, errcode.New(errcode.EmptyUpload, "The upload %s has no layer parts; upload the layer with UploadLayerPart first.", u.ID)
	}
	if u.SmallestChunk > 0 && u.SmallestChunk < minPartSize {
		return nil, errcode.New(errcode.LayerPartTooSmall, "Layer parts must be at least 5 MiB in size.")
	}
	want := digest.Digest(in.LayerDigests[0])
	blobs, _, err := h.reg.Layers(c.ctx, repo, []digest.Digest{want})
	if err != nil {
		return nil, err
	}
	if _, ok := blobs[want]; ok {
		if err := h.reg.CancelUpload(c.ctx, rr, u.ID); err != nil {
			return nil, err
		}
		return nil, errcode.New(errcode.LayerAlreadyExists,
			"The image layer '%s' already exists in the repository with name '%s' in registry with id '%s'", want, rr.Name, rr.Registry)
	}
	b, err := h.reg.CompleteUpload(c.ctx, rr, u.ID, want.String(), registry.Chunk{Start: -1, Length: 0, Body: bytes.NewReader(nil)})
	if errcode.Is(err, errcode.BlobDigestMismatch) {
		return nil, errcode.New(errcode.BlobDigestMismatch,
			"The layer digest calculated for the upload does not match the provided digest %s: %s", want, errcode.From(err).Message)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": rr.Registry, "repositoryName": rr.Name, "uploadId": u.ID,
		"layerDigest": b.Digest.String()}, nil
}

type layerDigestInput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	LayerDigest    string `json:"layerDigest"`
}

// getDownloadURLForLayer returns a presigned URL that downloads the layer without
// other credentials, as ECR's S3 URL does.
func (h *Handler) getDownloadURLForLayer(c *call) (any, error) {
	var in layerDigestInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	repo, err := h.repository(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := required("layerDigest", in.LayerDigest != ""); err != nil {
		return nil, err
	}
	if err := validateLayerDigest("layerDigest", in.LayerDigest); err != nil {
		return nil, err
	}
	d := digest.Digest(in.LayerDigest)
	blobs, types, err := h.reg.Layers(c.ctx, repo, []digest.Digest{d})
	if err != nil {
		return nil, err
	}
	if _, ok := blobs[d]; !ok {
		return nil, errcode.New(errcode.BlobUnknown,
			"The layer with digest '%s' does not exist in the repository with name '%s' in the registry with id '%s'",
			d, repo.Name, repo.RegistryID)
	}
	if _, ok := types[d]; !ok {
		return nil, errcode.New(errcode.LayerInaccessible,
			"The specified layer is not associated with an image. Unassociated image layers may be cleaned up at any time.")
	}
	q := h.id.Keys().PresignBlob(repo.RegistryID, repo.Name, d.String(), h.now().Add(downloadURLLifetime))
	url := c.proxyEndpoint(h, repo.RegistryID) + "/v2/" + repo.Name + "/blobs/" + d.String() + "?" + q.Encode()
	return map[string]any{"downloadUrl": url, "layerDigest": d.String()}, nil
}
