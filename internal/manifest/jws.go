package manifest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// This file verifies libtrust "pretty" JSON Web Signatures, the signatures
// of Docker schema1 manifests, with the standard library only. It follows
// github.com/docker/libtrust (ParsePrettySignature, JSONSignature.Verify)
// as CNCF Distribution uses it in schema1.Verify:
//
//   - every signature's protected header (base64url JSON) carries
//     formatLength and formatTail; all signatures must agree on them;
//   - the canonical payload is payload[:formatLength] + formatTail, i.e.
//     the manifest without its signatures member;
//   - each signature covers protected + "." + base64url(canonical), with
//     ES256/ES384/ES512 (raw r||s) or RS256/RS384/RS512 (PKCS #1 v1.5),
//     under the key of its x5c chain's first certificate, else its jwk.

const (
	// Real schema1 manifests carry one signature; the cap bounds the work
	// a hostile payload can ask for.
	maxSignatures = 8
	// Larger RSA moduli only make verification slow.
	maxRSABits = 8192
)

type jwsSignature struct {
	path      string
	protected string
	signature []byte
	alg       string
	key       crypto.PublicKey
}

// verifySchema1 checks every signature of a signed schema1 payload and
// returns the canonical payload they cover.
func verifySchema1(payload []byte, top object) ([]byte, *InvalidError) {
	rawSigs, _, err := top.array("signatures")
	if err != nil {
		return nil, err
	}
	if len(rawSigs) == 0 {
		return nil, invalid("signatures must not be empty in a signed Docker schema1 manifest")
	}
	if len(rawSigs) > maxSignatures {
		return nil, invalid("signatures has %d entries; at most %d are accepted", len(rawSigs), maxSignatures)
	}
	sigs := make([]jwsSignature, len(rawSigs))
	var (
		formatLength int64
		formatTail   []byte
	)
	for i, raw := range rawSigs {
		sig, length, tail, err := parseSignature(indexPath("signatures", i), raw)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			formatLength, formatTail = length, tail
		} else if length != formatLength || !bytes.Equal(tail, formatTail) {
			return nil, invalid("%s.protected disagrees with signatures[0] on formatLength or formatTail", sig.path)
		}
		sigs[i] = sig
	}
	if formatLength < 0 || formatLength > int64(len(payload)) {
		return nil, invalid("formatLength %d in the signatures' protected header is outside the %d-byte payload", formatLength, len(payload))
	}
	canonical := make([]byte, 0, int(formatLength)+len(formatTail))
	canonical = append(canonical, payload[:formatLength]...)
	canonical = append(canonical, formatTail...)

	encoded := base64.RawURLEncoding.EncodeToString(canonical)
	for _, s := range sigs {
		if err := verifySignature(s.key, s.alg, []byte(s.protected+"."+encoded), s.signature); err != nil {
			return nil, &InvalidError{Reason: fmt.Sprintf("manifest signature does not verify: %s: %v", s.path, err), Err: err}
		}
	}
	return canonical, nil
}

func parseSignature(path string, raw json.RawMessage) (jwsSignature, int64, []byte, *InvalidError) {
	s := jwsSignature{path: path}
	o, err := decodeObject(path, raw, "header", "signature", "protected")
	if err != nil {
		return s, 0, nil, err
	}
	var ok bool
	if s.protected, ok, err = o.str("protected"); err != nil {
		return s, 0, nil, err
	} else if !ok {
		return s, 0, nil, invalid("%s is required", o.name("protected"))
	}
	sig, ok, err := o.str("signature")
	if err != nil {
		return s, 0, nil, err
	} else if !ok {
		return s, 0, nil, invalid("%s is required", o.name("signature"))
	}
	var derr error
	if s.signature, derr = joseDecode(sig); derr != nil {
		return s, 0, nil, invalid("%s is not valid base64url: %v", o.name("signature"), derr)
	}
	rawHeader, ok := o.raw("header")
	if !ok {
		return s, 0, nil, invalid("%s is required", o.name("header"))
	}
	h, err := decodeObject(o.name("header"), rawHeader, "jwk", "alg", "x5c")
	if err != nil {
		return s, 0, nil, err
	}
	if s.alg, ok, err = h.str("alg"); err != nil {
		return s, 0, nil, err
	} else if !ok {
		return s, 0, nil, invalid("%s is required", h.name("alg"))
	}
	if s.key, err = signatureKey(h); err != nil {
		return s, 0, nil, err
	}
	length, tail, err := parseProtected(o.name("protected"), s.protected)
	return s, length, tail, err
}

