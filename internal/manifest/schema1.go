package manifest

import (
	"bytes"

	"github.com/opencontainers/go-digest"
)

// Docker schema1 is long deprecated, but old images still get pushed (and
// mirrored) in it, so the registry accepts both the unsigned form and the
// libtrust-signed "pretty JWS" form.

func parseSchema1(m *Manifest, top object) *InvalidError {
	_, signed := top.lookup("signatures")
	switch {
	case m.MediaType == MediaTypeDockerSchema1Signed && !signed:
		return invalid("a signed Docker schema1 manifest (%s) must have a signatures field; send an unsigned one as %s", MediaTypeDockerSchema1Signed, MediaTypeDockerSchema1)
	case m.MediaType == MediaTypeDockerSchema1 && signed:
		return invalid("the manifest has signatures but was sent as %s, the unsigned schema1 type; send it as %s", MediaTypeDockerSchema1, MediaTypeDockerSchema1Signed)
	}
	body := top
	if signed {
		canonical, err := verifySchema1(m.Payload, top)
		if err != nil {
			return err
		}
		if body, err = decodeCanonical(canonical, top); err != nil {
			return err
		}
		m.signed = canonical
	}
	return parseSchema1Body(m, body)
}

// decodeCanonical decodes the signed content of a schema1 manifest and makes
// sure the full payload says nothing else: the registry serves the full
// payload, and clients read the canonical part, so a field outside it (or a
// different value for one inside it) would be content no signature covers.
func decodeCanonical(canonical []byte, full object) (object, *InvalidError) {
	if err := checkJSON(canonical); err != nil {
		err.Reason = "signed content (payload[:formatLength] + formatTail): " + err.Reason
		return object{}, err
	}
	body, err := decodeObject("", canonical, topLevelFields()...)
	if err != nil {
		return object{}, err
	}
	if _, ok := body.lookup("signatures"); ok {
		return object{}, invalid("the signed content of a schema1 manifest must not itself contain signatures")
	}
	for _, m := range full.members {
		if m.key == "signatures" {
			continue
		}
		if v, ok := body.lookup(m.key); !ok || !bytes.Equal(v, m.raw) {
			return object{}, invalid("field %s is outside the signed content of the manifest (formatLength cuts it off, or it differs); re-sign the manifest", quote(m.key))
		}
	}
	for _, m := range body.members {
		if _, ok := full.lookup(m.key); !ok {
			return object{}, invalid("the signed content has field %s, which the manifest itself lacks; re-sign the manifest", quote(m.key))
		}
	}
	return body, nil
}

func schema1Fields() []string { return []string{"blobSum"} }

func historyFields() []string { return []string{"v1Compatibility"} }

func parseSchema1Body(m *Manifest, body object) *InvalidError {
	if err := requireSchemaVersion(body, 1, m.MediaType); err != nil {
		return err
	}
	name, _, err := body.str("name")
	if err != nil {
		return err
	}
	if name == "" {
		return invalid("name is required in %s (the repository name)", kindName(m.MediaType))
	}
	// tag and architecture are informative only, but must be strings.
	for _, f := range []string{"tag", "architecture"} {
		if _, _, err := body.str(f); err != nil {
			return err
		}
	}
	fsLayers, _, err := body.array("fsLayers")
	if err != nil {
		return err
	}
	history, _, err := body.array("history")
	if err != nil {
		return err
	}
	if len(fsLayers) == 0 {
		return invalid("fsLayers is required in %s and must not be empty", kindName(m.MediaType))
	}
	if len(history) != len(fsLayers) {
		return invalid("history has %d entries but fsLayers has %d; schema1 needs one history entry per layer", len(history), len(fsLayers))
	}
	for i, raw := range history {
		h, err := decodeObject(indexPath("history", i), raw, historyFields()...)
		if err != nil {
			return err
		}
		if _, _, err := h.str("v1Compatibility"); err != nil {
			return err
		}
	}
	seen := map[digest.Digest]bool{}
	m.Layers = make([]Descriptor, 0, len(fsLayers))
	for i, raw := range fsLayers {
		l, err := decodeObject(indexPath("fsLayers", i), raw, schema1Fields()...)
		if err != nil {
			return err
		}
		sum, ok, err := l.str("blobSum")
		if err != nil {
			return err
		}
		if !ok {
			return invalid("%s is required", l.name("blobSum"))
		}
		d := Descriptor{MediaType: MediaTypeDockerSchema1Layer, Digest: digest.Digest(sum), Size: SizeUnknown}
		if verr := d.Digest.Validate(); verr != nil {
			return &InvalidError{
				Reason: l.name("blobSum") + " " + quote(sum) + " is not a valid digest (expected algorithm:hex such as sha256: and 64 lowercase hex digits)",
				Err:    verr,
			}
		}
		m.Layers = append(m.Layers, d)
		m.Blobs = appendBlob(m.Blobs, seen, d)
	}
	return nil
}
