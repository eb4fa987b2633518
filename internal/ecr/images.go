package ecr

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/registry"
	"github.com/opencontainers/go-digest"
)

type listFilter struct {
	TagStatus   *string `json:"tagStatus"`
	ImageStatus *string `json:"imageStatus"`
}

// tagStatus reads a filter's tagStatus (default ANY) and checks its imageStatus: berth
// has no archived images, so only ACTIVE and ANY select anything.
func (f *listFilter) statuses() (meta.TagStatus, bool, error) {
	status := meta.AnyTagStatus
	if f == nil {
		return status, true, nil
	}
	if f.TagStatus != nil {
		if err := oneOf("filter.tagStatus", *f.TagStatus, "TAGGED", "UNTAGGED", "ANY"); err != nil {
			return 0, false, err
		}
		switch *f.TagStatus {
		case "TAGGED":
			status = meta.Tagged
		case "UNTAGGED":
			status = meta.Untagged
		}
	}
	if f.ImageStatus != nil {
		if err := oneOf("filter.imageStatus", *f.ImageStatus, "ACTIVE", "ARCHIVED", "ACTIVATING", "ANY"); err != nil {
			return 0, false, err
		}
		return status, *f.ImageStatus == "ACTIVE" || *f.ImageStatus == "ANY", nil
	}
	return status, true, nil
}

// repository resolves and loads the repository a call names.
func (h *Handler) repository(c *call, registryID, name string) (meta.Repository, error) {
	rr, err := h.repoRef(c, registryID, name)
	if err != nil {
		return meta.Repository{}, err
	}
	return h.reg.Repository(c.ctx, rr)
}

type listImagesInput struct {
	RegistryID     string      `json:"registryId"`
	RepositoryName string      `json:"repositoryName"`
	NextToken      *string     `json:"nextToken"`
	MaxResults     *int        `json:"maxResults"`
	Filter         *listFilter `json:"filter"`
}

func (h *Handler) listImages(c *call) (any, error) {
	var in listImagesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	repo, err := h.repository(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults, 1000, 100)
	if err != nil {
		return nil, err
	}
	status, selects, err := in.Filter.statuses()
	if err != nil {
		return nil, err
	}
	tok, err := decodeToken(c.op, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := []imageIdentifier{}
	if !selects {
		return map[string]any{"imageIds": out}, nil
	}
	ids, more, err := h.reg.ImageIDsPage(c.ctx, repo, status, meta.ImageID{Digest: digest.Digest(tok.After), Tag: tok.Tag}, limit)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		out = append(out, imageIdentifier{ImageDigest: id.Digest.String(), ImageTag: id.Tag})
	}
	resp := map[string]any{"imageIds": out}
	if more {
		last := ids[len(ids)-1]
		resp["nextToken"] = nextToken{Op: c.op, After: last.Digest.String(), Tag: last.Tag}.encode()
	}
	return resp, nil
}

type describeImagesInput struct {
	RegistryID     string             `json:"registryId"`
	RepositoryName string             `json:"repositoryName"`
	ImageIDs       *[]imageIdentifier `json:"imageIds"`
	NextToken      *string            `json:"nextToken"`
	MaxResults     *int               `json:"maxResults"`
	Filter         *listFilter        `json:"filter"`
}

