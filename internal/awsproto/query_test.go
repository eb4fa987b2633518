package awsproto

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

func TestParseQuery(t *testing.T) {
	const form = ContentTypeForm
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		wantAction  string
		wantCode    errcode.Code
		wantMessage string
		missing     bool // the error wraps ErrMissingAction
	}{
		{name: "POST form", method: "POST", target: "/", contentType: form,
			body: "Action=CreateUser&Version=2010-05-08&UserName=alice", wantAction: "CreateUser"},
		{name: "POST form with charset", method: "POST", target: "/", contentType: form + "; charset=utf-8",
			body: "Action=GetUser&Version=2010-05-08", wantAction: "GetUser"},
		{name: "POST without content type", method: "POST", target: "/",
			body: "Action=GetUser&Version=2010-05-08", wantAction: "GetUser"},
		{name: "POST ignores the URL", method: "POST", target: "/?Action=DeleteUser&Version=2010-05-08", contentType: form,
			body: "Action=GetUser&Version=2010-05-08", wantAction: "GetUser"},
		{name: "GET", method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15", wantAction: "GetCallerIdentity"},
		{name: "GET ignores a body", method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15",
			body: "Action=AssumeRole", wantAction: "GetCallerIdentity"},
		{name: "POST of JSON", method: "POST", target: "/", contentType: "application/x-amz-json-1.1", body: "{}",
			wantCode:    errcode.Serialization,
			wantMessage: `The query API takes a POST body of Content-Type application/x-www-form-urlencoded, not "application/x-amz-json-1.1".`},
		{name: "bad percent-encoding", method: "POST", target: "/", contentType: form, body: "Action=GetUser&Version=2010-05-08&UserName=%zz",
			wantCode:    errcode.Serialization,
			wantMessage: "The request parameters are not valid form encoding: percent-encode them as application/x-www-form-urlencoded requires."},
		{name: "not UTF-8", method: "POST", target: "/", contentType: form, body: "Action=GetUser&Version=2010-05-08&UserName=%ff",
			wantCode: errcode.Serialization, wantMessage: "The value of parameter UserName is not UTF-8 text."},
		{name: "missing Action", method: "POST", target: "/", contentType: form, body: "Version=2010-05-08&UserName=alice",
			wantCode: errcode.UnknownOperation, wantMessage: "The request must contain the parameter Action.", missing: true},
		{name: "empty Action", method: "GET", target: "/?Action=&Version=2010-05-08",
			wantCode: errcode.UnknownOperation, wantMessage: "The request must contain the parameter Action.", missing: true},
		{name: "empty body", method: "POST", target: "/", contentType: form,
			wantCode: errcode.UnknownOperation, wantMessage: "The request must contain the parameter Action.", missing: true},
		{name: "missing Version", method: "POST", target: "/", contentType: form, body: "Action=GetUser",
			wantCode: errcode.UnknownOperation, wantMessage: "Could not find operation GetUser for version NO_VERSION_SPECIFIED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			q, err := ParseQuery(r, []byte(tt.body))
			if tt.wantMessage != "" {
				wantErr(t, err, tt.wantCode, tt.wantMessage)
				if got := errors.Is(err, ErrMissingAction); got != tt.missing {
					t.Errorf("errors.Is(err, ErrMissingAction) = %v, want %v", got, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery: %v", err)
			}
			if q.Action() != tt.wantAction {
				t.Errorf("Action() = %q, want %q", q.Action(), tt.wantAction)
			}
		})
	}
}

func parseForm(t *testing.T, body string) Query {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", ContentTypeForm)
	q, err := ParseQuery(r, []byte(body))
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", body, err)
	}
	return q
}

