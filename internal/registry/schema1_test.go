package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/manifest"
	"github.com/opencontainers/go-digest"
)

// pushImage pushes an image with the given layer contents and config history
// to repo under tag, and returns the manifest's digest and payload.
func pushImage(t *testing.T, reg *Registry, name string, tag, mediaType, layerType string, layers [][]byte, history string) (digest.Digest, []byte) {
	repo := repoRef(name)
	t.Helper()
	ctx := context.Background()
	put := func(data []byte) digest.Digest {
		d := digest.FromBytes(data)
		if _, err := reg.PutBlob(ctx, repo, d.String(), Chunk{Start: -1, Length: -1, Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	var diffIDs, descs []string
	for _, l := range layers {
		d := put(l)
		diffIDs = append(diffIDs, `"`+digest.FromString("diff "+d.String()).String()+`"`)
		descs = append(descs, fmt.Sprintf(`{"mediaType":%q,"size":%d,"digest":%q}`, layerType, len(l), d))
	}
	configType := manifest.MediaTypeDockerConfig
	if mediaType == manifest.MediaTypeOCIManifest {
		configType = manifest.MediaTypeOCIConfig
	}
	config := []byte(`{"architecture":"amd64","os":"linux","config":{"Cmd":["/app"]},` +
		`"rootfs":{"type":"layers","diff_ids":[` + strings.Join(diffIDs, ",") + `]},"history":` + history + `}`)
	cd := put(config)
	payload := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"size":%d,"digest":%q},"layers":[%s]}`,
		mediaType, configType, len(config), cd, strings.Join(descs, ",")))
	m, err := reg.PutManifest(ctx, repo, PutRequest{Tags: []string{tag}, ContentType: mediaType, Body: bytes.NewReader(payload)})
	if err != nil {
		t.Fatal(err)
	}
	return m.Digest, payload
}

func randomLayer(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 1000)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGetManifestSchema1(t *testing.T) {
	ctx := context.Background()
	reg, _ := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	const (
		s1      = manifest.MediaTypeDockerSchema1Signed
		s2      = manifest.MediaTypeDockerSchema2
		oci     = manifest.MediaTypeOCIManifest
		withEnv = `[{"created_by":"ADD base /"},{"created_by":"ENV A=b","empty_layer":true},{"created_by":"RUN make"},{"created_by":"CMD /app","empty_layer":true}]`
		noEmpty = `[{"created_by":"ADD base /"},{"created_by":"RUN make"}]`
	)
	docker, dockerPayload := pushImage(t, reg, "team/docker", "v1", s2, manifest.MediaTypeDockerLayer, [][]byte{randomLayer(t), randomLayer(t)}, withEnv)
	ociDigest, _ := pushImage(t, reg, "team/oci", "v1", oci, manifest.MediaTypeOCILayer, [][]byte{randomLayer(t), randomLayer(t)}, noEmpty)
	zstd, zstdPayload := pushImage(t, reg, "team/zstd", "v1", oci, manifest.MediaTypeOCILayerZstd, [][]byte{randomLayer(t)}, `[{"created_by":"ADD x /"}]`)

	tests := []struct {
		name, repo, ref string
		accept          []string
		wantType        string
		wantDigest      digest.Digest // "" when a translation is expected
		wantPayload     []byte
		wantEmptyBlob   bool
	}{
		{name: "schema1 client pulls docker image by tag", repo: "team/docker", ref: "v1", accept: []string{s1}, wantType: s1, wantEmptyBlob: true},
		{name: "unsigned schema1 type asked", repo: "team/docker", ref: "v1", accept: []string{manifest.MediaTypeDockerSchema1 + ", application/json"}, wantType: s1, wantEmptyBlob: true},
		{name: "by digest the stored manifest", repo: "team/docker", ref: docker.String(), accept: []string{s1}, wantType: s2, wantDigest: docker, wantPayload: dockerPayload},
		{name: "no Accept", repo: "team/docker", ref: "v1", wantType: s2, wantDigest: docker, wantPayload: dockerPayload},
		{name: "schema2 preferred to schema1", repo: "team/docker", ref: "v1", accept: []string{s1, s2}, wantType: s2, wantDigest: docker, wantPayload: dockerPayload},
		{name: "OCI image without empty layers", repo: "team/oci", ref: "v1", accept: []string{s1}, wantType: s1},
		{name: "OCI preferred to schema1", repo: "team/oci", ref: "v1", accept: []string{s1, oci}, wantType: oci, wantDigest: ociDigest},
		{name: "zstd image is not translatable", repo: "team/zstd", ref: "v1", accept: []string{s1}, wantType: oci, wantDigest: zstd, wantPayload: zstdPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reg.GetManifest(ctx, repoRef(tt.repo), tt.ref, tt.accept)
			if err != nil {
				t.Fatal(err)
			}
			if got.MediaType != tt.wantType {
				t.Fatalf("media type = %s, want %s", got.MediaType, tt.wantType)
			}
			if tt.wantDigest != "" && got.Digest != tt.wantDigest {
				t.Errorf("digest = %s, want %s", got.Digest, tt.wantDigest)
			}
			if tt.wantPayload != nil && !bytes.Equal(got.Payload, tt.wantPayload) {
				t.Errorf("payload differs from the stored one")
			}
			if got.MediaType != s1 {
				return
			}
			// The empty layer is provided exactly when the translation names it.
			_, err = reg.StatBlob(ctx, repoRef(tt.repo), manifest.EmptyLayerDigest.String())
			if linked := err == nil; linked != tt.wantEmptyBlob {
				t.Errorf("empty layer linked = %v (%v), want %v", linked, err, tt.wantEmptyBlob)
			}
			checkServedSchema1(t, reg, tt.repo, tt.ref, got)

			// Pulling again serves the same digest (the signature differs)
			// and finds the empty layer already there.
			again, err := reg.GetManifest(ctx, repoRef(tt.repo), tt.ref, tt.accept)
			if err != nil {
				t.Fatal(err)
			}
			if again.Digest != got.Digest || again.MediaType != s1 {
				t.Errorf("second pull: %s %s, first %s", again.MediaType, again.Digest, got.Digest)
			}
		})
	}
	// Nothing of the schema1 translation leaked where it was not asked for.
	if _, err := reg.StatBlob(ctx, repoRef("team/zstd"), manifest.EmptyLayerDigest.String()); !errcode.Is(err, errcode.BlobUnknown) {
		t.Errorf("empty layer in team/zstd: %v", err)
	}
}

// checkServedSchema1 checks a schema1 manifest as a client sees it: it parses
// and verifies, its digest is the canonical payload's, it names the repository
// and tag, and every blob it names can be pulled from the repository.
func checkServedSchema1(t *testing.T, reg *Registry, name string, tag string, got ServedManifest) {
	repo := repoRef(name)
	t.Helper()
	ctx := context.Background()
	m, err := manifest.Parse(got.MediaType, got.Payload)
	if err != nil {
		t.Fatalf("served schema1 does not parse: %v", err)
	}
	if d := m.Digest(digest.SHA256); d != got.Digest || d == digest.FromBytes(got.Payload) {
		t.Errorf("digest = %s, canonical payload's %s", got.Digest, d)
	}
	var doc struct {
		Name string `json:"name"`
		Tag  string `json:"tag"`
	}
	if err := json.Unmarshal(got.Payload, &doc); err != nil || doc.Name != repo.Name || doc.Tag != tag {
		t.Errorf("name %q tag %q (%v), want %q %q", doc.Name, doc.Tag, err, repo, tag)
	}
	for _, l := range m.Layers {
		b, content, err := reg.OpenBlob(ctx, repo, l.Digest.String())
		if err != nil {
			t.Errorf("fsLayer %s cannot be pulled: %v", l.Digest, err)
			continue
		}
		data, err := io.ReadAll(content)
		content.Close()
		if err != nil || digest.FromBytes(data) != l.Digest || int64(len(data)) != b.Size {
			t.Errorf("fsLayer %s: %d bytes hashing to %s (%v)", l.Digest, len(data), digest.FromBytes(data), err)
		}
	}
}

func TestGetManifestSchema1WithoutKey(t *testing.T) {
	ctx := context.Background()
	reg, _ := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	reg.schema1Key = nil
	d, payload := pushImage(t, reg, "team/app", "v1", manifest.MediaTypeDockerSchema2, manifest.MediaTypeDockerLayer,
		[][]byte{randomLayer(t)}, `[{"created_by":"ADD x /"}]`)
	got, err := reg.GetManifest(ctx, repoRef("team/app"), "v1", []string{manifest.MediaTypeDockerSchema1Signed})
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d || !bytes.Equal(got.Payload, payload) {
		t.Errorf("without a key the stored manifest should be served, got %s %s", got.MediaType, got.Digest)
	}
}

// Concurrent first pulls all store the empty layer; each must succeed and all
// must agree on the digest.
func TestGetManifestSchema1Concurrent(t *testing.T) {
	ctx := context.Background()
	reg, _ := newTestRegistry(t, Config{CreateOnPush: true, UploadExpiry: time.Hour})
	pushImage(t, reg, "team/app", "v1", manifest.MediaTypeDockerSchema2, manifest.MediaTypeDockerLayer,
		[][]byte{randomLayer(t)}, `[{"created_by":"ADD x /"},{"created_by":"CMD x","empty_layer":true}]`)
	var wg sync.WaitGroup
	results := make(chan ServedManifest, 8)
	for range 8 {
		wg.Go(func() {
			got, err := reg.GetManifest(ctx, repoRef("team/app"), "v1", []string{manifest.MediaTypeDockerSchema1Signed})
			if err != nil {
				t.Error(err)
				return
			}
			results <- got
		})
	}
	wg.Wait()
	close(results)
	var first digest.Digest
	for got := range results {
		if first == "" {
			first = got.Digest
			checkServedSchema1(t, reg, "team/app", "v1", got)
		}
		if got.MediaType != manifest.MediaTypeDockerSchema1Signed || got.Digest != first {
			t.Errorf("%s %s, first %s", got.MediaType, got.Digest, first)
		}
	}
}
