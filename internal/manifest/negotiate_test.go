package manifest

import (
	"bytes"
	"testing"
)

func TestNegotiate(t *testing.T) {
	const (
		s2   = MediaTypeDockerSchema2
		oci  = MediaTypeOCIManifest
		list = MediaTypeDockerManifestList
		idx  = MediaTypeOCIIndex
		s1   = MediaTypeDockerSchema1Signed
	)
	tests := []struct {
		name   string
		accept []string
		stored string
		want   string
	}{
		{"no Accept", nil, s2, s2},
		{"blank Accept", []string{"", " , "}, oci, oci},
		{"garbage Accept", []string{"nonsense", "*/html"}, oci, oci},
		{"stored accepted", []string{s2}, s2, s2},
		{"stored accepted among others", []string{oci, s2}, s2, s2},
		{"stored accepted with low q", []string{oci + ";q=1, " + s2 + ";q=0.1"}, s2, s2},
		{"wildcard", []string{"*/*"}, s2, s2},
		{"type wildcard", []string{"application/*"}, oci, oci},
		{"case-insensitive", []string{"Application/VND.Docker.Distribution.Manifest.V2+JSON"}, s2, s2},
		{"OCI client pulls docker image", []string{oci}, s2, oci},
		{"docker client pulls OCI image", []string{s2, list}, oci, s2},
		{"comma list", []string{oci + ", " + idx}, s2, oci},
		{"several header values", []string{list, s2}, idx, list},
		{"OCI index for docker list", []string{idx}, list, idx},
		{"list for OCI index", []string{list + "; q=0.9"}, idx, list},
		{"q=0 refuses stored despite wildcard", []string{"*/*", s2 + ";q=0"}, s2, oci},
		{"q=0 refuses stored, counterpart listed", []string{s2 + "; q=0, " + oci}, s2, oci},
		{"q=0.0 also refuses", []string{"application/*", oci + ";q=0.0"}, oci, s2},
		{"q=0 on wildcard but stored listed", []string{"*/*;q=0", s2}, s2, s2},
		{"q=0 on everything", []string{"*/*;q=0"}, s2, s2},
		{"counterpart refused too", []string{"text/plain", s2 + ";q=0", oci + ";q=0"}, s2, s2},
		{"no counterpart accepted", []string{"text/plain"}, s2, s2},
		{"malformed q is ignored", []string{s2 + ";q=abc"}, s2, s2},
		{"schema1 has no counterpart", []string{oci}, s1, s1},
		{"manifest and list types do not mix", []string{idx}, s2, s2},
		{"parameters other than q", []string{oci + `; charset="utf-8"; q=0.5`}, s2, oci},
		{"old docker pulls docker image", []string{s1}, s2, s1},
		{"old client pulls OCI image", []string{s1 + ", application/json"}, oci, s1},
		{"unsigned schema1 listed", []string{MediaTypeDockerSchema1}, s2, s1},
		{"schema1 case-insensitive", []string{"Application/Vnd.Docker.Distribution.Manifest.V1+PrettyJWS"}, s2, s1},
		{"stored wins over schema1", []string{s1, s2}, s2, s2},
		{"counterpart wins over schema1", []string{s1 + ", " + oci}, s2, oci},
		{"schema1 refused with q=0", []string{s1 + ";q=0", MediaTypeDockerSchema1 + ";q=0"}, s2, s2},
		{"schema1 with low q", []string{s1 + ";q=0.1"}, oci, s1},
		{"wildcard does not ask for schema1", []string{"application/*", s2 + ";q=0", oci + ";q=0"}, s2, s2},
		{"manifest list not translated to schema1", []string{s1}, list, list},
		{"OCI index not translated to schema1", []string{s1}, idx, idx},
		{"schema1 stored, schema1 asked", []string{s1}, s1, s1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.accept, tt.stored); got != tt.want {
				t.Errorf("Negotiate(%q, %s) = %s, want %s", tt.accept, tt.stored, got, tt.want)
			}
		})
	}
}

func TestForPull(t *testing.T) {
	docker := mustParse(t, "", dockerImage)
	artifact := mustParse(t, "", ociArtifact)
	tests := []struct {
		name      string
		m         *Manifest
		accept    []string
		wantType  string
		converted bool
	}{
		{"stored format accepted", docker, []string{MediaTypeDockerSchema2}, MediaTypeDockerSchema2, false},
		{"converted for an OCI-only client", docker, []string{MediaTypeOCIManifest}, MediaTypeOCIManifest, true},
		{"artifact is never converted", artifact, []string{MediaTypeDockerSchema2}, MediaTypeOCIManifest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt, payload, err := ForPull(tt.m, tt.accept)
			if err != nil {
				t.Fatal(err)
			}
			if mt != tt.wantType {
				t.Errorf("media type = %s, want %s", mt, tt.wantType)
			}
			if same := bytes.Equal(payload, tt.m.Payload); same == tt.converted {
				t.Errorf("payload converted = %v, want %v", !same, tt.converted)
			}
			if _, err := Parse(mt, payload); err != nil {
				t.Errorf("served payload does not parse as %s: %v", mt, err)
			}
		})
	}
}
