package e2e

// aws-sdk-go-v2's ECR client (pinned in go.mod) against berth: every operation, its typed
// exceptions through errors.As, and the paginators.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
)

// sdkError checks that err is the SDK's modeled exception T, with a message, and returns it.
func sdkError[T any, P interface {
	*T
	smithy.APIError
}](t testing.TB, what string, err error) P {
	t.Helper()
	var target P
	if !errors.As(err, &target) {
		t.Fatalf("%s: error %v (%T), want %T", what, err, err, target)
	}
	if strings.TrimSpace(target.ErrorMessage()) == "" {
		t.Errorf("%s: %s has no message", what, target.ErrorCode())
	}
	return target
}

// sdkUploadLayer uploads data through InitiateLayerUpload, UploadLayerPart (parts of partSize)
// and CompleteLayerUpload, and returns its digest.
func sdkUploadLayer(t testing.TB, c *ecr.Client, repo string, data []byte, partSize int) string {
	t.Helper()
	ctx := t.Context()
	up, err := c.InitiateLayerUpload(ctx, &ecr.InitiateLayerUploadInput{RepositoryName: aws.String(repo)})
	if err != nil {
		t.Fatalf("InitiateLayerUpload: %v", err)
	}
	for first := 0; first < len(data); first += partSize {
		last := min(first+partSize, len(data)) - 1
		out, err := c.UploadLayerPart(ctx, &ecr.UploadLayerPartInput{RepositoryName: aws.String(repo), UploadId: up.UploadId,
			PartFirstByte: aws.Int64(int64(first)), PartLastByte: aws.Int64(int64(last)), LayerPartBlob: data[first : last+1]})
		if err != nil {
			t.Fatalf("UploadLayerPart %d-%d: %v", first, last, err)
		}
		if aws.ToInt64(out.LastByteReceived) != int64(last) {
			t.Errorf("UploadLayerPart: lastByteReceived %d, want %d", aws.ToInt64(out.LastByteReceived), last)
		}
	}
	d := sha256Digest(data)
	out, err := c.CompleteLayerUpload(ctx, &ecr.CompleteLayerUploadInput{RepositoryName: aws.String(repo), UploadId: up.UploadId,
		LayerDigests: []string{d}})
	if err != nil {
		t.Fatalf("CompleteLayerUpload: %v", err)
	}
	if aws.ToString(out.LayerDigest) != d || aws.ToString(out.UploadId) != aws.ToString(up.UploadId) {
		t.Errorf("CompleteLayerUpload: layerDigest %s uploadId %s, want %s %s", aws.ToString(out.LayerDigest), aws.ToString(out.UploadId), d, aws.ToString(up.UploadId))
	}
	return d
}

