package ecr

import (
	"testing"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
)

func TestEveryCodeHasAnException(t *testing.T) {
	for _, c := range errcode.Codes() {
		if c == errcode.Unauthorized || c == errcode.TokenExpired {
			continue // registry (/v2) credentials only
		}
		_, _, auth := awsproto.AuthErrorShape(c)
		if _, ok := exceptions[c]; !ok && !auth {
			t.Errorf("errcode.%s has no ECR exception", c)
		}
	}
}
