package manifest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// The testdata/schema1-* fixtures were produced with github.com/docker/libtrust
// and github.com/docker/distribution v2.8.3 (schema1.Sign, SignWithChain,
// JSONSignature.Sign); testdata/schema1gen.go.txt is the program.
// schema1-fixtures.json records, for each, the digest Distribution reports
// (digest.FromBytes(sm.Canonical)) and that schema1.Verify accepted it.
type schema1Fixture struct {
	File      string `json:"file"`
	Key       string `json:"key"`
	Alg       string `json:"alg"`
	Digest    string `json:"digest"`
	RawDigest string `json:"raw_digest"`
	CanonLen  int    `json:"canonical_length"`
	Verified  bool   `json:"verified_by_distribution"`
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func schema1Fixtures(t testing.TB) []schema1Fixture {
	t.Helper()
	var fs []schema1Fixture
	if err := json.Unmarshal(readFixture(t, "schema1-fixtures.json"), &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("no schema1 fixtures")
	}
	return fs
}

const (
	schema1Layer1 = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
	schema1Layer2 = "sha256:2db29710123e3e53a794f2694094b9b4338aa9ee5c40b930cb8063a1be392c54"
)

func TestSchema1SignedFixtures(t *testing.T) {
	for _, f := range schema1Fixtures(t) {
		t.Run(f.Key, func(t *testing.T) {
			payload := readFixture(t, f.File)
			for _, ct := range []string{MediaTypeDockerSchema1Signed, "", "application/json"} {
				m, err := Parse(ct, payload)
				if err != nil {
					t.Fatalf("Parse(%q): %v", ct, err)
				}
				if m.MediaType != MediaTypeDockerSchema1Signed {
					t.Errorf("MediaType = %q", m.MediaType)
				}
				if got := m.Digest(digest.SHA256); string(got) != f.Digest {
					t.Errorf("Digest = %s, want Distribution's %s", got, f.Digest)
				}
				if string(digest.FromBytes(payload)) != f.RawDigest || f.RawDigest == f.Digest {
					t.Errorf("fixture raw digest is inconsistent")
				}
				if !bytes.Equal(m.Payload, payload) {
					t.Errorf("Payload is not the signed bytes")
				}
				if len(m.signed) != f.CanonLen {
					t.Errorf("canonical length = %d, want %d", len(m.signed), f.CanonLen)
				}
				if got := digests(m.Blobs); !slices.Equal(got, []string{schema1Layer1, schema1Layer2}) {
					t.Errorf("Blobs = %v (want deduplicated blobSums)", got)
				}
				if got := digests(m.Layers); !slices.Equal(got, []string{schema1Layer1, schema1Layer2, schema1Layer1}) {
					t.Errorf("Layers = %v", got)
				}
				for _, l := range m.Layers {
					if l.Size != SizeUnknown || l.MediaType != MediaTypeDockerSchema1Layer {
						t.Errorf("layer = %+v", l)
					}
				}
				if m.Config != nil || m.ConfigMediaType != "" || m.ArtifactType != "" || m.Subject != nil || m.Manifests != nil {
					t.Errorf("unexpected fields on schema1: %+v", m)
				}
			}
		})
	}
}

func TestSchema1Unsigned(t *testing.T) {
	payload := readFixture(t, "schema1-unsigned.json")
	for _, ct := range []string{MediaTypeDockerSchema1, "", "application/json"} {
		m := mustParse(t, ct, string(payload))
		if m.MediaType != MediaTypeDockerSchema1 {
			t.Errorf("MediaType = %q", m.MediaType)
		}
		// Unsigned, the payload is the canonical form: same digest as
		// the signed fixtures report.
		if got, want := m.Digest(digest.SHA256), digest.Digest(schema1Fixtures(t)[0].Digest); got != want {
			t.Errorf("Digest = %s, want %s", got, want)
		}
		if got := digests(m.Blobs); !slices.Equal(got, []string{schema1Layer1, schema1Layer2}) {
			t.Errorf("Blobs = %v", got)
		}
	}
}

func TestSchema1Invalid(t *testing.T) {
	unsigned := string(readFixture(t, "schema1-unsigned.json"))
	signed := string(readFixture(t, "schema1-signed-ec-p256.json"))
	rsaSigned := string(readFixture(t, "schema1-signed-rsa-2048.json"))
	bad := func(old, new string) string { return replace(t, unsigned, old, new) }
	oneLayer := `{"schemaVersion": 1, "name": "a/b", "tag": "t", "architecture": "amd64",
		"fsLayers": [{"blobSum": "` + schema1Layer1 + `"}], "history": [{"v1Compatibility": "{}"}]}`
	tests := []struct {
		name, contentType, payload, reason string
	}{
		{"unsigned sent as signed", MediaTypeDockerSchema1Signed, unsigned, "must have a signatures field"},
		{"signed sent as unsigned", MediaTypeDockerSchema1, signed, "the manifest has signatures but was sent as"},
		{"schemaVersion 2 with schema1 Content-Type", MediaTypeDockerSchema1, bad(`"schemaVersion": 1`, `"schemaVersion": 2`), "schemaVersion must be 1 for a Docker schema1 manifest, got 2"},
		{"no name", MediaTypeDockerSchema1, bad(`"name": "library/hello",`, ``), "name is required"},
		{"tag not a string", MediaTypeDockerSchema1, bad(`"tag": "latest"`, `"tag": 1`), "tag must be a string"},
		{"no fsLayers", MediaTypeDockerSchema1, `{"schemaVersion": 1, "name": "a", "fsLayers": [], "history": []}`, "fsLayers is required in a Docker schema1 manifest and must not be empty"},
		{"history shorter", MediaTypeDockerSchema1, replace(t, oneLayer, `[{"v1Compatibility": "{}"}]`, `[]`), "history has 0 entries but fsLayers has 1"},
		{"history entry not object", MediaTypeDockerSchema1, replace(t, oneLayer, `{"v1Compatibility": "{}"}`, `"{}"`), "history[0] must be a JSON object"},
		{"v1Compatibility not string", MediaTypeDockerSchema1, replace(t, oneLayer, `"{}"}`, `{}}`), "history[0].v1Compatibility must be a string"},
		{"bad blobSum", MediaTypeDockerSchema1, bad(schema1Layer2, "sha256:xyz"), `fsLayers[1].blobSum "sha256:xyz" is not a valid digest`},
		{"missing blobSum", MediaTypeDockerSchema1, replace(t, oneLayer, `"blobSum": "`+schema1Layer1+`"`, ``), "fsLayers[0].blobSum is required"},
		{"tampered layer", MediaTypeDockerSchema1Signed, replace(t, signed, schema1Layer2, dLayer2), "manifest signature does not verify"},
		{"tampered tag", MediaTypeDockerSchema1Signed, replace(t, signed, `"tag": "latest"`, `"tag": "latesT"`), "manifest signature does not verify"},
		{"tampered RSA signature", MediaTypeDockerSchema1Signed, tamperSignature(t, rsaSigned), "manifest signature does not verify: signatures[0]"},
		{"tampered EC signature", MediaTypeDockerSchema1Signed, tamperSignature(t, signed), "manifest signature does not verify: signatures[0]"},
		{"wrong alg for key", MediaTypeDockerSchema1Signed, replace(t, signed, `"alg": "ES256"`, `"alg": "ES384"`), "a P-256 key signs with ES256, not ES384"},
		{"unknown alg", MediaTypeDockerSchema1Signed, replace(t, rsaSigned, `"alg": "RS256"`, `"alg": "PS256"`), `algorithm "PS256" is not supported`},
		{"kid mismatch", MediaTypeDockerSchema1Signed, replace(t, signed, `"kid": "HCYA`, `"kid": "XCYA`), "does not match the key"},
		{"curve unsupported", MediaTypeDockerSchema1Signed, replace(t, signed, `"crv": "P-256"`, `"crv": "P-192"`), `"P-192" is not supported`},
		{"field outside the signed content", MediaTypeDockerSchema1Signed, replace(t, signed, `"signatures": [`, `"extra": true, "signatures": [`),
			`field "extra" is outside the signed content`},
		{"empty signatures", MediaTypeDockerSchema1Signed, bad(`"schemaVersion": 1,`, `"schemaVersion": 1, "signatures": [],`), "signatures must not be empty"},
		{"signatures not array", MediaTypeDockerSchema1Signed, bad(`"schemaVersion": 1,`, `"schemaVersion": 1, "signatures": {},`), "signatures must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.contentType, []byte(tt.payload))
			wantInvalid(t, err, tt.reason)
		})
	}
}