func TestECRSDKOperations(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := ecrSDK(t, s)
	ctx := t.Context()
	acct, repo := s.AccountID, "sdk/app"
	arn := "arn:aws:ecr:us-east-1:" + acct + ":repository/" + repo
	img := newECRImage(t, "sdk", 64<<10, 32<<10)

	t.Run("CreateRepository", func(t *testing.T) {
		out, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{
			RepositoryName:     aws.String(repo),
			Tags:               []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
			ImageTagMutability: types.ImageTagMutabilityMutableWithExclusion,
			ImageTagMutabilityExclusionFilters: []types.ImageTagMutabilityExclusionFilter{
				{FilterType: types.ImageTagMutabilityExclusionFilterTypeWildcard, Filter: aws.String("release-*")}},
			ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
			EncryptionConfiguration:    &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeAes256},
		})
		if err != nil {
			t.Fatalf("CreateRepository: %v", err)
		}
		r := out.Repository
		if aws.ToString(r.RepositoryArn) != arn || aws.ToString(r.RegistryId) != acct || aws.ToString(r.RepositoryUri) != s.Addr+"/"+repo ||
			r.ImageTagMutability != types.ImageTagMutabilityMutableWithExclusion || len(r.ImageTagMutabilityExclusionFilters) != 1 ||
			!r.ImageScanningConfiguration.ScanOnPush || r.EncryptionConfiguration.EncryptionType != types.EncryptionTypeAes256 {
			t.Errorf("CreateRepository: %+v", r)
		}
		if r.CreatedAt == nil || time.Since(*r.CreatedAt).Abs() > 5*time.Minute {
			t.Errorf("createdAt %v is not now", r.CreatedAt)
		}
		_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)})
		sdkError[types.RepositoryAlreadyExistsException](t, "CreateRepository twice", err)
		_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("sdk/tags"),
			Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}})
		sdkError[types.InvalidTagParameterException](t, "CreateRepository with a 129-character tag key", err)
	})
	t.Run("DescribeRepositories", func(t *testing.T) {
		out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: aws.String(acct), RepositoryNames: []string{repo}})
		if err != nil || len(out.Repositories) != 1 || aws.ToString(out.Repositories[0].RepositoryName) != repo {
			t.Fatalf("DescribeRepositories: %+v %v", out, err)
		}
		_, err = c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"sdk/nope"}})
		e := sdkError[types.RepositoryNotFoundException](t, "DescribeRepositories of a missing repository", err)
		if !strings.Contains(e.ErrorMessage(), "'sdk/nope'") {
			t.Errorf("message %q does not name the repository", e.ErrorMessage())
		}
	})
	t.Run("layer upload", func(t *testing.T) {
		sdkUploadLayer(t, c, repo, img.config, 1<<20)
		for _, l := range img.layers {
			sdkUploadLayer(t, c, repo, l, 1<<20)
		}
		_, err := c.UploadLayerPart(ctx, &ecr.UploadLayerPartInput{RepositoryName: aws.String(repo),
			UploadId: aws.String("00000000-0000-4000-8000-000000000000"), PartFirstByte: aws.Int64(0), PartLastByte: aws.Int64(0), LayerPartBlob: []byte("x")})
		sdkError[types.UploadNotFoundException](t, "UploadLayerPart of an unknown upload", err)
		up, err := c.InitiateLayerUpload(ctx, &ecr.InitiateLayerUploadInput{RepositoryName: aws.String(repo)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.UploadLayerPart(ctx, &ecr.UploadLayerPartInput{RepositoryName: aws.String(repo), UploadId: up.UploadId,
			PartFirstByte: aws.Int64(10), PartLastByte: aws.Int64(12), LayerPartBlob: []byte("abc")})
		e := sdkError[types.InvalidLayerPartException](t, "UploadLayerPart that does not start at 0", err)
		if aws.ToInt64(e.LastValidByteReceived) != -1 || aws.ToString(e.UploadId) != aws.ToString(up.UploadId) || aws.ToString(e.RepositoryName) != repo {
			t.Errorf("InvalidLayerPartException: lastValidByteReceived %d uploadId %s repositoryName %s, want -1 %s %s",
				aws.ToInt64(e.LastValidByteReceived), aws.ToString(e.UploadId), aws.ToString(e.RepositoryName), aws.ToString(up.UploadId), repo)
		}
		_, err = c.CompleteLayerUpload(ctx, &ecr.CompleteLayerUploadInput{RepositoryName: aws.String(repo), UploadId: up.UploadId,
			LayerDigests: []string{sha256Digest(nil)}})
		sdkError[types.EmptyUploadException](t, "CompleteLayerUpload with no parts", err)
	})
	t.Run("BatchCheckLayerAvailability", func(t *testing.T) {
		out, err := c.BatchCheckLayerAvailability(ctx, &ecr.BatchCheckLayerAvailabilityInput{RepositoryName: aws.String(repo),
			LayerDigests: []string{sha256Digest(img.layers[0]), sha256Digest([]byte("nothing"))}})
		if err != nil || len(out.Layers) != 2 || len(out.Failures) != 0 {
			t.Fatalf("BatchCheckLayerAvailability: %+v %v", out, err)
		}
		if l := out.Layers[0]; l.LayerAvailability != types.LayerAvailabilityAvailable || aws.ToInt64(l.LayerSize) != int64(len(img.layers[0])) {
			t.Errorf("uploaded layer %+v", l)
		}
		if l := out.Layers[1]; l.LayerAvailability != types.LayerAvailabilityUnavailable {
			t.Errorf("missing layer %+v", l)
		}
	})
	t.Run("PutImage", func(t *testing.T) {
		out, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(img.manifest)),
			ImageTag: aws.String("v1"), ImageDigest: aws.String(img.digest)})
		if err != nil {
			t.Fatalf("PutImage: %v", err)
		}
		if aws.ToString(out.Image.ImageId.ImageDigest) != img.digest || aws.ToString(out.Image.ImageId.ImageTag) != "v1" ||
			aws.ToString(out.Image.ImageManifestMediaType) != mtOCIManifest || aws.ToString(out.Image.RegistryId) != acct {
			t.Errorf("PutImage: %+v", out.Image)
		}
		put := func(tag, manifest string) error {
			_, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String(tag)})
			return err
		}
		sdkError[types.ImageAlreadyExistsException](t, "PutImage of the same image and tag", put("v1", string(img.manifest)))
		if err := put("v2", string(img.manifest)); err != nil {
			t.Errorf("retag v2: %v", err)
		}
		// release-* tags are immutable in this MUTABLE_WITH_EXCLUSION repository.
		if err := put("release-1", string(img.manifest)); err != nil {
			t.Fatalf("PutImage release-1: %v", err)
		}
		other := img.variant(t, "other")
		e := sdkError[types.ImageTagAlreadyExistsException](t, "moving an immutable tag", put("release-1", string(other.manifest)))
		if !strings.Contains(e.ErrorMessage(), "release-1") {
			t.Errorf("message %q does not name the tag", e.ErrorMessage())
		}
		if err := put("v1", string(other.manifest)); err != nil {
			t.Errorf("moving the mutable tag v1: %v", err)
		}
		if err := put("v1", string(img.manifest)); err != nil {
			t.Errorf("moving v1 back: %v", err)
		}
		_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(img.manifest)),
			ImageTag: aws.String("v9"), ImageDigest: aws.String("sha256:" + strings.Repeat("4", 64))})
		sdkError[types.ImageDigestDoesNotMatchException](t, "PutImage with another digest", err)
		sdkError[types.LayersNotFoundException](t, "PutImage with missing layers", put("v9", string(newECRImage(t, "x", 8).manifest)))
		idx, _ := json.Marshal(manifest{SchemaVersion: 2, MediaType: mtOCIIndex,
			Manifests: []descriptor{{MediaType: mtOCIManifest, Digest: "sha256:" + strings.Repeat("5", 64), Size: 10}}})
		sdkError[types.ReferencedImagesNotFoundException](t, "PutImage of an index of missing images", put("v9", string(idx)))
		_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("sdk/nope"), ImageManifest: aws.String(string(img.manifest))})
		sdkError[types.RepositoryNotFoundException](t, "PutImage to a missing repository", err)
	})
	t.Run("DescribeImages and ListImages", func(t *testing.T) {
		out, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo),
			ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}}})
		if err != nil || len(out.ImageDetails) != 1 {
			t.Fatalf("DescribeImages: %+v %v", out, err)
		}
		d := out.ImageDetails[0]
		slices.Sort(d.ImageTags)
		if aws.ToString(d.ImageDigest) != img.digest || !slices.Equal(d.ImageTags, []string{"release-1", "v1", "v2"}) ||
			aws.ToInt64(d.ImageSizeInBytes) != img.layerSize || aws.ToString(d.ArtifactMediaType) != mtOCIConfig ||
			d.ImagePushedAt == nil || time.Since(*d.ImagePushedAt).Abs() > 5*time.Minute {
			t.Errorf("ImageDetail %+v", d)
		}
		_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("nope")}}})
		sdkError[types.ImageNotFoundException](t, "DescribeImages of a missing tag", err)
		untagged, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo),
			Filter: &types.DescribeImagesFilter{TagStatus: types.TagStatusUntagged}})
		if err != nil || len(untagged.ImageDetails) != 1 || aws.ToString(untagged.ImageDetails[0].ImageDigest) != img.variant(t, "other").digest {
			t.Errorf("DescribeImages UNTAGGED: %+v %v, want the image v1 left", untagged, err)
		}
		ids, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(repo), Filter: &types.ListImagesFilter{TagStatus: types.TagStatusTagged}})
		if err != nil || len(ids.ImageIds) != 3 {
			t.Errorf("ListImages TAGGED: %+v %v, want 3 tags", ids, err)
		}
	})
	t.Run("BatchGetImage", func(t *testing.T) {
		out, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(repo),
			ImageIds:           []types.ImageIdentifier{{ImageTag: aws.String("v2")}, {ImageTag: aws.String("nope")}, {ImageTag: aws.String("v1"), ImageDigest: aws.String("sha256:" + strings.Repeat("6", 64))}},
			AcceptedMediaTypes: []string{mtOCIManifest, mtDockerManifest}})
		if err != nil || len(out.Images) != 1 || len(out.Failures) != 2 {
			t.Fatalf("BatchGetImage: %+v %v", out, err)
		}
		if aws.ToString(out.Images[0].ImageManifest) != string(img.manifest) || aws.ToString(out.Images[0].ImageId.ImageTag) != "v2" {
			t.Errorf("BatchGetImage image %+v", out.Images[0])
		}
		if out.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound || out.Failures[1].FailureCode != types.ImageFailureCodeImageTagDoesNotMatchDigest {
			t.Errorf("failures %+v, want ImageNotFound and ImageTagDoesNotMatchDigest", out.Failures)
		}
	})
	t.Run("GetDownloadUrlForLayer", func(t *testing.T) {
		d := sha256Digest(img.layers[1])
		out, err := c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String(repo), LayerDigest: aws.String(d)})
		if err != nil || aws.ToString(out.LayerDigest) != d {
			t.Fatalf("GetDownloadUrlForLayer: %+v %v", out, err)
		}
		if body := ecrDownload(t, aws.ToString(out.DownloadUrl)); sha256Digest(body) != d {
			t.Errorf("downloaded %d bytes that are not the layer", len(body))
		}
		loose := sdkUploadLayer(t, c, repo, randomBytes(100), 1<<20)
		_, err = c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String(repo), LayerDigest: aws.String(loose)})
		sdkError[types.LayerInaccessibleException](t, "GetDownloadUrlForLayer of a layer no image references", err)
		_, err = c.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String(repo), LayerDigest: aws.String(sha256Digest([]byte("none")))})
		sdkError[types.LayersNotFoundException](t, "GetDownloadUrlForLayer of a missing layer", err)
	})
	t.Run("ListImageReferrers", func(t *testing.T) {
		empty := []byte("{}")
		sdkUploadLayer(t, c, repo, empty, 1<<20)
		for _, at := range []string{"application/vnd.example.sig", "application/vnd.example.sbom"} {
			m, _ := json.Marshal(manifest{SchemaVersion: 2, MediaType: mtOCIManifest, ArtifactType: at,
				Config:  &descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: sha256Digest(empty), Size: 2},
				Layers:  []descriptor{{MediaType: "application/vnd.oci.empty.v1+json", Digest: sha256Digest(empty), Size: 2}},
				Subject: &descriptor{MediaType: mtOCIManifest, Digest: img.digest, Size: int64(len(img.manifest))}})
			if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(m))}); err != nil {
				t.Fatalf("PutImage referrer: %v", err)
			}
		}
		var got []string
		var token *string
		for page := 0; ; page++ {
			out, err := c.ListImageReferrers(ctx, &ecr.ListImageReferrersInput{RepositoryName: aws.String(repo),
				SubjectId: &types.SubjectIdentifier{ImageDigest: aws.String(img.digest)}, MaxResults: aws.Int32(1), NextToken: token})
			if err != nil {
				t.Fatalf("ListImageReferrers: %v", err)
			}
			for _, r := range out.Referrers {
				got = append(got, aws.ToString(r.ArtifactType))
				if r.ArtifactStatus != types.ArtifactStatusActive || aws.ToInt64(r.Size) <= 0 || aws.ToString(r.MediaType) != mtOCIManifest {
					t.Errorf("referrer %+v", r)
				}
			}
			if token = out.NextToken; token == nil || page > 3 {
				break
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"application/vnd.example.sbom", "application/vnd.example.sig"}) {
			t.Errorf("referrers over pages of 1: %v", got)
		}
		out, err := c.ListImageReferrers(ctx, &ecr.ListImageReferrersInput{RepositoryName: aws.String(repo),
			SubjectId: &types.SubjectIdentifier{ImageDigest: aws.String(img.digest)},
			Filter:    &types.ListImageReferrersFilter{ArtifactTypes: []string{"application/vnd.example.sig"}}})
		if err != nil || len(out.Referrers) != 1 || aws.ToString(out.Referrers[0].ArtifactType) != "application/vnd.example.sig" {
			t.Errorf("ListImageReferrers with an artifactTypes filter: %+v %v", out, err)
		}
	})
	t.Run("resource tags", func(t *testing.T) {
		if _, err := c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}); err != nil {
			t.Fatalf("TagResource: %v", err)
		}
		if _, err := c.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
			t.Fatalf("UntagResource: %v", err)
		}
		out, err := c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil || len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "team" || aws.ToString(out.Tags[0].Value) != "a" {
			t.Errorf("ListTagsForResource: %+v %v, want team=a", out, err)
		}
		var many []types.Tag
		for i := range 50 {
			many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
		}
		_, err = c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
		sdkError[types.TooManyTagsException](t, "TagResource to 51 tags", err)
		_, err = c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:s3:::bucket")})
		sdkError[types.InvalidParameterException](t, "ListTagsForResource of a bucket ARN", err)
	})
	t.Run("registry, settings, token", func(t *testing.T) {
		reg, err := c.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
		if err != nil || aws.ToString(reg.RegistryId) != acct || reg.ReplicationConfiguration == nil {
			t.Errorf("DescribeRegistry: %+v %v", reg, err)
		}
		if _, err := c.PutAccountSetting(ctx, &ecr.PutAccountSettingInput{Name: aws.String("REGISTRY_POLICY_SCOPE"), Value: aws.String("V1")}); err != nil {
			t.Errorf("PutAccountSetting: %v", err)
		}
		set, err := c.GetAccountSetting(ctx, &ecr.GetAccountSettingInput{Name: aws.String("REGISTRY_POLICY_SCOPE")})
		if err != nil || aws.ToString(set.Value) != "V1" || aws.ToString(set.Name) != "REGISTRY_POLICY_SCOPE" {
			t.Errorf("GetAccountSetting: %+v %v", set, err)
		}
		_, err = c.GetAccountSetting(ctx, &ecr.GetAccountSettingInput{Name: aws.String("NO_SUCH_SETTING")})
		sdkError[types.ValidationException](t, "GetAccountSetting of an unknown name", err)
		tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{RegistryIds: []string{acct}})
		if err != nil || len(tok.AuthorizationData) != 1 {
			t.Fatalf("GetAuthorizationToken: %+v %v", tok, err)
		}
		ad := tok.AuthorizationData[0]
		raw, _ := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken))
		user, password, _ := strings.Cut(string(raw), ":")
		if user != "AWS" || ad.ExpiresAt == nil || time.Until(*ad.ExpiresAt) < 11*time.Hour+58*time.Minute || time.Until(*ad.ExpiresAt) > 12*time.Hour+time.Minute ||
			aws.ToString(ad.ProxyEndpoint) != s.URL() {
			t.Errorf("AuthorizationData %+v (user %q), want AWS, 12 hours, %s", ad, user, s.URL())
		}
		if resp, _ := newECRV2Client(s, password).do(t, http.MethodGet, "/v2/", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v2/ with the SDK's token: %d", resp.StatusCode)
		}
	})
	t.Run("PutImageScanningConfiguration and PutImageTagMutability", func(t *testing.T) {
		sc, err := c.PutImageScanningConfiguration(ctx, &ecr.PutImageScanningConfigurationInput{RepositoryName: aws.String(repo),
			ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: false}})
		if err != nil || sc.ImageScanningConfiguration.ScanOnPush || aws.ToString(sc.RepositoryName) != repo {
			t.Errorf("PutImageScanningConfiguration: %+v %v", sc, err)
		}
		tm, err := c.PutImageTagMutability(ctx, &ecr.PutImageTagMutabilityInput{RepositoryName: aws.String(repo), ImageTagMutability: types.ImageTagMutabilityImmutable})
		if err != nil || tm.ImageTagMutability != types.ImageTagMutabilityImmutable || len(tm.ImageTagMutabilityExclusionFilters) != 0 {
			t.Errorf("PutImageTagMutability: %+v %v", tm, err)
		}
		_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(img.variant(t, "other").manifest)), ImageTag: aws.String("v2")})
		sdkError[types.ImageTagAlreadyExistsException](t, "moving v2 in an IMMUTABLE repository", err)
	})
	t.Run("BatchDeleteImage and DeleteRepository", func(t *testing.T) {
		out, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo),
			ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v2")}, {}, {ImageDigest: aws.String("bad")}}})
		if err != nil || len(out.ImageIds) != 1 || len(out.Failures) != 2 {
			t.Fatalf("BatchDeleteImage: %+v %v", out, err)
		}
		if out.Failures[0].FailureCode != types.ImageFailureCodeMissingDigestAndTag || out.Failures[1].FailureCode != types.ImageFailureCodeInvalidImageDigest {
			t.Errorf("failures %+v, want MissingDigestAndTag and InvalidImageDigest", out.Failures)
		}
		_, err = c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(repo)})
		sdkError[types.RepositoryNotEmptyException](t, "DeleteRepository of a repository with images", err)
		del, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(repo), Force: true})
		if err != nil || aws.ToString(del.Repository.RepositoryArn) != arn {
			t.Errorf("DeleteRepository --force: %+v %v", del, err)
		}
	})
}

