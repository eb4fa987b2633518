// Package awsproto is the AWS protocol plumbing shared by berth's AWS API faces (ECR, ECR
// Public, IAM, STS): SigV4 request verification and signing, and the JSON 1.1 framing
// (request bodies, response and error shapes, X-Amz-Target).
//
// Error codes and messages follow what AWS's own front ends answer, so that SDKs, the CLI
// and the people reading their output see what they would see against AWS. Where AWS's
// behaviour is not known for certain the choice is documented next to the code.
package awsproto

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

// Errors a SecretLookup wraps: an access key id (or session token) that is not known,
// and temporary credentials that have expired.
var (
	ErrUnknownAccessKey = errors.New("unknown access key")
	ErrExpiredToken     = errors.New("expired security token")
)

// SecretLookup returns the secret access key of an access key id; sessionToken is the
// request's X-Amz-Security-Token ("" for none), which temporary credentials need. It
// returns an error wrapping ErrUnknownAccessKey or ErrExpiredToken; any other error is
// a server-side failure.
type SecretLookup func(ctx context.Context, accessKeyID, sessionToken string) (secret string, err error)

// Identity is what a verified signature proves about a request.
type Identity struct {
	AccessKeyID string
	// Region and Service are the credential scope the request was signed for.
	Region  string
	Service string
	// SessionToken is X-Amz-Security-Token as sent (header or query); empty for long-term
	// keys. Verify does not check it: the caller that issued it must.
	SessionToken string
	// Date is the signing time (X-Amz-Date).
	Date time.Time
}

// Verifier checks SigV4 signatures. The zero value is ready to use; a Verifier must not be
// copied after first use (it holds the signing-key cache).
type Verifier struct {
	// Regions are the regions berth accepts in the credential scope; us-east-1 if empty.
	Regions []string
	// MaxSkew is how far X-Amz-Date may be from Now; 15 minutes (what AWS allows) if zero.
	MaxSkew time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time

	keys keyCache
}

const (
	algorithm     = "AWS4-HMAC-SHA256"
	terminator    = "aws4_request"
	basicFormat   = "20060102T150405Z"
	scopeFormat   = "20060102"
	defaultRegion = "us-east-1"
	defaultSkew   = 15 * time.Minute
	// maxPresignExpires is the longest X-Amz-Expires AWS accepts: a week.
	maxPresignExpires = 604800
)

// Messages AWS sends, verbatim, where berth needs them more than once.
const (
	msgMissingToken      = "Missing Authentication Token"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgUnrecognizedClient = "The security token included in the request is invalid."
	msgHostNotSigned      = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgExpiredToken       = "The security token included in the request is expired"
)

// Verify checks r's SigV4 signature, in the Authorization header or in the query string
// (presigned), for service ("ecr", "ecr-public", "iam", "sts"). body is the request body,
// already read. Failures are *errcode.Error with MissingAuthenticationToken,
// IncompleteSignature, InvalidSignature or UnrecognizedClient; an error from lookup other
// than ErrUnknownAccessKey is returned wrapped, as a server-side failure.
//
// The checks run in the order AWS is observed to run them, so that a request with several
// faults gets the error AWS would give: form of the Authorization header or query parameters, Host
// signed, date format, clock skew (and X-Amz-Expires), credential scope, payload hash,
// access key, and last the signature itself.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, service string, lookup SecretLookup) (Identity, error) {
	if r == nil || r.URL == nil || lookup == nil {
		return Identity{}, errors.New("awsproto: Verify needs a request and a SecretLookup")
	}
	a, err := parseAuth(r)
	if err != nil {
		return Identity{}, err
	}
	if !slices.Contains(a.signedHeaders, "host") && !slices.Contains(a.signedHeaders, ":authority") {
		return Identity{}, errcode.New(errcode.InvalidSignature, "%s", msgHostNotSigned)
	}
	date, err := parseRequestDate(a.date)
	if err != nil {
		return Identity{}, err
	}
	now := v.now()
	if err := v.checkTime(date, now, a); err != nil {
		return Identity{}, err
	}
	cred, err := parseCredential(a.credential)
	if err != nil {
		return Identity{}, err
	}
	if err := v.checkScope(cred, date, service); err != nil {
		return Identity{}, err
	}
	hash, err := payloadHash(r, a, body, service)
	if err != nil {
		return Identity{}, err
	}
	canonical, err := canonicalRequest(r, a.signedHeaders, a.presigned, service, hash)
	if err != nil {
		return Identity{}, err
	}
	if cred.accessKeyID == "" {
		return Identity{}, errcode.New(errcode.UnrecognizedClient, "%s", msgUnrecognizedClient)
	}
	secret, err := lookup(ctx, cred.accessKeyID, a.sessionToken)
	if errors.Is(err, ErrUnknownAccessKey) {
		return Identity{}, &errcode.Error{Code: errcode.UnrecognizedClient, Message: msgUnrecognizedClient, Err: err}
	}
	if errors.Is(err, ErrExpiredToken) {
		return Identity{}, &errcode.Error{Code: errcode.ExpiredToken, Message: msgExpiredToken, Err: err}
	}
	if err != nil {
		return Identity{}, fmt.Errorf("awsproto: look up access key %q: %w", cred.accessKeyID, err)
	}
	key := v.keys.signingKey(secret, cred.date, cred.region, cred.service)
	want := signature(key, stringToSign(date, cred.scope(), canonical))
	// Constant time: the comparison must not tell an attacker how much of a guess was right.
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(a.signature))) != 1 {
		return Identity{}, errcode.New(errcode.InvalidSignature, "%s", msgSignatureMismatch)
	}
	return Identity{
		AccessKeyID:  cred.accessKeyID,
		Region:       cred.region,
		Service:      cred.service,
		SessionToken: a.sessionToken,
		Date:         date,
	}, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultSkew
}