// tamperSignature flips one bit of the first signature value.
func tamperSignature(t testing.TB, payload string) string {
	t.Helper()
	const marker = `"signature": "`
	i := strings.Index(payload, marker)
	if i < 0 {
		t.Fatal("no signature in fixture")
	}
	j := i + len(marker) + 10
	c := payload[j]
	flipped := byte('A')
	if c == 'A' {
		flipped = 'B'
	}
	return payload[:j] + string(flipped) + payload[j+1:]
}

// testSigner signs like libtrust with the standard library, so tests can
// build signatures libtrust itself would never produce.
type testSigner struct {
	key crypto.Signer
	alg string
	jwk map[string]string
}

func newECSigner(t testing.TB, curve elliptic.Curve, alg, crv string) testSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, y := make([]byte, size), make([]byte, size)
	k.X.FillBytes(x)
	k.Y.FillBytes(y)
	b64 := base64.RawURLEncoding.EncodeToString
	return testSigner{key: k, alg: alg, jwk: map[string]string{
		"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y), "kid": keyID(&k.PublicKey),
	}}
}

func newRSASigner(t testing.TB, bits int, alg string) testSigner {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return testSigner{key: k, alg: alg, jwk: map[string]string{
		"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64([]byte{1, 0, 1}), "kid": keyID(&k.PublicKey),
	}}
}