// TestECRSDKBothFaces checks that an image pushed through /v2 and one put through PutImage are the
// same thing: each face sees the other's images, tags and bytes.
func TestECRSDKBothFaces(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := ecrSDK(t, s)
	ctx := t.Context()
	repo := "faces/app"
	v2 := newECRV2Client(s, s.Token(t))
	fromV2 := newECRImage(t, "v2", 4096)
	fromV2.pushBlobs(t, v2, repo) // creates the repository on push
	if resp, body := v2.putManifest(t, repo, "pushed", mtOCIManifest, fromV2.manifest); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest: %d %s", resp.StatusCode, body)
	}
	fromAPI := fromV2.variant(t, "api")
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(fromAPI.manifest)), ImageTag: aws.String("put")}); err != nil {
		t.Fatalf("PutImage: %v", err)
	}
	got, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(repo), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("pushed")}}})
	if err != nil || len(got.Images) != 1 || aws.ToString(got.Images[0].ImageManifest) != string(fromV2.manifest) ||
		aws.ToString(got.Images[0].ImageId.ImageDigest) != fromV2.digest {
		t.Errorf("BatchGetImage of the /v2 push: %+v %v", got, err)
	}
	d, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("pushed")}}})
	if err != nil || aws.ToInt64(d.ImageDetails[0].ImageSizeInBytes) != fromV2.layerSize || aws.ToString(d.ImageDetails[0].ImageManifestMediaType) != mtOCIManifest {
		t.Errorf("DescribeImages of the /v2 push: %+v %v", d, err)
	}
	resp, body := v2.do(t, http.MethodGet, "/v2/"+repo+"/manifests/put", nil, "Accept", mtOCIManifest)
	if resp.StatusCode != http.StatusOK || string(body) != string(fromAPI.manifest) || resp.Header.Get("Docker-Content-Digest") != fromAPI.digest {
		t.Errorf("GET /v2 of the PutImage image: %d %s", resp.StatusCode, body)
	}
	resp, body = v2.do(t, http.MethodGet, "/v2/"+repo+"/tags/list", nil)
	var tags struct{ Tags []string }
	json.Unmarshal(body, &tags)
	slices.Sort(tags.Tags)
	if resp.StatusCode != http.StatusOK || !slices.Equal(tags.Tags, []string{"pushed", "put"}) {
		t.Errorf("tags/list: %d %s, want pushed and put", resp.StatusCode, body)
	}
	// A delete through the API is a delete for /v2.
	if _, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), ImageIds: []types.ImageIdentifier{{ImageDigest: aws.String(fromV2.digest)}}}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := v2.do(t, http.MethodGet, "/v2/"+repo+"/manifests/pushed", nil, "Accept", mtOCIManifest); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /v2 of the deleted image: %d, want 404", resp.StatusCode)
	}
}

