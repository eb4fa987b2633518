package manifest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzParse checks that Parse never panics, that its errors are always
// *InvalidError, and that whatever it accepts can be digested and, when
// convertible, converted into something it accepts again with the same
// references.
func FuzzParse(f *testing.F) {
	seeds := []string{dockerImage, dockerWindows, ociImage, ociArtifact, ociIndex, dockerList,
		`{}`, `[]`, `{"schemaVersion": 1, "signatures": []}`, `{"schemaVersion": 2, "manifests": [{}]}`}
	for _, s := range seeds {
		for _, ct := range []string{"", MediaTypeOCIManifest, MediaTypeDockerSchema2, MediaTypeOCIIndex, MediaTypeDockerSchema1Signed} {
			f.Add(ct, []byte(s))
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "schema1-*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(MediaTypeDockerSchema1Signed, b)
			f.Add("", b)
		}
	}
	f.Fuzz(func(t *testing.T, contentType string, payload []byte) {
		m, err := Parse(contentType, payload)
		if err != nil {
			var ie *InvalidError
			if !errors.As(err, &ie) || ie.Reason == "" {
				t.Fatalf("error %v (%T) is not an *InvalidError with a reason", err, err)
			}
			if m != nil {
				t.Fatal("manifest returned with an error")
			}
			return
		}
		if !isManifestType(m.MediaType) {
			t.Fatalf("MediaType %q", m.MediaType)
		}
		if d := m.Digest(digest.SHA256); d.Validate() != nil {
			t.Fatalf("Digest = %q", d)
		}
		for _, b := range m.Blobs {
			if b.Digest.Validate() != nil {
				t.Fatalf("blob digest %q", b.Digest)
			}
		}
		agreeWithEncodingJSON(t, m)
		target := counterpart(m.MediaType)
		if target == "" || !Convertible(m, target) {
			return
		}
		out, err := Convert(m, target)
		if err != nil {
			t.Fatalf("Convert after Convertible: %v", err)
		}
		c, err := Parse(target, out)
		if err != nil {
			t.Fatalf("converted payload rejected: %v\n%s", err, out)
		}
		if !slices.Equal(digests(c.Blobs), digests(m.Blobs)) || !slices.Equal(digests(c.Manifests), digests(m.Manifests)) {
			t.Fatalf("conversion changed the references")
		}
	})
}

// agreeWithEncodingJSON checks Parse's hand-rolled member scanning against
// what a Go client (encoding/json into the image-spec types) reads from
// the same bytes: they must agree on everything the manifest references.
func agreeWithEncodingJSON(t *testing.T, m *Manifest) {
	t.Helper()
	switch m.MediaType {
	case MediaTypeOCIManifest, MediaTypeDockerSchema2:
		var v ocispec.Manifest
		if err := json.Unmarshal(m.Payload, &v); err != nil {
			t.Fatalf("encoding/json rejects an accepted manifest: %v", err)
		}
		if v.Config.Digest != m.Config.Digest || v.Config.MediaType != m.Config.MediaType || v.Config.Size != m.Config.Size {
			t.Fatalf("config: encoding/json reads %+v, Parse %+v", v.Config, *m.Config)
		}
		if len(v.Layers) != len(m.Layers) {
			t.Fatalf("encoding/json reads %d layers, Parse %d", len(v.Layers), len(m.Layers))
		}
		for i, l := range v.Layers {
			if l.Digest != m.Layers[i].Digest || l.MediaType != m.Layers[i].MediaType || l.Size != m.Layers[i].Size || len(l.URLs) != len(m.Layers[i].URLs) {
				t.Fatalf("layers[%d]: encoding/json reads %+v, Parse %+v", i, l, m.Layers[i])
			}
		}
		if (v.Subject == nil) != (m.Subject == nil) && m.MediaType == MediaTypeOCIManifest {
			t.Fatalf("subject: encoding/json reads %v, Parse %v", v.Subject, m.Subject)
		}
	case MediaTypeOCIIndex, MediaTypeDockerManifestList:
		var v ocispec.Index
		if err := json.Unmarshal(m.Payload, &v); err != nil {
			t.Fatalf("encoding/json rejects an accepted index: %v", err)
		}
		if len(v.Manifests) != len(m.Manifests) {
			t.Fatalf("encoding/json reads %d children, Parse %d", len(v.Manifests), len(m.Manifests))
		}
		for i, c := range v.Manifests {
			if c.Digest != m.Manifests[i].Digest || c.MediaType != m.Manifests[i].MediaType {
				t.Fatalf("manifests[%d]: encoding/json reads %+v, Parse %+v", i, c, m.Manifests[i])
			}
		}
	}
}

// FuzzNegotiate checks that Negotiate never panics and only ever answers
// the stored type, its counterpart, or signed schema1 for an image manifest.
func FuzzNegotiate(f *testing.F) {
	f.Add("application/vnd.oci.image.manifest.v1+json;q=0, */*", MediaTypeDockerSchema2)
	f.Add("application/*;q=0.5,,;q=", MediaTypeOCIIndex)
	f.Add("application/vnd.docker.distribution.manifest.v1+prettyjws", MediaTypeDockerSchema2)
	f.Fuzz(func(t *testing.T, accept, stored string) {
		got := Negotiate(strings.Split(accept, "\n"), stored)
		image := stored == MediaTypeDockerSchema2 || stored == MediaTypeOCIManifest
		if got != stored && got != counterpart(stored) && (!image || got != MediaTypeDockerSchema1Signed) {
			t.Fatalf("Negotiate(%q, %q) = %q", accept, stored, got)
		}
	})
}
