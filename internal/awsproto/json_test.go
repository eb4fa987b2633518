package awsproto

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

func TestReadBody(t *testing.T) {
	tests := []struct {
		name          string
		body          io.Reader
		contentLength int64 // -1: unknown, as with chunked encoding
		limit         int64
		want          string
		tooLarge      bool
	}{
		{name: "under the limit", body: strings.NewReader("{}"), contentLength: 2, limit: 10, want: "{}"},
		{name: "at the limit", body: strings.NewReader("0123456789"), contentLength: 10, limit: 10, want: "0123456789"},
		{name: "over the limit, chunked", body: strings.NewReader("0123456789A"), contentLength: -1, limit: 10, tooLarge: true},
		{name: "at the limit, chunked", body: strings.NewReader("0123456789"), contentLength: -1, limit: 10, want: "0123456789"},
		{name: "declared over the limit", body: iotest.ErrReader(errors.New("must not be read")), contentLength: 11, limit: 10, tooLarge: true},
		{name: "empty", body: http.NoBody, contentLength: 0, limit: 10, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", tt.body)
			r.ContentLength = tt.contentLength
			got, err := ReadBody(r, tt.limit)
			if tt.tooLarge {
				wantErr(t, err, errcode.RequestTooLarge, "The request body is larger than the 10 bytes this operation accepts.")
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("ReadBody = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReadBodyReadError(t *testing.T) {
	broken := errors.New("connection reset")
	r := httptest.NewRequest(http.MethodPost, "/", iotest.ErrReader(broken))
	r.ContentLength = -1
	if _, err := ReadBody(r, 10); !errors.Is(err, broken) {
		t.Errorf("ReadBody error = %v, want it to wrap %v", err, broken)
	}
}

func TestWriteJSON(t *testing.T) {
	type repo struct {
		Name      string `json:"repositoryName"`
		CreatedAt Time   `json:"createdAt"`
		Pushed    Time   `json:"imagePushedAt,omitzero"`
		Policy    string `json:"policyText,omitempty"`
	}
	created := time.UnixMilli(1795378283009)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{name: "struct", v: repo{Name: "team/app", CreatedAt: Time{created}}, want: `{"repositoryName":"team/app","createdAt":1795378283.009}`},
		{name: "html is not escaped", v: repo{Name: "a", CreatedAt: Time{created}, Policy: `{"a":"<&>"}`},
			want: `{"repositoryName":"a","createdAt":1795378283.009,"policyText":"{\"a\":\"<&>\"}"}`},
		{name: "no output", v: nil, want: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteJSON(w, "req-1", tt.v)
			if w.Code != http.StatusOK {
				t.Errorf("status = %d", w.Code)
			}
			if got := w.Body.String(); got != tt.want {
				t.Errorf("body = %s\nwant   %s", got, tt.want)
			}
			wantHeaders(t, w, map[string]string{
				"Content-Type":     ContentTypeJSON11,
				"X-Amzn-Requestid": "req-1",
				"Content-Length":   strconv.Itoa(len(tt.want)),
				"X-Amzn-Errortype": "",
			})
		})
	}
}

func TestWriteJSONUnmarshalable(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, "req-2", map[string]any{"c": make(chan int)})
	if w.Code != http.StatusInternalServerError || w.Header().Get("X-Amzn-ErrorType") != "InternalFailure" {
		t.Errorf("got %d %q, want 500 InternalFailure", w.Code, w.Header().Get("X-Amzn-ErrorType"))
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name             string
		status           int
		errName, message string
		extra            map[string]any
		want             string
	}{
		{name: "plain", status: 400, errName: "RepositoryNotFoundException", message: "The repository with name 'x' does not exist",
			want: `{"__type":"RepositoryNotFoundException","message":"The repository with name 'x' does not exist"}`},
		{name: "extra members", status: 400, errName: "InvalidLayerPartException", message: "bad part",
			extra: map[string]any{"lastValidByteReceived": int64(5242879), "uploadId": "u"},
			want:  `{"__type":"InvalidLayerPartException","lastValidByteReceived":5242879,"message":"bad part","uploadId":"u"}`},
		{name: "extra cannot replace the name or message", status: 400, errName: "A", message: "m",
			extra: map[string]any{"__type": "B", "message": "n"}, want: `{"__type":"A","message":"m"}`},
		{name: "unmarshalable extra is dropped", status: 500, errName: "ServerException", message: "m",
			extra: map[string]any{"x": func() {}}, want: `{"__type":"ServerException","message":"m"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, "req-3", tt.status, tt.errName, tt.message, tt.extra)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Body.String(); got != tt.want {
				t.Errorf("body = %s\nwant   %s", got, tt.want)
			}
			wantHeaders(t, w, map[string]string{
				"Content-Type":     ContentTypeJSON11,
				"X-Amzn-Requestid": "req-3",
				"X-Amzn-Errortype": tt.errName,
				"Content-Length":   strconv.Itoa(len(tt.want)),
			})
		})
	}
}

func wantHeaders(t *testing.T, w *httptest.ResponseRecorder, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		header, prefix, op string
		ok                 bool
	}{
		{header: "AmazonEC2ContainerRegistry_V20150921.CreateRepository", prefix: "AmazonEC2ContainerRegistry_V20150921", op: "CreateRepository", ok: true},
		{header: "SpencerFrontendService.DescribeRegistries", prefix: "SpencerFrontendService", op: "DescribeRegistries", ok: true},
		{header: " DynamoDB_20120810.GetItem ", prefix: "DynamoDB_20120810", op: "GetItem", ok: true},
		{header: ""},
		{header: "CreateRepository"},
		{header: ".CreateRepository"},
		{header: "AmazonEC2ContainerRegistry_V20150921."},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			if tt.header != "" {
				r.Header.Set("X-Amz-Target", tt.header)
			}
			prefix, op, ok := Target(r)
			if prefix != tt.prefix || op != tt.op || ok != tt.ok {
				t.Errorf("Target = %q, %q, %v; want %q, %q, %v", prefix, op, ok, tt.prefix, tt.op, tt.ok)
			}
		})
	}
}

func TestAuthErrorShape(t *testing.T) {
	tests := []struct {
		code   errcode.Code
		name   string
		status int
		ok     bool
	}{
		{errcode.MissingAuthenticationToken, "MissingAuthenticationTokenException", 400, true},
		{errcode.IncompleteSignature, "IncompleteSignatureException", 400, true},
		{errcode.InvalidSignature, "InvalidSignatureException", 400, true},
		{errcode.UnrecognizedClient, "UnrecognizedClientException", 400, true},
		{errcode.Serialization, "SerializationException", 400, true},
		{errcode.UnknownOperation, "UnknownOperationException", 400, true},
		{errcode.RequestTooLarge, "RequestEntityTooLargeException", 413, true},
		{errcode.Internal, "", 0, false},
		{errcode.NameUnknown, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			name, status, ok := AuthErrorShape(tt.code)
			if name != tt.name || status != tt.status || ok != tt.ok {
				t.Errorf("AuthErrorShape = %q, %d, %v; want %q, %d, %v", name, status, ok, tt.name, tt.status, tt.ok)
			}
		})
	}
}