func TestQueryAccessors(t *testing.T) {
	q := parseForm(t, "Action=CreateUser&Version=2010-05-08&UserName=al+ice%2B&Path=&"+
		"States.member.2=SUCCEEDED&States.member.10=FAILED&States.member.1=IN_PROGRESS&States.member.x=bad&States.member.0=bad&"+
		"Tags.member.2.Key=team&Tags.member.2.Value=a%20b&Tags.member.1.Key=env&Tags.member.1.Value=&Tags.member.3.Value=nokey&"+
		"Empty=&MaxItems=25&OnlyAttached=TRUE&SetAsDefault=false&Bad=x")
	if got := q.Version(); got != "2010-05-08" {
		t.Errorf("Version() = %q", got)
	}
	if v, ok := q.String("UserName"); v != "al ice+" || !ok {
		t.Errorf(`String("UserName") = %q, %v`, v, ok)
	}
	if v, ok := q.String("Path"); v != "" || !ok {
		t.Errorf(`String("Path") = %q, %v; want "", true`, v, ok)
	}
	if v, ok := q.String("Description"); v != "" || ok {
		t.Errorf(`String("Description") = %q, %v; want "", false`, v, ok)
	}
	if got, want := q.List("States"), []string{"IN_PROGRESS", "SUCCEEDED", "FAILED"}; !reflect.DeepEqual(got, want) {
		t.Errorf(`List("States") = %q, want %q`, got, want)
	}
	if got := q.List("Nothing"); got != nil {
		t.Errorf(`List("Nothing") = %q, want nil`, got)
	}
	wantTags := []Tag{{Key: "env", Value: ""}, {Key: "team", Value: "a b"}, {Key: "", Value: "nokey"}}
	if got := q.Tags("Tags"); !reflect.DeepEqual(got, wantTags) {
		t.Errorf(`Tags("Tags") = %+v, want %+v`, got, wantTags)
	}
	for name, want := range map[string]bool{"Tags": true, "Empty": true, "States": true, "Tag": false, "PolicyArns": false} {
		if got := q.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
	if n, ok, err := q.Int("MaxItems"); n != 25 || !ok || err != nil {
		t.Errorf(`Int("MaxItems") = %d, %v, %v`, n, ok, err)
	}
	if _, ok, err := q.Int("Marker"); ok || err != nil {
		t.Errorf(`Int("Marker") = _, %v, %v; want not sent`, ok, err)
	}
	_, _, err := q.Int("Bad")
	wantErr(t, err, errcode.Validation, "1 validation error detected: Value 'x' at 'bad' failed to satisfy constraint: Member must be an integer")
	if v, ok, err := q.Bool("OnlyAttached"); !v || !ok || err != nil {
		t.Errorf(`Bool("OnlyAttached") = %v, %v, %v`, v, ok, err)
	}
	if v, ok, err := q.Bool("SetAsDefault"); v || !ok || err != nil {
		t.Errorf(`Bool("SetAsDefault") = %v, %v, %v`, v, ok, err)
	}
	_, _, err = q.Bool("Bad")
	wantErr(t, err, errcode.Validation, "1 validation error detected: Value 'x' at 'bad' failed to satisfy constraint: Member must be a boolean (true or false)")
}

func TestMemberName(t *testing.T) {
	for in, want := range map[string]string{"UserName": "userName", "MaxItems": "maxItems", "": "", "x": "x", "ÉA": "éA"} {
		if got := MemberName(in); got != want {
			t.Errorf("MemberName(%q) = %q, want %q", in, got, want)
		}
	}
}

type testUser struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	CreateDate Time   `xml:"CreateDate"`
	Updated    Time   `xml:"PasswordLastUsed"`
}

type testListUsers struct {
	Users       Members[testUser] `xml:"Users"`
	IsTruncated bool              `xml:"IsTruncated"`
	Marker      string            `xml:"Marker,omitempty"`
	Count       int               `xml:"Count"`
}

