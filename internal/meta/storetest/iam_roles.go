package storetest

import (
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var iamRoleTests = []test{
	{"CreateAndGetRole", testCreateAndGetRole},
	{"ListRoles", testListRoles},
	{"UpdateTrustPolicy", testUpdateTrustPolicy},
	{"DeleteRoleInUse", testDeleteRoleInUse},
}

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func mustRole(t *testing.T, s meta.Store, account, name, path string) meta.Role {
	t.Helper()
	r := meta.Role{AccountID: account, Name: name, ID: iamID("AROA", account+"/role/"+name), Path: path,
		Description: "role " + name, TrustPolicy: trustEC2, MaxSessionDuration: 3600,
		CreatedAt: base.Add(time.Duration(len(name)) * time.Hour)}
	if err := s.CreateRole(ctx(t), r); err != nil {
		t.Fatalf("CreateRole(%s, %q): %v", account, name, err)
	}
	return r
}

// wantRole compares every field of a role.
func wantRole(t *testing.T, what string, got, want meta.Role) {
	t.Helper()
	if got.AccountID != want.AccountID || got.Name != want.Name || got.ID != want.ID || got.Path != want.Path ||
		got.Description != want.Description || got.TrustPolicy != want.TrustPolicy ||
		got.MaxSessionDuration != want.MaxSessionDuration {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func roleNames(rs []meta.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

func testCreateAndGetRole(t *testing.T, s meta.Store) {
	roles := []meta.Role{
		{AccountID: registryID, Name: "Deployer", ID: "AROAEXAMPLEDEPLOYER1", Path: "/ci/", Description: "déploie",
			TrustPolicy: trustEC2, MaxSessionDuration: 43200, CreatedAt: base.Add(1500 * time.Microsecond)},
		{AccountID: registryID, Name: "plain", ID: "AROAEXAMPLEPLAIN0001", Path: "/", TrustPolicy: "{}",
			MaxSessionDuration: 3600, CreatedAt: base},
		{AccountID: otherRegistry, Name: "deployer", ID: "AROAEXAMPLEDEPLOYER2", Path: "/", TrustPolicy: "{}",
			MaxSessionDuration: 7200, CreatedAt: base},
	}
	for _, r := range roles {
		wantNoErr(t, "CreateRole("+r.Name+")", s.CreateRole(ctx(t), r))
	}
	for _, want := range roles {
		got, err := s.GetRole(ctx(t), want.AccountID, want.Name)
		wantNoErr(t, "GetRole("+want.Name+")", err)
		wantRole(t, "GetRole("+want.Name+")", got, want)
	}
	got, err := s.GetRole(ctx(t), registryID, "DEPLOYER")
	wantNoErr(t, "GetRole in another case", err)
	wantRole(t, "GetRole in another case", got, roles[0])
	_, err = s.GetRole(ctx(t), registryID, "deploy")
	wantErrIs(t, "GetRole of no role", err, meta.ErrNotFound)
	_, err = s.GetRole(ctx(t), "000000000001", "plain")
	wantErrIs(t, "GetRole in another account", err, meta.ErrNotFound)

	dup := roles[1]
	dup.Name, dup.ID, dup.TrustPolicy = "PLAIN", "AROAEXAMPLEPLAIN0002", "changed"
	wantErrIs(t, "CreateRole of a name in another case", s.CreateRole(ctx(t), dup), meta.ErrConflict)
	got, err = s.GetRole(ctx(t), registryID, "plain")
	wantNoErr(t, "GetRole", err)
	wantRole(t, "GetRole after a refused duplicate", got, roles[1])
}

func testListRoles(t *testing.T, s meta.Store) {
	for _, r := range []struct{ name, path string }{
		{"b", "/svc/"}, {"A", "/"}, {"c", "/svc/x/"}, {"D", "/svc/"}, {"e", "/other/"},
	} {
		mustRole(t, s, registryID, r.name, r.path)
	}
	mustRole(t, s, otherRegistry, "a0", "/")
	all := []string{"A", "b", "c", "D", "e"}
	got, err := s.ListRoles(ctx(t), registryID, "", "", 100)
	wantNoErr(t, "ListRoles", err)
	wantStrings(t, "ListRoles", roleNames(got), all)
	if len(got) == len(all) {
		want := meta.Role{AccountID: registryID, Name: "A", ID: iamID("AROA", registryID+"/role/A"), Path: "/",
			Description: "role A", TrustPolicy: trustEC2, MaxSessionDuration: 3600, CreatedAt: base.Add(time.Hour)}
		wantRole(t, "ListRoles[0]", got[0], want)
	}
	names := namesPaged(t, "ListRoles", 2, func(after string) ([]string, error) {
		rs, err := s.ListRoles(ctx(t), registryID, "/", after, 2)
		return roleNames(rs), err
	})
	wantStrings(t, "ListRoles in pages of 2", names, all)
	got, err = s.ListRoles(ctx(t), registryID, "/svc/", "B", 100)
	wantNoErr(t, "ListRoles under /svc/ after B", err)
	wantStrings(t, "ListRoles under /svc/ after B", roleNames(got), []string{"c", "D"})
	got, err = s.ListRoles(ctx(t), "000000000001", "", "", 100)
	wantNoErr(t, "ListRoles of an account without roles", err)
	wantStrings(t, "ListRoles of an account without roles", roleNames(got), nil)
}

func testUpdateTrustPolicy(t *testing.T, s meta.Store) {
	r := mustRole(t, s, registryID, "Deployer", "/")
	other := mustRole(t, s, otherRegistry, "deployer", "/")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	wantNoErr(t, "UpdateTrustPolicy in another case", s.UpdateTrustPolicy(ctx(t), registryID, "DEPLOYER", doc))
	r.TrustPolicy = doc
	got, err := s.GetRole(ctx(t), registryID, "deployer")
	wantNoErr(t, "GetRole", err)
	wantRole(t, "GetRole after UpdateTrustPolicy", got, r)
	got, err = s.GetRole(ctx(t), otherRegistry, "deployer")
	wantNoErr(t, "GetRole of the other account's role", err)
	wantRole(t, "GetRole of the other account's role", got, other)
	err = s.UpdateTrustPolicy(ctx(t), registryID, "nobody", doc)
	wantErrIs(t, "UpdateTrustPolicy of no role", err, meta.ErrNotFound)
}

func testDeleteRoleInUse(t *testing.T, s meta.Store) {
	err := s.DeleteRole(ctx(t), registryID, "r")
	wantErrIs(t, "DeleteRole of no role", err, meta.ErrNotFound)
	mustRole(t, s, registryID, "R", "/")
	const aws = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
	wantNoErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx(t), registryID, meta.KindRole, "r", "inline", `{}`))
	wantNoErr(t, "AttachPolicy", s.AttachPolicy(ctx(t), registryID, meta.KindRole, "r", aws))
	steps := []struct {
		dependents string
		remove     func() error
	}{
		{"policies", func() error { return s.DeleteInlinePolicy(ctx(t), registryID, meta.KindRole, "R", "INLINE") }},
		{"attached policies", func() error { return s.DetachPolicy(ctx(t), registryID, meta.KindRole, "R", aws) }},
	}
	for _, st := range steps {
		wantInUse(t, "DeleteRole with "+st.dependents, s.DeleteRole(ctx(t), registryID, "r"), st.dependents)
		_, err := s.GetRole(ctx(t), registryID, "r")
		wantNoErr(t, "GetRole after a refused DeleteRole", err)
		wantNoErr(t, "removing the "+st.dependents, st.remove())
	}
	wantNoErr(t, "DeleteRole once nothing depends on it", s.DeleteRole(ctx(t), registryID, "r"))
	_, err = s.GetRole(ctx(t), registryID, "R")
	wantErrIs(t, "GetRole of the deleted role", err, meta.ErrNotFound)
	err = s.DeleteRole(ctx(t), registryID, "R")
	wantErrIs(t, "DeleteRole twice", err, meta.ErrNotFound)
}