func (h *Handler) describeImages(c *call) (any, error) {
	var in describeImagesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	repo, err := h.repository(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	status, selects, err := in.Filter.statuses()
	if err != nil {
		return nil, err
	}
	details := []imageDetail{}
	if in.ImageIDs != nil {
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, invalid("imageIds", "imageIds cannot be combined with nextToken or maxResults")
		}
		images, err := h.imagesByID(c, repo, *in.ImageIDs)
		if err != nil {
			return nil, err
		}
		for _, img := range images {
			details = append(details, imageDetailShape(repo.RegistryID, repo.Name, img))
		}
		return map[string]any{"imageDetails": details}, nil
	}
	limit, err := maxResults(in.MaxResults, 1000, 100)
	if err != nil {
		return nil, err
	}
	tok, err := decodeToken(c.op, in.NextToken)
	if err != nil {
		return nil, err
	}
	if !selects {
		return map[string]any{"imageDetails": details}, nil
	}
	images, more, err := h.reg.ImagesPage(c.ctx, repo, status, digest.Digest(tok.After), limit)
	if err != nil {
		return nil, err
	}
	for _, img := range images {
		details = append(details, imageDetailShape(repo.RegistryID, repo.Name, img))
	}
	resp := map[string]any{"imageDetails": details}
	if more {
		resp["nextToken"] = nextToken{Op: c.op, After: images[len(images)-1].Digest.String()}.encode()
	}
	return resp, nil
}

// imagesByID resolves DescribeImages' imageIds; any that is not found fails the call
// with ImageNotFoundException, as ECR does.
func (h *Handler) imagesByID(c *call, repo meta.Repository, ids []imageIdentifier) ([]meta.Image, error) {
	if err := listLength("imageIds", len(ids), 1, 100); err != nil {
		return nil, err
	}
	var digests []digest.Digest
	seen := map[digest.Digest]bool{}
	for _, id := range ids {
		d, err := h.resolveID(c, repo, id)
		if err != nil {
			return nil, err
		}
		if !seen[d] {
			seen[d] = true
			digests = append(digests, d)
		}
	}
	images, err := h.reg.ImagesByDigest(c.ctx, repo, digests)
	if err != nil {
		return nil, err
	}
	if len(images) != len(digests) {
		found := map[digest.Digest]bool{}
		for _, img := range images {
			found[img.Digest] = true
		}
		for _, d := range digests {
			if !found[d] {
				return nil, imageNotFound(repo, imageIdentifier{ImageDigest: d.String()})
			}
		}
	}
	return images, nil
}

// resolveID finds the digest an image id names, checking that its tag and digest agree.
func (h *Handler) resolveID(c *call, repo meta.Repository, id imageIdentifier) (digest.Digest, error) {
	if id.ImageDigest == "" && id.ImageTag == "" {
		return "", invalid("imageIds", "Invalid request parameters: both tag and digest cannot be null")
	}
	if id.ImageTag == "" {
		d, err := registry.ParseDigest(id.ImageDigest)
		if err != nil {
			return "", imageNotFound(repo, id)
		}
		return d, nil
	}
	m, err := h.reg.ResolveTag(c.ctx, repo, id.ImageTag)
	if err != nil {
		if errcode.Is(err, errcode.ManifestUnknown) {
			return "", imageNotFound(repo, id)
		}
		return "", err
	}
	if id.ImageDigest != "" && id.ImageDigest != m.Digest.String() {
		return "", imageNotFound(repo, id)
	}
	return m.Digest, nil
}

func imageNotFound(repo meta.Repository, id imageIdentifier) error {
	d, t := id.ImageDigest, id.ImageTag
	if d == "" {
		d = "null"
	}
	if t == "" {
		t = "null"
	}
	return errcode.New(errcode.ManifestUnknown,
		"The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
		d, t, repo.Name, repo.RegistryID)
}

type batchGetImageInput struct {
	RegistryID         string            `json:"registryId"`
	RepositoryName     string            `json:"repositoryName"`
	ImageIDs           []imageIdentifier `json:"imageIds"`
	AcceptedMediaTypes *[]string         `json:"acceptedMediaTypes"`
}

