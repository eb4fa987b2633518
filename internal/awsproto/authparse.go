package awsproto

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

// authParams is what a request says about its signature, from the Authorization header or
// from the presigned query parameters, before anything is checked against a key or clock.
type authParams struct {
	presigned  bool
	credential string
	signature  string
	// signedHeaders are lower-cased, sorted and without duplicates: the SignedHeaders list
	// of the canonical request.
	signedHeaders []string
	// date is X-Amz-Date (or the Date header) as sent.
	date         string
	sessionToken string
	// expires and contentSHA256 are X-Amz-Expires and X-Amz-Content-Sha256 of a presigned
	// request, as sent.
	expires       string
	contentSHA256 string
}

// parseAuth finds the request's signature: in the Authorization header or, for a
// presigned request, in the query string; never both.
func parseAuth(r *http.Request) (authParams, error) {
	header := ""
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		// AWS reads the first Authorization header.
		header = strings.TrimSpace(values[0])
	}
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return authParams{}, err
	}
	alg, presigned := queryValue(query, "X-Amz-Algorithm")
	switch {
	case header != "" && presigned:
		return authParams{}, errcode.New(errcode.InvalidSignature,
			"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case header != "":
		return parseAuthHeader(header, r.Header)
	case presigned:
		return parseAuthQuery(alg, query)
	default:
		return authParams{}, errcode.New(errcode.MissingAuthenticationToken, "%s", msgMissingToken)
	}
}

// parseAuthHeader reads "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
// Like AWS it splits the parameters at commas and at blanks, so that a stray space inside
// a value is reported as the broken pair it makes; the last value of a repeated parameter
// wins. Every missing parameter and a missing date are reported together, with the header
// quoted after "Authorization=" as AWS does. The header is the client's own, so echoing it
// discloses nothing new; the secret never appears in it.
func parseAuthHeader(header string, h http.Header) (authParams, error) {
	alg, rest := header, ""
	if i := strings.IndexAny(header, " \t"); i >= 0 {
		alg, rest = header[:i], header[i+1:]
	}
	// A scheme other than SigV4 (Basic, Bearer, SigV2's "AWS key:sig") gets AWS's
	// unsupported-algorithm message too: it says what the client should send instead.
	if alg != algorithm {
		return authParams{}, errcode.New(errcode.IncompleteSignature, "Unsupported AWS 'algorithm': '%s'.", alg)
	}
	params := map[string]string{}
	for _, field := range strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return authParams{}, errcode.New(errcode.IncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", field, header)
		}
		params[k] = v
	}
	a := authParams{sessionToken: h.Get("X-Amz-Security-Token")}
	var missing []string
	var ok bool
	if a.credential, ok = params["Credential"]; !ok {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if a.signature, ok = params["Signature"]; !ok {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	signed, ok := params["SignedHeaders"]
	if !ok {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	a.signedHeaders = signedHeaderList(signed)
	if a.date = h.Get("X-Amz-Date"); a.date == "" {
		a.date = h.Get("Date")
	}
	if a.date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return authParams{}, errcode.New(errcode.IncompleteSignature, "%s Authorization=%s", strings.Join(missing, " "), header)
	}
	return a, nil
}

// parseAuthQuery reads the presigned form: X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-SignedHeaders, X-Amz-Signature, X-Amz-Date and optionally X-Amz-Expires,
// X-Amz-Security-Token and X-Amz-Content-Sha256. The first value of a repeated parameter
// is used.
func parseAuthQuery(alg string, query []queryParam) (authParams, error) {
	if alg != algorithm {
		return authParams{}, errcode.New(errcode.IncompleteSignature, "Unsupported AWS 'algorithm': '%s'.", alg)
	}
	a := authParams{presigned: true}
	var msg strings.Builder
	var ok bool
	if a.credential, ok = queryValue(query, "X-Amz-Credential"); !ok {
		msg.WriteString("AWS query-string parameters must include 'X-Amz-Credential'. ")
	}
	if a.signature, ok = queryValue(query, "X-Amz-Signature"); !ok {
		msg.WriteString("AWS query-string parameters must include 'X-Amz-Signature'. ")
	}
	signed, ok := queryValue(query, "X-Amz-SignedHeaders")
	if !ok {
		msg.WriteString("AWS query-string parameters must include 'X-Amz-SignedHeaders'. ")
	}
	a.signedHeaders = signedHeaderList(signed)
	if a.date, ok = queryValue(query, "X-Amz-Date"); !ok {
		msg.WriteString("AWS query-string parameters must include 'X-Amz-Date'. ")
	}
	if msg.Len() > 0 {
		return authParams{}, errcode.New(errcode.IncompleteSignature, "%sRe-examine the query-string parameters.", msg.String())
	}
	a.expires, _ = queryValue(query, "X-Amz-Expires")
	a.sessionToken, _ = queryValue(query, "X-Amz-Security-Token")
	a.contentSHA256, _ = queryValue(query, "X-Amz-Content-Sha256")
	return a, nil
}

// signedHeaderList turns "content-type;host;x-amz-date" into the canonical list: header
// names are case-insensitive, and the canonical request lists them sorted, once each.
func signedHeaderList(s string) []string {
	var names []string
	for _, name := range strings.Split(s, ";") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// parseExpires checks X-Amz-Expires with the messages AWS gives for it.
func parseExpires(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, errcode.New(errcode.IncompleteSignature, "X-Amz-Expires should be a number")
	case n < 0:
		return 0, errcode.New(errcode.IncompleteSignature, "X-Amz-Expires must be non-negative")
	case n > maxPresignExpires:
		return 0, errcode.New(errcode.IncompleteSignature,
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", maxPresignExpires)
	}
	return time.Duration(n) * time.Second, nil
}
