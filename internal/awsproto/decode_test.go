package awsproto

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

type imageID struct {
	ImageTag    string `json:"imageTag,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`
}

type paging struct {
	NextToken string `json:"nextToken,omitempty"`
}

// decodeRequest has a member of each kind an AWS request shape has.
type decodeRequest struct {
	paging
	RepositoryName string            `json:"repositoryName"`
	MaxResults     *int32            `json:"maxResults,omitempty"`
	PartFirstByte  int64             `json:"partFirstByte"`
	Force          bool              `json:"force"`
	ImageIDs       []imageID         `json:"imageIds"`
	Filter         *imageID          `json:"filter"`
	Tags           map[string]string `json:"tags"`
	Blob           []byte            `json:"layerPartBlob"`
	CreatedAt      *Time             `json:"createdAt"`
	Ratio          float64           `json:"ratio"`
	Quoted         int               `json:"quoted,string"`
	Document       any               `json:"document"`
	Ignored        string            `json:"-"`
	unexported     string
}

func i32(n int32) *int32 { return &n }

func TestDecode(t *testing.T) {
	created := &Time{time.UnixMilli(1795378283009).UTC()}
	tests := []struct {
		name string
		body string
		want decodeRequest
	}{
		{name: "empty body", body: ""},
		{name: "blank body", body: " \r\n"},
		{name: "empty object", body: "{}"},
		{name: "botocore spacing", body: `{"repositoryName": "team/app", "maxResults": 2, "force": true}`,
			want: decodeRequest{RepositoryName: "team/app", MaxResults: i32(2), Force: true}},
		{name: "unknown members ignored", body: `{"repositoryName":"a","registryIdz":"1","nested":{"x":[1,2]}}`,
			want: decodeRequest{RepositoryName: "a"}},
		{name: "member names are case-sensitive", body: `{"RepositoryName":"a","MAXRESULTS":3}`},
		{name: "exact name wins over a case variant", body: `{"RepositoryName":"a","repositoryName":"b"}`,
			want: decodeRequest{RepositoryName: "b"}},
		{name: "last duplicate wins", body: `{"repositoryName":"a","repositoryName":"b"}`,
			want: decodeRequest{RepositoryName: "b"}},
		{name: "fraction truncated", body: `{"maxResults":10.9,"partFirstByte":-2.5}`,
			want: decodeRequest{MaxResults: i32(10), PartFirstByte: -2}},
		{name: "exponent", body: `{"maxResults":1e2}`, want: decodeRequest{MaxResults: i32(100)}},
		{name: "nulls are absent members", body: `{"repositoryName":null,"maxResults":null,"imageIds":null,"filter":null,"createdAt":null}`},
		{name: "nested", body: `{"imageIds":[{"imageTag":"v1"},{"imageDigest":"sha256:ab","x":1}],"filter":{"imageTag":"t"},"tags":{"env":"dev"}}`,
			want: decodeRequest{ImageIDs: []imageID{{ImageTag: "v1"}, {ImageDigest: "sha256:ab"}}, Filter: &imageID{ImageTag: "t"}, Tags: map[string]string{"env": "dev"}}},
		{name: "blob", body: `{"layerPartBlob":"aGVsbG8="}`, want: decodeRequest{Blob: []byte("hello")}},
		{name: "timestamp number", body: `{"createdAt":1795378283.009}`, want: decodeRequest{CreatedAt: created}},
		{name: "timestamp string", body: `{"createdAt":"2026-11-22T20:11:23.009Z"}`, want: decodeRequest{CreatedAt: created}},
		{name: "float", body: `{"ratio":0.25}`, want: decodeRequest{Ratio: 0.25}},
		{name: "quoted number", body: `{"quoted":"42"}`, want: decodeRequest{Quoted: 42}},
		{name: "document", body: `{"document":{"a":[1,"x",true]}}`, want: decodeRequest{Document: map[string]any{"a": []any{1.0, "x", true}}}},
		{name: "promoted member of an embedded struct", body: `{"nextToken":"abc"}`, want: decodeRequest{paging: paging{NextToken: "abc"}}},
		{name: "dash and unexported are not members", body: `{"Ignored":"x","unexported":"y","-":"z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got decodeRequest
			if err := Decode([]byte(tt.body), &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, message string
	}{
		{name: "string for an integer", body: `{"maxResults":"1"}`, message: "STRING_VALUE can not be converted to an Integer (member 'maxResults')"},
		{name: "true for an integer", body: `{"maxResults":true}`, message: "TRUE_VALUE can not be converted to an Integer (member 'maxResults')"},
		{name: "false for a long", body: `{"partFirstByte":false}`, message: "FALSE_VALUE can not be converted to a Long (member 'partFirstByte')"},
		{name: "list for an integer", body: `{"maxResults":[1]}`, message: "Start of list found where not expected (member 'maxResults')"},
		{name: "object for an integer", body: `{"maxResults":{"a":1}}`, message: "Start of structure or map found where not expected. (member 'maxResults')"},
		{name: "integer out of range", body: `{"maxResults":3000000000}`, message: "NUMBER_VALUE can not be converted to an Integer (member 'maxResults')"},
		{name: "number for a string", body: `{"repositoryName":1}`, message: "NUMBER_VALUE can not be converted to a String (member 'repositoryName')"},
		{name: "string for a boolean", body: `{"force":"true"}`, message: "STRING_VALUE can not be converted to a Boolean (member 'force')"},
		{name: "string for a double", body: `{"ratio":"0.5"}`, message: "STRING_VALUE can not be converted to a Double (member 'ratio')"},
		{name: "scalar for a list", body: `{"imageIds":"v1"}`, message: "Expected list or null (member 'imageIds')"},
		{name: "object for a list", body: `{"imageIds":{}}`, message: "Start of structure or map found where not expected. (member 'imageIds')"},
		{name: "deep member", body: `{"imageIds":[{"imageTag":"v1"},{"imageTag":5}]}`, message: "NUMBER_VALUE can not be converted to a String (member 'imageIds[1].imageTag')"},
		{name: "scalar for a structure", body: `{"filter":"x"}`, message: "Expected null (member 'filter')"},
		{name: "list for a structure", body: `{"filter":[]}`, message: "Start of list found where not expected (member 'filter')"},
		{name: "map value", body: `{"tags":{"env":1}}`, message: "NUMBER_VALUE can not be converted to a String (member 'tags.env')"},
		{name: "scalar for a map", body: `{"tags":true}`, message: "Expected null (member 'tags')"},
		{name: "number for a blob", body: `{"layerPartBlob":1}`, message: "NUMBER_VALUE can not be converted to a Blob (member 'layerPartBlob')"},
		{name: "blob not base64", body: `{"layerPartBlob":"not base64!"}`, message: "A blob member is not valid base64: illegal base64 data at input byte 3."},
		{name: "bad timestamp", body: `{"createdAt":"yesterday"}`, message: "STRING_VALUE can not be converted to a Timestamp (member 'createdAt')"},
		{name: "boolean timestamp", body: `{"createdAt":true}`, message: "TRUE_VALUE can not be converted to a Timestamp (member 'createdAt')"},
		{name: "top-level list", body: `[{"repositoryName":"a"}]`, message: "Start of list found where not expected"},
		{name: "top-level string", body: `"a"`, message: "The request body must be a JSON object."},
		{name: "top-level null", body: `null`, message: "The request body must be a JSON object."},
		{name: "malformed", body: `{"repositoryName":}`, message: "The request body is not valid JSON: invalid character '}' looking for beginning of value (at byte 19)."},
		{name: "truncated", body: `{"repositoryName":"a"`, message: "The request body is not valid JSON: unexpected EOF."},
		{name: "trailing data", body: `{"repositoryName":"a"} {}`, message: "The request body must be one JSON object, with nothing after it."},
		{name: "trailing comma", body: `{"repositoryName":"a",}`, message: "The request body is not valid JSON: invalid character '}' looking for beginning of object key string (at byte 23)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got decodeRequest
			wantErr(t, Decode([]byte(tt.body), &got), errcode.Serialization, tt.message)
		})
	}
}

// Handing Decode something it cannot fill is the caller's bug: an error, never a panic,
// and not one blamed on the client.
func TestDecodeNeedsPointer(t *testing.T) {
	var nilPtr *decodeRequest
	for _, v := range []any{nil, decodeRequest{}, nilPtr} {
		err := Decode([]byte(`{}`), v)
		if !errors.Is(err, errNotPointer) || errcode.Is(err, errcode.Serialization) {
			t.Errorf("Decode(%T) error = %v, want errNotPointer", v, err)
		}
	}
}

func TestDecodeIntoMap(t *testing.T) {
	var got map[string]int
	if err := Decode([]byte(`{"a":1.5,"b":2}`), &got); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": 1, "b": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %v, want %v", got, want)
	}
}

type otherKinds struct {
	Small uint8           `json:"small"`
	Raw   json.RawMessage `json:"raw"`
	Addr  netip.Addr      `json:"addr"`
}

func TestDecodeOtherKinds(t *testing.T) {
	tests := []struct {
		name, body, message string
		want                otherKinds
	}{
		{name: "unsigned", body: `{"small":255}`, want: otherKinds{Small: 255}},
		{name: "unsigned fraction", body: `{"small":7.9}`, want: otherKinds{Small: 7}},
		{name: "unsigned too big", body: `{"small":256}`, message: "NUMBER_VALUE can not be converted to an Integer (member 'small')"},
		{name: "unsigned negative", body: `{"small":-1}`, message: "NUMBER_VALUE can not be converted to an Integer (member 'small')"},
		{name: "unsigned negative fraction", body: `{"small":-1.5}`, message: "NUMBER_VALUE can not be converted to an Integer (member 'small')"},
		{name: "json.Unmarshaler reads its own", body: `{"raw":[1, {"a":2}]}`, want: otherKinds{Raw: json.RawMessage(`[1, {"a":2}]`)}},
		{name: "text unmarshaler", body: `{"addr":"192.0.2.1"}`, want: otherKinds{Addr: netip.MustParseAddr("192.0.2.1")}},
		{name: "text unmarshaler given a number", body: `{"addr":1}`, message: "NUMBER_VALUE can not be converted to a String (member 'addr')"},
		{name: "text unmarshaler rejects the text", body: `{"addr":"not an address"}`, message: `ParseAddr("not an address"): unable to parse IP`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got otherKinds
			err := Decode([]byte(tt.body), &got)
			if tt.message != "" {
				wantErr(t, err, errcode.Serialization, tt.message)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}
