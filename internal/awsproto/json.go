package awsproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
)

// ContentTypeJSON11 is the content type of AWS JSON 1.1 requests and responses.
const ContentTypeJSON11 = "application/x-amz-json-1.1"

// ReadBody reads r's body, at most limit bytes. A longer body is a RequestTooLarge error
// (HTTP 413) that states the limit; it is refused from Content-Length before any of it is
// read when the client declares it.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		discard(r, limit)
		return nil, tooLarge(limit)
	}
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("awsproto: read request body: %w", err)
	}
	if int64(len(body)) > limit {
		discard(r, limit)
		return nil, tooLarge(limit)
	}
	return body, nil
}

// discard reads and drops what is left of a refused body, up to a bound, so that a
// client that writes its whole body before reading the answer still gets the 413
// rather than a connection reset.
func discard(r *http.Request, limit int64) {
	if r.Body != nil {
		io.Copy(io.Discard, io.LimitReader(r.Body, 4*limit))
	}
}

func tooLarge(limit int64) error {
	return errcode.New(errcode.RequestTooLarge, "The request body is larger than the %d bytes this operation accepts.", limit)
}

// WriteJSON writes a 200 response with v as its JSON 1.1 body, and x-amzn-RequestId. A nil
// v is the empty object, as AWS answers operations without output. If v cannot be
// marshaled (a bug, not a client error) the client gets a 500 InternalFailure instead.
func WriteJSON(w http.ResponseWriter, requestID string, v any) {
	body := []byte("{}")
	if v != nil {
		var err error
		if body, err = marshal(v); err != nil {
			WriteError(w, requestID, http.StatusInternalServerError, "InternalFailure",
				"The request processing has failed because of an unknown error, exception or failure.", nil)
			return
		}
	}
	writeBody(w, requestID, http.StatusOK, body)
}

// WriteError writes an AWS JSON error: status, X-Amzn-ErrorType: name, x-amzn-RequestId,
// and the body {"__type": name, "message": message} plus extra members (for example
// InvalidLayerPartException's lastValidByteReceived). Both the header and __type carry the
// bare name: botocore reads __type, the Go SDK reads either. extra cannot replace __type or
// message.
func WriteError(w http.ResponseWriter, requestID string, status int, name, message string, extra map[string]any) {
	fields := make(map[string]any, len(extra)+2)
	for k, v := range extra {
		fields[k] = v
	}
	fields["__type"] = name
	fields["message"] = message
	body, err := marshal(fields)
	if err != nil {
		// Only extra can fail to marshal; the error still goes out, without it.
		body, _ = marshal(map[string]string{"__type": name, "message": message})
	}
	w.Header().Set("X-Amzn-ErrorType", name)
	writeBody(w, requestID, status, body)
}

func writeBody(w http.ResponseWriter, requestID string, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSON11)
	h.Set("X-Amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	// A failed write is a client that went away; there is no one left to tell.
	_, _ = w.Write(body)
}

// marshal is json.Marshal without HTML escaping: AWS sends "<" and "&" in policy texts as
// they are, and so does berth.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("awsproto: marshal response: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Target splits X-Amz-Target, "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
// into the service prefix and the operation. ok is false when the header is missing or
// either part is empty.
func Target(r *http.Request) (prefix, op string, ok bool) {
	t := strings.TrimSpace(r.Header.Get("X-Amz-Target"))
	i := strings.LastIndexByte(t, '.')
	if i <= 0 || i == len(t)-1 {
		return "", "", false
	}
	return t[:i], t[i+1:], true
}

// AuthErrorShape is how the protocol-level errors appear on every AWS JSON face: the
// exception name for __type and X-Amzn-ErrorType, and the HTTP status. ok is false for
// codes that are not protocol errors; each face maps those itself.
//
// The statuses are those of Coral-based JSON services (ECR, ECS, DynamoDB), which answer
// all of these with 400. For ECR in particular, SDK error reports show
// MissingAuthenticationTokenException with "Status Code: 400" (aws-sdk-java against ECR),
// UnrecognizedClientException with "400 Bad Request" (aws-sdk-php, GetAuthorizationToken),
// and InvalidSignatureException "Signature expired … 15 min." with "status code: 400"
// (aws-sdk-go, GetAuthorizationToken). API Gateway and the query services (IAM, STS) answer
// 403 to some of these, but they do not use this JSON shape. A body over the limit is 413;
// its exception name, "RequestEntityTooLargeException", is the one Coral services that
// model the error use (Lambda); ECR's own answer has not been observed.
func AuthErrorShape(code errcode.Code) (name string, status int, ok bool) {
	switch code {
	case errcode.MissingAuthenticationToken:
		return "MissingAuthenticationTokenException", http.StatusBadRequest, true
	case errcode.IncompleteSignature:
		return "IncompleteSignatureException", http.StatusBadRequest, true
	case errcode.InvalidSignature:
		return "InvalidSignatureException", http.StatusBadRequest, true
	case errcode.UnrecognizedClient:
		return "UnrecognizedClientException", http.StatusBadRequest, true
	case errcode.ExpiredToken:
		return "ExpiredTokenException", http.StatusBadRequest, true
	case errcode.Serialization:
		return "SerializationException", http.StatusBadRequest, true
	case errcode.UnknownOperation:
		return "UnknownOperationException", http.StatusBadRequest, true
	case errcode.RequestTooLarge:
		return "RequestEntityTooLargeException", http.StatusRequestEntityTooLarge, true
	}
	return "", 0, false
}