// signatureKey returns the key a signature claims: libtrust prefers the
// first certificate of an x5c chain over the jwk. Whether that key is
// trusted is a policy question the registry, like Distribution, leaves to
// clients; it only checks that the manifest was not altered after signing.
func signatureKey(h object) (crypto.PublicKey, *InvalidError) {
	chain, err := h.strings("x5c")
	if err != nil {
		return nil, err
	}
	if len(chain) > 0 {
		der, derr := base64.StdEncoding.DecodeString(chain[0])
		if derr != nil {
			return nil, invalid("%s[0] is not valid base64: %v", h.name("x5c"), derr)
		}
		cert, cerr := x509.ParseCertificate(der)
		if cerr != nil {
			return nil, invalid("%s[0] is not a valid X.509 certificate: %v", h.name("x5c"), cerr)
		}
		return checkKey(h.name("x5c")+"[0]", cert.PublicKey)
	}
	raw, ok := h.raw("jwk")
	if !ok {
		return nil, invalid("%s is required (the signer's public key)", h.name("jwk"))
	}
	return parseJWK(h.name("jwk"), raw)
}

func checkKey(path string, key crypto.PublicKey) (crypto.PublicKey, *InvalidError) {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if _, err := ecAlgorithm(k.Curve); err != nil {
			return nil, invalid("%s: %v", path, err)
		}
	case *rsa.PublicKey:
		if k.N.BitLen() > maxRSABits {
			return nil, invalid("%s: RSA keys larger than %d bits are not accepted", path, maxRSABits)
		}
	default:
		return nil, invalid("%s: only EC and RSA keys can sign schema1 manifests", path)
	}
	return key, nil
}

func parseProtected(path, protected string) (int64, []byte, *InvalidError) {
	b, derr := joseDecode(protected)
	if derr != nil {
		return 0, nil, invalid("%s is not valid base64url: %v", path, derr)
	}
	if err := checkJSON(b); err != nil {
		err.Reason = path + " (decoded): " + err.Reason
		return 0, nil, err
	}
	p, err := decodeObject(path, b, "formatLength", "formatTail", "time")
	if err != nil {
		return 0, nil, err
	}
	length, ok, err := p.int64("formatLength")
	if err != nil {
		return 0, nil, err
	} else if !ok {
		return 0, nil, invalid("%s has no formatLength", path)
	}
	tail, ok, err := p.str("formatTail")
	if err != nil {
		return 0, nil, err
	} else if !ok {
		return 0, nil, invalid("%s has no formatTail", path)
	}
	decoded, derr := joseDecode(tail)
	if derr != nil {
		return 0, nil, invalid("%s.formatTail is not valid base64url: %v", path, derr)
	}
	return length, decoded, nil
}

