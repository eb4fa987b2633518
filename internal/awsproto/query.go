package awsproto

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/berth-registry/berth/internal/errcode"
)

// This file is the AWS Query protocol of IAM and STS: requests are form-encoded
// parameters (Action=CreateUser&Version=2010-05-08&UserName=…), in a POST body or in the
// URL of a GET; responses are XML.

// ContentTypeForm is the content type of query protocol request bodies.
const ContentTypeForm = "application/x-www-form-urlencoded"

// ErrMissingAction is what the error of ParseQuery wraps when the request names no
// Action: the query faces answer it as MissingAction rather than InvalidAction.
var ErrMissingAction = errors.New("awsproto: request without Action")

// noVersion is how AWS names the version of a request that gives none, in "Could not
// find operation GetUser for version NO_VERSION_SPECIFIED".
const noVersion = "NO_VERSION_SPECIFIED"

// Query is the parameters of a query protocol request.
type Query struct {
	values url.Values
}

// Tag is one member of a list of tags (Tags.member.N.Key and .Value).
type Tag struct {
	Key   string
	Value string
}

// ParseQuery reads the parameters of a query protocol request: from body, the request
// body already read, for a POST (Content-Type application/x-www-form-urlencoded, with
// any charset parameter, or none), from the URL for any other method. Action and
// Version are required. Failures are *errcode.Error: Serialization for a body that is
// not form-encoded UTF-8 or a POST of another content type, UnknownOperation for a
// missing Action (wrapping ErrMissingAction) or Version.
func ParseQuery(r *http.Request, body []byte) (Query, error) {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mediaType, _, err := mime.ParseMediaType(ct)
			if err != nil || mediaType != ContentTypeForm {
				return Query{}, errcode.New(errcode.Serialization,
					"The query API takes a POST body of Content-Type %s, not %q.", ContentTypeForm, ct)
			}
		}
		raw = string(body)
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return Query{}, &errcode.Error{Code: errcode.Serialization, Err: err,
			Message: "The request parameters are not valid form encoding: percent-encode them as application/x-www-form-urlencoded requires."}
	}
	for k, vs := range values {
		if !utf8.ValidString(k) {
			return Query{}, errcode.New(errcode.Serialization, "The request parameter names must be UTF-8 text.")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return Query{}, errcode.New(errcode.Serialization, "The value of parameter %s is not UTF-8 text.", k)
			}
		}
	}
	q := Query{values: values}
	action, ok := q.String("Action")
	if !ok || action == "" {
		return Query{}, &errcode.Error{Code: errcode.UnknownOperation, Err: ErrMissingAction,
			Message: "The request must contain the parameter Action."}
	}
	if version, ok := q.String("Version"); !ok || version == "" {
		return Query{}, errcode.New(errcode.UnknownOperation, "Could not find operation %s for version %s", action, noVersion)
	}
	return q, nil
}

// Action is the operation the request names.
func (q Query) Action() string { return q.values.Get("Action") }

// Version is the API version the request names.
func (q Query) Version() string { return q.values.Get("Version") }

