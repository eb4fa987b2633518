package e2e

// The real aws CLI against berth's ECR API: the layer upload operations, PutImage (tag, retag and its
// errors), DescribeImages, ListImages, BatchGetImage, GetDownloadUrlForLayer, ListImageReferrers,
// BatchDeleteImage and DeleteRepository --force, on images that mix the two faces (blobs pushed
// through /v2, manifests put through the API, and the other way round).

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestECRCLIImages(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	acct, repo := s.AccountID, "cli/images"
	v2 := newECRV2Client(s, s.Token(t))
	dir := t.TempDir()
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": repo}, nil)

	img := newECRImage(t, "cli-images", 300<<10)
	layer, layerDigest := img.layers[0], sha256Digest(img.layers[0])
	// The config goes through /v2, the layer through the ECR upload operations.
	v2.pushBlob(t, repo, img.config)
	manifestFile := filepath.Join(dir, "manifest.json")
	writeFile(t, manifestFile, img.manifest)
	layerFile := filepath.Join(dir, "layer.bin")
	writeFile(t, layerFile, layer)

	t.Run("layer upload", func(t *testing.T) {
		out := cli.obj(t, "initiate-layer-upload", "--repository-name", repo)
		checkMembers(t, "InitiateLayerUpload", out, []string{"uploadId", "partSize"}, []string{"uploadId", "partSize"})
		uploadID := asString(t, "uploadId", out["uploadId"])
		if !ecrUploadIDRE.MatchString(uploadID) {
			t.Errorf("uploadId %q is not a UUID", uploadID)
		}
		if ps := asNumber(t, "partSize", out["partSize"]); ps < 5<<20 {
			t.Errorf("partSize %v is below ECR's 5 MiB minimum part", ps)
		}
		out = cli.obj(t, "upload-layer-part", "--repository-name", repo, "--upload-id", uploadID,
			"--part-first-byte", "0", "--part-last-byte", strconv.Itoa(len(layer)-1), "--layer-part-blob", "fileb://"+layerFile)
		checkMembers(t, "UploadLayerPart", out, []string{"registryId", "repositoryName", "uploadId", "lastByteReceived"},
			[]string{"registryId", "repositoryName", "uploadId", "lastByteReceived"})
		if out["registryId"] != acct || out["repositoryName"] != repo || out["uploadId"] != uploadID || out["lastByteReceived"] != float64(len(layer)-1) {
			t.Errorf("UploadLayerPart: %v, want lastByteReceived %d", out, len(layer)-1)
		}
		out = cli.obj(t, "complete-layer-upload", "--repository-name", repo, "--upload-id", uploadID, "--layer-digests", layerDigest)
		checkMembers(t, "CompleteLayerUpload", out, []string{"registryId", "repositoryName", "uploadId", "layerDigest"},
			[]string{"registryId", "repositoryName", "uploadId", "layerDigest"})
		if out["layerDigest"] != layerDigest || out["uploadId"] != uploadID || out["registryId"] != acct || out["repositoryName"] != repo {
			t.Errorf("CompleteLayerUpload: %v, want layerDigest %s", out, layerDigest)
		}
		// The layer uploaded through the API is a blob of /v2.
		if resp, body := v2.do(t, http.MethodGet, "/v2/"+repo+"/blobs/"+layerDigest, nil); resp.StatusCode != http.StatusOK || sha256Digest(body) != layerDigest {
			t.Errorf("GET the uploaded layer through /v2: %d, %d bytes", resp.StatusCode, len(body))
		}
	})
	t.Run("batch-check-layer-availability", func(t *testing.T) {
		missing := "sha256:" + strings.Repeat("0", 64)
		out := cli.obj(t, "batch-check-layer-availability", "--repository-name", repo, "--layer-digests", layerDigest, missing, "not-a-digest")
		checkMembers(t, "BatchCheckLayerAvailability", out, []string{"layers", "failures"}, []string{"layers", "failures"})
		byDigest := map[string]map[string]any{}
		for _, l := range asList(t, "layers", out["layers"]) {
			lo := asObj(t, "layer", l)
			checkMembers(t, "Layer", lo, layerMembers, []string{"layerDigest", "layerAvailability"})
			byDigest[asString(t, "layerDigest", lo["layerDigest"])] = lo
		}
		if l := byDigest[layerDigest]; l["layerAvailability"] != "AVAILABLE" || l["layerSize"] != float64(len(layer)) {
			t.Errorf("uploaded layer: %v, want AVAILABLE with layerSize %d", l, len(layer))
		}
		if l := byDigest[missing]; l["layerAvailability"] != "UNAVAILABLE" {
			t.Errorf("missing layer: %v, want UNAVAILABLE", l)
		}
		failures := asList(t, "failures", out["failures"])
		if len(failures) != 1 {
			t.Fatalf("failures %v, want one for not-a-digest", failures)
		}
		f := asObj(t, "failure", failures[0])
		checkMembers(t, "LayerFailure", f, layerFailureMembrs, layerFailureMembrs)
		if f["layerDigest"] != "not-a-digest" || f["failureCode"] != "InvalidLayerDigest" {
			t.Errorf("failure %v, want InvalidLayerDigest for not-a-digest", f)
		}
	})
	t.Run("put-image", func(t *testing.T) {
		out := cli.obj(t, "put-image", "--repository-name", repo, "--image-tag", "v1", "--image-manifest", "file://"+manifestFile,
			"--image-manifest-media-type", mtOCIManifest)
		checkMembers(t, "PutImage", out, []string{"image"}, []string{"image"})
		im := checkImage(t, "image", out["image"], acct, repo)
		if id := asObj(t, "imageId", im["imageId"]); id["imageDigest"] != img.digest || id["imageTag"] != "v1" {
			t.Errorf("imageId %v, want %s v1", id, img.digest)
		}
		if im["imageManifest"] != string(img.manifest) || im["imageManifestMediaType"] != mtOCIManifest {
			t.Errorf("image %v: the manifest must come back as sent", im)
		}
		// The manifest put through the API is served by /v2 byte for byte.
		if resp, body := v2.do(t, http.MethodGet, "/v2/"+repo+"/manifests/v1", nil, "Accept", mtOCIManifest); resp.StatusCode != http.StatusOK ||
			string(body) != string(img.manifest) || resp.Header.Get("Docker-Content-Digest") != img.digest {
			t.Errorf("GET /v2 manifest v1: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("put-image again", func(t *testing.T) {
		msg := cli.fails(t, "ImageAlreadyExistsException", "PutImage", "put-image", "--repository-name", repo, "--image-tag", "v1",
			"--image-manifest", "file://"+manifestFile)
		if !strings.Contains(msg, img.digest) || !strings.Contains(msg, "v1") {
			t.Errorf("message %q should name the digest and the tag", msg)
		}
	})
	t.Run("put-image retag", func(t *testing.T) {
		out := cli.obj(t, "put-image", "--repository-name", repo, "--image-tag", "v2", "--image-manifest", "file://"+manifestFile,
			"--image-digest", img.digest)
		id := asObj(t, "imageId", checkImage(t, "image", out["image"], acct, repo)["imageId"])
		if id["imageDigest"] != img.digest || id["imageTag"] != "v2" {
			t.Errorf("retag: imageId %v, want %s v2", id, img.digest)
		}
	})
	t.Run("put-image errors", func(t *testing.T) {
		msg := cli.fails(t, "ImageDigestDoesNotMatchException", "PutImage", "put-image", "--repository-name", repo, "--image-tag", "v3",
			"--image-manifest", "file://"+manifestFile, "--image-digest", "sha256:"+strings.Repeat("1", 64))
		if !strings.Contains(msg, "sha256:"+strings.Repeat("1", 64)) {
			t.Errorf("message %q does not name the digest sent", msg)
		}
		missing := newECRImage(t, "missing", 10)
		writeFile(t, filepath.Join(dir, "missing.json"), missing.manifest)
		msg = cli.fails(t, "LayersNotFoundException", "PutImage", "put-image", "--repository-name", repo, "--image-tag", "v3",
			"--image-manifest", "file://"+filepath.Join(dir, "missing.json"))
		if !strings.Contains(msg, sha256Digest(missing.config)) {
			t.Errorf("message %q does not name a missing blob", msg)
		}
		cli.fails(t, "RepositoryNotFoundException", "PutImage", "put-image", "--repository-name", "cli/nope", "--image-tag", "v1",
			"--image-manifest", "file://"+manifestFile)
	})

	// An untagged image, a referrer of the tagged one, and an index over the untagged one, put
	// directly, for the reads below.
	untagged := img.variant(t, "untagged")
	ecrJSON(t, s, "PutImage", map[string]any{"repositoryName": repo, "imageManifest": string(untagged.manifest)}, nil)
	empty := []byte("{}")
	v2.pushBlob(t, repo, empty)
	sbom, _ := json.Marshal(manifest{SchemaVersion: 2, MediaType: mtOCIManifest, ArtifactType: "application/vnd.example.sbom.v1+json",
		Config:  &descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: sha256Digest(empty), Size: 2},
		Layers:  []descriptor{{MediaType: "application/vnd.oci.empty.v1+json", Digest: sha256Digest(empty), Size: 2}},
		Subject: &descriptor{MediaType: mtOCIManifest, Digest: img.digest, Size: int64(len(img.manifest))}})
	if resp, body := v2.putManifest(t, repo, sha256Digest(sbom), mtOCIManifest, sbom); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push the referrer through /v2: %d %s", resp.StatusCode, body)
	}

	t.Run("describe-images", func(t *testing.T) {
		out := cli.obj(t, "describe-images", "--repository-name", repo)
		checkMembers(t, "DescribeImages", out, []string{"imageDetails", "nextToken"}, []string{"imageDetails"})
		byDigest := map[string]map[string]any{}
		for i, d := range asList(t, "imageDetails", out["imageDetails"]) {
			det := checkImageDetail(t, fmt.Sprintf("imageDetails[%d]", i), d, acct, repo)
			byDigest[det["imageDigest"].(string)] = det
		}
		if len(byDigest) != 3 {
			t.Fatalf("%d images, want 3 (tagged, untagged, referrer)", len(byDigest))
		}
		d := byDigest[img.digest]
		if tags := fmt.Sprint(d["imageTags"]); tags != "[v1 v2]" && tags != "[v2 v1]" {
			t.Errorf("imageTags %s, want v1 and v2", tags)
		}
		if d["imageSizeInBytes"] != float64(img.layerSize) {
			t.Errorf("imageSizeInBytes %v, want %d, the sum of the layer sizes", d["imageSizeInBytes"], img.layerSize)
		}
		if d["imageManifestMediaType"] != mtOCIManifest || d["artifactMediaType"] != mtOCIConfig {
			t.Errorf("imageManifestMediaType %v artifactMediaType %v, want %s and %s", d["imageManifestMediaType"], d["artifactMediaType"], mtOCIManifest, mtOCIConfig)
		}
		if _, ok := byDigest[untagged.digest]["imageTags"]; ok {
			t.Errorf("the untagged image has imageTags: %v", byDigest[untagged.digest])
		}
		if r := byDigest[sha256Digest(sbom)]; r["subjectManifestDigest"] != img.digest {
			t.Errorf("the referrer's subjectManifestDigest is %v, want %s", r["subjectManifestDigest"], img.digest)
		}
	})
	t.Run("describe-images filters and ids", func(t *testing.T) {
		out := cli.obj(t, "describe-images", "--repository-name", repo, "--filter", "tagStatus=TAGGED")
		if l := asList(t, "imageDetails", out["imageDetails"]); len(l) != 1 || asObj(t, "d", l[0])["imageDigest"] != img.digest {
			t.Errorf("tagStatus=TAGGED: %v, want only %s", l, img.digest)
		}
		out = cli.obj(t, "describe-images", "--repository-name", repo, "--filter", "tagStatus=UNTAGGED")
		if l := asList(t, "imageDetails", out["imageDetails"]); len(l) != 2 {
			t.Errorf("tagStatus=UNTAGGED: %d images, want 2", len(l))
		}
		out = cli.obj(t, "describe-images", "--repository-name", repo, "--image-ids", "imageTag=v2", "imageDigest="+untagged.digest)
		if l := asList(t, "imageDetails", out["imageDetails"]); len(l) != 2 {
			t.Errorf("--image-ids: %d images, want 2", len(l))
		}
		msg := cli.fails(t, "ImageNotFoundException", "DescribeImages", "describe-images", "--repository-name", repo, "--image-ids", "imageTag=nope")
		if !strings.Contains(msg, "nope") || !strings.Contains(msg, repo) {
			t.Errorf("message %q should name the tag and the repository", msg)
		}
	})
	t.Run("list-images", func(t *testing.T) {
		out := cli.obj(t, "list-images", "--repository-name", repo)
		checkMembers(t, "ListImages", out, []string{"imageIds", "nextToken"}, []string{"imageIds"})
		var ids []string
		for _, id := range asList(t, "imageIds", out["imageIds"]) {
			o := asObj(t, "imageId", id)
			checkMembers(t, "ImageIdentifier", o, []string{"imageDigest", "imageTag"}, []string{"imageDigest"})
			ids = append(ids, fmt.Sprintf("%v@%v", o["imageTag"], o["imageDigest"]))
		}
		slices.Sort(ids)
		want := []string{"<nil>@" + sha256Digest(sbom), "<nil>@" + untagged.digest, "v1@" + img.digest, "v2@" + img.digest}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("imageIds %v, want %v (one per tag, the digest alone for untagged images)", ids, want)
		}
		out = cli.obj(t, "list-images", "--repository-name", repo, "--filter", "tagStatus=UNTAGGED")
		if l := asList(t, "imageIds", out["imageIds"]); len(l) != 2 {
			t.Errorf("tagStatus=UNTAGGED: %v, want the 2 untagged images", l)
		}
	})
	t.Run("batch-get-image", func(t *testing.T) {
		out := cli.obj(t, "batch-get-image", "--repository-name", repo,
			"--image-ids", "imageTag=v1", "imageDigest="+untagged.digest, "imageTag=nope")
		checkMembers(t, "BatchGetImage", out, []string{"images", "failures"}, []string{"images", "failures"})
		images := asList(t, "images", out["images"])
		if len(images) != 2 {
			t.Fatalf("%d images, want 2", len(images))
		}
		first := checkImage(t, "images[0]", images[0], acct, repo)
		if first["imageManifest"] != string(img.manifest) {
			t.Errorf("images[0].imageManifest is not the manifest put")
		}
		checkImage(t, "images[1]", images[1], acct, repo)
		failures := asList(t, "failures", out["failures"])
		if len(failures) != 1 || checkImageFailure(t, "failures[0]", failures[0]) != "ImageNotFound" {
			t.Errorf("failures %v, want ImageNotFound for nope", failures)
		}
		// acceptedMediaTypes: an OCI image asked for as Docker schema 2, by tag, is converted.
		out = cli.obj(t, "batch-get-image", "--repository-name", repo, "--image-ids", "imageTag=v1",
			"--accepted-media-types", mtDockerManifest)
		conv := checkImage(t, "converted", asList(t, "images", out["images"])[0], acct, repo)
		var m manifest
		if err := json.Unmarshal([]byte(conv["imageManifest"].(string)), &m); err != nil || conv["imageManifestMediaType"] != mtDockerManifest || m.MediaType != mtDockerManifest {
			t.Errorf("acceptedMediaTypes %s: got %v (%v)", mtDockerManifest, conv["imageManifestMediaType"], err)
		}
	})
	t.Run("get-download-url-for-layer", func(t *testing.T) {
		out := cli.obj(t, "get-download-url-for-layer", "--repository-name", repo, "--layer-digest", layerDigest)
		checkMembers(t, "GetDownloadUrlForLayer", out, []string{"downloadUrl", "layerDigest"}, []string{"downloadUrl", "layerDigest"})
		if out["layerDigest"] != layerDigest {
			t.Errorf("layerDigest %v, want %s", out["layerDigest"], layerDigest)
		}
		body := ecrDownload(t, asString(t, "downloadUrl", out["downloadUrl"]))
		if sha256Digest(body) != layerDigest {
			t.Errorf("downloaded %d bytes with digest %s, want the layer %s", len(body), sha256Digest(body), layerDigest)
		}
		cli.fails(t, "LayersNotFoundException", "GetDownloadUrlForLayer", "get-download-url-for-layer", "--repository-name", repo,
			"--layer-digest", "sha256:"+strings.Repeat("2", 64))
	})
	t.Run("list-image-referrers", func(t *testing.T) {
		out := cli.obj(t, "list-image-referrers", "--repository-name", repo, "--subject-id", "imageDigest="+img.digest)
		checkMembers(t, "ListImageReferrers", out, []string{"referrers", "nextToken"}, []string{"referrers"})
		refs := asList(t, "referrers", out["referrers"])
		if len(refs) != 1 {
			t.Fatalf("referrers %v, want the sbom", refs)
		}
		r := asObj(t, "referrer", refs[0])
		checkMembers(t, "ImageReferrer", r, referrerMembers, []string{"digest", "mediaType", "size"})
		if r["digest"] != sha256Digest(sbom) || r["mediaType"] != mtOCIManifest || r["artifactType"] != "application/vnd.example.sbom.v1+json" ||
			r["size"] != float64(len(sbom)) || r["artifactStatus"] != "ACTIVE" {
			t.Errorf("referrer %v", r)
		}
		out = cli.obj(t, "list-image-referrers", "--repository-name", repo, "--subject-id", "imageDigest="+img.digest,
			"--filter", "artifactTypes=application/vnd.example.signature")
		if l := asList(t, "referrers", out["referrers"]); len(l) != 0 {
			t.Errorf("artifactTypes filter for another type: %v, want none", l)
		}
	})
	t.Run("batch-delete-image", func(t *testing.T) {
		out := cli.obj(t, "batch-delete-image", "--repository-name", repo, "--image-ids", "imageTag=v1", "imageTag=nope")
		checkMembers(t, "BatchDeleteImage", out, []string{"imageIds", "failures"}, []string{"imageIds", "failures"})
		if ids := fmt.Sprint(out["imageIds"]); ids != fmt.Sprintf("[map[imageDigest:%s imageTag:v1]]", img.digest) {
			t.Errorf("untag v1: imageIds %s", ids)
		}
		failures := asList(t, "failures", out["failures"])
		if len(failures) != 1 || checkImageFailure(t, "failures[0]", failures[0]) != "ImageNotFound" {
			t.Errorf("failures %v, want ImageNotFound for nope", failures)
		}
		// The image stays: v2 still names it.
		d := cli.obj(t, "describe-images", "--repository-name", repo, "--image-ids", "imageDigest="+img.digest)
		if tags := fmt.Sprint(asObj(t, "d", asList(t, "imageDetails", d["imageDetails"])[0])["imageTags"]); tags != "[v2]" {
			t.Errorf("after untagging v1 the image has tags %s, want [v2]", tags)
		}
		out = cli.obj(t, "batch-delete-image", "--repository-name", repo, "--image-ids", "imageDigest="+img.digest)
		if ids := fmt.Sprint(out["imageIds"]); ids != fmt.Sprintf("[map[imageDigest:%s imageTag:v2]]", img.digest) {
			t.Errorf("delete by digest: imageIds %s, want the digest with its last tag", ids)
		}
		if resp, _ := v2.do(t, http.MethodGet, "/v2/"+repo+"/manifests/"+img.digest, nil, "Accept", mtOCIManifest); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /v2 of the deleted image: %d, want 404", resp.StatusCode)
		}
	})
	t.Run("delete-repository --force", func(t *testing.T) {
		msg := cli.fails(t, "RepositoryNotEmptyException", "DeleteRepository", "delete-repository", "--repository-name", repo)
		if !strings.Contains(msg, repo) {
			t.Errorf("message %q does not name the repository", msg)
		}
		out := cli.obj(t, "delete-repository", "--repository-name", repo, "--force")
		checkRepository(t, "repository", out["repository"], acct, s.Addr, repo)
		cli.fails(t, "RepositoryNotFoundException", "DescribeImages", "describe-images", "--repository-name", repo)
	})
}