func parseJWK(path string, raw json.RawMessage) (crypto.PublicKey, *InvalidError) {
	o, err := decodeObject(path, raw, "kty", "crv", "x", "y", "n", "e", "kid", "d")
	if err != nil {
		return nil, err
	}
	param := func(name string) ([]byte, *InvalidError) {
		s, ok, err := o.str(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, invalid("%s is required", o.name(name))
		}
		b, derr := joseDecode(s)
		if derr != nil {
			return nil, invalid("%s is not valid base64url: %v", o.name(name), derr)
		}
		return b, nil
	}
	kty, _, err := o.str("kty")
	if err != nil {
		return nil, err
	}
	var key crypto.PublicKey
	switch kty {
	case "EC":
		crv, _, err := o.str("crv")
		if err != nil {
			return nil, err
		}
		curve := curveByName(crv)
		if curve == nil {
			return nil, invalid("%s %s is not supported (expected P-256, P-384 or P-521)", o.name("crv"), quote(crv))
		}
		x, err := param("x")
		if err != nil {
			return nil, err
		}
		y, err := param("y")
		if err != nil {
			return nil, err
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, invalid("%s coordinates must be %d bytes each for %s", path, size, crv)
		}
		point := append(append([]byte{4}, x...), y...)
		k, perr := ecdsa.ParseUncompressedPublicKey(curve, point)
		if perr != nil {
			return nil, invalid("%s is not a valid %s public key: %v", path, crv, perr)
		}
		key = k
	case "RSA":
		if o.has("d") {
			return nil, invalid("%s must be a public key but holds a private exponent", path)
		}
		n, err := param("n")
		if err != nil {
			return nil, err
		}
		e, err := param("e")
		if err != nil {
			return nil, err
		}
		e = bytes.TrimLeft(e, "\x00")
		if len(e) == 0 || len(e) > 4 {
			return nil, invalid("%s is not a usable RSA public exponent", o.name("e"))
		}
		exp := 0
		for _, c := range e {
			exp = exp<<8 | int(c)
		}
		if key, err = checkKey(path, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("%s.kty %s is not supported (expected EC or RSA)", path, quote(kty))
	}
	// libtrust refuses a key whose stated ID is not its own.
	if kid, ok, err := o.str("kid"); err != nil {
		return nil, err
	} else if ok && kid != keyID(key) {
		return nil, invalid("%s.kid %s does not match the key (expected %s)", path, quote(kid), keyID(key))
	}
	return key, nil
}

func curveByName(crv string) elliptic.Curve {
	switch crv {
	case "P-256":
		return elliptic.P256()
	case "P-384":
		return elliptic.P384()
	case "P-521":
		return elliptic.P521()
	}
	return nil
}

// ecAlgorithm returns the JWS algorithm libtrust ties to a curve (an EC key
// signs with exactly one) and its hash.
func ecAlgorithm(c elliptic.Curve) (string, error) {
	switch c {
	case elliptic.P256():
		return "ES256", nil
	case elliptic.P384():
		return "ES384", nil
	case elliptic.P521():
		return "ES512", nil
	}
	return "", errors.New("EC curve is not P-256, P-384 or P-521")
}

func algorithmHash(alg string) (crypto.Hash, bool) {
	switch alg {
	case "ES256", "RS256":
		return crypto.SHA256, true
	case "ES384", "RS384":
		return crypto.SHA384, true
	case "ES512", "RS512":
		return crypto.SHA512, true
	}
	return 0, false
}

func verifySignature(key crypto.PublicKey, alg string, input, sig []byte) error {
	h, ok := algorithmHash(alg)
	if !ok {
		return fmt.Errorf("algorithm %s is not supported (expected ES256, ES384, ES512, RS256, RS384 or RS512)", quote(alg))
	}
	hasher := h.New()
	hasher.Write(input)
	sum := hasher.Sum(nil)
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		want, err := ecAlgorithm(k.Curve)
		if err != nil {
			return err
		}
		if alg != want {
			return fmt.Errorf("a %s key signs with %s, not %s", k.Curve.Params().Name, want, alg)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("signature is %d bytes, want %d", len(sig), 2*size)
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, sum, r, s) {
			return errors.New("invalid signature")
		}
		return nil
	case *rsa.PublicKey:
		if !strings.HasPrefix(alg, "RS") {
			return fmt.Errorf("an RSA key signs with RS256, RS384 or RS512, not %s", alg)
		}
		if err := rsa.VerifyPKCS1v15(k, h, sum, sig); err != nil {
			return fmt.Errorf("invalid signature: %w", err)
		}
		return nil
	}
	return errors.New("unsupported key type")
}

// keyID is libtrust's key fingerprint: SHA-256 of the PKIX DER encoding,
// truncated to 240 bits, base32, in twelve colon-separated groups of four.
func keyID(key crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	s := base32.StdEncoding.EncodeToString(sum[:30])
	groups := make([]string, 0, len(s)/4)
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	return strings.Join(groups, ":")
}

// joseDecode is libtrust's base64url decoding: padding optional, spaces and
// newlines ignored.
func joseDecode(s string) ([]byte, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\n", ""), " ", "")
	switch len(s) % 4 {
	case 0:
	case 2:
		s += "=="
	case 3:
		s += "="
	default:
		return nil, errors.New("illegal base64url length")
	}
	return base64.URLEncoding.DecodeString(s)
}