func TestWriteQueryResult(t *testing.T) {
	created := time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name   string
		action string
		result any
		want   string
	}{
		{name: "no output", action: "DeleteUser", result: nil,
			want: `<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` +
				`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteUserResponse>`},
		{name: "list, timestamp, boolean, escaping", action: "ListUsers",
			result: testListUsers{Users: Members[testUser]{{Path: "/", UserName: "a<b&c", CreateDate: Time{created}}}, IsTruncated: true, Marker: "m"},
			want: `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>` +
				`<Users><member><Path>/</Path><UserName>a&lt;b&amp;c</UserName><CreateDate>2025-03-04T04:06:07Z</CreateDate></member></Users>` +
				`<IsTruncated>true</IsTruncated><Marker>m</Marker><Count>0</Count></ListUsersResult>` +
				`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>`},
		{name: "empty list is still written", action: "ListUsers", result: testListUsers{},
			want: `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>` +
				`<Users></Users><IsTruncated>false</IsTruncated><Count>0</Count></ListUsersResult>` +
				`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>`},
		{name: "unencodable result", action: "GetUser", result: struct {
			F func() `xml:"F"`
		}{},
			want: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type>` +
				`<Code>InternalFailure</Code><Message>The request processing has failed because of an unknown error, exception or failure.</Message>` +
				`</Error><RequestId>req-1</RequestId></ErrorResponse>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteQueryResult(w, "req-1", "https://iam.amazonaws.com/doc/2010-05-08/", tt.action, tt.result)
			if got := w.Body.String(); got != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type = %q", ct)
			}
			if id := w.Header().Get("X-Amzn-RequestId"); id != "req-1" {
				t.Errorf("X-Amzn-RequestId = %q", id)
			}
			var parsed struct{ XMLName xml.Name }
			if err := xml.Unmarshal(w.Body.Bytes(), &parsed); err != nil {
				t.Errorf("the body is not XML: %v", err)
			}
		})
	}
}

func TestWriteQueryError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteQueryError(w, "req-2", "https://sts.amazonaws.com/doc/2011-06-15/", http.StatusForbidden, "Sender", "AccessDenied",
		`User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: "x"`)
	want := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
		`<Message>User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: &#34;x&#34;</Message>` +
		`</Error><RequestId>req-2</RequestId></ErrorResponse>`
	if w.Code != http.StatusForbidden || w.Body.String() != want {
		t.Errorf("WriteQueryError = %d\n%s\nwant 403\n%s", w.Code, w.Body.String(), want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestQueryErrorShape(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
	}{
		{errcode.New(errcode.MissingAuthenticationToken, "m"), "MissingAuthenticationToken", 403},
		{errcode.New(errcode.IncompleteSignature, "m"), "IncompleteSignature", 400},
		{errcode.New(errcode.InvalidSignature, "Signature expired: …"), "SignatureDoesNotMatch", 403},
		{errcode.New(errcode.UnrecognizedClient, "m"), "InvalidClientTokenId", 403},
		{errcode.New(errcode.ExpiredToken, "m"), "ExpiredToken", 403},
		{errcode.New(errcode.Serialization, "m"), "MalformedQueryString", 404},
		{errcode.New(errcode.UnknownOperation, "m"), "InvalidAction", 400},
		{&errcode.Error{Code: errcode.UnknownOperation, Err: ErrMissingAction}, "MissingAction", 400},
		{errcode.New(errcode.RequestTooLarge, "m"), "RequestEntityTooLarge", 413},
	}
	for _, tt := range tests {
		code, status, ok := QueryErrorShape(tt.err)
		if code != tt.code || status != tt.status || !ok {
			t.Errorf("QueryErrorShape(%v) = %s, %d, %v; want %s, %d", tt.err, code, status, ok, tt.code, tt.status)
		}
	}
	if _, _, ok := QueryErrorShape(errcode.New(errcode.EntityNotFound, "m")); ok {
		t.Error("EntityNotFound is not a protocol error")
	}
}

func TestSigningService(t *testing.T) {
	tests := []struct {
		name   string
		target string
		auth   string
		want   string
	}{
		{name: "header", target: "/", want: "sts",
			auth: "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"},
		{name: "header without spaces", target: "/", want: "iam",
			auth: "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/iam/aws4_request,SignedHeaders=host,Signature=abc"},
		{name: "presigned", target: "/?Action=GetCallerIdentity&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fsts%2Faws4_request", want: "sts"},
		{name: "unsigned", target: "/?Action=GetCallerIdentity", want: ""},
		{name: "not SigV4", target: "/", auth: "Bearer abc", want: ""},
		{name: "short credential", target: "/", auth: "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/iam, Signature=abc", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if got := SigningService(r); got != tt.want {
				t.Errorf("SigningService = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPercentEncode(t *testing.T) {
	in := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]} é~`
	want := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D%20%C3%A9~"
	if got := PercentEncode(in); got != want {
		t.Errorf("PercentEncode = %s\nwant %s", got, want)
	}
}
