package manifest

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// toSchema1Golden is one case of testdata/toschema1-golden.json, written by
// testdata/toschema1gen.go.txt with Distribution v2.8.3's
// schema1.NewConfigManifestBuilder: the image (manifest and config), the
// canonical schema1 payload Distribution built from it, its digest, and the
// blobs Distribution put into the repository while building (the empty tar).
type toSchema1Golden struct {
	Name      string   `json:"name"`
	Repo      string   `json:"repository"`
	Tag       string   `json:"tag"`
	Manifest  string   `json:"manifest"`
	Config    string   `json:"config"`
	Canonical string   `json:"canonical"`
	Digest    string   `json:"digest"`
	BlobsPut  []string `json:"blobs_put"`
	Verified  bool     `json:"verified_by_distribution"`
}

func toSchema1Goldens(t testing.TB) []toSchema1Golden {
	t.Helper()
	var cases []toSchema1Golden
	if err := json.Unmarshal(readFixture(t, "toschema1-golden.json"), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	return cases
}

func newP256(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestToSchema1Golden(t *testing.T) {
	key := newP256(t)
	for _, c := range toSchema1Goldens(t) {
		t.Run(c.Name, func(t *testing.T) {
			if !c.Verified {
				t.Fatal("Distribution did not verify its own output for this case")
			}
			m := mustParse(t, "", c.Manifest)
			s1, err := ToSchema1(m, []byte(c.Config), c.Repo, c.Tag, key)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := Parse(MediaTypeDockerSchema1Signed, s1.Payload)
			if err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, s1.Payload)
			}
			if string(parsed.signed) != c.Canonical {
				t.Errorf("canonical payload differs from Distribution's\n got: %s\nwant: %s", parsed.signed, c.Canonical)
			}
			if string(s1.Digest) != c.Digest || parsed.Digest(digest.SHA256) != s1.Digest {
				t.Errorf("digest = %s (Parse says %s), Distribution reports %s", s1.Digest, parsed.Digest(digest.SHA256), c.Digest)
			}
			var extra []string
			for _, b := range s1.ExtraBlobs {
				extra = append(extra, string(b.Digest))
			}
			if fmt.Sprint(extra) != fmt.Sprint(c.BlobsPut) && !(len(extra) == 0 && len(c.BlobsPut) == 0) {
				t.Errorf("extra blobs = %v, Distribution put %v", extra, c.BlobsPut)
			}
		})
	}
}

// v1Entry is what docker reads from a v1Compatibility string.
type v1Entry struct {
	ID        string `json:"id"`
	Parent    string `json:"parent"`
	ThrowAway bool   `json:"throwaway"`
	Created   string `json:"created"`
	Config    any    `json:"config"`
}

var v1IDPattern = regexp.MustCompile(`^[a-f0-9]{64}$`)

