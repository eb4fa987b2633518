package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

const (
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mtDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtOCIConfig      = "application/vnd.oci.image.config.v1+json"
	mtOCILayer       = "application/vnd.oci.image.layer.v1.tar+gzip"

	// acceptManifests is what docker sends when it pulls.
	acceptManifests = mtDockerManifest + ", " + mtDockerList + ", " + mtOCIManifest + ", " + mtOCIIndex

	// prefixLen is the unique random head of every large blob.
	prefixLen = 4096
)

// blob is prefix followed by shared[len(prefix):size]: large blobs share one random buffer
// and differ by a unique random prefix, so each has its own digest while the client holds
// one buffer. Small blobs are all prefix.
type blob struct {
	prefix []byte
	shared []byte
	size   int64
	digest string
}

// section returns a reader of bytes [off, off+n) of the blob.
func (b blob) section(off, n int64) io.Reader {
	end := off + n
	pl := int64(len(b.prefix))
	var rs []io.Reader
	if off < pl {
		rs = append(rs, bytes.NewReader(b.prefix[off:min(end, pl)]))
	}
	if end > pl {
		rs = append(rs, bytes.NewReader(b.shared[max(off, pl):end]))
	}
	if len(rs) == 1 {
		return rs[0]
	}
	return io.MultiReader(rs...)
}

func sha256Digest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// newRand returns a generator seeded from the clock: the data of one run never repeats in
// the next, so no registry can answer from what an earlier run left behind.
func newRand() *rand.ChaCha8 {
	var seed [32]byte
	t := uint64(time.Now().UnixNano())
	for i := range seed {
		t = t*6364136223846793005 + 1442695040888963407
		seed[i] = byte(t >> 56)
	}
	return rand.NewChaCha8(seed)
}

func randomBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

// makeLargeBlobs returns count blobs of size bytes over the shared buffer (len ≥ size).
func makeLargeBlobs(r *rand.ChaCha8, shared []byte, count int, size int64) []blob {
	pl := min(int64(prefixLen), size)
	out := make([]blob, count)
	for i := range out {
		b := blob{prefix: randomBytes(r, int(pl)), shared: shared, size: size}
		b.digest = sha256Digest(b.prefix, shared[pl:size])
		out[i] = b
	}
	return out
}

// image is a small image: blobs[0] is its config, the rest its layers.
type image struct {
	tag       string
	blobs     []blob
	manifest  []byte
	mediaType string
	digest    string
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	Digest    string `json:"digest"`
}

// makeSmallImages returns n Docker schema2 images, each with its own random layers and a
// config that names them, tagged t00000, t00001, ….
func makeSmallImages(r *rand.ChaCha8, n, layers, layerSize int) []image {
	out := make([]image, n)
	for i := range out {
		var bs []blob
		var diffIDs []string
		var descs []descriptor
		for range layers {
			data := randomBytes(r, layerSize)
			d := sha256Digest(data)
			bs = append(bs, blob{prefix: data, size: int64(len(data)), digest: d})
			diffIDs = append(diffIDs, d)
			descs = append(descs, descriptor{mtDockerLayer, int64(len(data)), d})
		}
		conf, _ := json.Marshal(map[string]any{
			"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
			"config": map[string]any{"Env": []string{"BENCH_NONCE=" + hex.EncodeToString(randomBytes(r, 16))}},
			"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
		})
		cb := blob{prefix: conf, size: int64(len(conf)), digest: sha256Digest(conf)}
		m, _ := json.Marshal(map[string]any{
			"schemaVersion": 2,
			"mediaType":     mtDockerManifest,
			"config":        descriptor{mtDockerConfig, cb.size, cb.digest},
			"layers":        descs,
		})
		out[i] = image{
			tag:       fmt.Sprintf("t%05d", i),
			blobs:     append([]blob{cb}, bs...),
			manifest:  m,
			mediaType: mtDockerManifest,
			digest:    sha256Digest(m),
		}
	}
	return out
}

// ecrImageSet is the content of an ECR scenario repository: one config and one layer shared
// by every image, and per image an OCI manifest made unique by an annotation.
type ecrImageSet struct {
	config, layer blob
	nonce         string
}

func makeECRImageSet(r *rand.ChaCha8) ecrImageSet {
	layer := randomBytes(r, 4096)
	conf, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{sha256Digest(layer)}},
	})
	return ecrImageSet{
		config: blob{prefix: conf, size: int64(len(conf)), digest: sha256Digest(conf)},
		layer:  blob{prefix: layer, size: int64(len(layer)), digest: sha256Digest(layer)},
		nonce:  hex.EncodeToString(randomBytes(r, 8)),
	}
}

// manifest returns image i of the set: its tag and OCI manifest.
func (s ecrImageSet) manifest(i int) (tag string, body []byte) {
	body, _ = json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtOCIManifest,
		"config":        descriptor{mtOCIConfig, s.config.size, s.config.digest},
		"layers":        []descriptor{{mtOCILayer, s.layer.size, s.layer.digest}},
		"annotations":   map[string]string{"org.berth.bench.image": fmt.Sprintf("%s-%d", s.nonce, i)},
	})
	return fmt.Sprintf("i%05d", i), body
}
