package manifest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"
	"unicode"

	"github.com/opencontainers/go-digest"
)

// Old clients (docker before 1.10, and anything built on its pre-2016
// libraries) only understand Docker schema1. ECR, like CNCF Distribution,
// translates a Docker schema2 or OCI image to signed schema1 when such a
// client pulls it by tag. ToSchema1 does what Distribution's
// schema1.configManifestBuilder (manifest/schema1/config_builder.go, v2.8.3)
// does, byte for byte in the canonical payload, and signs it the way
// libtrust's JSONSignature.PrettySignature does, with the standard library.

// EmptyLayerDigest is the digest of the gzipped empty tar that schema1
// manifests name for history entries without a layer of their own.
const EmptyLayerDigest = digest.Digest("sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4")

// gzippedEmptyTar is 1024 zero bytes (an empty tar) gzipped, exactly as
// docker and Distribution write it: the digest above names these bytes. A
// string constant, not a byte slice, so that no caller can alter it.
const gzippedEmptyTar = "\x1f\x8b\x08\x00\x00\x09\x6e\x88\x00\xff\x62\x18\x05\xa3\x60\x14" +
	"\x8c\x58\x00\x08\x00\x00\xff\xff\x2e\xaf\xb5\xef\x00\x04\x00\x00"

// EmptyLayer returns the gzipped empty tar as a descriptor carrying its
// content in Data.
func EmptyLayer() Descriptor {
	return Descriptor{
		MediaType: MediaTypeDockerLayer,
		Digest:    EmptyLayerDigest,
		Size:      int64(len(gzippedEmptyTar)),
		Data:      []byte(gzippedEmptyTar),
	}
}

// Schema1 is an image translated to signed Docker schema1 by ToSchema1.
type Schema1 struct {
	// Payload is the signed manifest, to serve as MediaTypeDockerSchema1Signed.
	Payload []byte
	// Digest covers the canonical (signature-free) payload, as Parse's
	// Manifest.Digest computes it. It depends on the image, the repository
	// name and the tag only: not on the key nor the time of signing, so
	// every replica reports the same one.
	Digest digest.Digest
	// ExtraBlobs are blobs Payload names that the image itself does not
	// reference (the gzipped empty tar), each with its content in Data.
	// The caller must make them readable in the repository before serving
	// Payload, or clients fail to pull them.
	ExtraBlobs []Descriptor
}

// Schema1Convertible reports whether m has the shape ToSchema1 needs: a
// Docker schema2 or OCI image manifest (not an artifact) with a Docker or
// OCI image config and only gzip or plain tar layers the registry holds.
// The config itself may still make ToSchema1 refuse (no history, history
// that does not match the layers).
func Schema1Convertible(m *Manifest) bool {
	return schema1Problem(m) == ""
}

func schema1Problem(m *Manifest) string {
	switch {
	case m == nil:
		return "there is no manifest"
	case m.MediaType != MediaTypeDockerSchema2 && m.MediaType != MediaTypeOCIManifest:
		return fmt.Sprintf("only Docker schema2 and OCI image manifests translate to schema1, not %s", m.MediaType)
	case m.Subject != nil || m.artifactType != "":
		return "it is an OCI artifact (it has a subject or an artifactType)"
	case m.Config == nil:
		return "it has no config"
	case m.Config.MediaType != MediaTypeDockerConfig && m.Config.MediaType != MediaTypeOCIConfig:
		return fmt.Sprintf("config media type %s is not an image config", m.Config.MediaType)
	}
	for i, l := range m.Layers {
		switch l.MediaType {
		case MediaTypeDockerLayer, MediaTypeDockerLayerUncompressed, MediaTypeOCILayer, MediaTypeOCILayerGzip:
		default:
			return fmt.Sprintf("layers[%d] media type %s has no schema1 equivalent", i, l.MediaType)
		}
		// Schema1 cannot carry URLs: a client would ask the registry for
		// a layer it does not hold.
		if len(l.URLs) > 0 {
			return fmt.Sprintf("layers[%d] lives outside the registry (it has urls)", i)
		}
	}
	return ""
}