// signPretty turns canonical manifest JSON into libtrust's pretty JWS form.
// protected overrides the protected header JSON when non-empty.
func signPretty(t testing.TB, canonical []byte, protected string, signers ...testSigner) []byte {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	closing := bytes.LastIndexByte(canonical, '}')
	formatLength := len(bytes.TrimRight(canonical[:closing], " \t\n\r"))
	signed := canonical
	if protected == "" {
		p, _ := json.Marshal(map[string]any{
			"formatLength": formatLength,
			"formatTail":   b64(canonical[formatLength:]),
			"time":         "2016-01-01T00:00:00Z",
		})
		protected = string(p)
	} else {
		// Sign what a verifier will reconstruct from the overridden
		// header, when that is possible, so the signature itself is good.
		var h struct {
			FormatLength int    `json:"formatLength"`
			FormatTail   string `json:"formatTail"`
		}
		if json.Unmarshal([]byte(protected), &h) == nil && h.FormatLength >= 0 && h.FormatLength <= formatLength {
			if tail, err := base64.RawURLEncoding.DecodeString(h.FormatTail); err == nil {
				signed = append(slices.Clip(canonical[:h.FormatLength]), tail...)
			}
		}
	}
	type sig struct {
		Header struct {
			JWK map[string]string `json:"jwk"`
			Alg string            `json:"alg"`
		} `json:"header"`
		Signature string `json:"signature"`
		Protected string `json:"protected"`
	}
	var sigs []sig
	for _, s := range signers {
		prot := b64([]byte(protected))
		input := []byte(prot + "." + b64(signed))
		h, _ := algorithmHash(s.alg)
		hasher := h.New()
		hasher.Write(input)
		sum := hasher.Sum(nil)
		var raw []byte
		switch k := s.key.(type) {
		case *ecdsa.PrivateKey:
			r, ss, err := ecdsa.Sign(rand.Reader, k, sum)
			if err != nil {
				t.Fatal(err)
			}
			size := (k.Curve.Params().BitSize + 7) / 8
			raw = make([]byte, 2*size)
			r.FillBytes(raw[:size])
			ss.FillBytes(raw[size:])
		case *rsa.PrivateKey:
			var err error
			if raw, err = rsa.SignPKCS1v15(rand.Reader, k, h, sum); err != nil {
				t.Fatal(err)
			}
		}
		var one sig
		one.Header.JWK, one.Header.Alg = s.jwk, s.alg
		one.Signature, one.Protected = b64(raw), prot
		sigs = append(sigs, one)
	}
	list, err := json.MarshalIndent(sigs, "   ", "   ")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.Write(canonical[:formatLength])
	out.WriteString(",\n   \"signatures\": ")
	out.Write(list)
	out.WriteString("\n}")
	return out.Bytes()
}

