package ecr

import (
	"encoding/base64"
	"encoding/json"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/meta"
)

// Wire shapes of the ECR model (botocore ecr 2015-09-21). Optional members are
// omitted when empty, as ECR omits them.

type exclusionFilter struct {
	FilterType string `json:"filterType"`
	Filter     string `json:"filter"`
}

type scanningConfiguration struct {
	ScanOnPush bool `json:"scanOnPush"`
}

type encryptionConfiguration struct {
	EncryptionType string `json:"encryptionType"`
	KMSKey         string `json:"kmsKey,omitempty"`
}

type repositoryShape struct {
	RepositoryArn                      string                  `json:"repositoryArn"`
	RegistryID                         string                  `json:"registryId"`
	RepositoryName                     string                  `json:"repositoryName"`
	RepositoryURI                      string                  `json:"repositoryUri"`
	CreatedAt                          awsproto.Time           `json:"createdAt"`
	ImageTagMutability                 string                  `json:"imageTagMutability"`
	ImageTagMutabilityExclusionFilters []exclusionFilter       `json:"imageTagMutabilityExclusionFilters,omitempty"`
	ImageScanningConfiguration         scanningConfiguration   `json:"imageScanningConfiguration"`
	EncryptionConfiguration            encryptionConfiguration `json:"encryptionConfiguration"`
}

func (h *Handler) repositoryShape(c *call, r meta.Repository) repositoryShape {
	out := repositoryShape{
		RepositoryArn:              h.repositoryARN(r.RegistryID, r.Name),
		RegistryID:                 r.RegistryID,
		RepositoryName:             r.Name,
		RepositoryURI:              c.host(h, r.RegistryID) + "/" + r.Name,
		CreatedAt:                  awsproto.Time{Time: r.CreatedAt},
		ImageTagMutability:         r.TagMutability,
		ImageScanningConfiguration: scanningConfiguration{ScanOnPush: r.ScanOnPush},
		EncryptionConfiguration:    encryptionConfiguration{EncryptionType: r.EncryptionType, KMSKey: r.KMSKey},
	}
	out.ImageTagMutabilityExclusionFilters = exclusionFilters(r.MutabilityExclusions)
	return out
}

func exclusionFilters(filters []string) []exclusionFilter {
	var out []exclusionFilter
	for _, f := range filters {
		out = append(out, exclusionFilter{FilterType: "WILDCARD", Filter: f})
	}
	return out
}

type resourceTag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type imageIdentifier struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

type imageFailure struct {
	ImageID       imageIdentifier `json:"imageId"`
	FailureCode   string          `json:"failureCode"`
	FailureReason string          `json:"failureReason"`
}

type imageShape struct {
	RegistryID             string          `json:"registryId"`
	RepositoryName         string          `json:"repositoryName"`
	ImageID                imageIdentifier `json:"imageId"`
	ImageManifest          string          `json:"imageManifest"`
	ImageManifestMediaType string          `json:"imageManifestMediaType"`
}

type imageDetail struct {
	RegistryID             string         `json:"registryId"`
	RepositoryName         string         `json:"repositoryName"`
	ImageDigest            string         `json:"imageDigest"`
	ImageTags              []string       `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64          `json:"imageSizeInBytes"`
	ImagePushedAt          awsproto.Time  `json:"imagePushedAt"`
	ImageManifestMediaType string         `json:"imageManifestMediaType"`
	ArtifactMediaType      string         `json:"artifactMediaType,omitempty"`
	LastRecordedPullTime   *awsproto.Time `json:"lastRecordedPullTime,omitempty"`
	SubjectManifestDigest  string         `json:"subjectManifestDigest,omitempty"`
	ImageStatus            string         `json:"imageStatus"`
}

func imageDetailShape(registryID, repository string, img meta.Image) imageDetail {
	d := imageDetail{
		RegistryID:             registryID,
		RepositoryName:         repository,
		ImageDigest:            img.Digest.String(),
		ImageTags:              img.Tags,
		ImageSizeInBytes:       img.ImageSize,
		ImagePushedAt:          awsproto.Time{Time: img.PushedAt},
		ImageManifestMediaType: img.MediaType,
		ArtifactMediaType:      img.ConfigMediaType,
		SubjectManifestDigest:  img.Subject.String(),
		ImageStatus:            "ACTIVE",
	}
	if !img.LastPulledAt.IsZero() {
		d.LastRecordedPullTime = &awsproto.Time{Time: img.LastPulledAt}
	}
	return d
}

type layerShape struct {
	LayerDigest       string `json:"layerDigest"`
	LayerAvailability string `json:"layerAvailability"`
	LayerSize         int64  `json:"layerSize,omitempty"`
	MediaType         string `json:"mediaType,omitempty"`
}

type layerFailure struct {
	LayerDigest   string `json:"layerDigest,omitempty"`
	FailureCode   string `json:"failureCode"`
	FailureReason string `json:"failureReason"`
}

// nextToken is an opaque pagination token: the position after which the next page
// starts, for one operation.
type nextToken struct {
	Op    string `json:"o"`
	After string `json:"a,omitempty"`
	Tag   string `json:"t,omitempty"`
}

func (t nextToken) encode() *string {
	b, _ := json.Marshal(t)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeToken reads a nextToken that op issued; nil means the first page.
func decodeToken(op string, s *string) (nextToken, error) {
	if s == nil || *s == "" {
		return nextToken{Op: op}, nil
	}
	var t nextToken
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Op != op {
		return nextToken{}, invalid("nextToken", "Invalid NextToken: use the nextToken of the previous %s response", op)
	}
	return t, nil
}