// TestECRCLIManifestLists covers what only manifest lists do: ReferencedImagesNotFoundException on
// PutImage, and ImageReferencedByManifestList on BatchDeleteImage.
func TestECRCLIManifestLists(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cli := newAWSCLI(t, s)
	repo, dir := "cli/lists", t.TempDir()
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": repo}, nil)
	img := newECRImage(t, "child", 2048)
	img.pushBlobs(t, newECRV2Client(s, s.Token(t)), repo)
	ecrJSON(t, s, "PutImage", map[string]any{"repositoryName": repo, "imageManifest": string(img.manifest), "imageTag": "child"}, nil)
	missing := "sha256:" + strings.Repeat("3", 64)
	index := func(children ...string) string {
		m := manifest{SchemaVersion: 2, MediaType: mtOCIIndex}
		for _, c := range children {
			size := int64(len(img.manifest))
			m.Manifests = append(m.Manifests, descriptor{MediaType: mtOCIManifest, Digest: c, Size: size})
		}
		b, _ := json.Marshal(m)
		f := filepath.Join(dir, fmt.Sprintf("index-%d.json", len(children)))
		writeFile(t, f, b)
		return f
	}
	msg := cli.fails(t, "ReferencedImagesNotFoundException", "PutImage", "put-image", "--repository-name", repo, "--image-tag", "list",
		"--image-manifest", "file://"+index(img.digest, missing))
	if !strings.Contains(msg, missing) {
		t.Errorf("message %q does not name the missing image", msg)
	}
	out := cli.obj(t, "put-image", "--repository-name", repo, "--image-tag", "list", "--image-manifest", "file://"+index(img.digest))
	if mt := checkImage(t, "image", out["image"], s.AccountID, repo)["imageManifestMediaType"]; mt != mtOCIIndex {
		t.Errorf("imageManifestMediaType %v, want %s", mt, mtOCIIndex)
	}
	out = cli.obj(t, "batch-delete-image", "--repository-name", repo, "--image-ids", "imageDigest="+img.digest)
	failures := asList(t, "failures", out["failures"])
	if len(failures) != 1 || checkImageFailure(t, "failures[0]", failures[0]) != "ImageReferencedByManifestList" {
		t.Errorf("deleting a child of a manifest list: %v, want failure ImageReferencedByManifestList", out)
	}
	if ids := asList(t, "imageIds", out["imageIds"]); len(ids) != 0 {
		t.Errorf("deleted %v though the list references it", ids)
	}
	d := cli.obj(t, "describe-images", "--repository-name", repo, "--image-ids", "imageTag=list")
	if size := asObj(t, "d", asList(t, "imageDetails", d["imageDetails"])[0])["imageSizeInBytes"]; size != float64(img.layerSize) {
		t.Errorf("the list's imageSizeInBytes %v, want %d (the largest image it lists)", size, img.layerSize)
	}
}

// ecrDownload GETs a GetDownloadUrlForLayer URL with no credentials at all.
func ecrDownload(t testing.TB, url string) []byte {
	t.Helper()
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the download URL %s without credentials: %d %s", url, resp.StatusCode, body)
	}
	return body
}