func TestSchema1StdlibSigner(t *testing.T) {
	canonical := readFixture(t, "schema1-unsigned.json")
	p256 := newECSigner(t, elliptic.P256(), "ES256", "P-256")
	p521 := newECSigner(t, elliptic.P521(), "ES512", "P-521")
	rsa3072 := newRSASigner(t, 3072, "RS384")
	rsa2048 := newRSASigner(t, 2048, "RS512")

	valid := []struct {
		name    string
		signers []testSigner
	}{
		{"P-256", []testSigner{p256}},
		{"P-521", []testSigner{p521}},
		{"RSA RS384", []testSigner{rsa3072}},
		{"RSA RS512", []testSigner{rsa2048}},
		{"three signatures", []testSigner{p256, rsa3072, p521}},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			payload := signPretty(t, canonical, "", tt.signers...)
			m := mustParse(t, MediaTypeDockerSchema1Signed, string(payload))
			if got, want := m.Digest(digest.SHA256), digest.FromBytes(canonical); got != want {
				t.Errorf("Digest = %s, want %s (of the canonical payload)", got, want)
			}
		})
	}

	withPrivate := p256
	withPrivate.jwk = map[string]string{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}
	noKey := p256
	noKey.jwk = nil
	octKey := p256
	octKey.jwk = map[string]string{"kty": "oct", "k": "AQAB"}
	offCurve := p256
	offCurve.jwk = map[string]string{"kty": "EC", "crv": "P-256", "x": p256.jwk["x"], "y": p256.jwk["x"]}
	shortCoord := p256
	shortCoord.jwk = map[string]string{"kty": "EC", "crv": "P-256", "x": "AQAB", "y": "AQAB"}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	invalidCases := []struct {
		name      string
		protected string
		signers   []testSigner
		reason    string
	}{
		{"jwk holds a private key", "", []testSigner{withPrivate}, "holds a private exponent"},
		{"no jwk", "", []testSigner{noKey}, "signatures[0].header.jwk is required"},
		{"unsupported kty", "", []testSigner{octKey}, `kty "oct" is not supported`},
		{"point not on curve", "", []testSigner{offCurve}, "is not a valid P-256 public key"},
		{"short coordinates", "", []testSigner{shortCoord}, "coordinates must be 32 bytes"},
		{"formatLength beyond payload", `{"formatLength": 100000000, "formatTail": "Cn0"}`, []testSigner{p256}, "formatLength 100000000"},
		{"negative formatLength", `{"formatLength": -5, "formatTail": "Cn0"}`, []testSigner{p256}, "formatLength -5"},
		{"fractional formatLength", `{"formatLength": 5.5, "formatTail": "Cn0"}`, []testSigner{p256}, "formatLength must be an integer"},
		{"missing formatTail", `{"formatLength": 5}`, []testSigner{p256}, "has no formatTail"},
		{"missing formatLength", `{"formatTail": "Cn0"}`, []testSigner{p256}, "has no formatLength"},
		{"bad formatTail", `{"formatLength": 5, "formatTail": "%%"}`, []testSigner{p256}, "formatTail is not valid base64url"},
		{"protected not JSON", `not json`, []testSigner{p256}, "(decoded): payload is not valid JSON"},
		{"canonical cut short", `{"formatLength": 10, "formatTail": "` + b64("}") + `"}`, []testSigner{p256}, "signed content (payload[:formatLength] + formatTail): payload is not valid JSON"},
		{"too many signatures", "", slices.Repeat([]testSigner{p256}, maxSignatures+1), "at most 8 are accepted"},
	}
	for _, tt := range invalidCases {
		t.Run(tt.name, func(t *testing.T) {
			payload := signPretty(t, canonical, tt.protected, tt.signers...)
			_, err := Parse(MediaTypeDockerSchema1Signed, payload)
			wantInvalid(t, err, tt.reason)
		})
	}

	t.Run("signatures disagree on the format", func(t *testing.T) {
		a := signPretty(t, canonical, "", p256)
		other := signPretty(t, canonical, `{"formatLength": 10, "formatTail": "Cn0"}`, rsa2048)
		// Splice the second signature object into the first payload.
		first := bytes.Index(other, []byte(`"signatures": [`)) + len(`"signatures": [`)
		last := bytes.LastIndexByte(other, ']')
		payload := bytes.Replace(a, []byte(`"signatures": [`), append(append([]byte(`"signatures": [`), other[first:last]...), ','), 1)
		_, err := Parse(MediaTypeDockerSchema1Signed, payload)
		wantInvalid(t, err, "signatures[1].protected disagrees with signatures[0]")
	})
}

