package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestParseValid(t *testing.T) {
	nonDist := `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "` + dConfig + `", "size": 1},
  "layers": [
    {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar", "digest": "` + dLayer1 + `", "size": 1},
    {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "digest": "` + dLayer2 + `", "size": 2,
     "urls": ["https://example.com/layer2"]},
    {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", "digest": "` + dLayer3 + `", "size": 3},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "` + dChild1 + `", "size": 4,
     "urls": ["http://example.com/any-layer-with-urls"]},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": "` + dChild2 + `", "size": 5}
  ]
}`
	emptyIndex := `{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}`
	nestedIndex := `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "` + dChild1 + `", "size": 300},
    {"mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "digest": "` + dChild2 + `", "size": 301},
    {"mediaType": "application/vnd.example.whatever", "digest": "` + dLayer1 + `", "size": 3, "artifactType": "application/vnd.example.sig"}
  ]
}`
	indexWithSubject := `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "artifactType": "application/vnd.example.bundle",
  "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "` + dChild1 + `", "size": 10}],
  "subject": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "` + dSubject + `", "size": 99},
  "annotations": {"a": "b"}
}`
	noLayers := `{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "` + dEmpty + `", "size": 2}}`
	emptyLayers := `{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.example.config+json", "digest": "` + dConfig + `", "size": 2}, "layers": []}`
	dupLayers := replace(t, dockerImage, dLayer2, dLayer1)
	sha512 := `{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "` + dEmpty5 + `", "size": 2, "data": "e30="},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "` + dEmpty5 + `", "size": 2}]}`

	tests := []struct {
		name, contentType, payload string
		mediaType                  string
		blobs, layers, children    []string
		configType, artifactType   string
		subject                    string
		annotations                int
	}{
		{
			name: "docker schema2", contentType: MediaTypeDockerSchema2, payload: dockerImage,
			mediaType: MediaTypeDockerSchema2, blobs: []string{dConfig, dLayer1, dLayer2},
			layers: []string{dLayer1, dLayer2}, configType: MediaTypeDockerConfig,
		},
		{
			name: "docker schema2 detected from mediaType with no Content-Type", payload: dockerImage,
			mediaType: MediaTypeDockerSchema2, blobs: []string{dConfig, dLayer1, dLayer2},
			layers: []string{dLayer1, dLayer2}, configType: MediaTypeDockerConfig,
		},
		{
			name: "foreign layer is in Layers but not Blobs", contentType: MediaTypeDockerSchema2, payload: dockerWindows,
			mediaType: MediaTypeDockerSchema2, blobs: []string{dConfig, dLayer2, dLayer3},
			layers: []string{dLayer1, dLayer2, dLayer3}, configType: MediaTypeDockerConfig,
		},
		{
			name: "duplicate layers are one blob", contentType: MediaTypeDockerSchema2, payload: dupLayers,
			mediaType: MediaTypeDockerSchema2, blobs: []string{dConfig, dLayer1},
			layers: []string{dLayer1, dLayer1}, configType: MediaTypeDockerConfig,
		},
		{
			name: "OCI manifest without mediaType field, Content-Type says OCI", contentType: MediaTypeOCIManifest, payload: ociImage,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig, dLayer1, dLayer2}, layers: []string{dLayer1, dLayer2},
			configType: MediaTypeOCIConfig, artifactType: MediaTypeOCIConfig, annotations: 1,
		},
		{
			name: "OCI manifest detected from config with no Content-Type", payload: ociImage,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig, dLayer1, dLayer2}, layers: []string{dLayer1, dLayer2},
			configType: MediaTypeOCIConfig, artifactType: MediaTypeOCIConfig, annotations: 1,
		},
		{
			name: "Content-Type application/json falls back to detection", contentType: "application/json", payload: ociImage,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig, dLayer1, dLayer2}, layers: []string{dLayer1, dLayer2},
			configType: MediaTypeOCIConfig, artifactType: MediaTypeOCIConfig, annotations: 1,
		},
		{
			name: "Content-Type with parameters", contentType: "Application/VND.oci.image.manifest.v1+json; charset=utf-8", payload: ociImage,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig, dLayer1, dLayer2}, layers: []string{dLayer1, dLayer2},
			configType: MediaTypeOCIConfig, artifactType: MediaTypeOCIConfig, annotations: 1,
		},
		{
			name: "malformed Content-Type is ignored", contentType: "application/vnd.oci.image.manifest.v1+json; =", payload: ociImage,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig, dLayer1, dLayer2}, layers: []string{dLayer1, dLayer2},
			configType: MediaTypeOCIConfig, artifactType: MediaTypeOCIConfig, annotations: 1,
		},
		{
			name: "artifact with empty config, artifactType and subject", contentType: MediaTypeOCIManifest, payload: ociArtifact,
			mediaType: MediaTypeOCIManifest, blobs: []string{dEmpty, dLayer1}, layers: []string{dLayer1},
			configType: MediaTypeOCIEmpty, artifactType: "application/vnd.example.sbom.v1+json", subject: dSubject, annotations: 1,
		},
		{
			name: "no layers field (conformance: No Layers)", contentType: MediaTypeOCIManifest, payload: noLayers,
			mediaType: MediaTypeOCIManifest, blobs: []string{dEmpty}, layers: []string{},
			configType: MediaTypeOCIEmpty, artifactType: MediaTypeOCIEmpty,
		},
		{
			name: "empty layers array", contentType: MediaTypeOCIManifest, payload: emptyLayers,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig}, layers: []string{},
			configType: "application/vnd.example.config+json", artifactType: "application/vnd.example.config+json",
		},
		{
			name: "non-distributable and URL layers are not blobs", contentType: MediaTypeOCIManifest, payload: nonDist,
			mediaType: MediaTypeOCIManifest, blobs: []string{dConfig, dChild2},
			layers:     []string{dLayer1, dLayer2, dLayer3, dChild1, dChild2},
			configType: MediaTypeOCIConfig, artifactType: MediaTypeOCIConfig,
		},
		{
			name: "sha512 digests and embedded data", contentType: MediaTypeOCIManifest, payload: sha512,
			mediaType: MediaTypeOCIManifest, blobs: []string{dEmpty5}, layers: []string{dEmpty5},
			configType: MediaTypeOCIEmpty, artifactType: MediaTypeOCIEmpty,
		},
		{
			name: "OCI index", contentType: MediaTypeOCIIndex, payload: ociIndex,
			mediaType: MediaTypeOCIIndex, children: []string{dChild1, dChild2}, annotations: 1,
		},
		{
			name: "OCI index detected from manifests", payload: strings.Replace(ociIndex, `"mediaType": "application/vnd.oci.image.index.v1+json",`, "", 1),
			mediaType: MediaTypeOCIIndex, children: []string{dChild1, dChild2}, annotations: 1,
		},
		{
			name: "empty index (conformance: Empty Index)", contentType: MediaTypeOCIIndex, payload: emptyIndex,
			mediaType: MediaTypeOCIIndex, children: []string{},
		},
		{
			name: "nested index", contentType: MediaTypeOCIIndex, payload: nestedIndex,
			mediaType: MediaTypeOCIIndex, children: []string{dChild1, dChild2, dLayer1},
		},
		{
			name: "index with subject and artifactType", contentType: MediaTypeOCIIndex, payload: indexWithSubject,
			mediaType: MediaTypeOCIIndex, children: []string{dChild1}, artifactType: "application/vnd.example.bundle",
			subject: dSubject, annotations: 1,
		},
		{
			name: "docker manifest list", contentType: MediaTypeDockerManifestList, payload: dockerList,
			mediaType: MediaTypeDockerManifestList, children: []string{dChild1, dChild2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.contentType, tt.payload)
			if m.MediaType != tt.mediaType {
				t.Errorf("MediaType = %q, want %q", m.MediaType, tt.mediaType)
			}
			if !bytes.Equal(m.Payload, []byte(tt.payload)) {
				t.Errorf("Payload differs from the input")
			}
			if got := m.Digest(digest.SHA256); got != digest.FromString(tt.payload) {
				t.Errorf("Digest(sha256) = %s, want digest of payload", got)
			}
			if got := m.Digest(digest.SHA512); got != digest.SHA512.FromString(tt.payload) {
				t.Errorf("Digest(sha512) = %s, want sha512 of payload", got)
			}
			check := func(field string, got []Descriptor, want []string) {
				t.Helper()
				if want == nil {
					want = []string{}
				}
				if g := digests(got); !slices.Equal(g, want) {
					t.Errorf("%s = %v, want %v", field, g, want)
				}
			}
			check("Blobs", m.Blobs, tt.blobs)
			check("Layers", m.Layers, tt.layers)
			check("Manifests", m.Manifests, tt.children)
			if m.ConfigMediaType != tt.configType {
				t.Errorf("ConfigMediaType = %q, want %q", m.ConfigMediaType, tt.configType)
			}
			if (m.Config == nil) != (tt.configType == "") {
				t.Errorf("Config = %v, want one iff there is a config type", m.Config)
			}
			if m.ArtifactType != tt.artifactType {
				t.Errorf("ArtifactType = %q, want %q", m.ArtifactType, tt.artifactType)
			}
			var subject string
			if m.Subject != nil {
				subject = string(m.Subject.Digest)
			}
			if subject != tt.subject {
				t.Errorf("Subject = %q, want %q", subject, tt.subject)
			}
			if len(m.Annotations) != tt.annotations {
				t.Errorf("Annotations = %v, want %d", m.Annotations, tt.annotations)
			}
		})
	}
}

