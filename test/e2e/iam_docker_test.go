package e2e

// TestIAMReadOnlyDocker: the real docker engine logged in as IAM users, as ECR users log in (`aws ecr
// get-login-password | docker login`): AmazonEC2ContainerRegistryReadOnly pulls and is refused a push
// with ECR's message; AmazonEC2ContainerRegistryPowerUser pushes.

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// dockerLoginAs is a docker client (its own DOCKER_CONFIG) logged in to s with c's credentials
// through the aws CLI.
func dockerLoginAs(t *testing.T, s *Server, c iamCreds) *clientEnv {
	t.Helper()
	tool(t, "docker")
	cli := cliAs(t, s, c)
	d := newClientEnv(t)
	env := append(c.env(), "AWS_DEFAULT_REGION="+Region, "AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(cli.dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(cli.dir, "credentials"))
	out := d.runWith(t, runOpts{env: env}, "bash", "-o", "pipefail", "-c",
		fmt.Sprintf("aws --endpoint-url %s ecr get-login-password | docker login -u AWS --password-stdin %s", s.URL(), s.Addr))
	if !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("docker login as %s did not succeed:\n%s", c.ARN, out)
	}
	return d
}

func TestIAMReadOnlyDocker(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	root := rootOf(s)
	repo := "iam/app"
	ref := s.Addr + "/" + repo
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": repo}, nil)
	pushed := newRegistry(s.Addr, s.Credentials(t)).pushImage(t, repo, "v1", newImage(t, map[string][]byte{"hello.txt": []byte("pushed by the root " + randomHex(8))}))

	reader := newIAMUser(t, s, root, "reader", nil, awsPolicyPrefix+"AmazonEC2ContainerRegistryReadOnly")
	pusher := newIAMUser(t, s, root, "pusher", nil, awsPolicyPrefix+"AmazonEC2ContainerRegistryPowerUser")
	rd := dockerLoginAs(t, s, reader)
	pd := dockerLoginAs(t, s, pusher)

	t.Cleanup(func() { rd.try(t, runOpts{}, "docker", "rmi", "-f", ref+":v1", ref+":by-reader", ref+":by-pusher") })
	out := rd.run(t, "docker", "pull", ref+":v1")
	if !strings.Contains(out, "Digest: "+pushed) {
		t.Errorf("docker pull as the ReadOnly user did not report %s:\n%s", pushed, out)
	}

	// A new image, so that docker has a layer to upload.
	ctx := filepath.Join(rd.Dir, "ctx")
	writeFile(t, filepath.Join(ctx, "msg.txt"), []byte("built for the IAM docker test "+randomHex(16)))
	writeFile(t, filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\nCOPY msg.txt /msg.txt\n"))
	rd.runWith(t, runOpts{env: []string{"DOCKER_BUILDKIT=0"}}, "docker", "build", "-q", "-t", ref+":by-reader", ctx)
	r := rd.try(t, runOpts{}, "docker", "push", ref+":by-reader")
	want := "denied: " + deniedMessage(reader.ARN, "ecr:InitiateLayerUpload", repoARN(s.AccountID, repo), noIdentityClause("ecr:InitiateLayerUpload"))
	if r.Err == nil {
		t.Errorf("docker push as the ReadOnly user succeeded:\n%s", r)
	} else if !strings.Contains(r.Stdout+r.Stderr, want) {
		t.Errorf("docker push as the ReadOnly user: the output lacks\n  %s\n%s", want, r)
	}

	t.Logf("docker push refused: %s", lastLines(strings.TrimSpace(r.Stderr), 1))
	pd.run(t, "docker", "tag", ref+":by-reader", ref+":by-pusher")
	out = pd.run(t, "docker", "push", ref+":by-pusher")
	m := ecrDockerDigestRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in docker push output:\n%s", out)
	}
	var images struct {
		ImageDetails []struct {
			ImageDigest string
			ImageTags   []string
		}
	}
	ecrJSON(t, s, "DescribeImages", map[string]any{"repositoryName": repo, "imageIds": []map[string]string{{"imageTag": "by-pusher"}}}, &images)
	if len(images.ImageDetails) != 1 || images.ImageDetails[0].ImageDigest != m[1] {
		t.Errorf("describe-images by-pusher: %+v, want the pushed %s", images, m[1])
	}
	// The refused push left no tag behind.
	status, body := s.ECR(t, "DescribeImages", map[string]any{"repositoryName": repo, "imageIds": []map[string]string{{"imageTag": "by-reader"}}})
	if status != 400 || !strings.Contains(string(body), "ImageNotFoundException") {
		t.Errorf("describe-images by-reader after the refused push: %d %s, want ImageNotFoundException", status, body)
	}
}