func TestSchema1SignatureStructure(t *testing.T) {
	x5c := string(readFixture(t, "schema1-signed-x5c.json"))
	rsaSigned := string(readFixture(t, "schema1-signed-rsa-2048.json"))
	edCert := func() string {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(der)
	}()
	huge := base64.RawURLEncoding.EncodeToString(append([]byte{0x80}, make([]byte, 9000/8)...))
	sub := func(t *testing.T, s, pattern, repl string) string {
		t.Helper()
		re := regexp.MustCompile(pattern)
		if !re.MatchString(s) {
			t.Fatalf("pattern %q does not match the fixture", pattern)
		}
		return re.ReplaceAllLiteralString(s, repl)
	}
	tests := []struct {
		name, payload, pattern, repl, reason string
	}{
		{"x5c not base64", x5c, `"x5c": \[[^\]]*\]`, `"x5c": ["!!"]`, "signatures[0].header.x5c[0] is not valid base64"},
		{"x5c not a certificate", x5c, `"x5c": \[[^\]]*\]`, `"x5c": ["AAAA"]`, "signatures[0].header.x5c[0] is not a valid X.509 certificate"},
		{"x5c with an Ed25519 key", x5c, `"x5c": \[[^\]]*\]`, `"x5c": ["` + edCert + `"]`, "only EC and RSA keys can sign"},
		{"x5c not strings", x5c, `"x5c": \[[^\]]*\]`, `"x5c": [1]`, "signatures[0].header.x5c must be an array of strings"},
		{"no alg", x5c, `"alg": "ES256",`, ``, "signatures[0].header.alg is required"},
		{"no header", x5c, `"header": \{[^}]*\},`, ``, "signatures[0].header is required"},
		{"no protected", x5c, `,\s*"protected": "[^"]*"`, ``, "signatures[0].protected is required"},
		{"no signature", x5c, `"signature": "[^"]*",`, ``, "signatures[0].signature is required"},
		{"signature not base64url", x5c, `"signature": "[^"]*"`, `"signature": "!!!!"`, "signatures[0].signature is not valid base64url"},
		{"protected not base64url", x5c, `"protected": "[^"]*"`, `"protected": "!"`, "signatures[0].protected is not valid base64url"},
		{"signature entry not an object", x5c, `(?s)"signatures": \[.*\]`, `"signatures": ["x"]`, "signatures[0] must be a JSON object"},
		{"RSA modulus too large", rsaSigned, `"n": "[^"]*"`, `"n": "` + huge + `"`, "RSA keys larger than 8192 bits are not accepted"},
		{"RSA exponent empty", rsaSigned, `"e": "[^"]*"`, `"e": ""`, "signatures[0].header.jwk.e is not a usable RSA public exponent"},
		{"RSA exponent not base64url", rsaSigned, `"e": "[^"]*"`, `"e": "A"`, "signatures[0].header.jwk.e is not valid base64url"},
		{"no kty", rsaSigned, `"kty": "RSA",`, ``, `signatures[0].header.jwk.kty "" is not supported`},
		{"jwk not an object", rsaSigned, `(?s)"jwk": \{.*?\},`, `"jwk": "key",`, "signatures[0].header.jwk must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := sub(t, tt.payload, tt.pattern, tt.repl)
			_, err := Parse(MediaTypeDockerSchema1Signed, []byte(payload))
			wantInvalid(t, err, tt.reason)
		})
	}
}
