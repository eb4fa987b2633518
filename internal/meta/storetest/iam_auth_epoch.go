package storetest

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
)

var authEpochTests = []test{
	{"WritesAdvanceAuthEpoch", testWritesAdvanceAuthEpoch},
	{"ReadsKeepAuthEpoch", testReadsKeepAuthEpoch},
}

// epochStep is one call of the store.
type epochStep struct {
	name string
	do   func(t *testing.T, s meta.Store) error
}

// authWrites are writes that change what authorization depends on, in an order in
// which each succeeds on a fresh store.
var authWrites = []epochStep{
	{"CreateAccount", func(t *testing.T, s meta.Store) error {
		return s.CreateAccount(ctx(t), meta.Account{ID: registryID, Name: "a", Default: true, CreatedAt: base})
	}},
	{"SetRegistryHost", func(t *testing.T, s meta.Store) error {
		return s.SetRegistryHost(ctx(t), registryID, "registry.example.com")
	}},
	{"CreateAccessKey", func(t *testing.T, s meta.Store) error {
		return s.CreateAccessKey(ctx(t), meta.AccessKey{ID: "AKIAEPOCH", AccountID: registryID, UserName: "alice",
			SecretSealed: []byte("s"), Status: "Active", CreatedAt: base})
	}},
	{"SetAccessKeyStatus", func(t *testing.T, s meta.Store) error {
		return s.SetAccessKeyStatus(ctx(t), registryID, "alice", "AKIAEPOCH", "Inactive")
	}},
	{"DeleteAccessKey", func(t *testing.T, s meta.Store) error {
		return s.DeleteAccessKey(ctx(t), registryID, "alice", "AKIAEPOCH")
	}},
	{"CreateUser", func(t *testing.T, s meta.Store) error {
		return s.CreateUser(ctx(t), meta.User{AccountID: registryID, Name: "alice", ID: "AIDAEPOCH", Path: "/", CreatedAt: base})
	}},
	{"CreateGroup", func(t *testing.T, s meta.Store) error {
		return s.CreateGroup(ctx(t), meta.Group{AccountID: registryID, Name: "devs", ID: "AGPAEPOCH", Path: "/", CreatedAt: base})
	}},
	{"CreateRole", func(t *testing.T, s meta.Store) error {
		return s.CreateRole(ctx(t), meta.Role{AccountID: registryID, Name: "deployer", ID: "AROAEPOCH", Path: "/",
			TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: base})
	}},
	{"UpdateTrustPolicy", func(t *testing.T, s meta.Store) error {
		return s.UpdateTrustPolicy(ctx(t), registryID, "deployer", trustEC2)
	}},
	{"AddUserToGroup", func(t *testing.T, s meta.Store) error {
		return s.AddUserToGroup(ctx(t), registryID, "devs", "alice")
	}},
	{"RemoveUserFromGroup", func(t *testing.T, s meta.Store) error {
		return s.RemoveUserFromGroup(ctx(t), registryID, "devs", "alice")
	}},
	{"PutInlinePolicy", func(t *testing.T, s meta.Store) error {
		return s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", "p", "{}")
	}},
	{"PutInlinePolicy replacing", func(t *testing.T, s meta.Store) error {
		return s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", "p", `{"v":2}`)
	}},
	{"DeleteInlinePolicy", func(t *testing.T, s meta.Store) error {
		return s.DeleteInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", "p")
	}},
	{"CreatePolicy", func(t *testing.T, s meta.Store) error {
		return s.CreatePolicy(ctx(t), meta.ManagedPolicy{ARN: customerARN(registryID, "/", "pol"), AccountID: registryID,
			Name: "pol", ID: "ANPAEPOCH", Path: "/", CreatedAt: base, UpdatedAt: base}, "v1")
	}},
	{"CreatePolicyVersion", func(t *testing.T, s meta.Store) error {
		_, err := s.CreatePolicyVersion(ctx(t), customerARN(registryID, "/", "pol"), "v2", false, base)
		return err
	}},
	{"SetDefaultPolicyVersion", func(t *testing.T, s meta.Store) error {
		return s.SetDefaultPolicyVersion(ctx(t), customerARN(registryID, "/", "pol"), "v2", base)
	}},
	{"DeletePolicyVersion", func(t *testing.T, s meta.Store) error {
		return s.DeletePolicyVersion(ctx(t), customerARN(registryID, "/", "pol"), "v1")
	}},
	{"AttachPolicy", func(t *testing.T, s meta.Store) error {
		return s.AttachPolicy(ctx(t), registryID, meta.KindRole, "deployer", customerARN(registryID, "/", "pol"))
	}},
	{"AttachPolicy AWS managed", func(t *testing.T, s meta.Store) error {
		return s.AttachPolicy(ctx(t), registryID, meta.KindGroup, "devs", awsReadOnly)
	}},
	{"DetachPolicy", func(t *testing.T, s meta.Store) error {
		return s.DetachPolicy(ctx(t), registryID, meta.KindRole, "deployer", customerARN(registryID, "/", "pol"))
	}},
	{"DeletePolicy", func(t *testing.T, s meta.Store) error {
		return s.DeletePolicy(ctx(t), customerARN(registryID, "/", "pol"))
	}},
	{"DetachPolicy AWS managed", func(t *testing.T, s meta.Store) error {
		return s.DetachPolicy(ctx(t), registryID, meta.KindGroup, "devs", awsReadOnly)
	}},
	{"DeleteRole", func(t *testing.T, s meta.Store) error { return s.DeleteRole(ctx(t), registryID, "deployer") }},
	{"DeleteGroup", func(t *testing.T, s meta.Store) error { return s.DeleteGroup(ctx(t), registryID, "devs") }},
	{"DeleteUser", func(t *testing.T, s meta.Store) error { return s.DeleteUser(ctx(t), registryID, "alice") }},
	{"CreateRepository", func(t *testing.T, s meta.Store) error {
		_, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "r"}, nil)
		return err
	}},
	{"SetResourceTags", func(t *testing.T, s meta.Store) error {
		repo, err := s.GetRepository(ctx(t), registryID, "r")
		if err != nil {
			return err
		}
		return s.SetResourceTags(ctx(t), repo.ID, rt("team", "a"), nil, 50)
	}},
	{"SetRepositoryPolicy", func(t *testing.T, s meta.Store) error {
		repo, err := s.GetRepository(ctx(t), registryID, "r")
		if err != nil {
			return err
		}
		return s.SetRepositoryPolicy(ctx(t), repo.ID, "{}")
	}},
	{"DeleteRepositoryPolicy", func(t *testing.T, s meta.Store) error {
		repo, err := s.GetRepository(ctx(t), registryID, "r")
		if err != nil {
			return err
		}
		_, err = s.DeleteRepositoryPolicy(ctx(t), repo.ID)
		return err
	}},
	{"DeleteRepository", func(t *testing.T, s meta.Store) error {
		repo, err := s.GetRepository(ctx(t), registryID, "r")
		if err != nil {
			return err
		}
		return s.DeleteRepository(ctx(t), repo.ID, false)
	}},
	{"PutRegistryPolicy", func(t *testing.T, s meta.Store) error {
		return s.PutRegistryPolicy(ctx(t), registryID, "{}")
	}},
	{"DeleteRegistryPolicy", func(t *testing.T, s meta.Store) error {
		_, err := s.DeleteRegistryPolicy(ctx(t), registryID)
		return err
	}},
}