// ToSchema1 translates the image m, whose config blob is config, to a
// Docker schema1 manifest for repository name and tag, signed with key
// (ECDSA on P-256, P-384 or P-521, or RSA, as libtrust signs). It fails
// with an error wrapping ErrNotConvertible when the image cannot be
// expressed in schema1; any other error is the caller's (config bytes that
// do not match m.Config, an unusable key) or the signer's.
func ToSchema1(m *Manifest, config []byte, name, tag string, key crypto.Signer) (*Schema1, error) {
	if problem := schema1Problem(m); problem != "" {
		return nil, fmt.Errorf("%w to schema1: %s", ErrNotConvertible, problem)
	}
	if name == "" {
		return nil, errors.New("schema1 translation needs the repository name")
	}
	if !m.Config.Digest.Algorithm().Available() || m.Config.Digest.Algorithm().FromBytes(config) != m.Config.Digest {
		return nil, fmt.Errorf("the config passed for schema1 translation is not blob %s", m.Config.Digest)
	}
	canonical, needsEmpty, err := schema1Canonical(m.Layers, config, name, tag)
	if err != nil {
		return nil, err
	}
	payload, err := signPrettyJWS(canonical, key, time.Now())
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxSize {
		return nil, fmt.Errorf("%w to schema1: the signed manifest would be %d bytes, over the %d-byte limit", ErrNotConvertible, len(payload), MaxSize)
	}
	// Serve nothing the registry itself would refuse, and take the digest
	// from the same code that computes it for pushed schema1 manifests.
	parsed, perr := parse(MediaTypeDockerSchema1Signed, payload)
	if perr != nil {
		return nil, fmt.Errorf("schema1 translation does not parse: %w", perr)
	}
	s := &Schema1{Payload: payload, Digest: parsed.Digest(digest.SHA256)}
	if needsEmpty {
		s.ExtraBlobs = []Descriptor{EmptyLayer()}
	}
	return s, nil
}

// The types below mirror Distribution's field for field, tags included:
// encoding/json then decodes the config as leniently and encodes the
// result as exactly as Distribution does.

type s1RootFS struct {
	Type      string   `json:"type"`
	DiffIDs   []string `json:"diff_ids,omitempty"`
	BaseLayer string   `json:"base_layer,omitempty"`
}

