// Package manifest parses and validates the manifest formats a registry
// receives on PUT /v2/<name>/manifests/<ref> (Docker schema1 and schema2,
// Docker manifest lists, OCI image manifests and indexes), says what each
// one references, converts between Docker schema2 and OCI for pulls by tag
// (and translates images down to signed schema1 for old clients), and
// negotiates the Accept header.
//
// Everything here is a pure function over bytes: no I/O, no HTTP, no store.
package manifest

import (
	// go-digest only reports an algorithm as available when its hash is
	// linked in; a registry must accept sha512 digests as well as sha256.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxSize is the largest manifest payload a registry accepts (4 MiB, the
// limit CNCF Distribution and ECR use).
const MaxSize = 4 << 20

// SizeUnknown is the Size of descriptors derived from Docker schema1
// manifests, which record only blob digests. Callers that compare or sum
// sizes must use the stored blob's size instead.
const SizeUnknown int64 = -1

// Manifest media types.
const (
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	MediaTypeDockerSchema2       = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest         = ocispec.MediaTypeImageManifest
	MediaTypeOCIIndex            = ocispec.MediaTypeImageIndex
)

// Config and layer media types the package needs to recognise.
const (
	MediaTypeDockerConfig            = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer             = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayerUncompressed = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerForeignLayer      = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	// MediaTypeDockerSchema1Layer is the media type given to fsLayers of a
	// schema1 manifest (as CNCF Distribution does); schema1 has none of its own.
	MediaTypeDockerSchema1Layer = "application/vnd.docker.container.image.rootfs.diff+x-gtar"

	MediaTypeOCIConfig    = ocispec.MediaTypeImageConfig
	MediaTypeOCIEmpty     = ocispec.MediaTypeEmptyJSON
	MediaTypeOCILayer     = ocispec.MediaTypeImageLayer
	MediaTypeOCILayerGzip = ocispec.MediaTypeImageLayerGzip
	MediaTypeOCILayerZstd = ocispec.MediaTypeImageLayerZstd
	// The non-distributable types are deprecated by image-spec 1.1 but still
	// pushed (Windows base layers), so they are spelled out here rather than
	// taken from the deprecated ocispec constants.
	MediaTypeOCILayerNonDistributable     = "application/vnd.oci.image.layer.nondistributable.v1.tar"
	MediaTypeOCILayerNonDistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	MediaTypeOCILayerNonDistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
)

// Descriptor points at content by digest. It carries every field the OCI
// descriptor defines, so that conversions lose nothing.
type Descriptor struct {
	MediaType    string
	Digest       digest.Digest
	Size         int64
	URLs         []string
	Annotations  map[string]string
	Data         []byte // embedded content, already checked against Digest and Size
	Platform     *ocispec.Platform
	ArtifactType string
}

// Manifest is a parsed, validated manifest.
type Manifest struct {
	// MediaType is the resolved media type: one of the MediaType* manifest
	// constants.
	MediaType string
	// Payload is the exact bytes received, to store and serve back verbatim.
	Payload []byte

	// Config is the config descriptor of an image manifest; nil otherwise.
	Config *Descriptor
	// ConfigMediaType is Config.MediaType, or "".
	ConfigMediaType string
	// ArtifactType is what the referrers API reports for this manifest: its
	// artifactType field if set, else (OCI image manifest only) the config
	// media type; "" for everything else.
	ArtifactType string
	// Subject is the OCI 1.1 subject (OCI manifest or index), or nil.
	Subject *Descriptor
	// Annotations are the manifest-level annotations, or nil.
	Annotations map[string]string

	// Layers are all layers in manifest order, foreign ones included, for
	// size accounting. Schema1 layers carry Size == SizeUnknown.
	Layers []Descriptor
	// Blobs are the blobs the repository must hold before the manifest is
	// accepted: the config and every distributable layer (schema2/OCI), or
	// the fsLayers blobSums (schema1), each digest once, in manifest order.
	Blobs []Descriptor
	// Manifests are the children of an index or manifest list, in order;
	// each must exist in the repository.
	Manifests []Descriptor

	// signed is the canonical (signature-free) payload of a signed schema1
	// manifest, which is what its digest covers; nil for every other kind.
	signed []byte
	// artifactType is the manifest's own artifactType field, kept apart
	// from ArtifactType (which falls back to the config type) because only
	// an explicit one makes a manifest an artifact for conversion.
	artifactType string
}

// Digest returns the digest the registry must report for m with the given
// algorithm. For a signed schema1 manifest it covers the canonical payload
// (without signatures), as CNCF Distribution and the Docker client compute
// it; for every other kind it covers Payload. It returns "" when alg is not
// an available algorithm.
func (m *Manifest) Digest(alg digest.Algorithm) digest.Digest {
	if !alg.Available() {
		return ""
	}
	if m.signed != nil {
		return alg.FromBytes(m.signed)
	}
	return alg.FromBytes(m.Payload)
}

// InvalidError reports a manifest the registry must refuse. Reason is meant
// for the user: it names the offending field and says what is expected.
type InvalidError struct {
	Reason string
	// Err is the underlying error, when there is one (a JSON syntax error,
	// a digest validation error).
	Err error
}

func (e *InvalidError) Error() string { return "invalid manifest: " + e.Reason }

// Unwrap returns the underlying error, if any.
func (e *InvalidError) Unwrap() error { return e.Err }
