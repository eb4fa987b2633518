package manifest

import (
	"strconv"
	"strings"
)

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string // lower case; "*" for a wildcard
	q        float64
}

// parseAccept splits every Accept header value into media ranges. Elements
// that are not type/subtype are skipped rather than failing the request:
// clients send odd things, and the stored format is always a safe answer.
func parseAccept(values []string) []mediaRange {
	var ranges []mediaRange
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			params := strings.Split(elem, ";")
			typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(params[0])), "/")
			typ, sub = strings.TrimSpace(typ), strings.TrimSpace(sub)
			if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
				continue
			}
			r := mediaRange{typ: typ, sub: sub, q: 1}
			for _, p := range params[1:] {
				k, val, _ := strings.Cut(p, "=")
				if !strings.EqualFold(strings.TrimSpace(k), "q") {
					continue
				}
				// A malformed weight is ignored (the range stays
				// acceptable); only an explicit zero refuses a type.
				if q, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					r.q = q
				}
			}
			ranges = append(ranges, r)
		}
	}
	return ranges
}

// acceptable reports whether mediaType is acceptable under ranges: the most
// specific matching range decides (RFC 9110 §12.5.1), and q <= 0 means "not
// acceptable". Other weights are deliberately ignored: a registry serves
// what it stores whenever the client accepts it at all.
func acceptable(ranges []mediaRange, mediaType string) bool {
	typ, sub, _ := strings.Cut(strings.ToLower(mediaType), "/")
	best, q := 0, 0.0
	for _, r := range ranges {
		var spec int
		switch {
		case r.typ == typ && r.sub == sub:
			spec = 3
		case r.typ == typ && r.sub == "*":
			spec = 2
		case r.typ == "*":
			spec = 1
		default:
			continue
		}
		if spec > best {
			best, q = spec, r.q
		} else if spec == best {
			q = max(q, r.q)
		}
	}
	return best > 0 && q > 0
}

// listed reports whether ranges name mediaType itself (not through a
// wildcard) and accept it. Translating to schema1 loses information, so it
// is done only for clients that ask for schema1 by name.
func listed(ranges []mediaRange, mediaType string) bool {
	typ, sub, _ := strings.Cut(strings.ToLower(mediaType), "/")
	for _, r := range ranges {
		if r.typ == typ && r.sub == sub {
			return acceptable(ranges, mediaType)
		}
	}
	return false
}

// counterpart returns the format a stored manifest type can be converted
// to, or "" if there is none.
func counterpart(mediaType string) string {
	switch mediaType {
	case MediaTypeDockerSchema2:
		return MediaTypeOCIManifest
	case MediaTypeOCIManifest:
		return MediaTypeDockerSchema2
	case MediaTypeDockerManifestList:
		return MediaTypeOCIIndex
	case MediaTypeOCIIndex:
		return MediaTypeDockerManifestList
	}
	return ""
}

// Negotiate picks the media type to serve for a manifest stored as stored,
// given every Accept header value as received (each may be a comma list
// with ;q= parameters). It returns stored when accept is empty or accepts
// stored (including through */* or application/*); otherwise the converted
// counterpart (schema2 <-> OCI manifest, manifest list <-> OCI index) when
// the client accepts it; otherwise, for a Docker schema2 or OCI image
// manifest, signed Docker schema1 when the client lists either schema1
// type (what ECR does for old clients); otherwise stored. A schema1
// manifest is never translated up, and an index never down to schema1.
//
// Negotiate only knows types: the caller must still check Convertible (or
// Schema1Convertible) for the particular manifest, and must only convert
// on pulls by tag, never by digest.
func Negotiate(accept []string, stored string) string {
	ranges := parseAccept(accept)
	if len(ranges) == 0 || acceptable(ranges, stored) {
		return stored
	}
	if other := counterpart(stored); other != "" && acceptable(ranges, other) {
		return other
	}
	if (stored == MediaTypeDockerSchema2 || stored == MediaTypeOCIManifest) &&
		(listed(ranges, MediaTypeDockerSchema1Signed) || listed(ranges, MediaTypeDockerSchema1)) {
		// Old clients verify the signature if there is one and accept
		// either form; the signed one is what Distribution and ECR serve.
		return MediaTypeDockerSchema1Signed
	}
	return stored
}

// ForPull returns the media type and payload to serve for a pull BY TAG of
// m with the given Accept header values: m as stored, or converted when the
// client does not accept the stored format but accepts its counterpart and
// m is convertible. The caller must report the digest of the returned
// payload (digest.FromBytes), which differs from m's when converted.
// ForPull never translates to schema1, which needs the image config and a
// signing key: a caller that can supply them checks Negotiate for
// MediaTypeDockerSchema1Signed and calls ToSchema1.
func ForPull(m *Manifest, accept []string) (mediaType string, payload []byte, err error) {
	target := Negotiate(accept, m.MediaType)
	if target == m.MediaType || !Convertible(m, target) {
		return m.MediaType, m.Payload, nil
	}
	out, err := Convert(m, target)
	if err != nil {
		return "", nil, err
	}
	return target, out, nil
}
