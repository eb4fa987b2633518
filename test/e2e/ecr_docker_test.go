package e2e

// The real docker engine and the real aws CLI together, as ECR users work: `aws ecr get-login-password |
// docker login`, docker push, describe-images, the batch-get-image/put-image retag, docker pull,
// batch-delete-image; and tag immutability as docker sees it.

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dockerECR is a docker client logged in to one berth with the aws CLI.
type dockerECR struct {
	s      *Server
	c      *clientEnv
	cli    *awsCLI
	awsEnv []string
}

func newDockerECR(t *testing.T, s *Server) *dockerECR {
	t.Helper()
	tool(t, "docker")
	tool(t, "aws")
	d := &dockerECR{s: s, c: newClientEnv(t), cli: newAWSCLI(t, s)}
	d.awsEnv = []string{"AWS_ACCESS_KEY_ID=" + RootAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + RootSecretAccessKey,
		"AWS_DEFAULT_REGION=" + Region, "AWS_CONFIG_FILE=" + filepath.Join(d.cli.dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(d.cli.dir, "credentials")}
	out := d.c.runWith(t, runOpts{env: d.awsEnv}, "bash", "-o", "pipefail", "-c",
		fmt.Sprintf("aws --endpoint-url %s ecr get-login-password | docker login -u AWS --password-stdin %s", s.URL(), s.Addr))
	if !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("docker login did not succeed:\n%s", out)
	}
	return d
}

// build builds the hello context as ref (with extra docker build arguments) and removes it when the
// test ends.
func (d *dockerECR) build(t *testing.T, ctxDir, ref string, args ...string) {
	t.Helper()
	t.Cleanup(func() { d.c.try(t, runOpts{}, "docker", "rmi", "-f", ref) })
	d.c.runWith(t, runOpts{env: []string{"DOCKER_BUILDKIT=0"}}, "docker", append(append([]string{"build", "-q", "-t", ref}, args...), ctxDir)...)
}