// String returns the first value of a parameter, and whether it was sent at all.
func (q Query) String(name string) (string, bool) {
	vs, ok := q.values[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Has reports whether any parameter is name or starts with name followed by a dot:
// whether a list or structure parameter was sent, even as an empty list ("Tags=").
func (q Query) Has(name string) bool {
	if _, ok := q.values[name]; ok {
		return true
	}
	for k := range q.values {
		if strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// List returns the members of a list of strings, prefix.member.1, prefix.member.2, …,
// ordered by their index. Parameters whose index is not a positive integer are not
// members.
func (q Query) List(prefix string) []string {
	var out []string
	for _, m := range q.members(prefix) {
		if m.field == "" {
			out = append(out, m.value)
		}
	}
	return out
}

// Tags returns a list of tags, prefix.member.N.Key and prefix.member.N.Value, ordered
// by N. A tag without Key or Value has it empty.
func (q Query) Tags(prefix string) []Tag {
	var out []Tag
	index := map[int]int{}
	for _, m := range q.members(prefix) {
		if m.field != "Key" && m.field != "Value" {
			continue
		}
		i, ok := index[m.n]
		if !ok {
			i = len(out)
			index[m.n] = i
			out = append(out, Tag{})
		}
		if m.field == "Key" {
			out[i].Key = m.value
		} else {
			out[i].Value = m.value
		}
	}
	return out
}

// listParam is one parameter of a list: prefix.member.<n>[.<field>].
type listParam struct {
	n            int
	field, value string
}

// members returns the parameters of a list, sorted by index, then field.
func (q Query) members(prefix string) []listParam {
	var out []listParam
	head := prefix + ".member."
	for k, vs := range q.values {
		rest, ok := strings.CutPrefix(k, head)
		if !ok || len(vs) == 0 {
			continue
		}
		index, field, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(index)
		if err != nil || n < 1 || strings.HasPrefix(index, "+") {
			continue
		}
		out = append(out, listParam{n: n, field: field, value: vs[0]})
	}
	slices.SortFunc(out, func(a, b listParam) int { return cmp.Or(cmp.Compare(a.n, b.n), strings.Compare(a.field, b.field)) })
	return out
}

// Int returns an integer parameter and whether it was sent. A value that is not an
// integer is a Validation error in AWS's words, naming the member as AWS does (with a
// lower-case initial).
func (q Query) Int(name string) (int, bool, error) {
	s, ok := q.String(name)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, true, &errcode.Error{Code: errcode.Validation, Err: err, Message: fmt.Sprintf(
			"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", s, MemberName(name))}
	}
	return n, true, nil
}

// Bool returns a boolean parameter ("true" or "false", in any case) and whether it
// was sent. Any other value is a Validation error.
func (q Query) Bool(name string) (bool, bool, error) {
	s, ok := q.String(name)
	if !ok {
		return false, false, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, true, errcode.New(errcode.Validation,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a boolean (true or false)", s, MemberName(name))
}

// MemberName is how AWS's validation messages name a query parameter: with a
// lower-case initial, "UserName" as "userName".
func MemberName(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return name
	}
	return string(unicode.ToLower(r)) + name[size:]
}

// WriteQueryResult writes a 200 query protocol response:
//
//	<ActionResponse xmlns="namespace"><ActionResult>…</ActionResult>
//	<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
//
// result is encoded with encoding/xml inside ActionResult: a struct whose fields carry
// xml tags, lists as Members, timestamps as Time. A nil result writes no ActionResult
// element, as AWS answers operations without output (DeleteUser). If result cannot be
// encoded (a bug, not a client error) the client gets a 500 InternalFailure instead.
func WriteQueryResult(w http.ResponseWriter, requestID, namespace, action string, result any) {
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace}}}
	err := enc.EncodeToken(root)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(root.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		WriteQueryError(w, requestID, namespace, http.StatusInternalServerError, "Receiver", "InternalFailure",
			"The request processing has failed because of an unknown error, exception or failure.")
		return
	}
	writeXML(w, requestID, http.StatusOK, b.Bytes())
}

// WriteQueryError writes a query protocol error, as IAM and STS send them:
//
//	<ErrorResponse xmlns="namespace"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>
//	<Message>…</Message></Error><RequestId>id</RequestId></ErrorResponse>
//
// errType is "Sender" for the client's faults, "Receiver" for the server's.
func WriteQueryError(w http.ResponseWriter, requestID, namespace string, status int, errType, code, message string) {
	body := queryErrorBody{
		Namespace: namespace,
		Error:     queryError{Type: errType, Code: code, Message: message},
		RequestID: requestID,
	}
	out, err := xml.Marshal(body)
	if err != nil {
		// Only invalid names can fail to marshal, and there are none: this is a bug.
		out = []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>")
		status = http.StatusInternalServerError
	}
	writeXML(w, requestID, status, out)
}

type queryErrorBody struct {
	XMLName   xml.Name   `xml:"ErrorResponse"`
	Namespace string     `xml:"xmlns,attr"`
	Error     queryError `xml:"Error"`
	RequestID string     `xml:"RequestId"`
}

type queryError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func writeXML(w http.ResponseWriter, requestID string, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	// A failed write is a client that went away; there is no one left to tell.
	_, _ = w.Write(body)
}

// QueryErrorShape is how the protocol-level errors appear on the query faces (IAM,
// STS): the error code, the HTTP status, and whether the fault is the sender's. ok is
// false for codes that are not protocol errors; each face maps those itself.
//
// The codes and statuses are those IAM and STS answer: SignatureDoesNotMatch (403) for
// every InvalidSignature, "Signature expired" included; InvalidClientTokenId (403);
// MissingAuthenticationToken (403); IncompleteSignature (400); ExpiredToken (403);
// InvalidAction (400) for an unknown action or version, MissingAction (400) for none;
// MalformedQueryString (404, as AWS's list of common query errors gives it) for
// parameters that are not form encoding. AWS's code for an oversized query body is not
// documented; berth answers 413 RequestEntityTooLarge.
func QueryErrorShape(err error) (code string, status int, ok bool) {
	e := errcode.From(err)
	switch e.Code {
	case errcode.MissingAuthenticationToken:
		return "MissingAuthenticationToken", http.StatusForbidden, true
	case errcode.IncompleteSignature:
		return "IncompleteSignature", http.StatusBadRequest, true
	case errcode.InvalidSignature:
		return "SignatureDoesNotMatch", http.StatusForbidden, true
	case errcode.UnrecognizedClient:
		return "InvalidClientTokenId", http.StatusForbidden, true
	case errcode.ExpiredToken:
		return "ExpiredToken", http.StatusForbidden, true
	case errcode.Serialization:
		return "MalformedQueryString", http.StatusNotFound, true
	case errcode.UnknownOperation:
		if errors.Is(err, ErrMissingAction) {
			return "MissingAction", http.StatusBadRequest, true
		}
		return "InvalidAction", http.StatusBadRequest, true
	case errcode.RequestTooLarge:
		return "RequestEntityTooLarge", http.StatusRequestEntityTooLarge, true
	}
	return "", 0, false
}

// SigningService returns the service of a request's SigV4 credential scope, from the
// Authorization header or the X-Amz-Credential query parameter: "iam" for
// Credential=AKIA…/20250101/us-east-1/iam/aws4_request. It is "" for an unsigned
// request or a credential that is not five slash-separated parts; nothing is verified.
func SigningService(r *http.Request) string {
	credential := ""
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		header := values[0]
		i := strings.Index(header, "Credential=")
		if i < 0 {
			return ""
		}
		credential = header[i+len("Credential="):]
		if end := strings.IndexAny(credential, ", \t"); end >= 0 {
			credential = credential[:end]
		}
	} else if r.URL != nil {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return ""
		}
		credential = q.Get("X-Amz-Credential")
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// Members is a list in a query protocol response: an element with one <member> per
// item, written even when the list is empty (<Users/>), as AWS writes required lists.
type Members[T any] []T

// MarshalXML writes the list element and its members.
func (m Members[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	item := xml.StartElement{Name: xml.Name{Local: "member"}}
	for _, v := range m {
		if err := e.EncodeElement(v, item); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// isoFormat is how the query protocol writes timestamps: ISO 8601 in UTC, to the second.
const isoFormat = "2006-01-02T15:04:05Z"

// MarshalXML writes t as an ISO 8601 timestamp in UTC (2006-01-02T15:04:05Z), as IAM
// and STS do. A zero Time writes nothing: the element is left out.
func (t Time) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if t.IsZero() {
		return nil
	}
	return e.EncodeElement(t.UTC().Format(isoFormat), start)
}

// PercentEncode encodes s as RFC 3986 requires: every byte but the unreserved
// characters (A-Z a-z 0-9 - . _ ~) as %XX with upper-case hex. IAM returns policy
// documents so encoded.
func PercentEncode(s string) string { return uriEncode(s) }