func (h *Handler) batchGetImage(c *call) (any, error) {
	var in batchGetImageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	repo, err := h.repository(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := listLength("imageIds", len(in.ImageIDs), 1, 100); err != nil {
		return nil, err
	}
	var accept []string
	if in.AcceptedMediaTypes != nil {
		if err := listLength("acceptedMediaTypes", len(*in.AcceptedMediaTypes), 1, 100); err != nil {
			return nil, err
		}
		accept = []string{strings.Join(*in.AcceptedMediaTypes, ", ")}
	}
	images, failures := []imageShape{}, []imageFailure{}
	for _, id := range in.ImageIDs {
		if f := imageIDFailure(id); f != nil {
			failures = append(failures, *f)
			continue
		}
		ref := id.ImageDigest
		if id.ImageTag != "" {
			ref = id.ImageTag
		}
		m, err := h.reg.ServeManifest(c.ctx, repo, ref, accept)
		if errcode.Is(err, errcode.ManifestUnknown) || errcode.Is(err, errcode.DigestInvalid) || errcode.Is(err, errcode.TagInvalid) {
			failures = append(failures, imageFailure{ImageID: id, FailureCode: "ImageNotFound", FailureReason: "Requested image not found"})
			continue
		}
		if errcode.Is(err, errcode.KMSError) {
			// The repository's KMS key cannot be used (disabled): ECR's per-image KmsError.
			failures = append(failures, imageFailure{ImageID: id, FailureCode: "KmsError", FailureReason: errcode.From(err).Message})
			continue
		}
		if err != nil {
			return nil, err
		}
		if id.ImageTag != "" && id.ImageDigest != "" && id.ImageDigest != m.Stored.String() {
			failures = append(failures, imageFailure{ImageID: id, FailureCode: "ImageTagDoesNotMatchDigest",
				FailureReason: "Invalid request parameters: the image tag does not point to the image digest"})
			continue
		}
		h.reg.RecordPull(c.ctx, repo.ID, m.Stored)
		images = append(images, imageShape{RegistryID: repo.RegistryID, RepositoryName: repo.Name,
			ImageID:       imageIdentifier{ImageDigest: m.Digest.String(), ImageTag: id.ImageTag},
			ImageManifest: string(m.Payload), ImageManifestMediaType: m.MediaType})
	}
	return map[string]any{"images": images, "failures": failures}, nil
}

// imageIDFailure checks the form of an image id of a batch operation.
func imageIDFailure(id imageIdentifier) *imageFailure {
	switch {
	case id.ImageDigest == "" && id.ImageTag == "":
		return &imageFailure{ImageID: id, FailureCode: "MissingDigestAndTag",
			FailureReason: "Invalid request parameters: both tag and digest cannot be null"}
	case id.ImageDigest != "" && !layerDigestPattern.MatchString(id.ImageDigest):
		return &imageFailure{ImageID: id, FailureCode: "InvalidImageDigest",
			FailureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"}
	case id.ImageTag != "" && len(id.ImageTag) > 300:
		return &imageFailure{ImageID: id, FailureCode: "InvalidImageTag",
			FailureReason: "Invalid request parameters: image tag should be 1 to 300 characters"}
	}
	return nil
}

type putImageInput struct {
	RegistryID             string `json:"registryId"`
	RepositoryName         string `json:"repositoryName"`
	ImageManifest          string `json:"imageManifest"`
	ImageManifestMediaType string `json:"imageManifestMediaType"`
	ImageTag               string `json:"imageTag"`
	ImageDigest            string `json:"imageDigest"`
}

func (h *Handler) putImage(c *call) (any, error) {
	var in putImageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := required("imageManifest", in.ImageManifest != ""); err != nil {
		return nil, err
	}
	if err := stringLength("imageManifest", in.ImageManifest, 1, 4194304); err != nil {
		return nil, err
	}
	declared, ok := declaredMediaType(in.ImageManifest)
	if in.ImageManifestMediaType == "" && !ok {
		return nil, invalid("imageManifestMediaType", "image manifest media type not provided in manifest or parameter")
	}
	if in.ImageManifestMediaType != "" && declared != "" && declared != in.ImageManifestMediaType {
		return nil, invalid("imageManifestMediaType", "imageManifestMediaType %s does not match the manifest's mediaType %s",
			in.ImageManifestMediaType, declared)
	}
	req := registry.PutRequest{Digest: in.ImageDigest, ContentType: in.ImageManifestMediaType,
		Body: strings.NewReader(in.ImageManifest)}
	if in.ImageTag != "" {
		if err := validateImageTag("imageTag", in.ImageTag); err != nil {
			return nil, err
		}
		req.Tags = []string{in.ImageTag}
	}
	if in.ImageDigest != "" {
		if err := validateLayerDigest("imageDigest", in.ImageDigest); err != nil {
			return nil, err
		}
	}
	if _, err := h.reg.Repository(c.ctx, rr); err != nil {
		return nil, err // PutImage never creates a repository
	}
	out, err := h.reg.PutManifest(c.ctx, rr, req)
	if errcode.Is(err, errcode.ManifestDigestMismatch) {
		return nil, errcode.New(errcode.ManifestDigestMismatch,
			"Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The provided image digest %s does not match the digest of the image manifest'",
			in.ImageDigest)
	}
	if err != nil {
		return nil, err
	}
	if !out.Created && len(out.MovedTags) == 0 {
		tag := in.ImageTag
		if tag == "" {
			tag = "null"
		}
		return nil, errcode.New(errcode.ImageAlreadyExists,
			"Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'",
			out.Digest, tag, rr.Name, rr.Registry)
	}
	return map[string]any{"image": imageShape{RegistryID: rr.Registry, RepositoryName: rr.Name,
		ImageID:       imageIdentifier{ImageDigest: out.Digest.String(), ImageTag: in.ImageTag},
		ImageManifest: in.ImageManifest, ImageManifestMediaType: out.MediaType}}, nil
}

// declaredMediaType returns a manifest's mediaType member, and whether the manifest
// declares its type at all (schema1 declares it by its signatures).
func declaredMediaType(manifest string) (string, bool) {
	var probe struct {
		MediaType     string `json:"mediaType"`
		SchemaVersion int    `json:"schemaVersion"`
	}
	if json.Unmarshal([]byte(manifest), &probe) != nil {
		return "", false
	}
	return probe.MediaType, probe.MediaType != "" || probe.SchemaVersion == 1
}

type batchDeleteImageInput struct {
	RegistryID     string            `json:"registryId"`
	RepositoryName string            `json:"repositoryName"`
	ImageIDs       []imageIdentifier `json:"imageIds"`
}

// batchDeleteImage untags (by tag) or deletes (by digest) images, as ECR does: an
// image that loses its last tag is deleted too.
func (h *Handler) batchDeleteImage(c *call) (any, error) {
	var in batchDeleteImageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	repo, err := h.repository(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := listLength("imageIds", len(in.ImageIDs), 1, 100); err != nil {
		return nil, err
	}
	deleted, failures := []imageIdentifier{}, []imageFailure{}
	notFound := func(id imageIdentifier) {
		failures = append(failures, imageFailure{ImageID: id, FailureCode: "ImageNotFound", FailureReason: "Requested image not found"})
	}
	for _, id := range in.ImageIDs {
		if f := imageIDFailure(id); f != nil {
			failures = append(failures, *f)
			continue
		}
		if id.ImageDigest == "" {
			d, err := h.reg.UntagImage(c.ctx, repo, id.ImageTag)
			if errcode.Is(err, errcode.ManifestUnknown) {
				notFound(id)
				continue
			}
			if err != nil {
				return nil, err
			}
			deleted = append(deleted, imageIdentifier{ImageDigest: d.String(), ImageTag: id.ImageTag})
			continue
		}
		d, err := registry.ParseDigest(id.ImageDigest)
		if err != nil {
			notFound(id)
			continue
		}
		if id.ImageTag != "" {
			m, err := h.reg.ResolveTag(c.ctx, repo, id.ImageTag)
			if err != nil || m.Digest != d {
				notFound(id)
				continue
			}
		}
		tags, err := h.reg.DeleteImage(c.ctx, repo, d)
		switch {
		case errcode.Is(err, errcode.ManifestUnknown):
			notFound(id)
		case errcode.Is(err, errcode.Referenced):
			failures = append(failures, imageFailure{ImageID: id, FailureCode: "ImageReferencedByManifestList",
				FailureReason: errcode.From(err).Message})
		case err != nil:
			return nil, err
		case len(tags) == 0:
			deleted = append(deleted, imageIdentifier{ImageDigest: d.String()})
		default:
			for _, t := range tags {
				deleted = append(deleted, imageIdentifier{ImageDigest: d.String(), ImageTag: t})
			}
		}
	}
	return map[string]any{"imageIds": deleted, "failures": failures}, nil
}

type listImageReferrersInput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	SubjectID      *struct {
		ImageDigest string `json:"imageDigest"`
	} `json:"subjectId"`
	Filter *struct {
		ArtifactTypes  *[]string `json:"artifactTypes"`
		ArtifactStatus *string   `json:"artifactStatus"`
	} `json:"filter"`
	NextToken  *string `json:"nextToken"`
	MaxResults *int    `json:"maxResults"`
}

type referrerShape struct {
	Digest         string            `json:"digest"`
	MediaType      string            `json:"mediaType"`
	ArtifactType   string            `json:"artifactType,omitempty"`
	Size           int64             `json:"size"`
	Annotations    map[string]string `json:"annotations,omitempty"`
	ArtifactStatus string            `json:"artifactStatus"`
}

func (h *Handler) listImageReferrers(c *call) (any, error) {
	var in listImageReferrersInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rr, err := h.repoRef(c, in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := required("subjectId", in.SubjectID != nil); err != nil {
		return nil, err
	}
	if err := validateLayerDigest("subjectId.imageDigest", in.SubjectID.ImageDigest); err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults, 50, 20)
	if err != nil {
		return nil, err
	}
	tok, err := decodeToken(c.op, in.NextToken)
	if err != nil {
		return nil, err
	}
	types := map[string]bool{}
	if f := in.Filter; f != nil {
		if f.ArtifactTypes != nil {
			if err := listLength("filter.artifactTypes", len(*f.ArtifactTypes), 0, 5); err != nil {
				return nil, err
			}
			for _, t := range *f.ArtifactTypes {
				if err := stringLength("filter.artifactTypes.member", t, 1, 255); err != nil {
					return nil, err
				}
				types[t] = true
			}
		}
		if f.ArtifactStatus != nil {
			if err := oneOf("filter.artifactStatus", *f.ArtifactStatus, "ACTIVE", "ARCHIVED", "ACTIVATING", "ANY"); err != nil {
				return nil, err
			}
			if *f.ArtifactStatus != "ACTIVE" && *f.ArtifactStatus != "ANY" {
				return map[string]any{"referrers": []referrerShape{}}, nil
			}
		}
	}
	if _, err := h.reg.Repository(c.ctx, rr); err != nil {
		return nil, err
	}
	refs, err := h.reg.Referrers(c.ctx, rr, in.SubjectID.ImageDigest, "")
	if err != nil {
		return nil, err
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Digest < refs[j].Digest })
	out := []referrerShape{}
	more := false
	for _, d := range refs {
		if d.Digest.String() <= tok.After || (len(types) > 0 && !types[d.ArtifactType]) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, referrerShape{Digest: d.Digest.String(), MediaType: d.MediaType, ArtifactType: d.ArtifactType,
			Size: d.Size, Annotations: d.Annotations, ArtifactStatus: "ACTIVE"})
	}
	resp := map[string]any{"referrers": out}
	if more {
		resp["nextToken"] = nextToken{Op: c.op, After: out[len(out)-1].Digest}.encode()
	}
	return resp, nil
}