func TestParseDescriptorFields(t *testing.T) {
	m := mustParse(t, MediaTypeOCIIndex, ociIndex)
	c := m.Manifests[1]
	if c.Platform == nil || c.Platform.Architecture != "arm64" || c.Platform.OS != "linux" ||
		c.Platform.Variant != "v8" || !slices.Equal(c.Platform.OSFeatures, []string{"x"}) {
		t.Errorf("platform = %+v", c.Platform)
	}
	if c.Annotations["org.example"] != "yes" || c.Size != 501 || c.MediaType != MediaTypeOCIManifest {
		t.Errorf("child = %+v", c)
	}
	w := mustParse(t, "", dockerWindows)
	if got := w.Layers[0].URLs; len(got) != 1 || !strings.HasPrefix(got[0], "https://mcr.microsoft.com/") {
		t.Errorf("urls = %v", got)
	}
	a := mustParse(t, "", ociArtifact)
	if string(a.Config.Data) != "{}" {
		t.Errorf("config data = %q", a.Config.Data)
	}
}

func TestParseInvalid(t *testing.T) {
	oci := MediaTypeOCIManifest
	bad := func(old, new string) string { return replace(t, ociImage, old, new) }
	badIndex := func(old, new string) string { return replace(t, ociIndex, old, new) }
	tests := []struct {
		name, contentType, payload, reason string
	}{
		// JSON shape.
		{"empty", oci, "", "payload is empty"},
		{"blank", oci, " \n", "payload is empty"},
		{"not JSON", oci, `{"schemaVersion": 2,`, "payload is not valid JSON"},
		{"array", oci, `[1, 2]`, "payload must be a JSON object, got an array"},
		{"string", oci, `"manifest"`, "payload must be a JSON object, got a string"},
		{"null", oci, `null`, "payload must be a JSON object, got null"},
		{"trailing garbage", oci, ociImage + " x", "unexpected data after the JSON object"},
		{"second object", oci, ociImage + "{}", "unexpected data after the JSON object"},
		{"duplicate top-level key", oci, bad(`"schemaVersion": 2,`, `"schemaVersion": 2, "schemaVersion": 2,`), `duplicate key "schemaVersion" in the manifest`},
		{"duplicate escaped key", oci, bad(`"schemaVersion": 2,`, `"schemaVersion": 2, "schema\u0056ersion": 2,`), `duplicate key "schemaVersion"`},
		{"duplicate key in a layer", oci, bad(`"size": 31}`, `"size": 31, "size": 32}`), `duplicate key "size" in layers[1]`},
		{"duplicate annotation", oci, bad(`{"org.example.layer": "base"}`, `{"org.example.layer": "base", "org.example.layer": "other"}`), `duplicate key "org.example.layer" in layers[0].annotations`},
		{"look-alike key", oci, bad(`"layers":`, `"Layers": [], "layers":`), `field "Layers" must be spelled "layers"`},
		{"look-alike key in descriptor", oci, bad(`"size": 31}`, `"size": 31, "Digest": "x"}`), `layers[1]: field "Digest" must be spelled "digest"`},
		{"invalid UTF-8", oci, bad(`"base"`, "\"ba\xffse\""), "not valid UTF-8"},
		{"too large", oci, `{"a":"` + strings.Repeat("x", MaxSize) + `"}`, "the limit is 4194304 bytes"},

		// Media type resolution.
		{"Content-Type does not match mediaType", MediaTypeDockerSchema2, ociArtifact,
			"Content-Type application/vnd.docker.distribution.manifest.v2+json does not match the manifest's mediaType application/vnd.oci.image.manifest.v1+json"},
		{"index sent as manifest", oci, ociIndex, "does not match the manifest's mediaType application/vnd.oci.image.index.v1+json"},
		{"unknown mediaType", "", `{"schemaVersion": 2, "mediaType": "application/vnd.oci.artifact.manifest.v1+json"}`, `unsupported manifest mediaType "application/vnd.oci.artifact.manifest.v1+json"`},
		{"mediaType not a string", "", `{"schemaVersion": 2, "mediaType": 7}`, "mediaType must be a string, got 7"},
		{"cannot detect", "text/plain", `{"schemaVersion": 2}`, "cannot tell what kind of manifest this is"},

		// schemaVersion.
		{"schemaVersion missing", oci, bad(`"schemaVersion": 2,`, ``), "schemaVersion is required (expected 2 for an OCI image manifest)"},
		{"schemaVersion 1 on OCI", oci, bad(`"schemaVersion": 2`, `"schemaVersion": 1`), "schemaVersion must be 2 for an OCI image manifest, got 1"},
		{"schemaVersion 3", oci, bad(`"schemaVersion": 2`, `"schemaVersion": 3`), "schemaVersion must be 2"},
		{"schemaVersion string", oci, bad(`"schemaVersion": 2`, `"schemaVersion": "2"`), `schemaVersion must be an integer, got "2"`},
		{"schemaVersion float", oci, bad(`"schemaVersion": 2`, `"schemaVersion": 2.0`), `schemaVersion must be an integer, got 2.0`},
		{"schemaVersion 1 on index", MediaTypeOCIIndex, badIndex(`"schemaVersion": 2`, `"schemaVersion": 1`), "schemaVersion must be 2 for an OCI image index, got 1"},

		// Image manifest structure.
		{"missing config", oci, `{"schemaVersion": 2, "layers": []}`, "config is required in an OCI image manifest"},
		{"null config", oci, `{"schemaVersion": 2, "config": null, "layers": []}`, "config is required"},
		{"config not an object", oci, `{"schemaVersion": 2, "config": "sha256:abc", "layers": []}`, "config must be a JSON object"},
		{"layers not an array", oci, bad(`"layers": [`, `"layers": {"x": [`) + "}", "layers must be an array"},
		{"manifest with manifests", oci, bad(`"layers":`, `"manifests": [], "layers":`), "an OCI image manifest must not have a manifests field"},
		{"docker without mediaType field", MediaTypeDockerSchema2, replace(t, dockerImage, `"mediaType": "application/vnd.docker.distribution.manifest.v2+json",`, ""),
			`mediaType is required in a Docker schema2 manifest (expected "application/vnd.docker.distribution.manifest.v2+json")`},
		{"docker without layers", MediaTypeDockerSchema2, `{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
			"config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "` + dConfig + `"}}`,
			"layers is required in a Docker schema2 manifest"},
		{"artifactType empty", oci, bad(`"schemaVersion": 2,`, `"schemaVersion": 2, "artifactType": "",`), `artifactType "" is not a valid media type`},
		{"artifactType not a media type", oci, bad(`"schemaVersion": 2,`, `"schemaVersion": 2, "artifactType": "sbom",`), `artifactType "sbom" is not a valid media type`},
		{"artifactType not a string", oci, bad(`"schemaVersion": 2,`, `"schemaVersion": 2, "artifactType": ["a/b"],`), `artifactType must be a string`},
		{"annotations not strings", oci, bad(`"2024-01-01T00:00:00Z"`, `12`), "annotations must be an object whose values are strings"},

		// Index structure.
		{"index without manifests", MediaTypeOCIIndex, `{"schemaVersion": 2}`, "manifests is required in an OCI image index"},
		{"index with config", MediaTypeOCIIndex, badIndex(`"manifests":`, `"config": {}, "manifests":`), "an OCI image index must not have a config field"},
		{"index with layers", MediaTypeOCIIndex, badIndex(`"manifests":`, `"layers": [], "manifests":`), "must not have a layers field"},
		{"list without mediaType", MediaTypeDockerManifestList, `{"schemaVersion": 2, "manifests": []}`, "mediaType is required in a Docker manifest list"},
		{"platform without os", MediaTypeOCIIndex, badIndex(`"arm64", "os": "linux",`, `"arm64",`), "manifests[1].platform.os is required"},
		{"platform not an object", MediaTypeOCIIndex, badIndex(`{"architecture": "amd64", "os": "linux"}`, `"linux/amd64"`), "manifests[0].platform must be a JSON object"},
		{"os.features not strings", MediaTypeOCIIndex, badIndex(`["x"]`, `[1]`), "manifests[1].platform.os.features must be an array of strings"},

		// Descriptors, in every position.
		{"config digest bad algorithm", oci, bad(`"digest": "`+dConfig, `"digest": "md5:d41d8cd98f00b204e9800998ecf8427e`), `config.digest "md5:d41d8cd98f00b204e9800998ecf8427e" is not a valid digest`},
		{"layer digest not hex", oci, bad(`"digest": "`+dLayer2, `"digest": "sha256:xyz`), `layers[1].digest "sha256:xyz" is not a valid digest`},
		{"layer digest short", oci, bad(dLayer1, dLayer1[:70]), `layers[0].digest "` + dLayer1[:70] + `" is not a valid digest`},
		{"layer digest upper case", oci, bad(dLayer1, strings.ToUpper(dLayer1[:7])+strings.ToUpper(dLayer1[7:])), `layers[0].digest "SHA256:`},
		{"layer digest upper-case hex", oci, bad(dLayer1, "sha256:"+strings.ToUpper(dLayer1[7:])), `layers[0].digest "sha256:77EA`},
		{"layer digest no algorithm", oci, bad(dLayer1, dLayer1[7:]), `layers[0].digest "77ea`},
		{"child digest bad", MediaTypeOCIIndex, badIndex(dChild1, "sha256:xyz"), `manifests[0].digest "sha256:xyz" is not a valid digest`},
		{"subject digest bad", oci, replace(t, ociArtifact, dSubject, "sha256:"), `subject.digest "sha256:" is not a valid digest`},
		{"config digest missing", oci, bad(`"digest": "`+dConfig+`", `, ``), "config.digest is required"},
		{"config mediaType missing", oci, bad(`"mediaType": "application/vnd.oci.image.config.v1+json", `, ``), "config.mediaType is required"},
		{"config mediaType empty", oci, bad(`"application/vnd.oci.image.config.v1+json"`, `""`), "config.mediaType is required"},
		{"layer mediaType invalid", oci, bad(`"application/vnd.oci.image.layer.v1.tar"`, `"tarball"`), `layers[1].mediaType "tarball" is not a valid media type`},
		{"layer mediaType with parameters", oci, bad(`"application/vnd.oci.image.layer.v1.tar"`, `"application/x-tar; v=1"`), `is not a valid media type`},
		{"size missing", oci, bad(`, "size": 31`, ``), "layers[1].size is required"},
		{"size negative", oci, bad(`"size": 31`, `"size": -1`), "layers[1].size must not be negative, got -1"},
		{"size string", oci, bad(`"size": 31`, `"size": "31"`), `layers[1].size must be an integer, got "31"`},
		{"size fraction", oci, bad(`"size": 31`, `"size": 3.5`), "layers[1].size must be an integer, got 3.5"},
		{"size overflow", oci, bad(`"size": 31`, `"size": 99999999999999999999`), "layers[1].size must be an integer"},
		{"url not http", oci, bad(`"size": 31`, `"size": 31, "urls": ["ftp://example.com/x"]`), `layers[1].urls[0] "ftp://example.com/x" must be an absolute http or https URL`},
		{"url with fragment", oci, bad(`"size": 31`, `"size": 31, "urls": ["https://example.com/x#y"]`), `layers[1].urls[0] "https://example.com/x#y"`},
		{"url relative", oci, bad(`"size": 31`, `"size": 31, "urls": ["/v2/x"]`), `layers[1].urls[0] "/v2/x"`},
		{"urls not strings", oci, bad(`"size": 31`, `"size": 31, "urls": "https://example.com"`), "layers[1].urls must be an array of strings"},
		{"data not base64", oci, replace(t, ociArtifact, `"e30="`, `"{}"`), "config.data must be standard base64"},
		{"data wrong size", oci, replace(t, ociArtifact, `"e30="`, `"e30K"`), "config.data holds 3 bytes but size is 2"},
		{"data wrong content", oci, replace(t, ociArtifact, `"e30="`, `"W10="`), "config.data does not match digest " + dEmpty},
		{"descriptor artifactType invalid", MediaTypeOCIIndex, badIndex(`"size": 500,`, `"size": 500, "artifactType": "x",`), `manifests[0].artifactType "x" is not a valid media type`},
		{"descriptor annotations not strings", oci, bad(`{"org.example.layer": "base"}`, `{"org.example.layer": true}`), "layers[0].annotations must be an object whose values are strings"},
		{"descriptor not an object", oci, bad(`"layers": [`, `"layers": [1, `), "layers[0] must be a JSON object"},
		{"subject not an object", oci, replace(t, ociArtifact, `"subject": {`, `"subject": 5, "x": {`), "subject must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.contentType, []byte(tt.payload))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", m)
			}
			if m != nil {
				t.Errorf("Parse returned a manifest with its error")
			}
			wantInvalid(t, err, tt.reason)
		})
	}
}