func testWritesAdvanceAuthEpoch(t *testing.T, s meta.Store) {
	for _, w := range authWrites {
		before := s.AuthEpoch()
		wantNoErr(t, w.name, w.do(t, s))
		if after := s.AuthEpoch(); after <= before {
			t.Errorf("AuthEpoch after %s = %d, want more than %d", w.name, after, before)
		}
	}
}

func testReadsKeepAuthEpoch(t *testing.T, s meta.Store) {
	// Something of everything to read.
	for _, w := range authWrites[:len(authWrites)-1] {
		switch w.name {
		case "DeleteRepository", "DeleteRepositoryPolicy", "DeleteUser", "DeleteGroup", "DeleteRole", "DeletePolicy",
			"DetachPolicy", "DetachPolicy AWS managed", "DeleteAccessKey", "RemoveUserFromGroup", "DeleteInlinePolicy":
			continue
		}
		wantNoErr(t, w.name, w.do(t, s))
	}
	wantNoErr(t, "PutCreateAccountStatus", s.PutCreateAccountStatus(ctx(t), meta.CreateAccountStatus{ID: carID(1),
		AccountName: "x", Email: "x@example.com", State: "IN_PROGRESS", RequestedAt: base}))
	repo, err := s.GetRepository(ctx(t), registryID, "r")
	wantNoErr(t, "GetRepository", err)
	arn := customerARN(registryID, "/", "pol")
	reads := []epochStep{
		{"GetAccount", func(t *testing.T, s meta.Store) error { _, err := s.GetAccount(ctx(t), registryID); return err }},
		{"DefaultAccount", func(t *testing.T, s meta.Store) error { _, err := s.DefaultAccount(ctx(t)); return err }},
		{"AccountByHost", func(t *testing.T, s meta.Store) error {
			_, err := s.AccountByHost(ctx(t), "registry.example.com")
			return err
		}},
		{"ListAccounts", func(t *testing.T, s meta.Store) error { _, err := s.ListAccounts(ctx(t), "", 10); return err }},
		{"GetAccessKey", func(t *testing.T, s meta.Store) error { _, err := s.GetAccessKey(ctx(t), "AKIAEPOCH"); return err }},
		{"ListAccessKeys", func(t *testing.T, s meta.Store) error {
			_, err := s.ListAccessKeys(ctx(t), registryID, "alice")
			return err
		}},
		{"GetUser", func(t *testing.T, s meta.Store) error { _, err := s.GetUser(ctx(t), registryID, "alice"); return err }},
		{"ListUsers", func(t *testing.T, s meta.Store) error {
			_, err := s.ListUsers(ctx(t), registryID, "", "", 10)
			return err
		}},
		{"GetGroup", func(t *testing.T, s meta.Store) error { _, err := s.GetGroup(ctx(t), registryID, "devs"); return err }},
		{"ListGroups", func(t *testing.T, s meta.Store) error {
			_, err := s.ListGroups(ctx(t), registryID, "", "", 10)
			return err
		}},
		{"ListGroupMembers", func(t *testing.T, s meta.Store) error {
			_, err := s.ListGroupMembers(ctx(t), registryID, "devs")
			return err
		}},
		{"ListGroupsForUser", func(t *testing.T, s meta.Store) error {
			_, err := s.ListGroupsForUser(ctx(t), registryID, "alice")
			return err
		}},
		{"GetRole", func(t *testing.T, s meta.Store) error {
			_, err := s.GetRole(ctx(t), registryID, "deployer")
			return err
		}},
		{"ListRoles", func(t *testing.T, s meta.Store) error {
			_, err := s.ListRoles(ctx(t), registryID, "", "", 10)
			return err
		}},
		{"GetInlinePolicy", func(t *testing.T, s meta.Store) error {
			_, err := s.GetInlinePolicy(ctx(t), registryID, meta.KindUser, "alice", "p")
			return err
		}},
		{"ListInlinePolicies", func(t *testing.T, s meta.Store) error {
			_, err := s.ListInlinePolicies(ctx(t), registryID, meta.KindUser, "alice")
			return err
		}},
		{"ListAttachedPolicies", func(t *testing.T, s meta.Store) error {
			_, err := s.ListAttachedPolicies(ctx(t), registryID, meta.KindRole, "deployer")
			return err
		}},
		{"IdentityPolicies", func(t *testing.T, s meta.Store) error {
			_, _, err := s.IdentityPolicies(ctx(t), registryID, meta.KindUser, "alice")
			return err
		}},
		{"GetPolicy", func(t *testing.T, s meta.Store) error { _, err := s.GetPolicy(ctx(t), arn); return err }},
		{"ListPolicies", func(t *testing.T, s meta.Store) error {
			_, err := s.ListPolicies(ctx(t), registryID, "", false, "", 10)
			return err
		}},
		{"GetPolicyVersion", func(t *testing.T, s meta.Store) error { _, err := s.GetPolicyVersion(ctx(t), arn, "v2"); return err }},
		{"ListPolicyVersions", func(t *testing.T, s meta.Store) error { _, err := s.ListPolicyVersions(ctx(t), arn); return err }},
		{"AttachmentCount", func(t *testing.T, s meta.Store) error {
			_, err := s.AttachmentCount(ctx(t), registryID, awsReadOnly)
			return err
		}},
		{"GetRepository", func(t *testing.T, s meta.Store) error { _, err := s.GetRepository(ctx(t), registryID, "r"); return err }},
		{"ListRepositories", func(t *testing.T, s meta.Store) error {
			_, err := s.ListRepositories(ctx(t), registryID, "", 10)
			return err
		}},
		{"ResourceTags", func(t *testing.T, s meta.Store) error { _, err := s.ResourceTags(ctx(t), repo.ID); return err }},
		{"RepositoryPolicy", func(t *testing.T, s meta.Store) error { _, err := s.RepositoryPolicy(ctx(t), repo.ID); return err }},
		{"RegistryPolicy", func(t *testing.T, s meta.Store) error { _, err := s.RegistryPolicy(ctx(t), registryID); return err }},
		{"GetCreateAccountStatus", func(t *testing.T, s meta.Store) error {
			_, err := s.GetCreateAccountStatus(ctx(t), carID(1))
			return err
		}},
		{"ListCreateAccountStatus", func(t *testing.T, s meta.Store) error {
			_, err := s.ListCreateAccountStatus(ctx(t), nil, "", 10)
			return err
		}},
		// Creating a repository that exists changes nothing.
		{"CreateRepository of an existing repository", func(t *testing.T, s meta.Store) error {
			_, isNew, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "r"}, nil)
			if isNew {
				t.Errorf("CreateRepository of an existing repository made a new one")
			}
			return err
		}},
	}
	for _, r := range reads {
		before := s.AuthEpoch()
		wantNoErr(t, r.name, r.do(t, s))
		if after := s.AuthEpoch(); after != before {
			t.Errorf("AuthEpoch after %s = %d, want it unchanged (%d)", r.name, after, before)
		}
	}
}
