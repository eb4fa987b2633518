package manifest

import (
	"errors"
	"strings"
	"testing"
)

// Digests used throughout the tests (sha256 of the words, not that it matters
// except for the empty descriptor, whose content really is "{}").
const (
	dConfig  = "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"
	dLayer1  = "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
	dLayer2  = "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
	dLayer3  = "sha256:a0e70458d19e37e14d6388030a017c587283e2fb6ef10c0744cad0294c47e8f8"
	dChild1  = "sha256:c56d62f1e317670d153efd4673f39b7141249845c6d885f974aca96ae66858c0"
	dChild2  = "sha256:2c7c4f92b804280c22e7c3c6386322f12f16296942fd7a3b450c2eed107aa5ab"
	dSubject = "sha256:a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242"
	dEmpty   = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	dEmpty5  = "sha512:27c74670adb75075fad058d5ceaf7b20c4e7786c83bae8a32f626f9782af34c9a33c2046ef60fd2a7878d378e29fec851806bbd9a67878f3a9f1cda4830763fd"
)

// dockerImage is a Docker schema2 manifest as docker push writes it.
const dockerImage = `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1469,
      "digest": "` + dConfig + `"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2479,
         "digest": "` + dLayer1 + `"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 31,
         "digest": "` + dLayer2 + `"
      }
   ]
}`

// dockerWindows has a foreign layer, as Windows base images do.
const dockerWindows = `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1000, "digest": "` + dConfig + `"},
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 1000000,
         "digest": "` + dLayer1 + `",
         "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/` + dLayer1 + `"]
      },
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 500, "digest": "` + dLayer2 + `"},
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar", "size": 700, "digest": "` + dLayer3 + `"}
   ]
}`

// ociImage is an OCI image manifest without a mediaType field (allowed).
const ociImage = `{
  "schemaVersion": 2,
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "` + dConfig + `", "size": 1469},
  "layers": [
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "` + dLayer1 + `", "size": 2479,
     "annotations": {"org.example.layer": "base"}},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "` + dLayer2 + `", "size": 31}
  ],
  "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
}`

// ociArtifact is an OCI 1.1 artifact: empty config, artifactType, subject.
const ociArtifact = `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "artifactType": "application/vnd.example.sbom.v1+json",
  "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "` + dEmpty + `", "size": 2, "data": "e30="},
  "layers": [
    {"mediaType": "application/vnd.example.sbom.v1+json", "digest": "` + dLayer1 + `", "size": 10}
  ],
  "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "` + dSubject + `", "size": 1234},
  "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
}`

// ociIndex is a multi-platform OCI index.
const ociIndex = `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "` + dChild1 + `", "size": 500,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "` + dChild2 + `", "size": 501,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8", "os.features": ["x"]},
     "annotations": {"org.example": "yes"}}
  ],
  "annotations": {"org.opencontainers.image.ref.name": "v1"}
}`

// dockerList is a Docker manifest list.
const dockerList = `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 500,
         "digest": "` + dChild1 + `",
         "platform": {"architecture": "amd64", "os": "linux"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 501,
         "digest": "` + dChild2 + `",
         "platform": {"architecture": "arm", "os": "linux", "variant": "v7", "features": ["sse4"]}
      }
   ]
}`

// replace returns s with old replaced by new exactly once, failing the test
// if old does not occur: table cases built from the fixtures above must
// really differ from them.
func replace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture does not contain %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func mustParse(t testing.TB, contentType, payload string) *Manifest {
	t.Helper()
	m, err := Parse(contentType, []byte(payload))
	if err != nil {
		t.Fatalf("Parse(%q): %v", contentType, err)
	}
	return m
}

// wantInvalid checks that err is an *InvalidError whose Reason contains want.
func wantInvalid(t testing.TB, err error, want string) {
	t.Helper()
	var ie *InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v (%T), want *InvalidError", err, err)
	}
	if !strings.Contains(ie.Reason, want) {
		t.Fatalf("reason = %q\nwant it to contain %q", ie.Reason, want)
	}
}

func digests(ds []Descriptor) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d.Digest)
	}
	return out
}
