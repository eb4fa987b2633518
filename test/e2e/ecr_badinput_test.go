package e2e

// Bad input to the ECR API, sent raw (SigV4-signed) because the CLI and the SDKs would refuse much of it
// before sending: each gets ECR's exception and a message that says what was wrong, and the server
// keeps serving.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
)

func TestECRBadInput(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	acct := s.AccountID
	ecrJSON(t, s, "CreateRepository", map[string]any{"repositoryName": "bad/app"}, nil)
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	target := func(s string) *string { return &s }
	filter := func(f string) []map[string]string {
		return []map[string]string{{"filterType": "WILDCARD", "filter": f}}
	}
	var manyTags []map[string]string
	for i := range 51 {
		manyTags = append(manyTags, map[string]string{"Key": fmt.Sprintf("k%02d", i), "Value": "v"})
	}
	var manyIDs []map[string]string
	for i := range 101 {
		manyIDs = append(manyIDs, map[string]string{"imageTag": fmt.Sprintf("t%d", i)})
	}
	const invalidParam = "InvalidParameterException"
	tests := []struct {
		name     string
		req      ecrRequest
		status   int
		wantType string
		mention  []string
	}{
		// Repository names: ECR's pattern, 2..256 characters.
		{"upper-case name", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "Team/App"})}, 400, invalidParam, []string{"repositoryName", "regular expression"}},
		{"name with ..", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "team..app"})}, 400, invalidParam, []string{"repositoryName"}},
		{"name with //", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "team//app"})}, 400, invalidParam, []string{"repositoryName"}},
		{"name ending in /", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "team/"})}, 400, invalidParam, []string{"repositoryName"}},
		{"1-character name", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "a"})}, 400, invalidParam, []string{"repositoryName", "length greater than or equal to 2"}},
		{"257-character name", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": strings.Repeat("a", 257)})}, 400, invalidParam, []string{"repositoryName", "length less than or equal to 256"}},
		{"no name", ecrRequest{op: "CreateRepository", body: js(map[string]any{})}, 400, invalidParam, []string{"repositoryName"}},
		{"bad name on DescribeImages", ecrRequest{op: "DescribeImages", body: js(map[string]any{"repositoryName": "Bad"})}, 400, invalidParam, []string{"repositoryName"}},
		// maxResults: 1..1000 (1..50 for ListImageReferrers).
		{"maxResults 0", ecrRequest{op: "DescribeRepositories", body: js(map[string]any{"maxResults": 0})}, 400, invalidParam, []string{"maxResults", "greater than or equal to 1"}},
		{"maxResults 1001", ecrRequest{op: "DescribeRepositories", body: js(map[string]any{"maxResults": 1001})}, 400, invalidParam, []string{"maxResults", "less than or equal to 1000"}},
		{"ListImages maxResults 0", ecrRequest{op: "ListImages", body: js(map[string]any{"repositoryName": "bad/app", "maxResults": 0})}, 400, invalidParam, []string{"maxResults"}},
		{"DescribeImages maxResults 1001", ecrRequest{op: "DescribeImages", body: js(map[string]any{"repositoryName": "bad/app", "maxResults": 1001})}, 400, invalidParam, []string{"maxResults"}},
		{"ListImageReferrers maxResults 51", ecrRequest{op: "ListImageReferrers", body: js(map[string]any{"repositoryName": "bad/app",
			"subjectId": map[string]string{"imageDigest": "sha256:" + strings.Repeat("a", 64)}, "maxResults": 51})}, 400, invalidParam, []string{"maxResults", "50"}},
		// The body.
		{"malformed JSON", ecrRequest{op: "DescribeRepositories", body: []byte(`{"maxResults": 5`)}, 400, "SerializationException", []string{"JSON"}},
		{"a JSON list", ecrRequest{op: "DescribeRepositories", body: []byte(`[]`)}, 400, "SerializationException", []string{"list"}},
		{"a string for an integer", ecrRequest{op: "DescribeRepositories", body: []byte(`{"maxResults":"ten"}`)}, 400, "SerializationException", []string{"maxResults"}},
		{"an object for a string", ecrRequest{op: "CreateRepository", body: []byte(`{"repositoryName":{"a":1}}`)}, 400, "SerializationException", []string{"repositoryName"}},
		// The operation and the protocol.
		{"unknown operation", ecrRequest{op: "DescribeNothing"}, 400, "UnknownOperationException", []string{"DescribeNothing"}},
		{"no X-Amz-Target", ecrRequest{op: "DescribeRegistry", target: target("")}, 400, "UnknownOperationException", []string{"X-Amz-Target"}},
		{"another service's target", ecrRequest{op: "DescribeRegistry", target: target("DynamoDB_20120810.DescribeRegistry")}, 400, "UnknownOperationException", []string{"DynamoDB_20120810"}},
		{"Content-Type text/plain", ecrRequest{op: "DescribeRegistry", contentType: "text/plain"}, 400, "", []string{"Content-Type", awsproto.ContentTypeJSON11}},
		{"Content-Type form", ecrRequest{op: "DescribeRegistry", contentType: "application/x-www-form-urlencoded"}, 400, "", []string{"Content-Type", awsproto.ContentTypeJSON11}},
		// Members that depend on each other.
		{"repositoryNames with nextToken", ecrRequest{op: "DescribeRepositories", body: js(map[string]any{"repositoryNames": []string{"bad/app"}, "nextToken": "x"})}, 400, invalidParam, []string{"repositoryNames", "nextToken"}},
		{"repositoryNames with maxResults", ecrRequest{op: "DescribeRepositories", body: js(map[string]any{"repositoryNames": []string{"bad/app"}, "maxResults": 5})}, 400, invalidParam, []string{"repositoryNames", "maxResults"}},
		{"imageIds with maxResults", ecrRequest{op: "DescribeImages", body: js(map[string]any{"repositoryName": "bad/app", "imageIds": []map[string]string{{"imageTag": "x"}}, "maxResults": 5})}, 400, invalidParam, []string{"imageIds", "maxResults"}},
		{"exclusion filters with MUTABLE", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "bad/m", "imageTagMutability": "MUTABLE",
			"imageTagMutabilityExclusionFilters": filter("x*")})}, 400, invalidParam, []string{"imageTagMutabilityExclusionFilters", "MUTABLE"}},
		{"exclusion filters with IMMUTABLE", ecrRequest{op: "PutImageTagMutability", body: js(map[string]any{"repositoryName": "bad/app", "imageTagMutability": "IMMUTABLE",
			"imageTagMutabilityExclusionFilters": filter("x*")})}, 400, invalidParam, []string{"imageTagMutabilityExclusionFilters", "IMMUTABLE"}},
		{"IMMUTABLE_WITH_EXCLUSION without filters", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "bad/m", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"})},
			400, invalidParam, []string{"imageTagMutabilityExclusionFilters", "IMMUTABLE_WITH_EXCLUSION"}},
		{"MUTABLE_WITH_EXCLUSION without filters", ecrRequest{op: "PutImageTagMutability", body: js(map[string]any{"repositoryName": "bad/app", "imageTagMutability": "MUTABLE_WITH_EXCLUSION"})},
			400, invalidParam, []string{"imageTagMutabilityExclusionFilters", "MUTABLE_WITH_EXCLUSION"}},
		{"exclusion filter with /", ecrRequest{op: "PutImageTagMutability", body: js(map[string]any{"repositoryName": "bad/app", "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
			"imageTagMutabilityExclusionFilters": filter("a/b")})}, 400, invalidParam, []string{"filter", "[0-9a-zA-Z._*-]"}},
		{"six exclusion filters", ecrRequest{op: "PutImageTagMutability", body: js(map[string]any{"repositoryName": "bad/app", "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
			"imageTagMutabilityExclusionFilters": append(append(append(filter("a"), filter("b")...), append(filter("c"), filter("d")...)...), append(filter("e"), filter("f")...)...)})},
			400, invalidParam, []string{"imageTagMutabilityExclusionFilters", "5"}},
		{"unknown mutability", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "bad/m", "imageTagMutability": "SOMETIMES"})}, 400, invalidParam, []string{"imageTagMutability"}},
		{"unknown encryption type", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "bad/m", "encryptionConfiguration": map[string]string{"encryptionType": "ROT13"}})},
			400, invalidParam, []string{"encryptionType"}},
		{"unknown tagStatus", ecrRequest{op: "ListImages", body: js(map[string]any{"repositoryName": "bad/app", "filter": map[string]string{"tagStatus": "SOME"}})}, 400, invalidParam, []string{"tagStatus"}},
		// Resource tags and ARNs.
		{"51 tags", ecrRequest{op: "CreateRepository", body: js(map[string]any{"repositoryName": "bad/tags", "tags": manyTags})}, 400, "TooManyTagsException", []string{"50"}},
		{"51 tags on TagResource", ecrRequest{op: "TagResource", body: js(map[string]any{"resourceArn": "arn:aws:ecr:us-east-1:" + acct + ":repository/bad/app", "tags": manyTags})},
			400, "TooManyTagsException", []string{"50"}},
		{"a tag without a value", ecrRequest{op: "TagResource", body: js(map[string]any{"resourceArn": "arn:aws:ecr:us-east-1:" + acct + ":repository/bad/app", "tags": []map[string]string{{"Key": "k"}}})},
			400, "InvalidTagParameterException", []string{"Value"}},
		{"an S3 ARN", ecrRequest{op: "ListTagsForResource", body: js(map[string]any{"resourceArn": "arn:aws:s3:::bucket"})}, 400, invalidParam, []string{"resourceArn"}},
		{"not an ARN", ecrRequest{op: "TagResource", body: js(map[string]any{"resourceArn": "bad/app", "tags": []map[string]string{{"Key": "k", "Value": "v"}}})}, 400, invalidParam, []string{"resourceArn"}},
		{"an ARN of another region", ecrRequest{op: "ListTagsForResource", body: js(map[string]any{"resourceArn": "arn:aws:ecr:eu-west-1:" + acct + ":repository/bad/app"})}, 400, invalidParam, []string{"resourceArn"}},
		// registryId, nextToken, other members.
		{"registryId of 5 digits", ecrRequest{op: "DescribeRepositories", body: js(map[string]any{"registryId": "12345"})}, 400, invalidParam, []string{"registryId", "[0-9]{12}"}},
		{"registryId with letters", ecrRequest{op: "CreateRepository", body: js(map[string]any{"registryId": "12345678901x", "repositoryName": "bad/x"})}, 400, invalidParam, []string{"registryId"}},
		{"garbage nextToken", ecrRequest{op: "DescribeRepositories", body: js(map[string]any{"nextToken": "garbage!"})}, 400, invalidParam, []string{"nextToken"}},
		{"garbage nextToken on ListImages", ecrRequest{op: "ListImages", body: js(map[string]any{"repositoryName": "bad/app", "nextToken": "eyJ4IjoxfQ"})}, 400, invalidParam, []string{"nextToken"}},
		{"garbage nextToken on DescribeImages", ecrRequest{op: "DescribeImages", body: js(map[string]any{"repositoryName": "bad/app", "nextToken": "AAAA"})}, 400, invalidParam, []string{"nextToken"}},
		{"301-character tag", ecrRequest{op: "PutImage", body: js(map[string]any{"repositoryName": "bad/app", "imageTag": strings.Repeat("t", 301),
			"imageManifest": `{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `"}`})}, 400, invalidParam, []string{"imageTag"}},
		{"PutImage without a manifest", ecrRequest{op: "PutImage", body: js(map[string]any{"repositoryName": "bad/app", "imageTag": "v1"})}, 400, invalidParam, []string{"imageManifest"}},
		{"a manifest without a media type", ecrRequest{op: "PutImage", body: js(map[string]any{"repositoryName": "bad/app", "imageManifest": `{"schemaVersion":2,"layers":[]}`})},
			400, invalidParam, []string{"media type"}},
		{"imageManifestMediaType that is not the manifest's", ecrRequest{op: "PutImage", body: js(map[string]any{"repositoryName": "bad/app",
			"imageManifest":          `{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `","config":{"mediaType":"` + mtOCIConfig + `","digest":"sha256:` + strings.Repeat("a", 64) + `","size":2},"layers":[]}`,
			"imageManifestMediaType": mtDockerManifest})}, 400, invalidParam, []string{"imageManifestMediaType", mtDockerManifest}},
		{"101 imageIds", ecrRequest{op: "BatchGetImage", body: js(map[string]any{"repositoryName": "bad/app", "imageIds": manyIDs})}, 400, invalidParam, []string{"imageIds", "100"}},
		{"no imageIds", ecrRequest{op: "BatchDeleteImage", body: js(map[string]any{"repositoryName": "bad/app", "imageIds": []string{}})}, 400, invalidParam, []string{"imageIds"}},
		{"an uploadId that is not a UUID", ecrRequest{op: "UploadLayerPart", body: js(map[string]any{"repositoryName": "bad/app", "uploadId": "nope",
			"partFirstByte": 0, "partLastByte": 0, "layerPartBlob": "eA=="})}, 400, invalidParam, []string{"uploadId"}},
		{"a blob that is not base64", ecrRequest{op: "UploadLayerPart", body: js(map[string]any{"repositoryName": "bad/app", "uploadId": "12345678-1234-4123-8123-123456789012",
			"partFirstByte": 0, "partLastByte": 0, "layerPartBlob": "!!"})}, 400, "SerializationException", []string{"base64"}},
		{"an unknown account setting", ecrRequest{op: "GetAccountSetting", body: js(map[string]any{"name": "COLOUR"})}, 400, "ValidationException", []string{"COLOUR"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := ecrCall(t, s, tc.req)
			if tc.wantType == "" { // any AWS exception, as long as it is one with a clear message
				var e ecrErrorBody
				json.Unmarshal(body, &e)
				tc.wantType = e.Type
				if e.Type == "" {
					tc.wantType = "an AWS exception"
				}
			}
			wantAWSError(t, tc.name, status, hdr, body, tc.status, tc.wantType, tc.mention...)
		})
	}

	t.Run("a body over the limit", func(t *testing.T) {
		// The client announces the body with Expect: 100-continue and waits for the server's verdict,
		// so the 413 reaches it before the body is sent. (Go's and urllib's clients, writing the body
		// unasked, see the connection closed under them instead; botocore reads the early 413.)
		body := []byte(`{"repositoryName":"bad/app","uploadId":"12345678-1234-4123-8123-123456789012","partFirstByte":0,"partLastByte":0,"layerPartBlob":"` +
			strings.Repeat("a", 31<<20) + `"}`)
		req, err := http.NewRequest(http.MethodPost, s.URL()+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", awsproto.ContentTypeJSON11)
		req.Header.Set("X-Amz-Target", ecrTargetPrefix+"UploadLayerPart")
		if err := awsproto.Sign(req, body, RootAccessKeyID, RootSecretAccessKey, Region, "ecr", time.Now()); err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Expect", "100-continue")
		client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true, ExpectContinueTimeout: 10 * time.Second}}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("an oversized body: %v", err)
		}
		defer resp.Body.Close()
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		wantAWSError(t, "an oversized body", resp.StatusCode, resp.Header, out.Bytes(), http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "bytes")
	})
	t.Run("a part over 20 MiB", func(t *testing.T) {
		status, hdr, body := ecrCall(t, s, ecrRequest{op: "UploadLayerPart", body: js(map[string]any{"repositoryName": "bad/app",
			"uploadId": "12345678-1234-4123-8123-123456789012", "partFirstByte": 0, "partLastByte": 20971520, "layerPartBlob": make([]byte, 20971521)})})
		wantAWSError(t, "a 20 MiB + 1 part", status, hdr, body, 400, invalidParam, "layerPartBlob", "20971520")
	})
	t.Run("a 256-character name is fine", func(t *testing.T) {
		name := strings.Repeat("a", 120) + "/" + strings.Repeat("b", 135)
		status, body := s.ECR(t, "CreateRepository", map[string]any{"repositoryName": name})
		if status != http.StatusOK {
			t.Errorf("CreateRepository of a 256-character name: %d %s", status, body)
		}
	})
	t.Run("still serving", func(t *testing.T) {
		status, body := s.ECR(t, "DescribeRepositories", map[string]any{"repositoryNames": []string{"bad/app"}})
		if status != http.StatusOK {
			t.Fatalf("DescribeRepositories after the bad input: %d %s", status, body)
		}
		var out struct{ Repositories []map[string]any }
		json.Unmarshal(body, &out)
		if len(out.Repositories) != 1 || out.Repositories[0]["imageTagMutability"] != "MUTABLE" {
			t.Errorf("bad/app changed under bad input: %s", body)
		}
		for _, name := range []string{"bad/m", "bad/tags", "bad/x"} {
			if status, _ := s.ECR(t, "DescribeRepositories", map[string]any{"repositoryNames": []string{name}}); status == http.StatusOK {
				t.Errorf("refused input created %s", name)
			}
		}
	})
}
