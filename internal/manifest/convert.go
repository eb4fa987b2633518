package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrNotConvertible is returned (wrapped) by Convert for a manifest that
// cannot be expressed in the requested format without changing its meaning.
var ErrNotConvertible = errors.New("manifest cannot be converted")

// A typePair is one media type in its Docker and OCI spellings.
type typePair struct{ docker, oci string }

func configPairs() []typePair {
	return []typePair{{MediaTypeDockerConfig, MediaTypeOCIConfig}}
}

func layerPairs() []typePair {
	return []typePair{
		{MediaTypeDockerLayer, MediaTypeOCILayerGzip},
		{MediaTypeDockerLayerUncompressed, MediaTypeOCILayer},
		{MediaTypeDockerForeignLayer, MediaTypeOCILayerNonDistributableGzip},
	}
}

func childPairs() []typePair {
	return []typePair{
		{MediaTypeDockerSchema2, MediaTypeOCIManifest},
		{MediaTypeDockerManifestList, MediaTypeOCIIndex},
	}
}

// translate spells mt in the target family, reporting false when mt has no
// spelling there.
func translate(pairs []typePair, mt string, toOCI bool) (string, bool) {
	for _, p := range pairs {
		if toOCI && p.docker == mt {
			return p.oci, true
		}
		if !toOCI && p.oci == mt {
			return p.docker, true
		}
	}
	return "", false
}

func targetIsOCI(target string) bool {
	return target == MediaTypeOCIManifest || target == MediaTypeOCIIndex
}

// Convertible reports whether Convert can serve m as target. A manifest is
// always convertible to its own type. Only plain images convert: an OCI
// manifest or index that is an artifact (artifactType, subject), or whose
// config or layer types have no spelling in the other format (zstd layers,
// a non-image config), is not.
func Convertible(m *Manifest, target string) bool {
	return m != nil && convertProblem(m, target) == ""
}

// convertProblem says why m cannot be served as target, or "" if it can.
func convertProblem(m *Manifest, target string) string {
	if target == m.MediaType {
		return ""
	}
	if counterpart(m.MediaType) != target {
		return fmt.Sprintf("there is no conversion from %s to %s", m.MediaType, target)
	}
	if m.Subject != nil || m.artifactType != "" {
		return "it is an OCI artifact (it has a subject or an artifactType)"
	}
	toOCI := targetIsOCI(target)
	switch m.MediaType {
	case MediaTypeDockerSchema2, MediaTypeOCIManifest:
		if m.Config == nil {
			return "it has no config"
		}
		if _, ok := translate(configPairs(), m.Config.MediaType, toOCI); !ok {
			return fmt.Sprintf("config media type %s has no equivalent in %s", m.Config.MediaType, target)
		}
		for i, l := range m.Layers {
			if _, ok := translate(layerPairs(), l.MediaType, toOCI); !ok {
				return fmt.Sprintf("layers[%d] media type %s has no equivalent in %s", i, l.MediaType, target)
			}
		}
	default:
		for i, c := range m.Manifests {
			if c.ArtifactType != "" {
				return fmt.Sprintf("manifests[%d] is an artifact (artifactType %s)", i, c.ArtifactType)
			}
		}
	}
	return ""
}

// Convert returns m's payload in the target format: Docker schema2 <-> OCI
// image manifest, Docker manifest list <-> OCI index. Digests, sizes,
// URLs, annotations and platforms are kept; only media types change, and
// an index's children are relabelled, not rewritten (their digests stay).
// Fields neither format defines are dropped. Output is deterministic, in the
// conventional field order, indented with three spaces like Docker's.
// For target == m.MediaType it returns a copy of m.Payload.
func Convert(m *Manifest, target string) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: no manifest", ErrNotConvertible)
	}
	if problem := convertProblem(m, target); problem != "" {
		return nil, fmt.Errorf("%w to %s: %s", ErrNotConvertible, target, problem)
	}
	if target == m.MediaType {
		return bytes.Clone(m.Payload), nil
	}
	toOCI := targetIsOCI(target)
	var v any
	switch m.MediaType {
	case MediaTypeDockerSchema2, MediaTypeOCIManifest:
		config := *m.Config
		config.MediaType, _ = translate(configPairs(), config.MediaType, toOCI)
		layers := make([]Descriptor, len(m.Layers))
		for i, l := range m.Layers {
			l.MediaType, _ = translate(layerPairs(), l.MediaType, toOCI)
			layers[i] = l
		}
		if toOCI {
			v = imageJSON[ociDescriptor]{2, target, toOCIDescriptor(config), mapSlice(layers, toOCIDescriptor), m.Annotations}
		} else {
			v = imageJSON[dockerDescriptor]{2, target, toDockerDescriptor(config), mapSlice(layers, toDockerDescriptor), m.Annotations}
		}
	default:
		children := make([]Descriptor, len(m.Manifests))
		for i, c := range m.Manifests {
			if mt, ok := translate(childPairs(), c.MediaType, toOCI); ok {
				c.MediaType = mt
			}
			children[i] = c
		}
		if toOCI {
			v = indexJSON[ociDescriptor]{2, target, mapSlice(children, toOCIDescriptor), m.Annotations}
		} else {
			v = indexJSON[dockerDescriptor]{2, target, mapSlice(children, toDockerDescriptor), m.Annotations}
		}
	}
	out, err := json.MarshalIndent(v, "", "   ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", target, err)
	}
	return out, nil
}

// imageJSON and indexJSON fix the field order of converted output.
type imageJSON[D any] struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        D                 `json:"config"`
	Layers        []D               `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type indexJSON[D any] struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []D               `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// ociDescriptor is a descriptor in image-spec's field order.
type ociDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       digest.Digest     `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	Platform     *ocispec.Platform `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

// dockerDescriptor is a descriptor in Docker's field order (size before
// digest), as docker and Distribution write it.
type dockerDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Size         int64             `json:"size"`
	Digest       digest.Digest     `json:"digest"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *ocispec.Platform `json:"platform,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

func toOCIDescriptor(d Descriptor) ociDescriptor {
	return ociDescriptor{d.MediaType, d.Digest, d.Size, d.URLs, d.Annotations, d.Data, d.Platform, d.ArtifactType}
}

func toDockerDescriptor(d Descriptor) dockerDescriptor {
	return dockerDescriptor{d.MediaType, d.Size, d.Digest, d.URLs, d.Annotations, d.Platform, d.Data, d.ArtifactType}
}

// mapSlice never returns nil, so empty lists encode as [] (both formats
// require the field).
func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}
