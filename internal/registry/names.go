package registry

import (
	// Register the digest algorithms go-digest checks for availability.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"regexp"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/opencontainers/go-digest"
)

// repositoryNamePattern is ECR's RepositoryName pattern, anchored.
var repositoryNamePattern = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

// tagPattern is the distribution-spec tag grammar.
var tagPattern = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// ValidateRepositoryName checks name against ECR's rules: 2 to 256 characters,
// lowercase letters, digits and separators, optionally nested with '/'.
func ValidateRepositoryName(name string) error {
	switch {
	case len(name) < 2 || len(name) > 256:
		return errcode.New(errcode.NameInvalid,
			"invalid repository name %q: it must be 2 to 256 characters long", truncate(name))
	case !repositoryNamePattern.MatchString(name):
		return errcode.New(errcode.NameInvalid,
			"invalid repository name %q: use lowercase letters and digits, separated by '.', '_', '__' or '-', "+
				"and nested with '/' (pattern %s)", truncate(name), repositoryNamePattern)
	}
	return nil
}

// ValidateTag checks a tag against the distribution-spec grammar.
func ValidateTag(tag string) error {
	if !tagPattern.MatchString(tag) {
		return errcode.New(errcode.TagInvalid,
			"invalid tag %q: a tag is 1 to 128 characters of letters, digits, '_', '.' and '-', "+
				"not starting with '.' or '-'", truncate(tag))
	}
	return nil
}

// ParseDigest parses and validates a digest of a supported algorithm.
func ParseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", wrapf(errcode.DigestInvalid, err,
			"invalid digest %q: expected <algorithm>:<hex>, with algorithm sha256 or sha512 and lowercase hex of the right length", truncate(s))
	}
	return d, nil
}

// IsDigest reports whether a manifest reference is a digest rather than a tag.
func IsDigest(ref string) bool { return strings.Contains(ref, ":") }

func truncate(s string) string {
	const limit = 300
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