var ecrDockerDigestRE = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64}) size: \d+`)

// push pushes ref and returns the digest docker reports.
func (d *dockerECR) push(t *testing.T, ref string) string {
	t.Helper()
	out := d.c.run(t, "docker", "push", ref)
	m := ecrDockerDigestRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in docker push output:\n%s", out)
	}
	return m[1]
}

// imageDetail returns the one ImageDetail describe-images gives for an image id ("imageTag=v1").
func (d *dockerECR) imageDetail(t *testing.T, repo, id string) map[string]any {
	t.Helper()
	out := d.cli.obj(t, "describe-images", "--repository-name", repo, "--image-ids", id)
	l := asList(t, "imageDetails", out["imageDetails"])
	if len(l) != 1 {
		t.Fatalf("describe-images %s: %d images", id, len(l))
	}
	return checkImageDetail(t, "imageDetails[0]", l[0], d.s.AccountID, repo)
}

func TestECRDockerFlow(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	d := newDockerECR(t, s)
	repo := "docker/hello"
	ref := s.Addr + "/" + repo
	d.cli.obj(t, "create-repository", "--repository-name", repo)
	ctxDir, _ := helloContext(t, d.c, "hello from the ECR flow "+randomHex(8))
	d.build(t, ctxDir, ref+":v1")
	t.Cleanup(func() { d.c.try(t, runOpts{}, "docker", "rmi", "-f", ref+":v2") })
	dig := d.push(t, ref+":v1")

	var pushed manifest
	t.Run("describe-images shows the push", func(t *testing.T) {
		det := d.imageDetail(t, repo, "imageTag=v1")
		if det["imageDigest"] != dig || fmt.Sprint(det["imageTags"]) != "[v1]" {
			t.Errorf("imageDigest %v imageTags %v, want %s [v1]", det["imageDigest"], det["imageTags"], dig)
		}
		if det["imageManifestMediaType"] != mtDockerManifest || det["artifactMediaType"] != "application/vnd.docker.container.image.v1+json" {
			t.Errorf("imageManifestMediaType %v artifactMediaType %v", det["imageManifestMediaType"], det["artifactMediaType"])
		}
		if _, ok := det["lastRecordedPullTime"]; ok {
			t.Errorf("lastRecordedPullTime %v before any pull: a push is not a pull", det["lastRecordedPullTime"])
		}
		out := d.cli.obj(t, "batch-get-image", "--repository-name", repo, "--image-ids", "imageDigest="+dig)
		img := checkImage(t, "images[0]", asList(t, "images", out["images"])[0], s.AccountID, repo)
		if err := json.Unmarshal([]byte(img["imageManifest"].(string)), &pushed); err != nil {
			t.Fatal(err)
		}
		var layers int64
		for _, l := range pushed.Layers {
			layers += l.Size
		}
		size := int64(asNumber(t, "imageSizeInBytes", det["imageSizeInBytes"]))
		switch size {
		case layers:
			t.Logf("imageSizeInBytes %d = the sum of the %d layer sizes; the config (%d bytes) is not counted", size, len(pushed.Layers), pushed.Config.Size)
		case layers + pushed.Config.Size:
			t.Errorf("imageSizeInBytes %d counts the config (%d bytes) with the layers (%d)", size, pushed.Config.Size, layers)
		default:
			t.Errorf("imageSizeInBytes %d, want %d, the sum of the layer sizes in the pushed manifest", size, layers)
		}
	})
	t.Run("batch-get-image then put-image retags", func(t *testing.T) {
		out := d.cli.obj(t, "batch-get-image", "--repository-name", repo, "--image-ids", "imageTag=v1")
		manifestFile := filepath.Join(d.c.Dir, "manifest.json")
		writeFile(t, manifestFile, []byte(asString(t, "imageManifest", asObj(t, "image", asList(t, "images", out["images"])[0])["imageManifest"])))
		out = d.cli.obj(t, "put-image", "--repository-name", repo, "--image-tag", "v2", "--image-manifest", "file://"+manifestFile)
		id := asObj(t, "imageId", checkImage(t, "image", out["image"], s.AccountID, repo)["imageId"])
		if id["imageDigest"] != dig || id["imageTag"] != "v2" {
			t.Errorf("retag: imageId %v, want %s v2", id, dig)
		}
		if tags := d.imageDetail(t, repo, "imageDigest="+dig)["imageTags"]; fmt.Sprint(tags) != "[v1 v2]" && fmt.Sprint(tags) != "[v2 v1]" {
			t.Errorf("imageTags %v, want v1 and v2", tags)
		}
	})
	t.Run("docker pull of the retag", func(t *testing.T) {
		d.c.run(t, "docker", "rmi", "-f", ref+":v1")
		out := d.c.run(t, "docker", "pull", ref+":v2")
		if !strings.Contains(out, "Digest: "+dig) {
			t.Fatalf("docker pull %s:v2 did not report %s:\n%s", ref, dig, out)
		}
		det := d.imageDetail(t, repo, "imageTag=v2")
		asTime(t, "lastRecordedPullTime after a pull", det["lastRecordedPullTime"], time.Now(), 10*time.Minute)
	})
	t.Run("batch-delete-image by tag keeps the image", func(t *testing.T) {
		out := d.cli.obj(t, "batch-delete-image", "--repository-name", repo, "--image-ids", "imageTag=v1")
		if ids := fmt.Sprint(out["imageIds"]); ids != fmt.Sprintf("[map[imageDigest:%s imageTag:v1]]", dig) || len(asList(t, "failures", out["failures"])) != 0 {
			t.Errorf("untag v1: %v", out)
		}
		if tags := fmt.Sprint(d.imageDetail(t, repo, "imageDigest="+dig)["imageTags"]); tags != "[v2]" {
			t.Errorf("imageTags after untagging v1: %s, want [v2]", tags)
		}
	})
	t.Run("batch-delete-image by digest removes it", func(t *testing.T) {
		out := d.cli.obj(t, "batch-delete-image", "--repository-name", repo, "--image-ids", "imageDigest="+dig)
		if ids := fmt.Sprint(out["imageIds"]); ids != fmt.Sprintf("[map[imageDigest:%s imageTag:v2]]", dig) {
			t.Errorf("delete by digest: imageIds %s", ids)
		}
		if l := asList(t, "imageDetails", d.cli.obj(t, "describe-images", "--repository-name", repo)["imageDetails"]); len(l) != 0 {
			t.Errorf("describe-images after the delete: %v", l)
		}
		d.c.run(t, "docker", "rmi", "-f", ref+":v2")
		r := d.c.try(t, runOpts{}, "docker", "pull", ref+":v2")
		if r.Err == nil || !strings.Contains(strings.ToLower(r.Stderr+r.Stdout), "not found") {
			t.Errorf("docker pull of the deleted image should fail with not found:\n%s", r)
		}
	})
}

// TestECRDockerImmutableTags pushes over an immutable tag with docker, and through PutImage; then lets
// an excluded tag move.
func TestECRDockerImmutableTags(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	d := newDockerECR(t, s)
	repo := "docker/immutable"
	ref := s.Addr + "/" + repo
	d.cli.obj(t, "create-repository", "--repository-name", repo, "--image-tag-mutability", "IMMUTABLE")
	ctxDir, _ := helloContext(t, d.c, "immutable "+randomHex(8))
	d.build(t, ctxDir, ref+":v1")
	first := d.push(t, ref+":v1")
	// Another image: the same files under another label.
	d.build(t, ctxDir, ref+":other", "--label", "e2e.variant=other")
	second := d.push(t, ref+":other")
	if first == second {
		t.Fatal("the two builds made the same image")
	}

	t.Run("docker push over an immutable tag", func(t *testing.T) {
		d.c.run(t, "docker", "tag", ref+":other", ref+":v1")
		r := d.c.try(t, runOpts{}, "docker", "push", ref+":v1")
		out := r.Stdout + r.Stderr
		if r.Err == nil {
			t.Fatalf("docker push over the immutable tag v1 succeeded:\n%s", r)
		}
		if !strings.Contains(out, "tag invalid") || !strings.Contains(out, "The image tag 'v1' already exists") {
			t.Errorf("docker push output should say: tag invalid: The image tag 'v1' already exists …\n%s", r)
		}
		t.Logf("docker push refused: %s", lastLines(strings.TrimSpace(r.Stderr), 1))
		if det := d.imageDetail(t, repo, "imageTag=v1"); det["imageDigest"] != first {
			t.Errorf("v1 is now %v, want it still at %s", det["imageDigest"], first)
		}
	})
	t.Run("put-image over an immutable tag", func(t *testing.T) {
		out := d.cli.obj(t, "batch-get-image", "--repository-name", repo, "--image-ids", "imageTag=other")
		f := filepath.Join(d.c.Dir, "other.json")
		writeFile(t, f, []byte(asString(t, "imageManifest", asObj(t, "image", asList(t, "images", out["images"])[0])["imageManifest"])))
		msg := d.cli.fails(t, "ImageTagAlreadyExistsException", "PutImage", "put-image", "--repository-name", repo,
			"--image-tag", "v1", "--image-manifest", "file://"+f)
		if !strings.Contains(msg, "'v1'") {
			t.Errorf("message %q does not name the tag", msg)
		}
	})
	t.Run("IMMUTABLE_WITH_EXCLUSION lets latest move", func(t *testing.T) {
		d.cli.obj(t, "put-image-tag-mutability", "--repository-name", repo, "--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION",
			"--image-tag-mutability-exclusion-filters", "filterType=WILDCARD,filter=latest*")
		t.Cleanup(func() { d.c.try(t, runOpts{}, "docker", "rmi", "-f", ref+":latest") })
		d.c.run(t, "docker", "pull", ref+":v1") // locally, v1 names the other image since the first subtest
		d.c.run(t, "docker", "tag", ref+":v1", ref+":latest")
		if dig := d.push(t, ref+":latest"); dig != first {
			t.Fatalf("latest pushed as %s, want %s", dig, first)
		}
		d.c.run(t, "docker", "tag", ref+":other", ref+":latest")
		if dig := d.push(t, ref+":latest"); dig != second {
			t.Errorf("moving latest: pushed %s, want %s", dig, second)
		}
		d.c.run(t, "docker", "tag", ref+":other", ref+":v1")
		if r := d.c.try(t, runOpts{}, "docker", "push", ref+":v1"); r.Err == nil || !strings.Contains(r.Stdout+r.Stderr, "'v1'") {
			t.Errorf("v1 is not excluded and must stay immutable:\n%s", r)
		}
	})
}
