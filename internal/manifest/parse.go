package manifest

import (
	"bytes"
	"mime"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
)

// topLevelFields are the member names any manifest kind defines; decodeObject
// refuses keys that differ from one of them only in case.
func topLevelFields() []string {
	return []string{
		"schemaVersion", "mediaType", "artifactType", "config", "layers", "manifests",
		"subject", "annotations", "name", "tag", "architecture", "fsLayers", "history", "signatures",
	}
}

// Parse validates payload, received with the given Content-Type header value
// (which may carry parameters or be empty), and returns what it is and what
// it references. Every error it returns is an *InvalidError whose Reason
// names the offending field and what was expected.
//
// The media type is the Content-Type when that is a manifest type (the
// payload's mediaType field, if any, must then agree); otherwise the
// payload's mediaType field; otherwise it is detected: schemaVersion 1 is
// schema1 (signed if it has signatures), a manifests field an OCI index, a
// config field an OCI image manifest.
//
// Parse checks structure only. The caller must still check that every
// m.Blobs and m.Manifests digest exists in the repository, and for a push
// by digest that m.Digest(ref.Algorithm()) equals the reference.
func Parse(contentType string, payload []byte) (*Manifest, error) {
	m, err := parse(contentType, payload)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func parse(contentType string, payload []byte) (*Manifest, *InvalidError) {
	if len(payload) > MaxSize {
		return nil, invalid("manifest is %d bytes; the limit is %d bytes (4 MiB)", len(payload), MaxSize)
	}
	if err := checkJSON(payload); err != nil {
		return nil, err
	}
	top, err := decodeObject("", payload, topLevelFields()...)
	if err != nil {
		return nil, err
	}
	mediaType, err := resolveMediaType(contentType, top)
	if err != nil {
		return nil, err
	}
	m := &Manifest{MediaType: mediaType, Payload: bytes.Clone(payload)}
	switch mediaType {
	case MediaTypeDockerSchema1, MediaTypeDockerSchema1Signed:
		err = parseSchema1(m, top)
	case MediaTypeDockerSchema2, MediaTypeOCIManifest:
		err = parseImage(m, top)
	default: // resolveMediaType returns nothing else
		err = parseIndex(m, top)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// isManifestType reports whether mt is a manifest media type Parse accepts.
func isManifestType(mt string) bool {
	switch mt {
	case MediaTypeDockerSchema1, MediaTypeDockerSchema1Signed, MediaTypeDockerSchema2,
		MediaTypeDockerManifestList, MediaTypeOCIManifest, MediaTypeOCIIndex:
		return true
	}
	return false
}

// kindName names a manifest media type in error messages.
func kindName(mt string) string {
	switch mt {
	case MediaTypeDockerSchema1:
		return "a Docker schema1 manifest"
	case MediaTypeDockerSchema1Signed:
		return "a signed Docker schema1 manifest"
	case MediaTypeDockerSchema2:
		return "a Docker schema2 manifest"
	case MediaTypeDockerManifestList:
		return "a Docker manifest list"
	case MediaTypeOCIManifest:
		return "an OCI image manifest"
	default:
		return "an OCI image index"
	}
}

// resolveMediaType decides what kind of manifest top is, from the request's
// Content-Type and the payload's own mediaType field; when neither names a
// manifest type it falls back to the payload's shape, as clients that send
// no Content-Type (or application/json) expect.
func resolveMediaType(contentType string, top object) (string, *InvalidError) {
	declared, _, err := top.str("mediaType")
	if err != nil {
		return "", err
	}
	var header string
	if contentType != "" {
		// A malformed header is treated like a missing one: the payload
		// can still say what it is.
		header, _, _ = mime.ParseMediaType(contentType)
	}
	if isManifestType(header) {
		if declared != "" && declared != header {
			return "", invalid("Content-Type %s does not match the manifest's mediaType %s", clip(header), clip(declared))
		}
		return header, nil
	}
	if declared != "" {
		if !isManifestType(declared) {
			return "", invalid("unsupported manifest mediaType %s; expected one of %s", quote(declared), strings.Join(manifestTypes(), ", "))
		}
		return declared, nil
	}
	if v, ok, _ := top.int64("schemaVersion"); ok && v == 1 {
		if _, ok := top.lookup("signatures"); ok {
			return MediaTypeDockerSchema1Signed, nil
		}
		return MediaTypeDockerSchema1, nil
	}
	switch {
	case top.has("manifests"):
		return MediaTypeOCIIndex, nil
	case top.has("config"):
		return MediaTypeOCIManifest, nil
	}
	return "", invalid("cannot tell what kind of manifest this is: it has no mediaType field, no config and no manifests, and Content-Type %s is not a manifest media type; send the manifest's media type as Content-Type", quote(contentType))
}

func manifestTypes() []string {
	return []string{MediaTypeOCIManifest, MediaTypeOCIIndex, MediaTypeDockerSchema2,
		MediaTypeDockerManifestList, MediaTypeDockerSchema1Signed, MediaTypeDockerSchema1}
}

func requireSchemaVersion(top object, want int64, mediaType string) *InvalidError {
	v, ok, err := top.int64("schemaVersion")
	if err != nil {
		return err
	}
	if !ok {
		return invalid("schemaVersion is required (expected %d for %s)", want, kindName(mediaType))
	}
	if v != want {
		return invalid("schemaVersion must be %d for %s, got %d", want, kindName(mediaType), v)
	}
	return nil
}

// requireDeclaredType enforces what Docker's formats (unlike OCI's) demand
// and CNCF Distribution checks: the payload names its own media type.
func requireDeclaredType(top object, mediaType string) *InvalidError {
	if declared, _, _ := top.str("mediaType"); declared == "" {
		return invalid("mediaType is required in %s (expected %q)", kindName(mediaType), mediaType)
	}
	return nil
}

func parseImage(m *Manifest, top object) *InvalidError {
	oci := m.MediaType == MediaTypeOCIManifest
	if err := requireSchemaVersion(top, 2, m.MediaType); err != nil {
		return err
	}
	if !oci {
		if err := requireDeclaredType(top, m.MediaType); err != nil {
			return err
		}
	}
	// An image manifest that also looks like an index is ambiguous
	// (CVE-2021-41190); image-spec 1.0.2 and Distribution refuse it.
	if top.has("manifests") {
		return invalid("%s must not have a manifests field; push an index with its own media type", kindName(m.MediaType))
	}
	rawConfig, ok := top.raw("config")
	if !ok {
		return invalid("config is required in %s", kindName(m.MediaType))
	}
	config, err := parseDescriptor("config", rawConfig)
	if err != nil {
		return err
	}
	m.Config, m.ConfigMediaType = &config, config.MediaType

	rawLayers, ok, err := top.array("layers")
	if err != nil {
		return err
	}
	// OCI 1.1 artifacts may have no layers at all; Docker's format always
	// writes the field, even when it is empty.
	if !ok && !oci {
		return invalid("layers is required in %s (it may be an empty array)", kindName(m.MediaType))
	}
	m.Layers = make([]Descriptor, 0, len(rawLayers))
	for i, raw := range rawLayers {
		d, err := parseDescriptor(indexPath("layers", i), raw)
		if err != nil {
			return err
		}
		m.Layers = append(m.Layers, d)
	}
	if m.Annotations, err = top.stringMap("annotations"); err != nil {
		return err
	}
	if oci {
		if err := parseReferrerFields(m, top); err != nil {
			return err
		}
		m.ArtifactType = m.artifactType
		if m.ArtifactType == "" {
			m.ArtifactType = config.MediaType
		}
	}

	seen := map[digest.Digest]bool{}
	m.Blobs = appendBlob(m.Blobs, seen, config)
	for _, l := range m.Layers {
		if !isForeign(l) {
			m.Blobs = appendBlob(m.Blobs, seen, l)
		}
	}
	return nil
}

func parseIndex(m *Manifest, top object) *InvalidError {
	oci := m.MediaType == MediaTypeOCIIndex
	if err := requireSchemaVersion(top, 2, m.MediaType); err != nil {
		return err
	}
	if !oci {
		if err := requireDeclaredType(top, m.MediaType); err != nil {
			return err
		}
	}
	for _, f := range []string{"config", "layers"} {
		if top.has(f) {
			return invalid("%s must not have a %s field; push an image manifest with its own media type", kindName(m.MediaType), f)
		}
	}
	rawChildren, ok, err := top.array("manifests")
	if err != nil {
		return err
	}
	if !ok {
		return invalid("manifests is required in %s (it may be an empty array)", kindName(m.MediaType))
	}
	m.Manifests = make([]Descriptor, 0, len(rawChildren))
	for i, raw := range rawChildren {
		d, err := parseDescriptor(indexPath("manifests", i), raw)
		if err != nil {
			return err
		}
		m.Manifests = append(m.Manifests, d)
	}
	if m.Annotations, err = top.stringMap("annotations"); err != nil {
		return err
	}
	if oci {
		if err := parseReferrerFields(m, top); err != nil {
			return err
		}
		m.ArtifactType = m.artifactType
	}
	return nil
}

// parseReferrerFields reads the OCI 1.1 fields that make a manifest or an
// index show up in the referrers API.
func parseReferrerFields(m *Manifest, top object) *InvalidError {
	at, ok, err := top.str("artifactType")
	if err != nil {
		return err
	}
	if ok && !validMediaType(at) {
		return invalid("artifactType %s is not a valid media type (expected type/subtype, e.g. application/vnd.example+json)", quote(at))
	}
	m.artifactType = at
	if raw, ok := top.raw("subject"); ok {
		s, err := parseDescriptor("subject", raw)
		if err != nil {
			return err
		}
		m.Subject = &s
	}
	return nil
}

func indexPath(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

func appendBlob(blobs []Descriptor, seen map[digest.Digest]bool, d Descriptor) []Descriptor {
	if seen[d.Digest] {
		return blobs
	}
	seen[d.Digest] = true
	return append(blobs, d)
}
