package manifest

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// isForeign reports whether a layer lives outside the registry: clients
// fetch it from its URLs, so the registry neither holds nor requires it.
func isForeign(d Descriptor) bool {
	switch d.MediaType {
	case MediaTypeDockerForeignLayer, MediaTypeOCILayerNonDistributable,
		MediaTypeOCILayerNonDistributableGzip, MediaTypeOCILayerNonDistributableZstd:
		return true
	}
	return len(d.URLs) > 0
}

func descriptorFields() []string {
	return []string{"mediaType", "digest", "size", "urls", "annotations", "data", "platform", "artifactType"}
}

func parseDescriptor(path string, raw json.RawMessage) (Descriptor, *InvalidError) {
	var d Descriptor
	o, err := decodeObject(path, raw, descriptorFields()...)
	if err != nil {
		return d, err
	}
	mt, ok, err := o.str("mediaType")
	if err != nil {
		return d, err
	}
	if !ok || mt == "" {
		return d, invalid("%s is required", o.name("mediaType"))
	}
	if !validMediaType(mt) {
		return d, invalid("%s %s is not a valid media type (expected type/subtype as in RFC 6838)", o.name("mediaType"), quote(mt))
	}
	d.MediaType = mt

	dg, ok, err := o.str("digest")
	if err != nil {
		return d, err
	}
	if !ok {
		return d, invalid("%s is required", o.name("digest"))
	}
	d.Digest = digest.Digest(dg)
	if verr := d.Digest.Validate(); verr != nil {
		return d, &InvalidError{
			Reason: o.name("digest") + " " + quote(dg) + " is not a valid digest (expected algorithm:hex such as sha256: and 64 lowercase hex digits)",
			Err:    verr,
		}
	}

	size, ok, err := o.int64("size")
	if err != nil {
		return d, err
	}
	if !ok {
		return d, invalid("%s is required", o.name("size"))
	}
	if size < 0 {
		return d, invalid("%s must not be negative, got %d", o.name("size"), size)
	}
	d.Size = size

	if d.URLs, err = o.strings("urls"); err != nil {
		return d, err
	}
	for i, u := range d.URLs {
		if !validURL(u) {
			return d, invalid("%s %s must be an absolute http or https URL without a fragment", indexPath(o.name("urls"), i), quote(u))
		}
	}
	if d.Annotations, err = o.stringMap("annotations"); err != nil {
		return d, err
	}
	data, ok, err := o.base64("data")
	if err != nil {
		return d, err
	}
	if ok {
		// The embedded copy must be the content itself, or clients that
		// trust it would see something other than what the digest names.
		if int64(len(data)) != size {
			return d, invalid("%s holds %d bytes but size is %d", o.name("data"), len(data), size)
		}
		if d.Digest.Algorithm().FromBytes(data) != d.Digest {
			return d, invalid("%s does not match digest %s", o.name("data"), d.Digest)
		}
		d.Data = data
	}
	if raw, ok := o.raw("platform"); ok {
		if d.Platform, err = parsePlatform(o.name("platform"), raw); err != nil {
			return d, err
		}
	}
	at, ok, err := o.str("artifactType")
	if err != nil {
		return d, err
	}
	if ok && !validMediaType(at) {
		return d, invalid("%s %s is not a valid media type (expected type/subtype as in RFC 6838)", o.name("artifactType"), quote(at))
	}
	d.ArtifactType = at
	return d, nil
}

// quote quotes a value from the payload for an error message, cut short:
// a reason must stay readable whatever the client sent.
func quote(s string) string {
	return strconv.Quote(clip(s))
}

func clip(s string) string {
	const limit = 100
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Fragment == ""
}

// validMediaType applies the pattern image-spec's JSON schema gives for
// media types (RFC 6838 restricted names, no parameters).
func validMediaType(s string) bool {
	typ, sub, ok := strings.Cut(s, "/")
	return ok && validRestrictedName(typ) && validRestrictedName(sub)
}

func validRestrictedName(s string) bool {
	if len(s) == 0 || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && strings.IndexByte("!#$&^_.+-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func platformFields() []string {
	return []string{"architecture", "os", "os.version", "os.features", "variant", "features"}
}

// parsePlatform reads an index child's platform. image-spec requires
// architecture and os; Docker's "features" is accepted and dropped, as
// ocispec.Platform has no place for it and nothing reads it.
func parsePlatform(path string, raw json.RawMessage) (*ocispec.Platform, *InvalidError) {
	o, err := decodeObject(path, raw, platformFields()...)
	if err != nil {
		return nil, err
	}
	var p ocispec.Platform
	for _, f := range []struct {
		name     string
		dst      *string
		required bool
	}{
		{"architecture", &p.Architecture, true},
		{"os", &p.OS, true},
		{"os.version", &p.OSVersion, false},
		{"variant", &p.Variant, false},
	} {
		v, ok, err := o.str(f.name)
		if err != nil {
			return nil, err
		}
		if !ok && f.required {
			return nil, invalid("%s is required", o.name(f.name))
		}
		*f.dst = v
	}
	if p.OSFeatures, err = o.strings("os.features"); err != nil {
		return nil, err
	}
	if _, err := o.strings("features"); err != nil {
		return nil, err
	}
	return &p, nil
}
