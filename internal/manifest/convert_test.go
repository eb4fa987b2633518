package manifest

import (
	"bytes"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
)

func TestConvertGolden(t *testing.T) {
	tests := []struct {
		name, payload, target, want string
	}{
		{
			name: "docker schema2 to OCI", payload: dockerImage, target: MediaTypeOCIManifest,
			want: `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.oci.image.manifest.v1+json",
   "config": {
      "mediaType": "application/vnd.oci.image.config.v1+json",
      "digest": "` + dConfig + `",
      "size": 1469
   },
   "layers": [
      {
         "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
         "digest": "` + dLayer1 + `",
         "size": 2479
      },
      {
         "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
         "digest": "` + dLayer2 + `",
         "size": 31
      }
   ]
}`,
		},
		{
			name: "foreign and uncompressed layers to OCI", payload: dockerWindows, target: MediaTypeOCIManifest,
			want: `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.oci.image.manifest.v1+json",
   "config": {
      "mediaType": "application/vnd.oci.image.config.v1+json",
      "digest": "` + dConfig + `",
      "size": 1000
   },
   "layers": [
      {
         "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
         "digest": "` + dLayer1 + `",
         "size": 1000000,
         "urls": [
            "https://mcr.microsoft.com/v2/windows/servercore/blobs/` + dLayer1 + `"
         ]
      },
      {
         "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
         "digest": "` + dLayer2 + `",
         "size": 500
      },
      {
         "mediaType": "application/vnd.oci.image.layer.v1.tar",
         "digest": "` + dLayer3 + `",
         "size": 700
      }
   ]
}`,
		},
		{
			name: "OCI to docker schema2 keeps annotations", payload: ociImage, target: MediaTypeDockerSchema2,
			want: `{
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
         "digest": "` + dLayer1 + `",
         "annotations": {
            "org.example.layer": "base"
         }
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar",
         "size": 31,
         "digest": "` + dLayer2 + `"
      }
   ],
   "annotations": {
      "org.opencontainers.image.created": "2024-01-01T00:00:00Z"
   }
}`,
		},
		{
			name: "docker list to OCI index", payload: dockerList, target: MediaTypeOCIIndex,
			want: `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.oci.image.index.v1+json",
   "manifests": [
      {
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "` + dChild1 + `",
         "size": 500,
         "platform": {
            "architecture": "amd64",
            "os": "linux"
         }
      },
      {
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "` + dChild2 + `",
         "size": 501,
         "platform": {
            "architecture": "arm",
            "os": "linux",
            "variant": "v7"
         }
      }
   ]
}`,
		},
		{
			name: "OCI index to docker list", payload: ociIndex, target: MediaTypeDockerManifestList,
			want: `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 500,
         "digest": "` + dChild1 + `",
         "platform": {
            "architecture": "amd64",
            "os": "linux"
         }
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 501,
         "digest": "` + dChild2 + `",
         "annotations": {
            "org.example": "yes"
         },
         "platform": {
            "architecture": "arm64",
            "os": "linux",
            "os.features": [
               "x"
            ],
            "variant": "v8"
         }
      }
   ],
   "annotations": {
      "org.opencontainers.image.ref.name": "v1"
   }
}`,
		},
		{
			name: "empty index to docker list", payload: `{"schemaVersion": 2, "manifests": []}`, target: MediaTypeDockerManifestList,
			want: `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": []
}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, "", tt.payload)
			if !Convertible(m, tt.target) {
				t.Fatalf("Convertible = false")
			}
			got, err := Convert(m, tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Convert =\n%s\nwant\n%s", got, tt.want)
			}
			again, _ := Convert(m, tt.target)
			if !bytes.Equal(got, again) {
				t.Errorf("Convert is not deterministic")
			}
			if _, err := Parse(tt.target, got); err != nil {
				t.Errorf("converted payload does not parse: %v", err)
			}
		})
	}
}

// sameDescriptors compares descriptors field by field, media types aside
// when ignoreType is set, treating nil and empty maps and slices alike.
func sameDescriptors(t *testing.T, field string, got, want []Descriptor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d descriptors, want %d", field, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.MediaType != w.MediaType || g.Digest != w.Digest || g.Size != w.Size ||
			!slices.Equal(g.URLs, w.URLs) || !maps.Equal(g.Annotations, w.Annotations) ||
			!bytes.Equal(g.Data, w.Data) || !reflect.DeepEqual(g.Platform, w.Platform) || g.ArtifactType != w.ArtifactType {
			t.Errorf("%s[%d] = %+v\nwant %+v", field, i, g, w)
		}
	}
}

func TestConvertRoundTrip(t *testing.T) {
	tests := []struct {
		name, payload, via string
		sameBytes          bool
	}{
		{"docker schema2 via OCI", dockerImage, MediaTypeOCIManifest, true},
		{"docker foreign layers via OCI", dockerWindows, MediaTypeOCIManifest, false},
		{"OCI via docker schema2", ociImage, MediaTypeDockerSchema2, false},
		{"docker list via OCI index", dockerList, MediaTypeOCIIndex, false},
		{"OCI index via docker list", ociIndex, MediaTypeDockerManifestList, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := mustParse(t, "", tt.payload)
			mid, err := Convert(orig, tt.via)
			if err != nil {
				t.Fatal(err)
			}
			midM := mustParse(t, tt.via, string(mid))
			back, err := Convert(midM, orig.MediaType)
			if err != nil {
				t.Fatal(err)
			}
			m := mustParse(t, orig.MediaType, string(back))
			if tt.sameBytes && string(back) != tt.payload {
				t.Errorf("round trip changed the bytes:\n%s", back)
			}
			if m.MediaType != orig.MediaType || m.ConfigMediaType != orig.ConfigMediaType {
				t.Errorf("types = %s/%s, want %s/%s", m.MediaType, m.ConfigMediaType, orig.MediaType, orig.ConfigMediaType)
			}
			if (m.Config == nil) != (orig.Config == nil) {
				t.Fatalf("config presence changed")
			}
			if m.Config != nil {
				sameDescriptors(t, "Config", []Descriptor{*m.Config}, []Descriptor{*orig.Config})
			}
			sameDescriptors(t, "Layers", m.Layers, orig.Layers)
			sameDescriptors(t, "Blobs", m.Blobs, orig.Blobs)
			sameDescriptors(t, "Manifests", m.Manifests, orig.Manifests)
			if !maps.Equal(m.Annotations, orig.Annotations) {
				t.Errorf("Annotations = %v, want %v", m.Annotations, orig.Annotations)
			}
			// The intermediate form references the same content.
			if !slices.Equal(digests(midM.Blobs), digests(orig.Blobs)) || !slices.Equal(digests(midM.Manifests), digests(orig.Manifests)) {
				t.Errorf("conversion changed what the manifest references")
			}
		})
	}
}

func TestNotConvertible(t *testing.T) {
	oci := MediaTypeOCIManifest
	s2 := MediaTypeDockerSchema2
	subjectOnly := replace(t, ociImage, `"schemaVersion": 2,`, `"schemaVersion": 2, "subject": {"mediaType": "`+oci+`", "digest": "`+dSubject+`", "size": 1},`)
	helm := replace(t, ociImage, MediaTypeOCIConfig, "application/vnd.cncf.helm.config.v1+json")
	zstd := replace(t, ociImage, MediaTypeOCILayerGzip, MediaTypeOCILayerZstd)
	nonDistTar := replace(t, ociImage, `"application/vnd.oci.image.layer.v1.tar"`, `"`+MediaTypeOCILayerNonDistributable+`"`)
	plugin := replace(t, dockerImage, MediaTypeDockerConfig, "application/vnd.docker.plugin.v1+json")
	dockerOCILayer := replace(t, dockerImage, MediaTypeDockerLayer, MediaTypeOCILayerGzip)
	indexArtifact := replace(t, ociIndex, `"manifests":`, `"artifactType": "application/vnd.example", "manifests":`)
	indexSubject := replace(t, ociIndex, `"manifests":`, `"subject": {"mediaType": "`+oci+`", "digest": "`+dSubject+`", "size": 1}, "manifests":`)
	childArtifact := replace(t, ociIndex, `"size": 500,`, `"size": 500, "artifactType": "application/vnd.example",`)
	tests := []struct {
		name, payload, target string
	}{
		{"artifact with artifactType", ociArtifact, s2},
		{"manifest with subject", subjectOnly, s2},
		{"non-image config", helm, s2},
		{"zstd layer", zstd, s2},
		{"uncompressed non-distributable layer", nonDistTar, s2},
		{"docker plugin", plugin, oci},
		{"docker manifest with OCI layer type", dockerOCILayer, oci},
		{"index with artifactType", indexArtifact, MediaTypeDockerManifestList},
		{"index with subject", indexSubject, MediaTypeDockerManifestList},
		{"index with an artifact child", childArtifact, MediaTypeDockerManifestList},
		{"manifest to index", dockerImage, MediaTypeOCIIndex},
		{"index to manifest", ociIndex, s2},
		{"schema1 to schema2", string(readFixture(t, "schema1-unsigned.json")), s2},
		{"unknown target", dockerImage, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, "", tt.payload)
			if Convertible(m, tt.target) {
				t.Errorf("Convertible = true")
			}
			out, err := Convert(m, tt.target)
			if !errors.Is(err, ErrNotConvertible) || out != nil {
				t.Errorf("Convert = %q, %v; want ErrNotConvertible", out, err)
			}
		})
	}
	if Convertible(nil, s2) {
		t.Errorf("Convertible(nil) = true")
	}
	if _, err := Convert(nil, s2); !errors.Is(err, ErrNotConvertible) {
		t.Errorf("Convert(nil) error = %v", err)
	}
}

func TestConvertIdentity(t *testing.T) {
	payload := readFixture(t, "schema1-signed-ec-p256.json")
	m := mustParse(t, "", string(payload))
	if !Convertible(m, m.MediaType) {
		t.Fatal("a manifest is not convertible to its own type")
	}
	out, err := Convert(m, m.MediaType)
	if err != nil || !bytes.Equal(out, payload) {
		t.Fatalf("Convert to own type = %v, want the payload", err)
	}
	out[0] = 'x'
	if m.Payload[0] == 'x' {
		t.Error("Convert returned the manifest's own buffer")
	}
}
