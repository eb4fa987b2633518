package oci

import "testing"

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		want route
		ok   bool
	}{
		{"/v2/", route{kind: "base"}, true},
		{"/v2", route{kind: "base"}, true},
		{"/v2/_catalog", route{kind: "catalog"}, true},
		{"/v2/a/b/tags/list", route{kind: "tags", name: "a/b"}, true},
		{"/v2/app/manifests/latest", route{kind: "manifest", name: "app", ref: "latest"}, true},
		{"/v2/a/manifests/manifests/x", route{kind: "manifest", name: "a/manifests", ref: "x"}, true},
		{"/v2/a/b/c/blobs/sha256:ab", route{kind: "blob", name: "a/b/c", ref: "sha256:ab"}, true},
		{"/v2/a/blobs/blobs/sha256:ab", route{kind: "blob", name: "a/blobs", ref: "sha256:ab"}, true},
		{"/v2/a/b/blobs/uploads/", route{kind: "uploads", name: "a/b"}, true},
		{"/v2/a/b/blobs/uploads", route{kind: "uploads", name: "a/b"}, true},
		{"/v2/a/b/blobs/uploads/1234", route{kind: "upload", name: "a/b", ref: "1234"}, true},
		{"/v2/a/referrers/sha256:ab", route{kind: "referrers", name: "a", ref: "sha256:ab"}, true},
		{"/v2/a", route{}, false},
		{"/v2/a/unknown/x", route{}, false},
		{"/other", route{}, false},
	}
	for _, tt := range tests {
		got, ok := parseRoute(tt.path)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseRoute(%q) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in         string
		start, end int64
		ok         bool
	}{
		{"0-1023", 0, 1023, true},
		{"bytes=10-20", 10, 20, true},
		{"bytes 10-20/100", 10, 20, true},
		{"5-4", 0, 0, false},
		{"-5", 0, 0, false},
		{"abc", 0, 0, false},
		{"1-x", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		start, end, err := parseContentRange(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (start != tt.start || end != tt.end)) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.in, start, end, err, tt.start, tt.end, tt.ok)
		}
	}
}
