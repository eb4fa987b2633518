package oci

import (
	"testing"

	"github.com/berth-registry/berth/internal/errcode"
)

func TestEveryCodeHasAnOCIError(t *testing.T) {
	for _, c := range errcode.Codes() {
		if _, ok := ociErrors[c]; !ok {
			t.Errorf("errcode.%s has no OCI error code and status", c)
		}
	}
}