type s1ConfigHistory struct {
	Created    time.Time `json:"created"`
	Author     string    `json:"author,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	EmptyLayer bool      `json:"empty_layer,omitempty"`
}

type s1Config struct {
	RootFS       *s1RootFS         `json:"rootfs,omitempty"`
	History      []s1ConfigHistory `json:"history,omitempty"`
	Architecture string            `json:"architecture,omitempty"`
}

type s1V1Compatibility struct {
	ID              string    `json:"id"`
	Parent          string    `json:"parent,omitempty"`
	Comment         string    `json:"comment,omitempty"`
	Created         time.Time `json:"created"`
	ContainerConfig struct {
		Cmd []string
	} `json:"container_config,omitempty"`
	Author    string `json:"author,omitempty"`
	ThrowAway bool   `json:"throwaway,omitempty"`
}

type s1FSLayer struct {
	BlobSum digest.Digest `json:"blobSum"`
}

type s1History struct {
	V1Compatibility string `json:"v1Compatibility"`
}

type s1Manifest struct {
	SchemaVersion int         `json:"schemaVersion"`
	Name          string      `json:"name"`
	Tag           string      `json:"tag"`
	Architecture  string      `json:"architecture"`
	FSLayers      []s1FSLayer `json:"fsLayers"`
	History       []s1History `json:"history"`
}

// schema1Canonical builds the unsigned schema1 manifest: one fsLayer and
// history entry per config history entry, newest first; entries marked
// empty_layer take the gzipped empty tar (needsEmpty reports whether any
// did), the others the image's layers in order. Each entry's v1 id is
// sha256(blobSum hex + " " + parent id), the top one's also covers the
// whole config, so ids chain from the bottom up as docker checks.
func schema1Canonical(layers []Descriptor, config []byte, name, tag string) (canonical []byte, needsEmpty bool, err error) {
	notConvertible := func(format string, args ...any) error {
		return fmt.Errorf("%w to schema1: %s", ErrNotConvertible, fmt.Sprintf(format, args...))
	}
	var img s1Config
	if err := json.Unmarshal(config, &img); err != nil {
		return nil, false, notConvertible("the image config is not valid: %v", err)
	}
	if len(img.History) == 0 {
		return nil, false, notConvertible("the image config has no history")
	}
	if img.RootFS == nil {
		return nil, false, notConvertible("the image config has no rootfs")
	}
	if len(img.RootFS.DiffIDs) != len(layers) {
		return nil, false, notConvertible("the image config has %d rootfs.diff_ids for %d layers", len(img.RootFS.DiffIDs), len(layers))
	}
	// Distribution only refuses more layered history entries than layers;
	// fewer would silently drop the remaining layers from the image.
	layered := 0
	for _, h := range img.History {
		if !h.EmptyLayer {
			layered++
		}
	}
	if layered != len(layers) {
		return nil, false, notConvertible("the image config's history has %d entries with a layer for %d layers", layered, len(layers))
	}

	n := len(img.History)
	fsLayers := make([]s1FSLayer, n)
	history := make([]s1History, n)
	parent := ""
	next := 0
	blobSum := func(h s1ConfigHistory) digest.Digest {
		if h.EmptyLayer {
			needsEmpty = true
			return EmptyLayerDigest
		}
		next++
		return layers[next-1].Digest
	}
	for i, h := range img.History[:n-1] {
		sum := blobSum(h)
		v1ID := digest.FromString(sum.Encoded() + " " + parent).Encoded()
		if i == 0 && img.RootFS.BaseLayer != "" {
			// Windows: the bottom entry's parent stands for the base
			// layer, computed after its id, exactly as Distribution does.
			base := sha512.Sum384([]byte(img.RootFS.BaseLayer))
			parent = fmt.Sprintf("%x", base[:32])
		}
		v1 := s1V1Compatibility{ID: v1ID, Parent: parent, Comment: h.Comment, Created: h.Created, Author: h.Author, ThrowAway: h.EmptyLayer}
		v1.ContainerConfig.Cmd = []string{h.CreatedBy}
		b, err := json.Marshal(&v1)
		if err != nil {
			return nil, false, notConvertible("history[%d]: %v", i, err)
		}
		history[n-1-i] = s1History{string(b)}
		fsLayers[n-1-i] = s1FSLayer{sum}
		parent = v1ID
	}
	top := img.History[n-1]
	sum := blobSum(top)
	fsLayers[0] = s1FSLayer{sum}
	topID := digest.FromString(sum.Encoded() + " " + parent + " " + string(config)).Encoded()
	v1, err := v1ConfigFromConfig(config, topID, parent, top.EmptyLayer)
	if err != nil {
		return nil, false, notConvertible("the image config is not a JSON object: %v", err)
	}
	history[0] = s1History{string(v1)}

	out, err := json.MarshalIndent(s1Manifest{1, name, tag, img.Architecture, fsLayers, history}, "", "   ")
	if err != nil {
		return nil, false, fmt.Errorf("encode schema1 manifest: %w", err)
	}
	return out, needsEmpty, nil
}

// v1ConfigFromConfig is Distribution's MakeV1ConfigFromConfig: the image
// config without rootfs and history, with the top entry's id, parent and
// throwaway. Unlike Distribution, a parent or throwaway member the config
// itself carries is removed when the translation has none: a stale parent
// on the bottom entry makes docker refuse the image ("invalid parent ID in
// the base layer"), and a stale throwaway makes it skip the top layer.
func v1ConfigFromConfig(config []byte, id, parent string, throwaway bool) ([]byte, error) {
	var members map[string]*json.RawMessage
	if err := json.Unmarshal(config, &members); err != nil {
		return nil, err
	}
	if members == nil {
		return nil, errors.New("config is null")
	}
	delete(members, "rootfs")
	delete(members, "history")
	delete(members, "parent")
	delete(members, "throwaway")
	members["id"] = rawJSON(id)
	if parent != "" {
		members["parent"] = rawJSON(parent)
	}
	if throwaway {
		members["throwaway"] = rawJSON(true)
	}
	return json.Marshal(members)
}

func rawJSON(v any) *json.RawMessage {
	b, _ := json.Marshal(v) // strings and booleans always encode
	raw := json.RawMessage(b)
	return &raw
}

// signPrettyJWS signs canonical (JSON indented with three spaces, as
// schema1Canonical writes it) like libtrust's NewJSONSignature + Sign +
// PrettySignature("signatures"): the protected header records how to cut
// the signatures back out (formatLength, formatTail), and the signatures
// member is spliced in before the closing brace.
func signPrettyJWS(canonical []byte, key crypto.Signer, now time.Time) ([]byte, error) {
	if key == nil {
		return nil, errors.New("no key to sign the schema1 manifest with")
	}
	jwk, alg, err := publicJWK(key.Public())
	if err != nil {
		return nil, err
	}
	notSpace := func(r rune) bool { return !unicode.IsSpace(r) }
	closing := bytes.LastIndexFunc(canonical, notSpace)
	if closing < 0 || canonical[closing] != '}' {
		return nil, errors.New("sign schema1: payload is not a JSON object")
	}
	formatLength := bytes.LastIndexFunc(canonical[:closing], notSpace) + 1
	b64 := base64.RawURLEncoding.EncodeToString

	header, err := json.Marshal(struct {
		FormatLength int    `json:"formatLength"`
		FormatTail   string `json:"formatTail"`
		Time         string `json:"time"`
	}{formatLength, b64(canonical[formatLength:]), now.UTC().Format(time.RFC3339)})
	if err != nil {
		return nil, fmt.Errorf("sign schema1: %w", err)
	}
	protected := b64(header)
	hash, _ := algorithmHash(alg)
	h := hash.New()
	h.Write([]byte(protected + "." + b64(canonical)))
	sig, err := key.Sign(rand.Reader, h.Sum(nil), hash)
	if err != nil {
		return nil, fmt.Errorf("sign schema1: %w", err)
	}
	if ec, ok := key.Public().(*ecdsa.PublicKey); ok {
		if sig, err = rawECDSA(ec, sig); err != nil {
			return nil, err
		}
	}
	type jwsHeader struct {
		JWK any    `json:"jwk"`
		Alg string `json:"alg"`
	}
	sigs, err := json.MarshalIndent([]struct {
		Header    jwsHeader `json:"header"`
		Signature string    `json:"signature"`
		Protected string    `json:"protected"`
	}{{jwsHeader{jwk, alg}, b64(sig), protected}}, "   ", "   ")
	if err != nil {
		return nil, fmt.Errorf("sign schema1: %w", err)
	}
	var out bytes.Buffer
	out.Grow(formatLength + len(sigs) + 24)
	out.Write(canonical[:formatLength])
	out.WriteString(",\n   \"signatures\": ")
	out.Write(sigs)
	out.WriteString("\n}")
	return out.Bytes(), nil
}

// The JWKs below have libtrust's members in its (sorted) order.
type ecJWK struct {
	Crv string `json:"crv"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

type rsaJWK struct {
	E   string `json:"e"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
}

// publicJWK returns the JWK libtrust puts in a signature's header for pub
// and the algorithm it signs with: an EC key's own (ES256 for P-256), and
// RS256 for RSA (libtrust signs manifests with SHA-256).
func publicJWK(pub crypto.PublicKey) (any, string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		alg, err := ecAlgorithm(k.Curve)
		if err != nil {
			return nil, "", fmt.Errorf("sign schema1: %w", err)
		}
		point, err := k.Bytes()
		if err != nil {
			return nil, "", fmt.Errorf("sign schema1: %w", err)
		}
		size := (len(point) - 1) / 2
		return ecJWK{k.Curve.Params().Name, keyID(k), "EC", b64(point[1 : 1+size]), b64(point[1+size:])}, alg, nil
	case *rsa.PublicKey:
		e := big.NewInt(int64(k.E)).Bytes()
		return rsaJWK{b64(e), keyID(k), "RSA", b64(k.N.Bytes())}, "RS256", nil
	}
	return nil, "", fmt.Errorf("sign schema1: keys of type %T cannot sign (use ECDSA or RSA)", pub)
}

// rawECDSA turns crypto.Signer's ASN.1 ECDSA signature into JWS's fixed
// size r||s.
func rawECDSA(pub *ecdsa.PublicKey, der []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return nil, fmt.Errorf("sign schema1: the signer returned a malformed ECDSA signature")
	}
	size := (pub.Curve.Params().BitSize + 7) / 8
	if rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, fmt.Errorf("sign schema1: the signer returned an ECDSA signature too long for %s", pub.Curve.Params().Name)
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