// TestECRSDKPaginators runs the SDK's paginators over more items than a page.
func TestECRSDKPaginators(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := ecrSDK(t, s)
	ctx := t.Context()
	var names []string
	for i := range 7 {
		names = append(names, fmt.Sprintf("pages/r%d", i))
		if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(names[i])}); err != nil {
			t.Fatal(err)
		}
	}
	repo := names[0]
	img := newECRImage(t, "pages", 512)
	img.pushBlobs(t, newECRV2Client(s, s.Token(t)), repo)
	var digests []string
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 7 {
		v := img.variant(t, fmt.Sprint(i))
		digests = append(digests, v.digest)
		wg.Go(func() {
			_, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(v.manifest)), ImageTag: aws.String(fmt.Sprintf("t%d", i))})
			if err != nil {
				mu.Lock()
				t.Errorf("PutImage: %v", err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(digests)
	check := func(t *testing.T, what string, pages int, got, want []string) {
		if pages != 3 {
			t.Errorf("%s: %d pages of at most 3 for 7 items, want 3", what, pages)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: collected %v, want %v", what, got, want)
		}
	}
	t.Run("DescribeRepositories", func(t *testing.T) {
		p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(3)})
		var got []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, r := range out.Repositories {
				got = append(got, aws.ToString(r.RepositoryName))
			}
		}
		check(t, "DescribeRepositories", pages, got, names)
	})
	t.Run("a page that holds everything has no nextToken", func(t *testing.T) {
		out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(7)})
		if err != nil || len(out.Repositories) != 7 || out.NextToken != nil {
			t.Errorf("DescribeRepositories maxResults 7 of 7: %d repositories, nextToken %v (%v)", len(out.Repositories), aws.ToString(out.NextToken), err)
		}
	})
	t.Run("DescribeImages", func(t *testing.T) {
		p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), MaxResults: aws.Int32(3)})
		var got []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, d := range out.ImageDetails {
				got = append(got, aws.ToString(d.ImageDigest))
			}
		}
		check(t, "DescribeImages", pages, got, digests)
	})
	t.Run("ListImages", func(t *testing.T) {
		p := ecr.NewListImagesPaginator(c, &ecr.ListImagesInput{RepositoryName: aws.String(repo), MaxResults: aws.Int32(3)})
		var got []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, id := range out.ImageIds {
				got = append(got, aws.ToString(id.ImageDigest))
			}
		}
		check(t, "ListImages", pages, got, digests)
	})
}
