package iam

import (
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

// storeError turns a store error about an IAM entity into the error IAM answers: what
// (e.g. "user", "group policy") and name say which entity, in IAM's words.
func storeError(err error, what, name string) error {
	var inUse *meta.InUseError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, meta.ErrNotFound):
		return noSuchEntity(what, name)
	case errors.As(err, &inUse):
		return deleteConflict(inUse.Dependents)
	case errors.Is(err, meta.ErrConflict):
		return alreadyExists(what, name)
	}
	return fmt.Errorf("%s %s: %w", what, name, err)
}

// noSuchEntity is IAM's NoSuchEntity for an entity of kind what.
func noSuchEntity(what, name string) error {
	switch what {
	case "policy", "policy version":
		return errcode.New(errcode.EntityNotFound, "Policy %s was not found.", name)
	case "attached policy":
		return errcode.New(errcode.EntityNotFound, "Policy %s was not found.", name)
	case "access key":
		return errcode.New(errcode.EntityNotFound, "The Access Key with id %s cannot be found.", name)
	}
	return errcode.New(errcode.EntityNotFound, "The %s with name %s cannot be found.", what, name)
}

func alreadyExists(what, name string) error {
	switch what {
	case "policy":
		return errcode.New(errcode.EntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", name)
	case "user":
		return errcode.New(errcode.EntityAlreadyExists, "User with name %s already exists.", name)
	case "group":
		return errcode.New(errcode.EntityAlreadyExists, "Group with name %s already exists.", name)
	case "role":
		return errcode.New(errcode.EntityAlreadyExists, "Role with name %s already exists.", name)
	}
	return errcode.New(errcode.EntityAlreadyExists, "%s %s already exists.", what, name)
}

// deleteConflict is IAM's DeleteConflict for the dependents a store reported.
func deleteConflict(dependents string) error {
	switch dependents {
	case "access keys":
		return errcode.New(errcode.DeleteConflict, "Cannot delete entity, must delete access keys first.")
	case "policies":
		return errcode.New(errcode.DeleteConflict, "Cannot delete entity, must delete policies first.")
	case "attached policies":
		return errcode.New(errcode.DeleteConflict, "Cannot delete entity, must detach all policies first.")
	case "groups":
		return errcode.New(errcode.DeleteConflict, "Cannot delete entity, must remove users from group first.")
	case "users":
		return errcode.New(errcode.DeleteConflict, "Cannot delete entity, must remove users from group first.")
	case "attachments":
		return errcode.New(errcode.DeleteConflict, "Cannot delete a policy attached to entities.")
	case "versions":
		return errcode.New(errcode.DeleteConflict, "This policy has more than one version. Before you delete a policy, "+
			"you must delete the policy's versions. The default version is deleted with the policy.")
	case "default version":
		return errcode.New(errcode.DeleteConflict, "Cannot delete the default version of a policy.")
	}
	return errcode.New(errcode.DeleteConflict, "Cannot delete entity, must delete its %s first.", dependents)
}

// malformed is IAM's MalformedPolicyDocument.
func malformed(err error) error {
	return &errcode.Error{Code: errcode.MalformedPolicy, Message: policyMessage(err), Err: err}
}

func policyMessage(err error) string {
	var perr *policy.Error
	if errors.As(err, &perr) {
		return perr.Message
	}
	return "Syntax errors in policy."
}
