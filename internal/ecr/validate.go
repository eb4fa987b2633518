package ecr

import (
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/berth-registry/berth/internal/errcode"
)

// The model's patterns, anchored (the model's are not, but AWS matches them whole).
var (
	repositoryNamePattern = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	registryIDPattern     = regexp.MustCompile(`^[0-9]{12}$`)
	layerDigestPattern    = regexp.MustCompile(`^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$`)
	uploadIDPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// invalid is ECR's InvalidParameterException for a member that breaks a constraint.
func invalid(member, constraint string, args ...any) error {
	return errcode.New(errcode.InvalidParameter, "Invalid parameter at '%s' failed to satisfy constraint: '%s'",
		member, fmt.Sprintf(constraint, args...))
}

func required(member string, present bool) error {
	if !present {
		return invalid(member, "Member must not be null")
	}
	return nil
}

func stringLength(member, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	if n < min {
		return invalid(member, "Member must have length greater than or equal to %d", min)
	}
	if max > 0 && n > max {
		return invalid(member, "Member must have length less than or equal to %d", max)
	}
	return nil
}

func listLength(member string, n, min, max int) error {
	if n < min {
		return invalid(member, "Member must have length greater than or equal to %d", min)
	}
	if n > max {
		return invalid(member, "Member must have length less than or equal to %d", max)
	}
	return nil
}

func validateRepositoryName(name string) error {
	if err := required("repositoryName", name != ""); err != nil {
		return err
	}
	if err := stringLength("repositoryName", name, 2, 256); err != nil {
		return err
	}
	if !repositoryNamePattern.MatchString(name) {
		return invalid("repositoryName", "must satisfy regular expression '%s'",
			`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`)
	}
	return nil
}

func validateRegistryID(id string) error {
	if !registryIDPattern.MatchString(id) {
		return invalid("registryId", "must satisfy regular expression '[0-9]{12}'")
	}
	return nil
}

// maxResults returns the page size a call asked for, or def.
func maxResults(v *int, max, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 {
		return 0, invalid("maxResults", "Member must have value greater than or equal to 1")
	}
	if *v > max {
		return 0, invalid("maxResults", "Member must have value less than or equal to %d", max)
	}
	return *v, nil
}

func validateImageTag(member, tag string) error {
	return stringLength(member, tag, 1, 300)
}

func validateLayerDigest(member, d string) error {
	if !layerDigestPattern.MatchString(d) {
		return invalid(member, "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
	}
	return nil
}

// oneOf checks an enum member.
func oneOf(member, v string, values ...string) error {
	for _, allowed := range values {
		if v == allowed {
			return nil
		}
	}
	return invalid(member, "Member must satisfy enum value set: %v", values)
}