// checkSchema1 checks the structural promises docker's schema1 puller
// relies on (verifySchema1Manifest, fixManifestLayers), independently of
// Distribution: one history entry per fsLayer, newest first; valid ids,
// each entry's parent the id of the entry below it, none under the bottom
// (except Windows' base layer); the gzipped empty tar exactly where an
// entry is throwaway; the config on top without history and rootfs.
func checkSchema1(t *testing.T, payload []byte, config string, layers []Descriptor, windows bool) {
	t.Helper()
	var doc struct {
		SchemaVersion int                        `json:"schemaVersion"`
		FSLayers      []struct{ BlobSum string } `json:"fsLayers"`
		History       []struct {
			V1Compatibility string `json:"v1Compatibility"`
		} `json:"history"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatal(err)
	}
	var img struct {
		History []struct {
			EmptyLayer bool `json:"empty_layer"`
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(config), &img); err != nil {
		t.Fatal(err)
	}
	n := len(img.History)
	if doc.SchemaVersion != 1 || len(doc.FSLayers) != n || len(doc.History) != n {
		t.Fatalf("schemaVersion %d, %d fsLayers, %d history entries; want 1, %d, %d", doc.SchemaVersion, len(doc.FSLayers), len(doc.History), n, n)
	}
	entries := make([]v1Entry, n)
	for i, h := range doc.History {
		if err := json.Unmarshal([]byte(h.V1Compatibility), &entries[i]); err != nil {
			t.Fatalf("history[%d]: %v", i, err)
		}
	}
	next := len(layers) - 1
	for i, e := range entries {
		configIndex := n - 1 - i // fsLayers and history are newest first
		if !v1IDPattern.MatchString(e.ID) {
			t.Errorf("history[%d] id %q is not 64 hex digits", i, e.ID)
		}
		switch {
		case i < n-1 && e.Parent != entries[i+1].ID:
			t.Errorf("history[%d] parent = %q, want the id below it %q", i, e.Parent, entries[i+1].ID)
		case i == n-1 && !windows && e.Parent != "":
			t.Errorf("bottom entry has parent %q", e.Parent)
		case i == n-1 && windows && !v1IDPattern.MatchString(e.Parent):
			t.Errorf("windows bottom entry parent %q is not the base layer's id", e.Parent)
		}
		empty := img.History[configIndex].EmptyLayer
		if e.ThrowAway != empty {
			t.Errorf("history[%d] throwaway = %v, config history[%d] empty_layer = %v", i, e.ThrowAway, configIndex, empty)
		}
		want := EmptyLayerDigest
		if !empty {
			want = layers[next].Digest
			next--
		}
		if got := digest.Digest(doc.FSLayers[i].BlobSum); got != want {
			t.Errorf("fsLayers[%d] = %s, want %s", i, got, want)
		}
		if i > 0 && e.Config != nil {
			t.Errorf("history[%d] carries a config", i)
		}
	}
	if next != -1 {
		t.Errorf("%d layers were not used", next+1)
	}
	// The top entry is the config without history and rootfs.
	var top, cfg map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc.History[0].V1Compatibility), &top); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		t.Fatal(err)
	}
	for k := range cfg {
		_, ok := top[k]
		switch k {
		case "history", "rootfs":
			if ok {
				t.Errorf("top entry keeps the config's %s", k)
			}
		case "id", "parent", "throwaway":
		default:
			if !ok {
				t.Errorf("top entry lacks the config's %s", k)
			}
		}
	}
	ids := map[string]bool{}
	for _, e := range entries {
		if ids[e.ID] {
			t.Errorf("id %s appears twice", e.ID)
		}
		ids[e.ID] = true
	}
}

func TestToSchema1RoundTrip(t *testing.T) {
	keys := []struct {
		name string
		key  func(testing.TB) crypto.Signer
		alg  string
	}{
		{"P-256", newP256, "ES256"},
		{"P-384", func(t testing.TB) crypto.Signer {
			k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}, "ES384"},
		{"P-521", func(t testing.TB) crypto.Signer {
			k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}, "ES512"},
		{"RSA-2048", func(t testing.TB) crypto.Signer {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}, "RS256"},
	}
	cases := toSchema1Goldens(t)
	for _, k := range keys {
		key := k.key(t)
		for _, c := range cases {
			t.Run(k.name+"/"+c.Name, func(t *testing.T) {
				m := mustParse(t, "", c.Manifest)
				s1, err := ToSchema1(m, []byte(c.Config), c.Repo, c.Tag, key)
				if err != nil {
					t.Fatal(err)
				}
				parsed, err := Parse("", s1.Payload)
				if err != nil {
					t.Fatalf("output does not parse: %v", err)
				}
				if parsed.MediaType != MediaTypeDockerSchema1Signed {
					t.Errorf("parsed as %s", parsed.MediaType)
				}
				checkSchema1(t, s1.Payload, c.Config, m.Layers, strings.Contains(c.Config, "base_layer"))

				// Every blob the schema1 manifest names is one the image
				// references or one ToSchema1 hands back.
				have := map[digest.Digest]bool{}
				for _, b := range m.Blobs {
					have[b.Digest] = true
				}
				for _, b := range s1.ExtraBlobs {
					have[b.Digest] = true
					if b.Digest.Algorithm().FromBytes(b.Data) != b.Digest || int64(len(b.Data)) != b.Size {
						t.Errorf("extra blob %s carries other content", b.Digest)
					}
				}
				for _, b := range parsed.Blobs {
					if !have[b.Digest] {
						t.Errorf("fsLayer %s is neither in the image nor an extra blob", b.Digest)
					}
				}
				if len(parsed.Layers) != len(toSchema1History(t, c.Config)) {
					t.Errorf("%d fsLayers", len(parsed.Layers))
				}

				// The signature: one, of the right algorithm, with the
				// key's libtrust id and a time.
				var sigs struct {
					Signatures []struct {
						Header struct {
							Alg string            `json:"alg"`
							JWK map[string]string `json:"jwk"`
						} `json:"header"`
						Protected string `json:"protected"`
					} `json:"signatures"`
				}
				if err := json.Unmarshal(s1.Payload, &sigs); err != nil || len(sigs.Signatures) != 1 {
					t.Fatalf("signatures: %v, %d", err, len(sigs.Signatures))
				}
				s := sigs.Signatures[0]
				if s.Header.Alg != k.alg || s.Header.JWK["kid"] != keyID(key.Public()) {
					t.Errorf("alg %s kid %s, want %s %s", s.Header.Alg, s.Header.JWK["kid"], k.alg, keyID(key.Public()))
				}
				protected, err := base64.RawURLEncoding.DecodeString(s.Protected)
				if err != nil {
					t.Fatal(err)
				}
				var p struct {
					Time string `json:"time"`
				}
				if err := json.Unmarshal(protected, &p); err != nil {
					t.Fatal(err)
				}
				if _, err := time.Parse(time.RFC3339, p.Time); err != nil {
					t.Errorf("protected time %q: %v", p.Time, err)
				}

				// Signing again (new signature, maybe another second)
				// changes the payload but never the digest.
				again, err := ToSchema1(m, []byte(c.Config), c.Repo, c.Tag, newP256(t))
				if err != nil {
					t.Fatal(err)
				}
				if again.Digest != s1.Digest || bytes.Equal(again.Payload, s1.Payload) {
					t.Errorf("re-signing: digest %s vs %s, payload equal %v", again.Digest, s1.Digest, bytes.Equal(again.Payload, s1.Payload))
				}
			})
		}
	}
}

func toSchema1History(t *testing.T, config string) []json.RawMessage {
	t.Helper()
	var img struct{ History []json.RawMessage }
	if err := json.Unmarshal([]byte(config), &img); err != nil {
		t.Fatal(err)
	}
	return img.History
}

// testImage builds an image manifest of the given type whose config
// descriptor names config, with one layer per layer media type.
func testImage(mediaType, configType, config string, layerTypes ...string) string {
	type desc struct {
		MediaType string   `json:"mediaType"`
		Digest    string   `json:"digest"`
		Size      int      `json:"size"`
		URLs      []string `json:"urls,omitempty"`
	}
	var layers []desc
	for i, lt := range layerTypes {
		d := desc{MediaType: lt, Digest: digest.FromString(fmt.Sprint("layer", i)).String(), Size: 10}
		if lt == MediaTypeDockerForeignLayer {
			d.URLs = []string{"https://example.com/layer"}
		}
		layers = append(layers, d)
	}
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaType,
		"config":        desc{MediaType: configType, Digest: digest.FromString(config).String(), Size: len(config)},
		"layers":        append([]desc{}, layers...),
	})
	return string(b)
}

// testConfig is an image config with the given history, one diff id per
// layer.
func testConfig(layers int, history string) string {
	ids := make([]string, layers)
	for i := range ids {
		ids[i] = `"` + digest.FromString(fmt.Sprint("diff", i)).String() + `"`
	}
	return `{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[` +
		strings.Join(ids, ",") + `]},"history":` + history + `}`
}

func TestToSchema1NotConvertible(t *testing.T) {
	key := newP256(t)
	twoLayers := `[{"created_by":"a"},{"created_by":"b"}]`
	good := testConfig(2, twoLayers)
	tests := []struct {
		name     string
		manifest string
		config   string
		want     string
	}{
		{"index", dockerList, good, "only Docker schema2 and OCI image manifests"},
		{"schema1 is not translated again", readFixtureString(t, "schema1-signed-ec-p256.json"), good, "only Docker schema2 and OCI image manifests"},
		{"artifact", ociArtifact, `{}`, "artifact"},
		{"zstd layer", testImage(MediaTypeOCIManifest, MediaTypeOCIConfig, good, MediaTypeOCILayerGzip, MediaTypeOCILayerZstd), good, "layers[1] media type application/vnd.oci.image.layer.v1.tar+zstd"},
		{"foreign layer", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, good, MediaTypeDockerForeignLayer, MediaTypeDockerLayer), good, "layers[0] media type"},
		{"non-distributable OCI layer", testImage(MediaTypeOCIManifest, MediaTypeOCIConfig, good, MediaTypeOCILayerNonDistributableGzip, MediaTypeOCILayer), good, "layers[0] media type"},
		{"other config type", testImage(MediaTypeOCIManifest, "application/vnd.example.config+json", good, MediaTypeOCILayer, MediaTypeOCILayer), good, "is not an image config"},
		{"no history", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, testConfig(1, `[]`), MediaTypeDockerLayer), testConfig(1, `[]`), "no history"},
		{"no rootfs", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, `{"history":[{}]}`), `{"history":[{}]}`, "no rootfs"},
		{"diff ids do not match layers", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, good, MediaTypeDockerLayer), good, "2 rootfs.diff_ids for 1 layers"},
		{"more layered history than layers", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, testConfig(1, twoLayers), MediaTypeDockerLayer), testConfig(1, twoLayers), "2 entries with a layer for 1 layers"},
		{"fewer layered history than layers", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, testConfig(2, `[{"created_by":"a"},{"empty_layer":true}]`), MediaTypeDockerLayer, MediaTypeDockerLayer), testConfig(2, `[{"created_by":"a"},{"empty_layer":true}]`), "1 entries with a layer for 2 layers"},
		{"config not JSON", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, `{"history":`), `{"history":`, "not valid"},
		{"config an array", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, `[1]`), `[1]`, "not valid"},
		{"bad created time", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, testConfig(0, `[{"created":"yesterday","empty_layer":true}]`)), testConfig(0, `[{"created":"yesterday","empty_layer":true}]`), "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, "", tt.manifest)
			wantStructural := schema1Problem(m) != ""
			if Schema1Convertible(m) == wantStructural {
				t.Errorf("Schema1Convertible = %v", !wantStructural)
			}
			_, err := ToSchema1(m, []byte(tt.config), "team/app", "latest", key)
			if !errors.Is(err, ErrNotConvertible) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want ErrNotConvertible mentioning %q", err, tt.want)
			}
		})
	}
}

func readFixtureString(t testing.TB, name string) string {
	t.Helper()
	return string(readFixture(t, name))
}

func TestToSchema1CallerErrors(t *testing.T) {
	config := testConfig(1, `[{"created_by":"a"}]`)
	m := mustParse(t, "", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, config, MediaTypeDockerLayer))
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config string
		repo   string
		key    crypto.Signer
		want   string
	}{
		{"config bytes of another blob", config + " ", "team/app", newP256(t), "is not blob"},
		{"no repository name", config, "", newP256(t), "repository name"},
		{"no key", config, "team/app", nil, "no key"},
		{"ed25519 key", config, "team/app", edKey, "cannot sign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ToSchema1(m, []byte(tt.config), tt.repo, "latest", tt.key)
			if err == nil || errors.Is(err, ErrNotConvertible) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want a caller error mentioning %q", err, tt.want)
			}
		})
	}
}

// TestToSchema1OwnsParentAndThrowaway covers where berth departs from
// Distribution: parent and throwaway members of the config itself never
// reach the top entry unless the translation sets them.
func TestToSchema1OwnsParentAndThrowaway(t *testing.T) {
	config := `{"architecture":"amd64","os":"linux","parent":"sha256:` + strings.Repeat("e", 64) + `","throwaway":true,` +
		`"rootfs":{"type":"layers","diff_ids":["` + digest.FromString("d").String() + `"]},"history":[{"created_by":"ADD x /"}]}`
	m := mustParse(t, "", testImage(MediaTypeDockerSchema2, MediaTypeDockerConfig, config, MediaTypeDockerLayer))
	s1, err := ToSchema1(m, []byte(config), "team/app", "latest", newP256(t))
	if err != nil {
		t.Fatal(err)
	}
	checkSchema1(t, s1.Payload, config, m.Layers, false)
	if len(s1.ExtraBlobs) != 0 {
		t.Errorf("extra blobs %v for an image without empty layers", s1.ExtraBlobs)
	}
}

func TestEmptyLayer(t *testing.T) {
	d := EmptyLayer()
	if digest.FromBytes(d.Data) != EmptyLayerDigest || d.Digest != EmptyLayerDigest || d.Size != 32 {
		t.Fatalf("empty layer %s of %d bytes hashes to %s", d.Digest, d.Size, digest.FromBytes(d.Data))
	}
	zr, err := gzip.NewReader(bytes.NewReader(d.Data))
	if err != nil {
		t.Fatal(err)
	}
	tar, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(tar) != 1024 || bytes.Count(tar, []byte{0}) != 1024 {
		t.Errorf("empty layer is %d bytes of tar, want 1024 zero bytes", len(tar))
	}
	d.Data[0] = 0 // each call hands out its own copy
	if EmptyLayer().Data[0] != 0x1f {
		t.Error("EmptyLayer shares its bytes between callers")
	}
}