// checkTime rejects a request signed too long ago or too far in the future, with AWS's
// messages. A presigned request with X-Amz-Expires is good from its X-Amz-Date (less the
// skew, for clocks running behind) until X-Amz-Date + X-Amz-Expires; one without it is
// held to the skew window like a header-signed request, which is what AWS's non-S3
// services do. AWS's wording for an elapsed X-Amz-Expires outside S3 is not documented;
// berth reuses the "Signature expired" message (InvalidSignature) with the expiry as the
// window, rather than S3's "Request has expired" (AccessDenied), because these are JSON and
// query services whose clients know InvalidSignatureException.
func (v *Verifier) checkTime(date, now time.Time, a authParams) error {
	skew := v.maxSkew()
	if a.presigned && a.expires != "" {
		expires, err := parseExpires(a.expires)
		if err != nil {
			return err
		}
		if now.Sub(date) > expires {
			return errcode.New(errcode.InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s.)",
				date.Format(basicFormat), now.Add(-expires).Format(basicFormat), now.Format(basicFormat), durationText(expires))
		}
	} else if date.Before(now.Add(-skew)) {
		return errcode.New(errcode.InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s.)",
			date.Format(basicFormat), now.Add(-skew).Format(basicFormat), now.Format(basicFormat), durationText(skew))
	}
	if date.After(now.Add(skew)) {
		return errcode.New(errcode.InvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s.)",
			date.Format(basicFormat), now.Add(skew).Format(basicFormat), now.Format(basicFormat), durationText(skew))
	}
	return nil
}

// durationText writes a window the way AWS does: "15 min" or, when not whole minutes, "90 sec".
func durationText(d time.Duration) string {
	secs := int64(d / time.Second)
	if secs%60 == 0 {
		return fmt.Sprintf("%d min", secs/60)
	}
	return fmt.Sprintf("%d sec", secs)
}

// checkScope compares the credential scope with the request date, the accepted regions and
// the service. AWS reports every mismatch at once, region, service, terminator then date, in
// one InvalidSignature message; each of the first three ends with ". " as AWS's do.
func (v *Verifier) checkScope(c credential, date time.Time, service string) error {
	var msg strings.Builder
	regions := v.Regions
	if len(regions) == 0 {
		regions = []string{defaultRegion}
	}
	if !slices.Contains(regions, c.region) {
		fmt.Fprintf(&msg, "Credential should be scoped to a valid region, not '%s'. ", c.region)
	}
	if c.service != service {
		fmt.Fprintf(&msg, "Credential should be scoped to correct service: '%s'. ", service)
	}
	if c.terminator != terminator {
		fmt.Fprintf(&msg, "Credential should be scoped with a valid terminator: '%s', not '%s'. ", terminator, c.terminator)
	}
	if want := date.Format(scopeFormat); c.date != want {
		fmt.Fprintf(&msg, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			c.date, want, date.Format(basicFormat))
	}
	if msg.Len() > 0 {
		return errcode.New(errcode.InvalidSignature, "%s", msg.String())
	}
	return nil
}

// credential is the parsed Credential: <access key id>/<date>/<region>/<service>/aws4_request.
type credential struct {
	accessKeyID, date, region, service, terminator string
}

func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + c.terminator
}

func parseCredential(s string) (credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return credential{}, errcode.New(errcode.IncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", s)
	}
	return credential{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3], terminator: parts[4]}, nil
}

// parseRequestDate reads X-Amz-Date (or Date). AWS wants ISO-8601 basic format; a Date
// header in the HTTP format is accepted too, since the spec allows signing with it.
func parseRequestDate(s string) (time.Time, error) {
	if t, err := time.Parse(basicFormat, s); err == nil {
		return t, nil
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errcode.New(errcode.IncompleteSignature,
		"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
}

// payloadHash is the hash the client put in its canonical request: X-Amz-Content-Sha256 if
// sent (a hex SHA-256, or UNSIGNED-PAYLOAD), else the SHA-256 of body. A declared hash must
// be the body's: otherwise a captured signature would authenticate any body.
func payloadHash(r *http.Request, a authParams, body []byte, service string) (string, error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if a.presigned && declared == "" {
		declared = a.contentSHA256
		if declared == "" && service == "s3" {
			declared = unsignedPayload
		}
	}
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	switch {
	case declared == "":
		return actual, nil
	case declared == unsignedPayload:
		return declared, nil
	case isHexSHA256(declared):
		if !strings.EqualFold(declared, actual) {
			return "", errcode.New(errcode.InvalidSignature,
				"The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return declared, nil
	default:
		return "", errcode.New(errcode.InvalidSignature,
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 of the payload, not '%s'.", declared)
	}
}

const unsignedPayload = "UNSIGNED-PAYLOAD"

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// keyCache holds derived signing keys. Verification runs on every API call and a key is
// good for a day, so the four-HMAC derivation is done once per (secret, day, region,
// service). Entries are keyed by a hash so that secrets are not kept as map keys.
type keyCache struct {
	mu   sync.Mutex
	keys map[[sha256.Size]byte][]byte
}

// maxCachedKeys bounds the cache; past it an arbitrary entry is evicted, which only costs a
// re-derivation.
const maxCachedKeys = 1024

func (c *keyCache) signingKey(secret, date, region, service string) []byte {
	id := sha256.Sum256([]byte(secret + "\x00" + date + "\x00" + region + "\x00" + service))
	c.mu.Lock()
	key, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = deriveSigningKey(secret, date, region, service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[[sha256.Size]byte][]byte)
	}
	for k := range c.keys {
		if len(c.keys) < maxCachedKeys {
			break
		}
		delete(c.keys, k)
	}
	c.keys[id] = key
	return key
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}
