package awsproto

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

// canonicalRequest builds the SigV4 canonical request of r:
//
//	METHOD \n URI \n QUERY \n name:value \n … \n \n signed;headers \n payload-hash
//
// signed is the SignedHeaders list, lower-cased and sorted; presigned leaves
// X-Amz-Signature out of the query.
func canonicalRequest(r *http.Request, signed []string, presigned bool, service, payloadHash string) (string, error) {
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(cmp.Or(r.Method, http.MethodGet))
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL, service))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, presigned))
	b.WriteByte('\n')
	for _, name := range signed {
		value, ok := headerValue(r, name)
		if !ok {
			return "", errcode.New(errcode.IncompleteSignature,
				"'%s' is named as a SignedHeader, but it does not exist in the HTTP request.", name)
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// canonicalURI encodes each path segment. Services other than S3 sign the path as it goes
// on the wire, encoded once more (so "%2F" is signed as "%252F"); S3 signs the decoded
// path encoded once. An empty path is "/". Dot segments are not removed: the AWS SDKs for
// these services do not remove them either, and the paths they use are "/" anyway.
func canonicalURI(u *url.URL, service string) string {
	path := u.EscapedPath()
	if service == "s3" {
		path = u.Path
	}
	if path == "" {
		return "/"
	}
	segments := strings.Split(path, "/")
	for i, s := range segments {
		segments[i] = uriEncode(s)
	}
	return strings.Join(segments, "/")
}

// queryParam is one decoded key=value pair of a query string, in the order sent.
type queryParam struct{ key, value string }

// parseQuery decodes a raw query string. It keeps every pair, repeated keys included,
// because the canonical query string signs them all; "+" is a space, as clients encode it.
func parseQuery(raw string) ([]queryParam, error) {
	var params []queryParam
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		key, err := url.QueryUnescape(k)
		if err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			return nil, errcode.New(errcode.IncompleteSignature,
				"The query string is malformed: '%s' is not valid percent-encoding. Encode it as RFC 3986 requires and sign it again.", piece)
		}
		params = append(params, queryParam{key: key, value: v})
	}
	return params, nil
}

// queryValue is the first value of key.
func queryValue(params []queryParam, key string) (string, bool) {
	for _, p := range params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// canonicalQuery encodes every pair per RFC 3986 and sorts by key, then value.
func canonicalQuery(params []queryParam, presigned bool) string {
	encoded := make([]queryParam, 0, len(params))
	for _, p := range params {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		encoded = append(encoded, queryParam{key: uriEncode(p.key), value: uriEncode(p.value)})
	}
	slices.SortFunc(encoded, func(a, b queryParam) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
	pairs := make([]string, len(encoded))
	for i, p := range encoded {
		pairs[i] = p.key + "=" + p.value
	}
	return strings.Join(pairs, "&")
}

// uriEncode percent-encodes every byte but the RFC 3986 unreserved characters, with
// upper-case hex, as SigV4 requires.
func uriEncode(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// headerValue is the canonical value of a signed header: every value it was sent with,
// trimmed, runs of spaces collapsed, joined with ",". Host is the one the client sent,
// port included. Go's HTTP server moves Host, and sometimes Content-Length and
// Transfer-Encoding, out of the header map; they are read back from the request.
func headerValue(r *http.Request, name string) (string, bool) {
	switch name {
	case "host", ":authority":
		host := cmp.Or(r.Host, r.URL.Host)
		return host, host != ""
	case "content-length":
		if r.Header.Get("Content-Length") == "" && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10), true
		}
	case "transfer-encoding":
		if r.Header.Get("Transfer-Encoding") == "" && len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ","), true
		}
	}
	values := r.Header.Values(name)
	if len(values) == 0 {
		return "", false
	}
	// Values is the request's own slice: build a new one, never write into it.
	collapsed := make([]string, len(values))
	for i, v := range values {
		collapsed[i] = collapseSpaces(v)
	}
	return strings.Join(collapsed, ","), true
}

// collapseSpaces trims v and turns each run of spaces into one, as the SigV4 spec and the
// AWS SDKs do. Tabs are left alone: the Go SDK leaves them, and they are rare in headers.
func collapseSpaces(v string) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(v[i])
	}
	return b.String()
}

func stringToSign(date time.Time, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + date.Format(basicFormat) + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// deriveSigningKey is the SigV4 key chain: HMAC("AWS4"+secret, date), then region,
// service and "aws4_request".
func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func signature(key []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

// signsHeader says whether Sign signs a header. The ones it leaves out are rewritten by
// proxies and transports (the AWS SDKs leave out the same ones), and Content-Length is the
// transport's to set.
func signsHeader(lowerName string) bool {
	switch lowerName {
	case "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding", "content-length", "connection":
		return false
	}
	return true
}

// Sign signs r in the Authorization header form, as the AWS SDKs do: it sets X-Amz-Date to
// now and signs Host and every header r carries but those proxies rewrite. body is the body
// r will send. An X-Amz-Content-Sha256 header already on r is used as the payload hash.
// Sign is for tests and for berth's own AWS clients.
func Sign(r *http.Request, body []byte, accessKeyID, secret, region, service string, now time.Time) error {
	switch {
	case r == nil || r.URL == nil:
		return errors.New("awsproto: sign: no request")
	case accessKeyID == "" || secret == "" || region == "" || service == "":
		return errors.New("awsproto: sign: access key id, secret, region and service are all required")
	case r.Host == "" && r.URL.Host == "":
		return errors.New("awsproto: sign: the request has no host")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	now = now.UTC()
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", now.Format(basicFormat))
	signed := []string{"host"}
	for name := range r.Header {
		if lower := strings.ToLower(name); signsHeader(lower) {
			signed = append(signed, lower)
		}
	}
	slices.Sort(signed)
	signed = slices.Compact(signed)
	hash := r.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	canonical, err := canonicalRequest(r, signed, false, service, hash)
	if err != nil {
		return fmt.Errorf("awsproto: sign: %w", err)
	}
	c := credential{accessKeyID: accessKeyID, date: now.Format(scopeFormat), region: region, service: service, terminator: terminator}
	sig := signature(deriveSigningKey(secret, c.date, region, service), stringToSign(now, c.scope(), canonical))
	r.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		algorithm, accessKeyID, c.scope(), strings.Join(signed, ";"), sig))
	return nil
}