// TestParseDeepNesting makes sure the duplicate-key walk is linear: a
// quadratic one would take minutes on this.
func TestParseDeepNesting(t *testing.T) {
	const depth = 4000 // objects and arrays: 8000 levels, under json.Valid's 10000
	nested := strings.Repeat(`{"a":[`, depth) + `"` + strings.Repeat("x", 1<<20) + `"` + strings.Repeat(`]}`, depth)
	payload := replace(t, ociImage, `"schemaVersion": 2,`, `"schemaVersion": 2, "x-extension": `+nested+`,`)
	mustParse(t, MediaTypeOCIManifest, payload)

	dup := replace(t, ociImage, `"schemaVersion": 2,`, `"schemaVersion": 2, "x": [[{"k": 1}, {"k": 2, "k": 3}]],`)
	_, err := Parse(MediaTypeOCIManifest, []byte(dup))
	wantInvalid(t, err, `duplicate key "k" in x[0][1]`)
}

func TestDigestUnsupportedAlgorithm(t *testing.T) {
	m := mustParse(t, "", ociImage)
	if got := m.Digest("md5"); got != "" {
		t.Errorf("Digest(md5) = %q, want empty", got)
	}
}

func TestInvalidErrorMessage(t *testing.T) {
	_, err := Parse("", []byte("[]"))
	if got, want := err.Error(), "invalid manifest: payload must be a JSON object, got an array"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = Parse("", []byte(`{"a": }`))
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		t.Errorf("error %v does not wrap the JSON syntax error", err)
	}
}

// BenchmarkParse measures a typical image manifest and one near MaxSize
// (thousands of layers), the worst a client can send.
func BenchmarkParse(b *testing.B) {
	layer := `{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "` + dLayer1 + `", "size": 2479, "annotations": {"a": "b"}}`
	var big strings.Builder
	big.WriteString(`{"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "` + dConfig + `", "size": 1}, "layers": [`)
	for big.Len() < MaxSize-len(layer)-10 {
		if !strings.HasSuffix(big.String(), "[") {
			big.WriteString(",")
		}
		big.WriteString(layer)
	}
	big.WriteString("]}")
	for _, bm := range []struct{ name, payload string }{{"typical", ociImage}, {"4MiB", big.String()}} {
		b.Run(bm.name, func(b *testing.B) {
			payload := []byte(bm.payload)
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := Parse(MediaTypeOCIManifest, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
